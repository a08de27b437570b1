"""TARGET on the command line -> a host pid.

Today: a decimal pid. Container names and ids are resolved here too once the container
resolver lands, so every command accepts the same targets.
"""

from __future__ import annotations

import os

from nsview.errors import NoSuchProcess, UsageError
from nsview.procfs import ProcFS


def resolve_target(proc_root: str | os.PathLike[str], target: str, *, sys_root: str | os.PathLike[str] = "/sys") -> int:
    text = target.strip()
    if not text.isdigit() or not text.isascii():
        raise UsageError(f"TARGET must be a process id (a positive integer), not {target!r}")
    pid = int(text)
    if pid <= 0:
        raise UsageError(f"TARGET must be a positive process id, not {target!r}")
    proc = ProcFS(proc_root)
    proc.check_mounted()
    if not proc.pid_exists(pid):
        raise NoSuchProcess(pid)
    return pid
