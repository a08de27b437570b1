"""Golden output of `nsview snapshot` (what a person sees after a capture) on a fixture tree,
and the text of `--from`: the same as on the tree itself. Regenerate with
`python -m pytest tests/test_snapshot_golden.py --regen-golden`."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.paths import FIXTURES

GOLDEN = Path(__file__).resolve().parent / "golden"
TREE = FIXTURES / "cri-containerd-systemd"
ROOTS = ["--proc-root", str(TREE / "proc"), "--sys-root", str(TREE / "sys")]
ENV = {"COLUMNS": "160", "NO_COLOR": "1"}


def test_snapshot_text_golden(nsview_cmd, regen_golden, tmp_path):
    out = tmp_path / "node.tar.gz"
    r = nsview_cmd("snapshot", "--all", *ROOTS, "-o", str(out), "--no-color", env=ENV)
    assert r.returncode == 0, r.stderr
    text = r.stdout.replace(str(out), "node.tar.gz").replace(str(FIXTURES.parent) + "/", "")
    text = re.sub(r"\d+(\.\d+)? (KiB|B)\b", "SIZE", text)  # compression may vary by zlib build
    text = re.sub(r"taken \S+", "taken TIME", text)
    path = GOLDEN / "snapshot-cri-containerd-systemd.txt"
    if regen_golden or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"output differs from {path.name} (regenerate with --regen-golden)"
    for cmd in (("ps",), ("ps", "--pods"), ("ps", "--all")):
        on_tree = nsview_cmd(*cmd, *ROOTS, "--no-color", env=ENV)
        on_snapshot = nsview_cmd(*cmd, "--from", str(out), "--no-color", env=ENV)
        assert (on_snapshot.returncode, on_snapshot.stdout, on_snapshot.stderr) == (
            on_tree.returncode,
            on_tree.stdout,
            on_tree.stderr,
        ), cmd
