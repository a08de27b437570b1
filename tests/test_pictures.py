"""The pictures in docs/img/ say what the tool says (docs/tour.md shows them).

scripts/render_svg.py writes each terminal line as one SVG <text> element, spaces included;
these tests read the lines back out of the SVG and compare them with what `nsview` prints at
the same width: the committed tree picture (made from a captured fixture, so it can be made
again here) byte for byte and line for line; the diff picture's renderer on a live container.
Where rsvg-convert (Debian's librsvg2-bin) is installed, each picture must also render."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.paths import FIXTURES, REPO

SVG_NS = "{http://www.w3.org/2000/svg}"
IMG = REPO / "docs" / "img"
SCRIPT = REPO / "scripts" / "render_svg.py"
WIDTH = "110"  # render_svg.py's width
TREE_ARGS = [
    "tree",
    "9391",
    "--proc-root",
    str(FIXTURES / "docker-hybrid" / "proc"),
    "--sys-root",
    str(FIXTURES / "docker-hybrid" / "sys"),
]


def svg_lines(svg: str) -> tuple[str, list[str]]:
    """(the title, each terminal line's text) of a picture."""
    root = ET.fromstring(svg)
    group = root.find(f"{SVG_NS}g")
    assert group is not None, "no terminal group in the picture"
    title = root.findtext(f"{SVG_NS}title") or ""
    return title, ["".join(t.itertext()) for t in group.findall(f"{SVG_NS}text")]


def _render(tmp_path: Path, *args: str, title: str) -> str:
    out = tmp_path / "picture.svg"
    r = subprocess.run(
        [sys.executable, str(SCRIPT), *args[:2], str(out), *args[2:], "--title", title],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert r.returncode == 0, r.stderr
    return out.read_text()


def _cli_lines(nsview_run, *args: str) -> list[str]:
    r = nsview_run(*args, "--no-color", env={"COLUMNS": WIDTH})
    assert r.returncode == 0, r.stderr
    return [line.rstrip() for line in r.stdout.splitlines()]


def test_tree_picture_is_current_and_says_what_the_cli_prints(tmp_path, nsview_run):
    committed = (IMG / "tree.svg").read_text()
    assert _render(tmp_path, *TREE_ARGS, title="nsview tree web") == committed, (
        "docs/img/tree.svg is stale: run scripts/render_svg.py as its docstring says"
    )
    title, lines = svg_lines(committed)
    assert title == "nsview tree web"
    assert [x.rstrip() for x in lines] == _cli_lines(nsview_run, "tree", *TREE_ARGS[1:])


def test_no_picture_joins_words_where_styles_change():
    """The bug rich's exporter had: "lo" and "UNKNOWN" in two cells read "loUNKNOWN"."""
    for path in sorted(IMG.glob("*.svg")):
        _, lines = svg_lines(path.read_text())
        assert lines, path
        text = "\n".join(lines)
        for joined in ("loUNKNOWN", "eth0UP", "init,       1"):
            assert joined not in text, (path.name, joined)


@pytest.mark.docker
def test_diff_picture_renderer_says_what_the_cli_prints(docker_run, tmp_path, nsview_run):
    from tests.support import live

    name = live.unique_name("nsv-pic")
    docker_run("--name", name, "--hostname", "webhost", "-m", "256m")
    _, lines = svg_lines(_render(tmp_path, "diff", name, title=f"nsview diff {name}"))
    cli = _cli_lines(nsview_run, "diff", name)
    # the same lines, but for pids and counters that may move between the two runs
    assert len(lines) == len(cli)
    same = sum(a.rstrip() == b for a, b in zip(lines, cli, strict=True))
    assert same >= len(cli) - 3, [(a, b) for a, b in zip(lines, cli, strict=True) if a.rstrip() != b]
    assert any("webhost" in x for x in lines) and any("Namespaces" in x for x in lines)


@pytest.mark.parametrize("name", ["tree.svg", "diff.svg"])
def test_picture_renders_to_png(name, tmp_path):
    from tests.support import live

    tool = shutil.which("rsvg-convert")
    live.need(tool is not None, "rsvg-convert (Debian's librsvg2-bin) is not installed")
    assert tool is not None
    png = tmp_path / "out.png"
    r = subprocess.run([tool, "-o", str(png), str(IMG / name)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
