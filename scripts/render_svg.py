#!/usr/bin/env python3
"""Render what `nsview tree` / `nsview diff` print as an SVG "screenshot" for the docs.

It builds the same renderable the CLI prints (same collect and render functions) and records it
on a rich Console of fixed width, then exports SVG. Nothing is added to the CLI for this.

    sudo python scripts/render_svg.py tree 3074 docs/img/tree.svg
    sudo python scripts/render_svg.py diff 3074 docs/img/diff.svg

TARGET is resolved exactly as the CLI resolves it (a pid, or a container where supported).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WIDTH = 110


def _tree(target: str, proc_root: Path, sys_root: Path):
    from nsview.collect.tree import collect_tree
    from nsview.procfs import ProcFS
    from nsview.render.text.tree import render_tree
    from nsview.targets import resolve_target

    pid = resolve_target(proc_root, target, sys_root=sys_root)
    return render_tree(collect_tree(ProcFS(proc_root), pid, None))


def _diff(target: str, proc_root: Path, sys_root: Path):
    from nsview.collect.diff import collect_diff
    from nsview.procfs import ProcFS, SysFS
    from nsview.render.text.diff import render_diff
    from nsview.targets import resolve_target

    pid = resolve_target(proc_root, target, sys_root=sys_root)
    return render_diff(collect_diff(ProcFS(proc_root), SysFS(sys_root), pid))


RENDERERS = {"tree": _tree, "diff": _diff}


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
    from rich.console import Console

    from nsview.errors import NsviewError

    try:
        renderable = RENDERERS[ns.command](ns.target, ns.proc_root, ns.sys_root)
    except NsviewError as err:
        print(f"render_svg: {err.message}", file=sys.stderr)
        return int(err.exit_code)
    # the CLI's console settings: nothing in the data is interpreted as markup or emoji
    console = Console(
        record=True,
        width=WIDTH,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=True,
        color_system="truecolor",
        file=open("/dev/null", "w"),
    )
    console.print(renderable)
    title = ns.title or f"nsview {ns.command} {ns.target}"
    ns.output.parent.mkdir(parents=True, exist_ok=True)
    ns.output.write_text(console.export_svg(title=title))
    print(f"wrote {ns.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
