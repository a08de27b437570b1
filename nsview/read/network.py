"""Interfaces, addresses and routes of a network namespace, from rtnetlink (rtnetlink(7)).

``/sys/class/net`` shows the *reader's* network namespace, never the target's, so it is not used.
A child enters only the target's NET namespace, opens a NETLINK_ROUTE socket there (a socket
belongs to the namespace it was created in), dumps links, addresses and routes, and writes the
raw netlink messages back; the parent parses them here, purely, outside the namespace.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from nsview.enter import run_in_namespace
from nsview.model.net import NetworkInfo
from nsview.parse.rtnetlink import NLMSG_DONE, NLMSG_ERROR, NLMSGHDR, dump_requests, parse_rtnetlink
from nsview.procfs import ProcFS


def _netlink_question() -> Callable[[], bytes]:
    """A function that dumps rtnetlink in the current netns: everything bound before the fork."""
    new_socket = socket.socket
    family, kind, proto = socket.AF_NETLINK, socket.SOCK_RAW, 0  # NETLINK_ROUTE
    requests = dump_requests()
    unpack_from, hdr_size = NLMSGHDR.unpack_from, NLMSGHDR.size
    done_types = (NLMSG_DONE, NLMSG_ERROR)

    def ask() -> bytes:
        out: list[bytes] = []
        sock = new_socket(family, kind, proto)
        try:
            sock.settimeout(3.0)
            sock.bind((0, 0))
            for request in requests:
                sock.send(request)
                finished = False
                while not finished:
                    data = sock.recv(1 << 20)
                    if not data:
                        break
                    out.append(data)
                    off = 0
                    while off + hdr_size <= len(data):
                        length, msg_type = unpack_from(data, off)[:2]
                        if msg_type in done_types or length < hdr_size:
                            finished = True
                            break
                        off += (length + 3) & ~3
        finally:
            sock.close()
        return b"".join(out)

    return ask


def read_network(proc: ProcFS, pid: int, *, starttime: int | None = None) -> NetworkInfo:
    """Interfaces, addresses and main-table routes of ``pid``'s network namespace."""
    return parse_rtnetlink(run_in_namespace(proc, pid, "net", _netlink_question(), starttime=starttime))


# ---- the pure parser --------------------------------------------------------------------
