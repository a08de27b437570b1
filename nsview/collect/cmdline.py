"""/proc/PID/cmdline."""

from __future__ import annotations

from nsview.procfs import MAX_READ, ProcFS

# proc(5): argv joined by NUL, usually with a trailing NUL: "sleep\x00600\x00".
# Empty for kernel threads and zombies. A process that rewrites its argv (setproctitle,
# nginx, postgres) may leave one space-separated string and no NUL at all, or pad with NULs;
# psutil splits on spaces in that case and so do we.

CMDLINE_LIMIT = 256 * 1024  # pstree shows far less; beyond this mark it truncated


def parse_cmdline(data: bytes) -> tuple[str, ...]:
    if not data:
        return ()
    if data.endswith(b"\x00"):
        data = data.rstrip(b"\x00")
        parts = data.split(b"\x00")
    elif b"\x00" in data:
        parts = data.rstrip(b"\x00").split(b"\x00")
    else:
        parts = [p for p in data.split(b" ") if p]
    return tuple(p.decode("utf-8", "backslashreplace") for p in parts)


def read_cmdline(proc: ProcFS, pid: int) -> tuple[tuple[str, ...], bool]:
    """Returns (args, truncated)."""
    data = proc.pid_read(pid, "cmdline", limit=min(CMDLINE_LIMIT, MAX_READ))
    return parse_cmdline(data), len(data) >= CMDLINE_LIMIT
