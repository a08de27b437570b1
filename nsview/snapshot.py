"""nsview snapshot (between collect/ and cli.py, as targets.py): run every command once on the live host (or a fixture tree) with the
answers layer recording (nsview/answers.py), and write what was read into one archive.

What goes in: every file the commands read (below ``proc/``, ``sys/``, ``host/``), and
``answers.json`` with everything else they were told (link targets, listings, errors, namespace
inodes, hostnames and network state read inside namespaces, mount tables), and ``manifest.json``.
docs/design.md, "Snapshots"; docs/hardening.md, rows 26, 27, 47-49.
"""

from __future__ import annotations

import datetime
import errno
import io
import json
import os
import socket
import tarfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from nsview import __version__, answers
from nsview.errors import NsviewError, UsageError
from nsview.model.snapshot import SnapshotResult
from nsview.procfs import KernelFS, ProcFS, SysFS, host_root_for

FORMAT = 1
MANIFEST = "manifest.json"
ANSWERS = "answers.json"


def take_snapshot(
    proc_root: Path,
    sys_root: Path,
    targets: list[str],
    out: Path | None,
    *,
    every: bool = False,
    changes: bool = False,
    redact: bool = True,
) -> SnapshotResult:
    ProcFS(proc_root).check_mounted()
    if not targets and not every:
        raise UsageError("give one or more TARGETs, or --all for every container and the host")
    if out is None:
        raise UsageError("give the archive to write: -o FILE.tar.gz (or FILE.tar.xz)")
    fd = _create(out)  # before any work: a destination that exists fails at once
    try:
        started = time.monotonic()
        proc, sys = ProcFS(proc_root), SysFS(sys_root)
        proc.check_mounted()
        own = _own_pid(proc_root)
        rec = answers.Recorder(str(proc_root), str(sys_root), str(host_root_for(proc_root)), own_pid=own)
        rec.redact = redact
        ran: list[dict[str, Any]] = []
        answers.TAP = rec
        try:
            _run_commands(proc, sys, proc_root, sys_root, targets, every, changes, ran)
            boot_id = _safe(lambda: proc.read_text("sys/kernel/random/boot_id").strip())
            caps = _safe(lambda: _effective_caps(proc.read_bytes(f"{own}/status")))
        finally:
            answers.TAP = None
        rec.answers["own_pid"] = own
        manifest = {
            "nsview_version": __version__,
            "format": FORMAT,
            "host_name": socket.gethostname() if _is_live(proc_root) else None,
            "boot_id": boot_id,
            "taken_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.monotonic() - started, 3),
            "source": "live" if _is_live(proc_root) else "tree",
            "capabilities": caps,
            "euid": os.geteuid(),
            "targets": list(targets),
            "all": every,
            "changes": changes,
            "commands": ran,
            "unreadable": _unreadable(rec.answers["errors"]),
            "redacted": redact,
            "masked": [{"path": k, "what": v} for k, v in sorted(rec.redacted.items())],
            "environments": "never captured",
        }
        members = _write(fd, out, rec.files, rec.answers, manifest)
        fd = -1
    except BaseException:
        if fd >= 0:
            os.close(fd)
            _remove(out)
        raise
    return SnapshotResult(str(out), os.stat(out).st_size, members, manifest)


def _run_commands(
    proc: ProcFS,
    sys: SysFS,
    proc_root: Path,
    sys_root: Path,
    targets: list[str],
    every: bool,
    changes: bool,
    ran: list[dict[str, Any]],
) -> None:
    """What every command would read for these targets: the same collector calls cli.py makes
    (the models are frozen: rendering them reads nothing more)."""
    from nsview.collect.oom import collect_oom
    from nsview.collect.ps import scan_containers
    from nsview.collect.tree import collect_tree
    from nsview.targets import resolve

    def step(name: str, fn: Callable[[], Any]) -> Any:
        try:
            value = fn()
        except NsviewError as err:
            ran.append({"command": name, "error": err.message})
            return None
        ran.append({"command": name, "error": None})
        return value

    scan = step("ps --all", lambda: scan_containers(proc, sys, stopped=True))
    live_scan = step("ps", lambda: scan_containers(proc, sys))
    # what `oom` and a name TARGET scan for, once: per target it would be one host-wide scan
    # each (100 containers, 3000 processes: 58 of 73 s); the reads are the same, so they are
    # recorded all the same
    ids_scan = step("containers", lambda: scan_containers(proc, sys, details=False))
    step("oom", lambda: collect_oom(proc, sys, None, scan=ids_scan))
    step("tree 1", lambda: collect_tree(proc, 1, None))
    from nsview.collect.fleet import node_facts

    step("node facts (--jsonl)", lambda: node_facts(proc))
    wanted = list(targets)
    if every and live_scan is not None:
        # by pid: an id of digits only would be read as a pid (names resolve from the scan)
        wanted += ["1"] + [str(c.init_pid) for c in live_scan.containers]
    if every and scan is not None:
        wanted += [c.id for c in scan.stopped]
    seen: set[str] = set()
    for text in wanted:
        if text in seen:
            continue
        seen.add(text)
        resolved = step(
            f"resolve {text}", partial(resolve, proc_root, text, sys_root=sys_root, scan=ids_scan)
        )
        step(f"oom {text}", partial(_oom_of, proc, sys, text, ids_scan))
        if resolved is not None:
            _one_target(proc, sys, text, resolved, changes, step)


