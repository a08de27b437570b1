"""struct utsname, as uname(2) fills it."""

from __future__ import annotations

from nsview.errors import ParseError
from nsview.model.uts import UtsInfo

# <sys/utsname.h> (glibc, Linux): six char[_UTSNAME_LENGTH=65] fields, NUL-terminated:
#   sysname | nodename | release | version | machine | domainname
UTSNAME_FIELD = 65


UTSNAME_FIELDS = 6


def parse_utsname(raw: bytes) -> UtsInfo:
    if len(raw) != UTSNAME_FIELD * UTSNAME_FIELDS:
        raise ParseError("struct utsname", f"{len(raw)} bytes, expected {UTSNAME_FIELD * UTSNAME_FIELDS}")
    fields = [
        raw[i * UTSNAME_FIELD : (i + 1) * UTSNAME_FIELD].split(b"\0", 1)[0] for i in range(UTSNAME_FIELDS)
    ]
    # sethostname(2) accepts any bytes: keep them, undecodable ones as \xNN.
    return UtsInfo(
        hostname=fields[1].decode("utf-8", "backslashreplace"),
        domainname=fields[5].decode("utf-8", "backslashreplace"),
    )
