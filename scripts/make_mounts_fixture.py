#!/usr/bin/env python3
"""Write fixtures/mounts-shapes: a hand-made /proc tree for `nsview mounts`, with mount tables no
test machine makes on demand (docs/hardening.md, rows 12-16 and 31): a container's mountinfo in
the wrong order (children before their parents), a parent id that is not listed, a mount that is
its own parent, an id listed twice, a cycle of parent ids, a stack of three mounts on one path,
a mount covered by a sibling on a path above it, octal escapes in paths (space, tab, newline,
backslash, and a literal "\\040" kept as is), an empty source, an overlay with escaped ":" and
",", a Docker volume and a bind with a space in its host path, and markup in a mount path.

    python scripts/make_mounts_fixture.py              # rewrites fixtures/mounts-shapes in place
    python scripts/make_mounts_fixture.py --out DIR    # writes DIR/mounts-shapes instead
    python scripts/make_mounts_fixture.py TREE         # writes the tree at TREE itself

pid 1 is the host (its mountinfo is the host's table), pid 4242 the container; files are written
in the kernel's formats (proc_pid_mountinfo(5), stat, status, ns/* links).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAME = "mounts-shapes"
HOST_MNT, CONTAINER_MNT = 4026531841, 4026532900
VOL = "/var/lib/docker/volumes/pgdata/_data"
LAYER = "/var/lib/docker/overlay2/9d2c6b1e"

HOST = [
    "21 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw",
    "22 21 0:20 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw",
    "23 21 0:5 / /dev rw,nosuid shared:3 - devtmpfs udev rw,mode=755",
    "24 21 254:1 /var/lib/docker /var/lib/docker rw,relatime shared:4 - ext4 /dev/vda1 rw",
    "25 21 254:17 / /srv rw,relatime shared:5 - xfs /dev/vdb rw",
    f"30 24 0:50 / {LAYER}/merged rw,relatime shared:6 - overlay overlay "
    f"rw,lowerdir={LAYER}/l\\134:ow\\134\\054er:/var/lib/docker/overlay2/base/diff,upperdir={LAYER}/diff,"
    f"workdir={LAYER}/work",
    "31 21 0:4 mnt:[4026532950] /run/netns/leak rw - nsfs nsfs rw",
    "26 21 0:30 / /mnt rw,relatime shared:7 - tmpfs tmpfs rw",
    "27 26 0:31 / /mnt rw,relatime shared:8 - tmpfs tmpfs rw",  # the host's /mnt, over-mounted
]

# The container's table, in a shuffled order; ids reused from the host's (another namespace).
CONTAINER = [
    "410 400 0:60 / /proc/sys ro,nosuid - proc proc rw",  # child before its parent (400)
    "400 300 0:60 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
    f"300 30 0:50 / / rw,relatime master:6 - overlay overlay "
    f"rw,lowerdir={LAYER}/l\\134:ow\\134\\054er:/var/lib/docker/overlay2/base/diff,upperdir={LAYER}/diff,"
    f"workdir={LAYER}/work",
    f"301 300 254:1 {VOL} /var/lib/postgresql/data rw,relatime master:4 - ext4 /dev/vda1 rw",
    "302 300 254:17 /exports/a\\040b /data rw,relatime - xfs /dev/vdb rw",  # -v "/srv/exports/a b:/data"
    "303 300 0:61 / /mnt/a rw,relatime - tmpfs t1 rw",
    "304 303 0:62 / /mnt/a/b rw,relatime - tmpfs t2 rw",
    "305 303 0:63 / /mnt/a rw,relatime - tmpfs t3 rw",  # over /mnt/a: t1 and t2 are hidden
    "306 305 0:64 / /mnt/a rw,relatime - tmpfs t4 rw",  # and over t3: a stack of three
    "307 300 0:65 / /opt/x/y rw,relatime - tmpfs early rw",
    "308 300 0:66 / /opt/x rw,relatime - tmpfs later rw",  # a sibling on the path above 307
    "309 300 0:67 / /tmp/empty rw,relatime - tmpfs  rw",  # an empty source
    "310 300 0:68 / /tmp/sp\\040tab\\011nl\\012bs\\134 rw - tmpfs x rw",
    "311 300 0:69 / /tmp/\\134040literal rw - tmpfs x rw",  # a directory named "\040literal"
    "312 300 0:70 / /tmp/[red]x\\033[2J rw - tmpfs [bold]src rw",  # markup and ESC in a path
    "313 313 0:71 / /self-parent rw - tmpfs x rw",
    "314 999 0:72 / /orphan rw - tmpfs x rw",  # parent 999 is not listed
    "315 300 0:73 / /dup rw - tmpfs first rw",
    "315 300 0:74 / /dup2 rw - tmpfs second rw",  # id 315 listed twice
    "316 317 0:75 / /cycle/a rw - tmpfs x rw",
    "317 316 0:76 / /cycle/b rw - tmpfs x rw",  # 316 and 317 are each other's parent
    "318 300 0:4 mnt:[4026532950] /run/leak rw - nsfs nsfs rw",
    "319 300 0:77 / /unbindable rw unbindable - tmpfs x rw",
    "320 300 0:78 / /shared rw shared:40 master:6 propagate_from:1 - tmpfs x rw",
]


def stat_line(pid: int, ppid: int, comm: bytes, starttime: int) -> bytes:
    fields = [b"S", b"%d" % ppid, b"%d" % pid, b"%d" % pid, b"0", b"-1", b"%d" % 0x400100]
    fields += [b"0"] * 10 + [b"1", b"0", b"%d" % starttime] + [b"0"] * 30
    return b"%d (%s) " % (pid, comm) + b" ".join(fields) + b"\n"


def status_text(pid: int, ppid: int, comm: bytes) -> bytes:
    lines = [
        b"Name:\t" + comm,
        b"State:\tS (sleeping)",
        b"Tgid:\t%d" % pid,
        b"Pid:\t%d" % pid,
        b"PPid:\t%d" % ppid,
        b"Uid:\t0\t0\t0\t0",
        b"Gid:\t0\t0\t0\t0",
        b"NSpid:\t%d" % pid,
        b"Threads:\t1",
    ]
    return b"\n".join(lines) + b"\n"


def write(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    proc = out / "proc"
    for pid, ppid, comm, mnt, table in (
        (1, 0, b"systemd", HOST_MNT, HOST),
        (4242, 1, b"postgres", CONTAINER_MNT, CONTAINER),
    ):
        d = proc / str(pid)
        (d / "ns").mkdir(parents=True)
        (d / "stat").write_bytes(stat_line(pid, ppid, comm, pid * 10))
        (d / "status").write_bytes(status_text(pid, ppid, comm))
        (d / "cmdline").write_bytes(comm + b"\0")
        (d / "mountinfo").write_text("".join(line + "\n" for line in table))
        os.symlink(f"mnt:[{mnt}]", d / "ns" / "mnt")
    os.symlink("1", proc / "self")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = ap.add_mutually_exclusive_group()
    where.add_argument(
        "tree",
        nargs="?",
        type=Path,
        help=f"the tree to write (replaced if it exists); default fixtures/{NAME}",
    )
    where.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"folder to write {NAME}/ into (default: the repository's fixtures/)",
    )
    args = ap.parse_args(argv)
    write(args.tree or (args.out or FIXTURES) / NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
