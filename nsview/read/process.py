"""Per-process files of /proc (proc(5)): stat, status, cmdline, cgroup, mountinfo, uid/gid maps,
and one process assembled from them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nsview.errors import NoSuchProcess, NsviewError, UsageError
from nsview.model.process import CgroupMembership, NamespaceRef, Process, Stat, Status, UserMaps
from nsview.parse.cmdline import parse_cmdline
from nsview.parse.id_map import parse_id_map
from nsview.parse.proc_cgroup import parse_proc_cgroup
from nsview.parse.stat import parse_stat
from nsview.parse.status import parse_status
from nsview.procfs import MAX_READ, ProcFS
from nsview.read.namespaces import read_namespaces, read_thread_namespaces

if TYPE_CHECKING:
    from nsview.model.mount import Mount


def read_process(proc: ProcFS, pid: int, *, namespaces: bool = True) -> Process:
    """Read what nsview shows of one process.

    Raises NoSuchProcess if it does not exist (or vanishes while being read); everything else
    that cannot be read is recorded in ``Process.errors`` so a scan can still show the rest.
    """
    stat = read_stat(proc, pid)  # the existence check: stat is readable for any live pid
    errors: dict[str, str] = {}
    nspid: tuple[int, ...] = (pid,)
    try:
        status = read_status(proc, pid)
        nspid = status.nspid
        if status.tgid != status.pid:
            # /proc/<tid> exists for threads though /proc does not list them (docs/hardening.md, row 6).
            raise UsageError(f"{pid} is a thread of process {status.tgid}, not a process; try {status.tgid}")
    except (NoSuchProcess, UsageError):
        raise
    except NsviewError as err:
        errors["status"] = err.reason
    args: tuple[str, ...] = ()
    truncated = False
    try:
        args, truncated = read_cmdline(proc, pid)
    except NoSuchProcess:
        raise
    except NsviewError as err:
        errors["cmdline"] = err.reason
    found: dict[str, NamespaceRef] = {}
    threads: dict[int, tuple[NamespaceRef, ...]] = {}
    if namespaces:
        if stat.zombie:
            # A zombie keeps only its pid and user namespaces; the rest is gone with its mm.
            errors["namespaces"] = "zombie: namespaces released"
        else:
            found, failed = read_namespaces(proc, pid)
            if failed:
                reasons = sorted(set(failed.values()))
                errors["namespaces"] = "; ".join(reasons)
            if stat.num_threads > 1 and found:
                threads = read_thread_namespaces(proc, pid, found)
    # Pin identity (docs/hardening.md, rule 4): if the pid was reused while we read, the files above may
    # describe two different processes. stat again: same start time, same process.
    if read_stat(proc, pid).starttime != stat.starttime:
        raise NoSuchProcess(pid, f"process {pid} exited while being read (its pid was reused)")
    return Process(
        pid=pid,
        ppid=stat.ppid,
        comm=stat.comm,
        args=args,
        state=stat.state,
        kernel_thread=stat.kernel_thread,
        starttime=stat.starttime,
        nspid=nspid,
        namespaces=found,
        errors=errors,
        args_truncated=truncated,
        thread_namespaces=threads,
    )


def read_stat(proc: ProcFS, pid: int) -> Stat:
    return parse_stat(proc.pid_read(pid, "stat"))


def read_status(proc: ProcFS, pid: int) -> Status:
    return parse_status(proc.pid_read(pid, "status"))


CMDLINE_LIMIT = 256 * 1024  # pstree shows far less; beyond this mark it truncated


def read_cmdline(proc: ProcFS, pid: int) -> tuple[tuple[str, ...], bool]:
    """Returns (args, truncated)."""
    data = proc.pid_read(pid, "cmdline", limit=min(CMDLINE_LIMIT, MAX_READ))
    return parse_cmdline(data), len(data) >= CMDLINE_LIMIT


def read_proc_cgroup(proc: ProcFS, pid: int) -> tuple[CgroupMembership, ...]:
    return parse_proc_cgroup(proc.pid_read(pid, "cgroup"))


def read_mountinfo(proc: ProcFS, pid: int | str = "self") -> tuple[Mount, ...]:
    from nsview.parse.mountinfo import parse_mountinfo  # `tree` reads no mount table: not loaded

    if isinstance(pid, int):
        return parse_mountinfo(proc.pid_read(pid, "mountinfo"))
    if pid == "self":  # nsview's own, or the host init's when nsview runs in a container
        pid = getattr(proc, "viewpoint", "self")
    return parse_mountinfo(proc.read_bytes(f"{pid}/mountinfo"))


def read_user_maps(proc: ProcFS, pid: int) -> UserMaps:
    return UserMaps(
        uid_map=parse_id_map(proc.pid_read(pid, "uid_map").decode("ascii", "replace")),
        gid_map=parse_id_map(proc.pid_read(pid, "gid_map").decode("ascii", "replace")),
    )