def _oom_of(proc: ProcFS, sys: SysFS, target: str, scan: Any) -> Any:
    from nsview.collect.oom import collect_oom

    return collect_oom(proc, sys, target, scan=scan)


def _one_target(
    proc: ProcFS,
    sys: SysFS,
    text: str,
    resolved: Any,
    changes: bool,
    step: Callable[[str, Callable[[], Any]], Any],
) -> None:
    from nsview.collect.cgroup import collect_cgroup
    from nsview.collect.diff import collect_diff
    from nsview.collect.mounts import collect_mounts
    from nsview.collect.oom import with_last_oom
    from nsview.collect.tree import collect_tree
    from nsview.model.mounts import MountFilter
    from nsview.model.privileges import defaults_of

    pid, c = resolved.pid, resolved.container
    label = c.label() if c is not None else None
    engine = defaults_of(c.runtime, c.engine) if c is not None else None
    step(f"tree {text}", lambda: collect_tree(proc, pid, None))
    step(f"cgroup {text}", lambda: with_last_oom(proc, collect_cgroup(proc, sys, pid)))
    step(f"diff {text}", lambda: collect_diff(proc, sys, pid, engine=engine))
    step(f"mounts {text}", lambda: collect_mounts(proc, pid, label=label, wanted=MountFilter()))
    if changes and c is not None:  # a container's overlay root; the host's is not one
        from nsview.collect.changes import collect_changes
        from nsview.render.json.changes import changes_to_dict

        # the walk streams as its output is written: built here, so it is walked (and recorded)
        step(f"changes {text}", lambda: changes_to_dict(collect_changes(proc, sys, pid, container=c)))


def _unreadable(errors: dict[str, int]) -> list[dict[str, str]]:
    """Every path the capture could not read and why; "does not exist" is not listed."""
    out = []
    for key, code in sorted(errors.items()):
        op, _, path = key.partition(":")
        if code not in (errno.ENOENT, errno.ESRCH):
            out.append({"path": path, "op": op, "why": os.strerror(code)})
    return out


def _safe(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except NsviewError:
        return None


def _effective_caps(status: bytes) -> list[str] | None:
    from nsview.parse.status import parse_security_status

    caps = parse_security_status(status).caps
    return sorted(caps.effective) if caps is not None else None


def _is_live(proc_root: Path) -> bool:
    return os.path.realpath(proc_root) == "/proc"


def _own_pid(proc_root: Path) -> int:
    """The pid the capture calls "self": nsview's own on the live host, a tree's ``self``."""
    try:
        return int(KernelFS(proc_root).readlink("self"))
    except (NsviewError, ValueError):
        return 0


def _create(out: Path) -> int:
    """The archive's fd: created, never opened if it exists, never through a symlink; 0600."""
    try:
        return os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise UsageError(
            f"{out} exists: a snapshot never overwrites a file (nor follows a link there)"
        ) from None
    except OSError as err:
        raise UsageError(f"cannot create {out}: {os.strerror(err.errno or 0)}") from None


def _remove(out: Path) -> None:
    try:
        os.unlink(out)
    except OSError:
        pass


def _mode_for(out: Path) -> str:
    name = out.name.lower()
    return "w:xz" if name.endswith((".xz", ".txz")) else "w:gz"


def _write(
    fd: int, out: Path, files: dict[str, bytes], recorded: dict[str, Any], manifest: dict[str, Any]
) -> int:
    now = int(time.time())
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode=_mode_for(out)) as tar:  # type: ignore[call-overload]

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = now
            tar.addfile(info, io.BytesIO(data))

        add(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        add(ANSWERS, json.dumps(recorded, sort_keys=True).encode())
        for name in sorted(files):
            add(name, files[name])
    return len(files) + 2
