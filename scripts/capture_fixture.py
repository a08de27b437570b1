#!/usr/bin/env python3
"""Capture a small /proc fixture tree from the live host: only the files nsview reads.

    python scripts/capture_fixture.py --out fixtures/docker-hybrid --docker CONTAINER
    python scripts/capture_fixture.py --out fixtures/mine --pid 3074 --pid 3100

For every chosen pid (by default also its lineage up to the root and all its descendants) it
copies the files listed below into OUT/proc/PID/..., writes each namespace link as a symlink
whose target is the kernel's own text (``net:[4026531833]``; ``os.readlink`` reads it back the
same way), makes ``OUT/proc/self`` point at the first pid, and writes OUT/README.md saying how
the tree was made and which entries could not be read. An entry the kernel refuses (EACCES,
e.g. /proc/1/ns/* under a sandbox policy) is left out, so nsview sees it as missing.

To capture more kinds of files, extend the lists below.
"""

from __future__ import annotations

import argparse
import datetime
import errno
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

# Regular files under /proc/PID/ copied byte for byte.
PID_FILES = ["stat", "status", "cmdline", "cgroup", "mountinfo"]
# Symlinks under /proc/PID/ recreated with the kernel's text as their target.
PID_LINKS = [f"ns/{t}" for t in ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")]
# Per thread, under /proc/PID/task/TID/.
TASK_FILES = ["children"]
TASK_LINKS = list(PID_LINKS)
# Files directly under /proc.
ROOT_FILES: list[str] = []

MAX_BYTES = 4 * 1024 * 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="fixture directory to create (must not exist)")
    ap.add_argument("--pid", type=int, action="append", default=[], help="a pid to capture (repeatable)")
    ap.add_argument("--docker", action="append", default=[], help="a Docker container: capture its init pid")
    ap.add_argument("--proc", type=Path, default=Path("/proc"), help="procfs to read (default /proc)")
    ap.add_argument("--no-lineage", action="store_true", help="do not add the ancestors of each pid")
    ap.add_argument("--no-descendants", action="store_true", help="do not add the descendants of each pid")
    ap.add_argument(
        "--keep-foreign-children",
        action="store_true",
        help="keep pids that were not captured in task/*/children (default: drop them, so the fixture is self-consistent)",
    )
    ap.add_argument(
        "--drop-mounts-under",
        action="append",
        default=[],
        metavar="PATH",
        help="leave out mountinfo lines whose mount point is PATH or below it (host-specific noise)",
    )
    ap.add_argument("--note", default="", help="a sentence for the README: what this fixture shows")
    ap.add_argument("--command-line", default="", help="how the captured process was started, for the README")
    args = ap.parse_args(argv)

    pids = list(args.pid)
    for name in args.docker:
        out = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Pid}}", name], capture_output=True, text=True, check=True
        )
        pids.append(int(out.stdout.strip()))
    if not pids:
        ap.error("give at least one --pid or --docker")
    if args.out.exists():
        ap.error(f"{args.out} exists; remove it first (captures are never merged)")

    proc = args.proc
    chosen: list[int] = []
    for pid in pids:
        group = [pid]
        if not args.no_lineage:
            group = lineage(proc, pid) + group[1:]
        if not args.no_descendants:
            group += descendants(proc, pid)
        for p in group:
            if p not in chosen:
                chosen.append(p)

    dest = args.out / "proc"
    skipped: list[str] = []
    dropped_mounts = 0
    for pid in chosen:
        src = proc / str(pid)
        dst = dest / str(pid)
        dst.mkdir(parents=True)
        for name in PID_FILES:
            data = copy_file(src / name, dst / name, f"{pid}/{name}", skipped)
            if name == "mountinfo" and data is not None and args.drop_mounts_under:
                dropped_mounts += drop_mounts(dst / name, data, args.drop_mounts_under)
        for name in PID_LINKS:
            copy_link(src / name, dst / name, f"{pid}/{name}", skipped)
        for tid in sorted(listdir(src / "task", f"{pid}/task", skipped), key=int):
            for name in TASK_FILES:
                data = copy_file(
                    src / "task" / tid / name, dst / "task" / tid / name, f"{pid}/task/{tid}/{name}", skipped
                )
                if name == "children" and data is not None and not args.keep_foreign_children:
                    kept = [x for x in data.split() if int(x) in chosen]
                    (dst / "task" / tid / name).write_bytes(b"".join(k + b" " for k in kept))
            for name in TASK_LINKS:
                copy_link(
                    src / "task" / tid / name, dst / "task" / tid / name, f"{pid}/task/{tid}/{name}", skipped
                )
    for name in ROOT_FILES:
        copy_file(proc / name, dest / name, name, skipped)
    os.symlink(str(pids[0]), dest / "self")

    write_readme(args, chosen, pids, skipped, dropped_mounts)
    print(
        f"captured {len(chosen)} process(es) into {args.out}; {len(skipped)} entries unreadable (see README.md)"
    )
    return 0


def read_stat_ppid(proc: Path, pid: int) -> int:
    data = (proc / str(pid) / "stat").read_bytes()
    return int(data[data.rindex(b")") + 2 :].split()[1])


def lineage(proc: Path, pid: int) -> list[int]:
    chain = [pid]
    while (ppid := read_stat_ppid(proc, chain[-1])) != 0 and ppid not in chain:
        chain.append(ppid)
    return list(reversed(chain))


