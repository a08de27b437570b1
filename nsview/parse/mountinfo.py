"""/proc/PID/mountinfo."""

from __future__ import annotations

import functools
import re

from nsview.errors import ParseError
from nsview.model.mount import Mount

# proc_pid_mountinfo(5):
#   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
#   (1)(2)(3)   (4)   (5)      (6)      (7)    (8)  (9)   (10)         (11)
# (7) is zero or more optional fields, ended by the lone "-" (8). The source (10) may be empty
# ("- tmpfs  rw": two spaces), so the tail is split with maxsplit, never with split().
# Paths escape space, tab, newline and backslash as octal (\040 \011 \012 \134); decoding is one
# pass, so a directory literally named "\040x" (written by the kernel as "\134040x") stays as is.
# Super options are written with seq_show_option, which also escapes "," inside a value; so
# options are split on the raw "," first and unescaped after. Splitting overlay's lowerdir on
# ":" (escaped by the mounter as "\\:") is the overlay decoder's job, not this parser's.

_OCTAL = re.compile(rb"\\([0-7]{3})")


def unescape(field: bytes) -> str:
    if b"\\" not in field:  # the common case: nothing escaped, no regex pass
        return field.decode("utf-8", "backslashreplace")
    return _OCTAL.sub(lambda m: bytes([int(m.group(1), 8) & 0xFF]), field).decode("utf-8", "backslashreplace")


def split_options(field: bytes) -> tuple[str, ...]:
    """Split a comma list, then unescape each item: the kernel writes a "," inside a value
    (an overlay lowerdir path, say) as \\054, so splitting the raw bytes first is exact."""
    return tuple(unescape(part) for part in field.split(b",") if part)


def parse_mountinfo_line(line: bytes) -> Mount:
    ids, _, rest = line.partition(b" ")
    parent, _, rest = rest.partition(b" ")
    try:
        return Mount(int(ids), int(parent), *_parse_rest(rest))
    except (ValueError, ParseError):
        return _parse_line(line)  # malformed: said, with the real line, by the whole-line parser


# A mount namespace copied from another (unshare -m, a systemd unit's private /tmp) lists the
# same mounts under new ids: everything after the two ids is parsed once per scan, not per copy.
@functools.lru_cache(maxsize=8192)
def _parse_rest(
    rest: bytes,
) -> tuple[int, int, str, str, tuple[str, ...], tuple[str, ...], str, str, tuple[str, ...]]:
    m = _parse_line(b"0 0 " + rest)
    return (m.major, m.minor, m.root, m.target, m.options, m.optional, m.fstype, m.source, m.super_options)


def _parse_line(line: bytes) -> Mount:
    head, sep, tail = line.partition(b" - ")
    if not sep:
        raise ParseError("mountinfo", f"no ' - ' separator in {line[:80]!r}")
    fields = head.split(b" ")
    if len(fields) < 6:
        raise ParseError("mountinfo", f"too few fields in {line[:80]!r}")
    tail_fields = tail.split(b" ", 2)
    if len(tail_fields) < 2:
        raise ParseError("mountinfo", f"bad tail in {line[:80]!r}")
    fstype = tail_fields[0]
    source = tail_fields[1]
    super_opts = tail_fields[2] if len(tail_fields) > 2 else b""
    try:
        major, minor = (int(x) for x in fields[2].split(b":", 1))
        return Mount(
            mount_id=int(fields[0]),
            parent_id=int(fields[1]),
            major=major,
            minor=minor,
            root=unescape(fields[3]),
            target=unescape(fields[4]),
            options=split_options(fields[5]),
            optional=tuple(f.decode("ascii", "replace") for f in fields[6:] if f),
            fstype=unescape(fstype),
            source=unescape(source),
            super_options=split_options(super_opts),
        )
    except ValueError as err:
        raise ParseError("mountinfo", f"{err} in {line[:80]!r}") from None


def parse_mountinfo(data: bytes) -> tuple[Mount, ...]:
    return tuple(parse_mountinfo_line(line) for line in data.split(b"\n") if line.strip())
