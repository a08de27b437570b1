"""What a fleet's pipeline needs besides the records: which node, which boot, when (``--jsonl``),
and the node-problem-detector verdicts (``--npd``) over ``ps`` and ``oom`` results."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from nsview.errors import NsviewError
from nsview.model.container import ContainerScan
from nsview.model.oom import OomReport
from nsview.model.record import record
from nsview.procfs import ProcFS

# node-problem-detector's custom plugin protocol: the exit status says the condition.
NPD_OK, NPD_PROBLEM, NPD_UNKNOWN = 0, 1, 2


@record
class NodeFacts:
    node: str | None  # the host's hostname (its init's UTS namespace, not nsview's container's)
    boot_id: str | None  # /proc/sys/kernel/random/boot_id: one per boot of the kernel
    time: str  # when the records were read, UTC, ISO 8601


def node_facts(proc: ProcFS) -> NodeFacts:
    from nsview.answers import wall_time  # a snapshot's records were read when it was taken

    now = datetime.fromtimestamp(wall_time(time.time), timezone.utc).isoformat(timespec="seconds")
    return NodeFacts(_hostname(proc), _read(proc, "sys/kernel/random/boot_id"), now)


def _read(proc: ProcFS, rel: str) -> str | None:
    try:
        return proc.read_text(rel, 4096).strip() or None
    except NsviewError:
        return None


def _hostname(proc: ProcFS) -> str | None:
    """The host's name: nsview's own UTS namespace's on the host; from a container, the host
    init's (or kthreadd's, whose namespaces are the initial ones), entered in a forked child."""
    if getattr(proc, "viewpoint", "self") != "self":
        from nsview.read.hostname import read_uts

        for pid in (1, 2):
            try:
                return read_uts(proc, pid).hostname
            except NsviewError:
                continue
    return _read(proc, "sys/kernel/hostname")


@record
class Verdict:
    code: int  # NPD_OK, NPD_PROBLEM, NPD_UNKNOWN
    message: str  # one line


def ps_verdict(scan: ContainerScan) -> Verdict:
    """A privileged container (every capability the host has, seccomp off) is a problem on the node."""
    found = [c for c in scan.containers if c.privileges is not None and c.privileges.privileged]
    if found:
        names = ", ".join(c.label() for c in found[:5]) + (" ..." if len(found) > 5 else "")
        return Verdict(NPD_PROBLEM, f"privileged container found: {names}")
    if scan.scanned and scan.unreadable >= scan.scanned:
        return Verdict(NPD_UNKNOWN, "no process could be read: run as root with the host's pid namespace")
    return Verdict(NPD_OK, f"no privileged container ({len(scan.containers)} running)")


def oom_verdict(report: OomReport, minutes: int, now: float | None = None) -> Verdict:
    """An OOM kill in the last ``minutes`` is a problem; no kernel log to read is unknown."""
    if report.log_error is not None:
        return Verdict(NPD_UNKNOWN, f"kernel log not readable: {report.log_error}")
    since = (time.time() if now is None else now) - minutes * 60
    recent = [v for v in report.victims if v.kill.wall is not None and v.kill.wall >= since]
    if recent:
        last = recent[-1]
        who = f"{last.kill.comm} (pid {last.kill.pid})"
        if last.name or last.id:
            who += f" in {last.name or (last.id or '')[:12]}"
        return Verdict(NPD_PROBLEM, f"OOM kill in the last {minutes} minutes: {len(recent)}, last {who}")
    return Verdict(NPD_OK, f"no OOM kill in the last {minutes} minutes")