def children(proc: Path, pid: int) -> list[int]:
    kids: set[int] = set()
    for tid in os.listdir(proc / str(pid) / "task"):
        try:
            kids.update(int(x) for x in (proc / str(pid) / "task" / tid / "children").read_text().split())
        except FileNotFoundError:
            continue
    return sorted(kids)


def descendants(proc: Path, pid: int) -> list[int]:
    out: list[int] = []
    todo = children(proc, pid)
    while todo:
        p = todo.pop(0)
        if p in out:
            continue
        out.append(p)
        try:
            todo += children(proc, p)
        except FileNotFoundError:
            pass
    return out


def listdir(path: Path, rel: str, skipped: list[str]) -> list[str]:
    try:
        return os.listdir(path)
    except OSError as err:
        skipped.append(f"{rel}: {os.strerror(err.errno or 0)}")
        return []


def copy_file(src: Path, dst: Path, rel: str, skipped: list[str]) -> bytes | None:
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NONBLOCK)
        try:
            data = os.read(fd, MAX_BYTES)
            while len(data) < MAX_BYTES and (more := os.read(fd, MAX_BYTES - len(data))):
                data += more
        finally:
            os.close(fd)
    except OSError as err:
        if err.errno != errno.ENOENT:
            skipped.append(f"{rel}: {os.strerror(err.errno or 0)}")
        return None
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data)
    return data


def copy_link(src: Path, dst: Path, rel: str, skipped: list[str]) -> None:
    try:
        text = os.readlink(src)
    except OSError as err:
        if err.errno != errno.ENOENT:
            skipped.append(f"{rel}: {os.strerror(err.errno or 0)}")
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(text, dst)


def drop_mounts(path: Path, data: bytes, prefixes: list[str]) -> int:
    kept, dropped = [], 0
    for line in data.split(b"\n"):
        fields = line.split(b" ")
        target = fields[4].decode("utf-8", "surrogateescape") if len(fields) > 4 else ""
        if any(target == p or target.startswith(p.rstrip("/") + "/") for p in prefixes):
            dropped += 1
            continue
        kept.append(line)
    path.write_bytes(b"\n".join(kept))
    return dropped


def write_readme(
    args, chosen: list[int], targets: list[int], skipped: list[str], dropped_mounts: int
) -> None:
    cmd = "python scripts/capture_fixture.py " + " ".join(shlex.quote(a) for a in _replayable(sys.argv[1:]))
    lines = [
        f"# {args.out.name}",
        "",
        args.note or "A /proc tree captured from a live host by scripts/capture_fixture.py.",
        "",
        f"- captured: {datetime.date.today().isoformat()}, Linux {platform.release()}",
        f"- command: `{cmd}`",
    ]
    if args.command_line:
        lines.append(f"- the captured process was started with: `{args.command_line}`")
    lines += [
        f"- target pid(s): {', '.join(map(str, targets))}; `proc/self` -> {targets[0]}",
        f"- pids captured (lineage and descendants): {', '.join(map(str, chosen))}",
        f"- per pid: {', '.join(PID_FILES)}; {', '.join(PID_LINKS)} as symlinks to the kernel's text;"
        f" task/*/{{{', '.join(TASK_FILES + TASK_LINKS)}}}",
    ]
    if not args.keep_foreign_children:
        lines.append("- task/*/children lists only pids that were captured (others were dropped)")
    if args.drop_mounts_under:
        lines.append(
            f"- {dropped_mounts} mountinfo line(s) under {', '.join(args.drop_mounts_under)} left out (host-specific)"
        )
    lines += ["", "## Entries the kernel refused at capture time (absent here)", ""]
    lines += [f"- `{s}`" for s in _summarise(skipped)] or ["- none"]
    (args.out / "README.md").write_text("\n".join(lines) + "\n")


def _replayable(argv: list[str]) -> list[str]:
    """The command line minus the README prose options (already in the README)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--note", "--command-line"):
            skip = True
            continue
        if a.startswith(("--note=", "--command-line=")):
            continue
        out.append(a)
    return out


def _summarise(skipped: list[str]) -> list[str]:
    """ "1/task/59/ns/net: Permission denied" x N -> "1/task/{1,59}/ns/{ipc,net}: Permission denied"."""
    groups: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for entry in skipped:
        rel, _, why = entry.rpartition(": ")
        tid = re.search(r"task/(\d+)/", rel)
        ns = re.search(r"ns/(\w+)$", rel)
        key = (re.sub(r"ns/\w+$", "ns/{}", re.sub(r"task/\d+/", "task/[]/", rel)), why)
        tids, types = groups.setdefault(key, ([], []))
        if tid and tid.group(1) not in tids:
            tids.append(tid.group(1))
        if ns and ns.group(1) not in types:
            types.append(ns.group(1))
    out = []
    for (pattern, why), (tids, types) in groups.items():
        text = pattern.replace("[]", "{" + ",".join(tids) + "}").replace("{}", "{" + ",".join(types) + "}")
        out.append(f"{text}: {why}")
    return out


if __name__ == "__main__":
    if shutil.which("docker") is None and "--docker" in sys.argv:
        sys.exit("docker not found")
    sys.exit(main())
