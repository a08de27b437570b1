"""The kernel log, in the shapes users have it: /dev/kmsg records and saved logs.

/dev/kmsg (Documentation/ABI/testing/dev-kmsg), one record per read, continuation lines after it:
  6,384,4596278585,-;memory: usage 16384kB, limit 16384kB, failcnt 0
   SUBSYSTEM=...                        <- a continuation line: starts with a space
  (priority,sequence,microseconds since boot,flags[,...];message; bytes a message cannot hold
  are written as \\xNN, so a record is one line)
Saved logs, line by line, each shape recognised on its own line:
  [ 4596.278585] msg                   dmesg
  <3>[ 4596.278585] msg                dmesg -r
  [Wed Dec  2 06:33:58 2026] msg       dmesg -T (local time)
  2026-12-02T06:33:58+0000 host kernel: msg        journalctl -k -o short-iso
  Dec 02 06:33:58 host kernel: msg                 journalctl -k (no year: see parse_log)
  msg                                   anything else: a message with no time
"""

from __future__ import annotations

import re
import time
from datetime import datetime

from nsview.model.oom import KernelRecord

_KMSG = re.compile(rb"^([0-9]+),([0-9]+),([0-9]+),[^;]*;(.*)$")
_MONO = re.compile(r"^(?:<[0-9]+>)?\[\s*([0-9]+)\.([0-9]{1,9})\]\s?(.*)$")
_CTIME = re.compile(r"^\[([A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]?[0-9] [0-9:]{8} [0-9]{4})\]\s?(.*)$")
_ISO = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(?:\.[0-9]+)?(?:[+-][0-9]{2}:?[0-9]{2}|Z)?) \S+ kernel: (.*)$"
)
_SHORT = re.compile(r"^([A-Z][a-z]{2} [ 0-9]?[0-9] [0-9:]{8}) \S+ kernel: (.*)$")


def parse_kmsg(data: bytes) -> tuple[KernelRecord, ...]:
    """/dev/kmsg records, as read (one per line); continuation lines and lines of another shape
    are skipped: a reader that raced the ring buffer may hold a cut record."""
    out: list[KernelRecord] = []
    for line in data.split(b"\n"):
        m = _KMSG.match(line)
        if m is None:
            continue
        out.append(
            KernelRecord(
                text=m.group(4).decode("utf-8", "backslashreplace"),
                usec=int(m.group(3)),
                seq=int(m.group(2)),
            )
        )
    return tuple(out)


def parse_log(text: str, year: int | None = None) -> tuple[KernelRecord, ...]:
    """A saved kernel log (dmesg, dmesg -T, dmesg -r, journalctl -k in short or short-iso form,
    or /dev/kmsg records saved to a file). ``year`` dates journalctl's short form, which has
    none (default: this year)."""
    if re.match(r"^[0-9]+,[0-9]+,[0-9]+,", text):
        return parse_kmsg(text.encode("utf-8", "surrogateescape"))
    out: list[KernelRecord] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        out.append(_log_line(line, year))
    return tuple(out)


def _log_line(line: str, year: int | None) -> KernelRecord:
    m = _MONO.match(line)
    if m:
        usec = int(m.group(1)) * 1_000_000 + int(m.group(2).ljust(6, "0")[:6])
        return KernelRecord(text=m.group(3), usec=usec)
    m = _CTIME.match(line)
    if m:
        return KernelRecord(text=m.group(2), wall=_local(m.group(1), "%a %b %d %H:%M:%S %Y"))
    m = _ISO.match(line)
    if m:
        try:
            stamp = datetime.fromisoformat(_colon_offset(m.group(1))).timestamp()
        except ValueError:
            stamp = None
        return KernelRecord(text=m.group(2), wall=stamp)
    m = _SHORT.match(line)
    if m:
        when = f"{year or time.localtime().tm_year} {m.group(1)}"
        return KernelRecord(text=m.group(2), wall=_local(when, "%Y %b %d %H:%M:%S"))
    return KernelRecord(text=line)


def _local(text: str, fmt: str) -> float | None:
    try:
        return time.mktime(time.strptime(" ".join(text.split()), fmt))
    except (ValueError, OverflowError):
        return None


def _colon_offset(stamp: str) -> str:
    # Python 3.10's fromisoformat wants "+00:00", journalctl writes "+0000" (and maybe "Z")
    stamp = stamp.replace("Z", "+00:00")
    return re.sub(r"([+-][0-9]{2})([0-9]{2})$", r"\1:\2", stamp)
