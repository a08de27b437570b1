#!/usr/bin/env python3
"""Render what `nsview tree` / `nsview diff` print as an SVG "screenshot" for the docs.

It builds the same renderable the CLI prints (same collect and render functions), lays it out
on a rich Console of fixed width, and writes each terminal line as ONE <text> element holding
the whole line, spaces included (xml:space="preserve"), its styled spans as <tspan>s. rich's
own export_svg places every span at its own x and drops the unstyled spaces between them, so a
viewer without its font, or anything reading the text, joined neighbours ("loUNKNOWN").
tests/test_pictures.py checks that a picture's lines are the text the CLI prints.

    python scripts/render_svg.py tree 9391 docs/img/tree.svg --proc-root fixtures/docker-hybrid/proc
    sudo python scripts/render_svg.py diff web docs/img/diff.svg

TARGET is resolved exactly as the CLI resolves it (a pid, or a container where supported).
"""

from __future__ import annotations

import argparse
import sys
from html import escape
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WIDTH = 110
CHAR_W, LINE_H, PAD = 8.4, 17.0, 12  # a 14px monospace cell
BACKGROUND, FOREGROUND = "#1e1e2e", "#d9dce4"


def _tree(target: str, proc_root: Path, sys_root: Path):
    from nsview.collect.tree import collect_tree
    from nsview.procfs import ProcFS
    from nsview.render.text.tree import render_tree
    from nsview.targets import resolve_target

    pid = resolve_target(proc_root, target, sys_root=sys_root)
    return render_tree(collect_tree(ProcFS(proc_root), pid, None), fold=True)  # as a terminal shows it


def _diff(target: str, proc_root: Path, sys_root: Path):
    from nsview.collect.diff import collect_diff
    from nsview.procfs import ProcFS, SysFS
    from nsview.render.text.diff import render_diff
    from nsview.targets import resolve_target

    pid = resolve_target(proc_root, target, sys_root=sys_root)
    return render_diff(collect_diff(ProcFS(proc_root), SysFS(sys_root), pid))


RENDERERS = {"tree": _tree, "diff": _diff}


def _span(text: str, style) -> str:
    from rich.terminal_theme import MONOKAI

    attrs = []
    if style is not None:
        color = style.color.get_truecolor(MONOKAI).hex if style.color and not style.color.is_default else None
        if style.dim:
            attrs.append('opacity="0.65"')
        if color:
            attrs.append(f'fill="{color}"')
        if style.bold:
            attrs.append('font-weight="bold"')
        if style.italic:
            attrs.append('font-style="italic"')
    body = escape(text, quote=False)
    return f"<tspan {' '.join(attrs)}>{body}</tspan>" if attrs else body


def to_svg(renderable, title: str, width: int = WIDTH) -> str:
    """The renderable as the CLI lays it out at ``width`` columns, one <text> per line."""
    from rich.console import Console

    # the CLI's console settings: nothing in the data is interpreted as markup or emoji
    console = Console(
        width=width,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=True,
        color_system="truecolor",
        file=open("/dev/null", "w"),
    )
    lines = console.render_lines(renderable, console.options.update(width=width), pad=False)
    w = round(width * CHAR_W + 2 * PAD)
    h = round((len(lines) + 2) * LINE_H + 2 * PAD)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{w}" height="{h}" rx="8" fill="{BACKGROUND}"/>',
        f'<text x="{PAD}" y="{PAD + LINE_H * 0.8:.1f}" fill="#8a8fa3" font-family="monospace" '
        f'font-size="13px">{escape(title)}</text>',
        f'<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14px" fill="{FOREGROUND}">',
    ]
    for i, line in enumerate(lines):
        y = PAD + (i + 2) * LINE_H
        spans = "".join(_span(seg.text, seg.style) for seg in line if seg.text and not seg.control)
        out.append(f'<text x="{PAD}" y="{y:.1f}" xml:space="preserve">{spans}</text>')
    out += ["</g>", "</svg>"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=sorted(RENDERERS))
    parser.add_argument("target")
    parser.add_argument("output", type=Path)
    parser.add_argument("--title", help="window title in the picture (default: the command line)")
    parser.add_argument("--proc-root", type=Path, default=Path("/proc"))
    parser.add_argument("--sys-root", type=Path, default=Path("/sys"))
    ns = parser.parse_args(argv)

    sys.path.insert(0, str(REPO))
    from nsview.errors import NsviewError

    try:
        renderable = RENDERERS[ns.command](ns.target, ns.proc_root, ns.sys_root)
    except NsviewError as err:
        print(f"render_svg: {err.message}", file=sys.stderr)
        return int(err.exit_code)
    title = ns.title or f"nsview {ns.command} {ns.target}"
    ns.output.parent.mkdir(parents=True, exist_ok=True)
    ns.output.write_text(to_svg(renderable, title))
    print(f"wrote {ns.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
