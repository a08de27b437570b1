"""/proc/stat (proc(5)): the boot time.

btime 1796190487          <- seconds since the epoch at which the system booted
"""

from __future__ import annotations

from nsview.errors import ParseError


def parse_btime(text: str) -> int:
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "btime" and parts[1].isdigit():
            return int(parts[1])
    raise ParseError("/proc/stat", "no btime line")
