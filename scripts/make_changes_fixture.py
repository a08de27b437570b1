#!/usr/bin/env python3
"""Write fixtures/changes-overlay: one process whose root is an overlay, and that overlay's
layers as plain directories under host/ (where a snapshot keeps the host's files), so `nsview
changes` runs on any machine, without root:

    python scripts/make_changes_fixture.py              # rewrites fixtures/changes-overlay in place
    python scripts/make_changes_fixture.py --out DIR    # writes DIR/changes-overlay instead

Only what git can hold: regular files and directories (no whiteout devices, no xattrs: those
are made live in tests/hardening/test_layer_files.py). Each change differs in size, never in
mtime alone, so the answer does not depend on when the tree was checked out.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAME = "changes-overlay"
PID = 4242
LAYERS = "/var/lib/nsview-fixture/overlay"

LOWER = {
    "bin/sh": "#!busybox\n",
    "etc/motd": "hello\n",
    "etc/app/a.conf": "a\n",
    "usr/share/doc/readme": "read me\n",
}
UPPER = {
    "etc/motd": "hello, changed\n",  # C: another size
    "etc/added.conf": "added\n",  # A, below a directory the lowers have (C /etc first)
    "srv/new/file": "new\n",  # A /srv, A /srv/new, A /srv/new/file
}

MOUNTINFO = (
    f"101 90 0:52 / / rw,relatime master:1 - overlay overlay rw,lowerdir={LAYERS}/lower,"
    f"upperdir={LAYERS}/upper,workdir={LAYERS}/work\n"
    "102 101 0:53 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
)
STAT = f"{PID} (sleep) S 1 {PID} {PID} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5000 0 0\n"
STATUS = f"Name:\tsleep\nState:\tS (sleeping)\nTgid:\t{PID}\nPid:\t{PID}\nPPid:\t1\nNSpid:\t{PID}\t1\nThreads:\t1\n"


def write(tree: Path) -> None:
    if tree.exists():
        shutil.rmtree(tree)
    proc = tree / "proc" / str(PID)
    proc.mkdir(parents=True)
    (proc / "mountinfo").write_text(MOUNTINFO)
    (proc / "stat").write_text(STAT)
    (proc / "status").write_text(STATUS)
    layers = tree / "host" / LAYERS.lstrip("/")
    for part, files in (("lower", LOWER), ("upper", UPPER)):
        for rel, text in files.items():
            path = layers / part / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    (layers / "work").mkdir()
    (layers / "work" / ".keep").write_text("")  # git keeps no empty directory
    (tree / "README.md").write_text(
        "# changes-overlay\n\n"
        f"Pid {PID} has an overlay root whose layers are `host{LAYERS}/lower` and `.../upper`.\n"
        "Written by `python scripts/make_changes_fixture.py`; see fixtures/README.md.\n"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out", type=Path, metavar="DIR", help=f"folder to write {NAME}/ into (default: fixtures/)"
    )
    args = ap.parse_args(argv)
    write((args.out or FIXTURES) / NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
