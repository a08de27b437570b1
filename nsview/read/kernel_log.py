"""The kernel log: /dev/kmsg of the host (or a snapshot's copy of it), or a saved log file, and
the OOM kills in it with wall-clock times (boot time from /proc/stat plus the record's clock)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nsview.errors import AccessDenied, FileMissing, NotAvailable, NsviewError, UsageError
from nsview.model.oom import KernelRecord, OomKill
from nsview.parse.kmsg import parse_kmsg, parse_log
from nsview.parse.oom import parse_oom_kills
from nsview.parse.proc_stat import parse_btime
from nsview.procfs import KernelFS, ProcFS, host_root_for

KMSG = "/dev/kmsg"
# A saved log is usually a few MiB; a cap keeps a hostile or mistaken file from exhausting memory.
LOG_LIMIT = 64 * 1024 * 1024


def read_kmsg(proc: ProcFS) -> tuple[KernelRecord, ...]:
    """Every record the ring buffer still holds, oldest first. NotAvailable says why not, in
    words a user can act on (dmesg_restrict, not root, no /dev/kmsg inside a container)."""
    host = KernelFS(host_root_for(proc.root))
    try:
        return parse_kmsg(host.read_log(KMSG.lstrip("/"), LOG_LIMIT))
    except AccessDenied:
        restrict = _dmesg_restrict(proc)
        why = "permission denied"
        if getattr(proc, "viewpoint", "self") != "self":  # in a container (nsview/hostview.py)
            why += " (a container's device cgroup refuses it: run it with --device /dev/kmsg)"
        elif restrict == "1":
            why += " (kernel.dmesg_restrict=1: only root, or CAP_SYSLOG, may read it)"
        raise NotAvailable(KMSG, why) from None
    except FileMissing:
        raise NotAvailable(
            KMSG, "does not exist (inside a container? read the host's log with --log)"
        ) from None


def read_saved_log(path: Path) -> tuple[KernelRecord, ...]:
    """A kernel log saved elsewhere (dmesg, dmesg -T, journalctl -k, or /dev/kmsg records)."""
    fs = KernelFS(path.parent)
    try:
        data = fs.read_bytes(path.name, LOG_LIMIT)
    except NotAvailable as err:  # the user named this file: a bad name is bad input
        raise UsageError(f"cannot read --log {path}: {err.why}") from None
    except AccessDenied:
        raise UsageError(f"cannot read --log {path}: permission denied") from None
    return parse_log(data.decode("utf-8", "backslashreplace"))


def oom_kills(proc: ProcFS, records: tuple[KernelRecord, ...], *, live: bool) -> tuple[OomKill, ...]:
    """The kills in ``records``; for the live ring buffer, dated with the host's boot time (a
    saved log carries its own dates, or none: its boot time is another machine's)."""
    kills = parse_oom_kills(records)
    boot = _boot_time(proc) if live else None
    if boot is None:
        return kills
    return tuple(
        replace(k, wall=boot + k.usec / 1_000_000) if k.wall is None and k.usec is not None else k
        for k in kills
    )


def _boot_time(proc: ProcFS) -> int | None:
    try:
        return parse_btime(proc.read_text("stat"))
    except NsviewError:
        return None


def _dmesg_restrict(proc: ProcFS) -> str | None:
    try:
        return proc.read_text("sys/kernel/dmesg_restrict").strip()
    except NsviewError:
        return None
