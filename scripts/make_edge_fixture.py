#!/usr/bin/env python3
"""Write fixtures/edge-shapes: a hand-made /proc tree for shapes a test machine cannot make
(or not deterministically): pids near pid_max 4194304, namespace inodes near 2^32, a pid
namespace nested twice, podman's conmon, an LXC monitor, `runc init`, a zombie, a thread in
another namespace than its leader, and hostile names in comm and argv.

    python scripts/make_edge_fixture.py              # rewrites fixtures/edge-shapes in place
    python scripts/make_edge_fixture.py --out DIR    # writes DIR/edge-shapes instead
    python scripts/make_edge_fixture.py TREE         # writes the tree at TREE itself

Files are written exactly as the kernel formats them (stat, status, cmdline, task/*/children,
ns/* as symlinks to the kernel's text), so nsview reads them as it reads live /proc.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

PF_KTHREAD = 0x00200000
HOST = {
    t: 4026531830 + i for i, t in enumerate(("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"))
}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAME = "edge-shapes"
PODMAN_ID = "3f2a9c0d1b7e4f5a6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"


@dataclass
class P:
    pid: int
    ppid: int
    comm: bytes
    args: list[bytes]
    state: str = "S"
    flags: int = 0x400100
    nspid: tuple[int, ...] = ()
    ns: dict[str, int] = field(default_factory=lambda: dict(HOST))
    starttime: int = 1000
    threads: dict[int, dict[str, int]] = field(default_factory=dict)  # tid -> ns overrides


def tree() -> list[P]:
    container = dict(HOST, mnt=4294967290, net=4294967295, pid=4294967291, uts=4294967292, ipc=4294967293)
    nested = dict(container, pid=4294967294, user=4294967289)
    return [
        P(1, 0, b"systemd", [b"/sbin/init", b"splash"], starttime=1),
        P(2, 0, b"kthreadd", [], flags=PF_KTHREAD | 0x8040, starttime=1),
        P(3, 2, b"kworker/0:0-events", [], flags=PF_KTHREAD | 0x8060, starttime=2),
        # podman: conmon supervises the container's init (a pid near pid_max)
        P(
            4194000,
            1,
            b"conmon",
            [
                b"/usr/bin/conmon",
                b"--api-version",
                b"1",
                b"-c",
                PODMAN_ID.encode(),
                b"-u",
                PODMAN_ID.encode(),
                b"-r",
                b"/usr/bin/crun",
                b"--exit-command",
                b"/usr/bin/podman",
            ],
            starttime=5000,
        ),
        P(
            4194303,
            4194000,
            b"\x1b[2J[red]x",
            [b"/app/run", b"[/bold]", b"[link=http://x]", b"\x1b]0;t\x07"],
            nspid=(4194303, 1),
            ns=container,
            starttime=5001,
            threads={4194299: {"uts": 4294967288}},
        ),
        P(
            4194302,
            4194303,
            b"inner",
            [b"inner", b"--nested"],
            nspid=(4194302, 7, 1),
            ns=nested,
            starttime=5002,
        ),
        P(4194301, 4194303, b"worker", [], state="Z", nspid=(4194301, 9), ns={}, starttime=5003),
        # LXC: the monitor names the container
        P(5000, 1, b"lxc-start", [b"[lxc monitor] /var/lib/lxc web1"], starttime=6000),
        P(
            5001,
            5000,
            b"init",
            [b"/sbin/init"],
            nspid=(5001, 1),
            ns=dict(HOST, pid=4026532999, mnt=4026532998),
            starttime=6001,
        ),
        # a container being born: runc init under a containerd shim
        P(
            6000,
            1,
            b"containerd-shim",
            [
                b"/usr/bin/containerd-shim-runc-v2",
                b"-namespace",
                b"k8s.io",
                b"-id",
                b"abc123",
                b"-address",
                b"/run/containerd/containerd.sock",
            ],
            starttime=7000,
        ),
        P(
            6001,
            6000,
            b"runc:[2:INIT]",
            [b"runc", b"init"],
            nspid=(6001, 1),
            ns=dict(HOST, pid=4026533001),
            starttime=7001,
        ),
    ]


def stat_line(p: P, nthreads: int) -> bytes:
    fields = [p.state.encode(), b"%d" % p.ppid, b"%d" % p.pid, b"%d" % p.pid, b"0", b"-1", b"%d" % p.flags]
    fields += [b"0"] * 10 + [b"%d" % nthreads, b"0", b"%d" % p.starttime] + [b"0"] * 30
    return b"%d (%s) " % (p.pid, p.comm) + b" ".join(fields) + b"\n"


def status_text(p: P, nthreads: int) -> bytes:
    # status escapes only "\n" and "\\" in the name (proc_task_name -> string_escape_mem)
    name = p.comm.replace(b"\\", b"\\\\").replace(b"\n", b"\\n")
    nspid = b"\t".join(b"%d" % x for x in (p.nspid or (p.pid,)))
    lines = [
        b"Name:\t" + name,
        b"State:\t" + p.state.encode(),
        b"Tgid:\t%d" % p.pid,
        b"Ngid:\t0",
        b"Pid:\t%d" % p.pid,
        b"PPid:\t%d" % p.ppid,
        b"Uid:\t0\t0\t0\t0",
        b"Gid:\t0\t0\t0\t0",
        b"NStgid:\t" + nspid,
        b"NSpid:\t" + nspid,
        b"Threads:\t%d" % nthreads,
    ]
    return b"\n".join(lines) + b"\n"


def write(out: Path) -> None:
    procs = tree()
    proc = out / "proc"
    if out.exists():
        shutil.rmtree(out)
    kids: dict[int, list[int]] = {}
    for p in procs:
        kids.setdefault(p.ppid, []).append(p.pid)
    for p in procs:
        d = proc / str(p.pid)
        tids = [p.pid, *p.threads]
        d.mkdir(parents=True)
        (d / "stat").write_bytes(stat_line(p, len(tids)))
        (d / "status").write_bytes(status_text(p, len(tids)))
        (d / "cmdline").write_bytes(b"".join(a + b"\0" for a in p.args))
        for t, inode in p.ns.items():
            (d / "ns").mkdir(exist_ok=True)
            os.symlink(f"{t}:[{inode}]", d / "ns" / t)
        for tid in tids:
            td = d / "task" / str(tid)
            td.mkdir(parents=True)
            # children are listed per thread: here all were forked by the leader
            listed = sorted(kids.get(p.pid, [])) if tid == p.pid else []
            (td / "children").write_bytes(b"".join(b"%d " % k for k in listed))
            ns = dict(p.ns, **p.threads.get(tid, {}))
            for t, inode in ns.items():
                (td / "ns").mkdir(exist_ok=True)
                os.symlink(f"{t}:[{inode}]", td / "ns" / t)
    os.symlink("4194303", proc / "self")


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
