"""/proc/meminfo (proc(5))."""

from __future__ import annotations

from nsview.errors import ParseError


# /proc/meminfo:  "MemTotal:       16303412 kB"
def parse_memtotal(text: str) -> int:
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * (1024 if parts[2:3] == ["kB"] else 1)
    raise ParseError("/proc/meminfo", "no MemTotal line")
