"""/proc/PID/cmdline."""

from __future__ import annotations

# proc(5): argv joined by NUL, usually with a trailing NUL: "sleep\x00600\x00".
# Empty for kernel threads and zombies. A process that rewrites its argv (setproctitle,
# nginx, postgres) may leave one space-separated string and no NUL at all, or pad with NULs;
# psutil splits on spaces in that case and so do we. Some keep the final NUL after such a title
# ("postgres: checkpointer \x00", psutil issue 1179) or pad with NULs ("nginx: worker\x00\x00"):
# one NUL-terminated string holding spaces is split the same way. The cost, shared with psutil:
# a lone argv[0] that really contains a space is split too (the displayed line is the same).
# Trailing NULs are padding; trailing *empty* arguments cannot be told from it and are dropped.


def parse_cmdline(data: bytes) -> tuple[str, ...]:
    if not data:
        return ()
    data = data.rstrip(b"\x00")
    parts = data.split(b"\x00")
    if len(parts) == 1:
        parts = [p for p in data.split(b" ") if p]
    return tuple(p.decode("utf-8", "backslashreplace") for p in parts)
