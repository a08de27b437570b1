"""One process, assembled from stat, status, cmdline and ns/*."""

from __future__ import annotations

from nsview.collect.cmdline import read_cmdline
from nsview.collect.ns import read_namespaces, read_thread_namespaces
from nsview.collect.stat import read_stat
from nsview.collect.status import read_status
from nsview.errors import NoSuchProcess, NsviewError, UsageError
from nsview.model.process import Process
from nsview.procfs import ProcFS


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
            # /proc/<tid> exists for threads though /proc does not list them (HARDENING #6).
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
    found = {}
    threads: dict = {}
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
    # Pin identity (HARDENING rule 4): if the pid was reused while we read, the files above may
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
