"""Hostname and NIS domain name of a UTS namespace, as the kernel holds them (uname(2)).

Not /etc/hostname (a file the container controls, maybe never applied): the kernel's value is
read by calling uname() in a child that entered the target's UTS namespace and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

from nsview.enter import run_in_each_namespace, run_in_namespace
from nsview.errors import NsviewError, ParseError
from nsview.model.uts import UtsInfo
from nsview.parse.utsname import UTSNAME_FIELD, UTSNAME_FIELDS, parse_utsname
from nsview.procfs import ProcFS


def _uname_question() -> Callable[[], bytes]:
    """A function that calls libc uname() into a pre-made buffer: all bound before the fork."""
    import ctypes  # here, not at the top: only a command that asks a hostname pays for ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    uname = libc.uname
    uname.argtypes = (ctypes.c_void_p,)
    uname.restype = ctypes.c_int
    buf = ctypes.create_string_buffer(UTSNAME_FIELD * UTSNAME_FIELDS)
    address = ctypes.addressof(buf)
    # The buffer's bytes through the descriptor itself, so ask() does no attribute lookup.
    # typeshed declares Array.raw as plain bytes; at runtime it is a getset descriptor.
    raw_of: Callable[[ctypes.Array[ctypes.c_char]], bytes] = type(buf).raw.__get__  # type: ignore[attr-defined]

    def ask() -> bytes:
        if uname(address) != 0:
            return b""
        return raw_of(buf)

    return ask


def read_uts(proc: ProcFS, pid: int, *, starttime: int | None = None) -> UtsInfo:
    """The hostname/domainname of ``pid``'s UTS namespace (enters it in a forked child)."""
    return parse_utsname(run_in_namespace(proc, pid, "uts", _uname_question(), starttime=starttime))


def read_uts_each(proc: ProcFS, targets: list[tuple[int, int | None]]) -> list[UtsInfo | NsviewError]:
    """read_uts for many (pid, starttime) at once: one child enters each UTS namespace in turn."""
    out: list[UtsInfo | NsviewError] = []
    for answer in run_in_each_namespace(proc, targets, "uts", _uname_question()):
        if isinstance(answer, NsviewError):
            out.append(answer)
            continue
        try:
            out.append(parse_utsname(answer))
        except ParseError as err:
            out.append(err)
    return out
