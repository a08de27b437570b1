"""rtnetlink messages (rtnetlink(7), netlink(7)): the dump requests nsview sends, and the parser
of the replies into interfaces, addresses and main-table routes. Pure: bytes in, records out."""

from __future__ import annotations

import os
import socket
import struct
from typing import TypedDict

from nsview.errors import ParseError
from nsview.model.net import MAIN_TABLE, NetAddress, NetInterface, NetRoute, NetworkInfo

# <linux/netlink.h>  struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }
NLMSGHDR = struct.Struct("=IHHII")


NLMSG_ERROR, NLMSG_DONE = 2, 3


NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300


# <linux/rtnetlink.h>
RTM_NEWLINK, RTM_GETLINK = 16, 18


RTM_NEWADDR, RTM_GETADDR = 20, 22


RTM_NEWROUTE, RTM_GETROUTE = 24, 26


# struct ifinfomsg { u8 family; u8 pad; u16 type; i32 index; u32 flags; u32 change; }
_IFINFOMSG = struct.Struct("=BxHiII")


# struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }
_IFADDRMSG = struct.Struct("=BBBBI")


# struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }
_RTMSG = struct.Struct("=BBBBBBBBI")


# struct rtattr { u16 len; u16 type; } followed by the payload, each padded to 4 bytes
_RTATTR = struct.Struct("=HH")


IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_OPERSTATE = 1, 3, 4, 16


IFA_ADDRESS, IFA_LOCAL = 1, 2


RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE = 1, 4, 5, 6, 7, 15


# RFC 2863 operstates, as `ip link` names them (IF_OPER_*).
_OPERSTATE = ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP")


# <linux/if.h> IFF_* flags worth showing, in `ip link` order.
_IFF = (
    (0x8, "LOOPBACK"),
    (0x2, "BROADCAST"),
    (0x10, "POINTOPOINT"),
    (0x1000, "MULTICAST"),
    (0x80, "NOARP"),
    (0x1, "UP"),
    (0x10000, "LOWER_UP"),
)


_SCOPE = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}


_RTN = {
    1: "unicast",
    2: "local",
    3: "broadcast",
    4: "anycast",
    5: "multicast",
    6: "blackhole",
    7: "unreachable",
    8: "prohibit",
    9: "throw",
    10: "nat",
}


class _Link(TypedDict):
    """An RTM_NEWLINK message's fields, as NetInterface takes them (less index and addresses)."""

    name: str
    operstate: str
    flags: tuple[str, ...]
    mtu: int | None
    mac: str | None


def _align(n: int) -> int:
    return (n + 3) & ~3


def dump_requests() -> tuple[bytes, ...]:
    """The three dump requests (links, then addresses, then routes; all families)."""
    out = []
    for seq, (msg_type, body) in enumerate(
        (
            (RTM_GETLINK, _IFINFOMSG.pack(0, 0, 0, 0, 0)),
            (RTM_GETADDR, _IFADDRMSG.pack(0, 0, 0, 0, 0)),
            (RTM_GETROUTE, _RTMSG.pack(0, 0, 0, 0, 0, 0, 0, 0, 0)),
        ),
        start=1,
    ):
        out.append(
            NLMSGHDR.pack(NLMSGHDR.size + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body
        )
    return tuple(out)


def _attrs(data: bytes, off: int, end: int) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    while off + _RTATTR.size <= end:
        length, kind = _RTATTR.unpack_from(data, off)
        if length < _RTATTR.size or off + length > end:
            raise ParseError("rtnetlink attribute", f"bad length {length} at {off}")
        out.setdefault(kind & 0x3FFF, data[off + _RTATTR.size : off + length])  # strip NLA_F_* bits
        off += _align(length)
    return out


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "backslashreplace")


def _u32(raw: bytes | None) -> int | None:
    return struct.unpack("=I", raw[:4])[0] if raw is not None and len(raw) >= 4 else None


