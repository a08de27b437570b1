"""/proc/PID/stat."""

from __future__ import annotations

from nsview.errors import ParseError
from nsview.model.process import Stat

# proc(5):  pid (comm) state ppid pgrp session tty_nr tpgid flags ... starttime ...
#           3074 (traefik) S 3050 3074 3074 0 -1 4194560 ... 1234567 ...
# comm is whatever the process set (prctl PR_SET_NAME): it may hold ") S 1 (", spaces or a
# newline, so split on the *last* ")" (psutil does the same; see psutil issue 1066 lineage).


def parse_stat(data: bytes) -> Stat:
    try:
        lpar = data.index(b"(")
        rpar = data.rindex(b")")
    except ValueError:
        raise ParseError("stat", "no (comm) field") from None
    try:
        pid = int(data[:lpar])
        comm = data[lpar + 1 : rpar].decode("utf-8", "backslashreplace")
        rest = data[rpar + 2 :].split()
        # rest[0] is field 3 (state); field N is rest[N - 3]
        return Stat(
            pid=pid,
            comm=comm,
            state=rest[0].decode("ascii", "replace"),
            ppid=int(rest[1]),
            pgrp=int(rest[2]),
            session=int(rest[3]),
            flags=int(rest[6]),
            num_threads=int(rest[17]),
            starttime=int(rest[19]),
        )
    except (ValueError, IndexError) as err:
        raise ParseError("stat", f"unexpected field layout ({err})") from None
