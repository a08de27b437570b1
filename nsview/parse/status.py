"""/proc/PID/status."""

from __future__ import annotations

from nsview.errors import ParseError
from nsview.model.process import Status

# proc(5): "Key:\tvalue" lines.
#   Name:   traefik
#   Tgid:   3074
#   Pid:    3074
#   PPid:   3050
#   Uid:    0       0       0       0
#   NSpid:  3074    1          <- outermost pid namespace first (Linux >= 4.1)
# Name is escaped by the kernel (\n -> "\\n", \\ -> "\\\\"), so a line is always one line.


def parse_status(data: bytes) -> Status:
    fields: dict[bytes, bytes] = {}
    for line in data.split(b"\n"):
        key, sep, value = line.partition(b":")
        if sep:
            fields[key] = value.strip()
    try:
        pid = int(fields[b"Pid"])
        return Status(
            name=fields.get(b"Name", b"").decode("utf-8", "backslashreplace"),
            tgid=int(fields.get(b"Tgid", pid)),
            pid=pid,
            ppid=int(fields.get(b"PPid", b"0")),
            nspid=tuple(int(x) for x in fields.get(b"NSpid", b"").split()) or (pid,),
            uids=tuple(int(x) for x in fields.get(b"Uid", b"").split()),
            gids=tuple(int(x) for x in fields.get(b"Gid", b"").split()),
        )
    except (KeyError, ValueError) as err:
        raise ParseError("status", f"missing or malformed field ({err})") from None