def _ip(family: int, raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        return socket.inet_ntop(family, raw)
    except (ValueError, OSError):
        return raw.hex()


def _mac(raw: bytes | None) -> str | None:
    return ":".join(f"{b:02x}" for b in raw) if raw else None


def parse_rtnetlink(data: bytes) -> NetworkInfo:
    """Concatenated RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE messages -> NetworkInfo.

    Messages of other types (NLMSG_DONE, NLMSG_NOOP) are skipped; NLMSG_ERROR with a non-zero
    code is recorded in ``errors`` (the dump it answers is then missing)."""
    links: dict[int, _Link] = {}
    addrs: list[tuple[int, NetAddress]] = []
    raw_routes: list[tuple[int, dict[int, bytes], tuple[int, ...]]] = []
    errors: list[str] = []
    off = 0
    while off + NLMSGHDR.size <= len(data):
        length, msg_type, _flags, seq, _pid = NLMSGHDR.unpack_from(data, off)
        if length < NLMSGHDR.size or off + length > len(data):
            raise ParseError("rtnetlink", f"bad message length {length} at {off}")
        body, end = off + NLMSGHDR.size, off + length
        try:
            if msg_type == RTM_NEWLINK:
                _family, _type, index, flags, _change = _IFINFOMSG.unpack_from(data, body)
                a = _attrs(data, body + _IFINFOMSG.size, end)
                oper = a.get(IFLA_OPERSTATE)
                links[index] = {
                    "name": _cstr(a.get(IFLA_IFNAME, b"")),
                    "operstate": _OPERSTATE[oper[0]] if oper and oper[0] < len(_OPERSTATE) else "UNKNOWN",
                    "flags": tuple(name for bit, name in _IFF if flags & bit),
                    "mtu": _u32(a.get(IFLA_MTU)),
                    "mac": _mac(a.get(IFLA_ADDRESS)),
                }
            elif msg_type == RTM_NEWADDR:
                family, prefixlen, _f, scope, index = _IFADDRMSG.unpack_from(data, body)
                a = _attrs(data, body + _IFADDRMSG.size, end)
                # IPv4: IFA_LOCAL is the interface's own address (IFA_ADDRESS the peer on ptp links).
                raw = a.get(IFA_LOCAL, a.get(IFA_ADDRESS))
                # Only IP addresses are shown (as `ip addr`'s inet/inet6 lines); another family
                # (MCTP, Phonet, ...) or a record with no address at all is not one.
                if family in (socket.AF_INET, socket.AF_INET6) and raw is not None:
                    version = 4 if family == socket.AF_INET else 6
                    address = _ip(family, raw) or ""
                    addrs.append(
                        (index, NetAddress(version, address, prefixlen, _SCOPE.get(scope, str(scope))))
                    )
            elif msg_type == RTM_NEWROUTE:
                fields = _RTMSG.unpack_from(data, body)
                raw_routes.append((fields[0], _attrs(data, body + _RTMSG.size, end), fields))
            elif msg_type == NLMSG_ERROR:
                code = struct.unpack_from("=i", data, body)[0]
                if code:
                    what = {1: "links", 2: "addresses", 3: "routes"}.get(seq, f"request {seq}")
                    errors.append(f"{what}: {os.strerror(-code)}")
        except (struct.error, IndexError) as err:
            raise ParseError("rtnetlink", f"{err} in message type {msg_type} at {off}") from None
        off += _align(length)

    names = {index: link["name"] for index, link in links.items()}
    interfaces = tuple(
        NetInterface(index=index, addresses=tuple(a for i, a in addrs if i == index), **link)
        for index, link in sorted(links.items())
    )
    routes = []
    for family, a, (_fam, dst_len, _s, _tos, table8, _proto, _scope, rtype, _fl) in raw_routes:
        table = _u32(a.get(RTA_TABLE)) or table8
        if table != MAIN_TABLE or family not in (socket.AF_INET, socket.AF_INET6):
            continue
        dst = _ip(family, a.get(RTA_DST))
        oif = _u32(a.get(RTA_OIF))
        routes.append(
            NetRoute(
                family=4 if family == socket.AF_INET else 6,
                destination="default" if dst_len == 0 else f"{dst}/{dst_len}",
                gateway=_ip(family, a.get(RTA_GATEWAY)),
                device=names.get(oif) if oif is not None else None,
                table=table,
                type=_RTN.get(rtype, str(rtype)),
                metric=_u32(a.get(RTA_PRIORITY)),
                prefsrc=_ip(family, a.get(RTA_PREFSRC)),
            )
        )
    return NetworkInfo(interfaces=interfaces, routes=tuple(routes), errors=tuple(errors))
