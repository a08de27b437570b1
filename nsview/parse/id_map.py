"""/proc/PID/uid_map and gid_map (user_namespaces(7))."""

from __future__ import annotations

from nsview.errors import ParseError
from nsview.model.process import IdMapRange


# user_namespaces(7), /proc/PID/uid_map: "ID-inside-ns ID-outside-ns length", padded:
#          0          0 4294967295
#          0     100000      65536
def parse_id_map(text: str) -> tuple[IdMapRange, ...]:
    out = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ParseError("id map", repr(line[:80]))
        out.append(IdMapRange(int(parts[0]), int(parts[1]), int(parts[2])))
    return tuple(out)
