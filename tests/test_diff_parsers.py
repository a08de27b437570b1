"""Pure parsers behind `nsview diff`: struct utsname, rtnetlink dumps, uid_map/gid_map."""

from __future__ import annotations

import socket
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nsview.errors import ParseError
from nsview.parse.id_map import parse_id_map
from nsview.parse.rtnetlink import parse_rtnetlink
from nsview.parse.utsname import parse_utsname


def _utsname(*fields: bytes) -> bytes:
    return b"".join(f.ljust(65, b"\0") for f in fields)


def test_utsname_hostname_and_domainname():
    raw = _utsname(b"Linux", b"webhost", b"6.18", b"#1", b"x86_64", b"example.org")
    info = parse_utsname(raw)
    assert (info.hostname, info.domainname) == ("webhost", "example.org")


def test_utsname_keeps_hostile_bytes():
    raw = _utsname(b"Linux", b"\x1b]0;x\x07[red]\xff", b"", b"", b"", b"(none)")
    assert parse_utsname(raw).hostname == "\x1b]0;x\x07[red]\\xff"


def test_utsname_wrong_size():
    with pytest.raises(ParseError):
        parse_utsname(b"short")


def _attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((-length) % 4)


def _msg(kind: int, body: bytes, seq: int = 1) -> bytes:
    return struct.pack("=IHHII", 16 + len(body), kind, 2, seq, 0) + body + b"\0" * ((-len(body)) % 4)


def test_rtnetlink_link_address_and_default_route():
    link = (
        struct.pack("=BxHiII", 0, 1, 7, 0x1 | 0x1000 | 0x10000, 0)
        + _attr(3, b"d0\0")
        + _attr(4, struct.pack("=I", 1400))
        + _attr(1, bytes.fromhex("02fc00000001"))
        + _attr(16, bytes([6]))
    )
    addr4 = (
        struct.pack("=BBBBI", socket.AF_INET, 24, 0, 0, 7)
        + _attr(1, socket.inet_aton("192.0.2.10"))
        + _attr(2, socket.inet_aton("192.0.2.10"))
    )
    addr6 = struct.pack("=BBBBI", socket.AF_INET6, 64, 0, 253, 7) + _attr(
        1, socket.inet_pton(socket.AF_INET6, "fe80::1")
    )
    default = (
        struct.pack("=BBBBBBBBI", socket.AF_INET, 0, 0, 0, 254, 3, 0, 1, 0)
        + _attr(5, socket.inet_aton("192.0.2.1"))
        + _attr(4, struct.pack("=I", 7))
    )
    local = struct.pack("=BBBBBBBBI", socket.AF_INET, 32, 0, 0, 255, 2, 254, 2, 0) + _attr(
        1, socket.inet_aton("192.0.2.10")
    )
    mctp = struct.pack("=BBBBI", 45, 0, 0, 0, 7) + _attr(2, bytes([8]))  # AF_MCTP: not an IP address
    bare = struct.pack("=BBBBI", socket.AF_INET, 24, 0, 0, 7)  # no IFA_LOCAL, no IFA_ADDRESS
    done = struct.pack("=IHHII", 20, 3, 2, 3, 0) + b"\0\0\0\0"
    data = (
        _msg(16, link)
        + _msg(20, addr4, 2)
        + _msg(20, mctp, 2)
        + _msg(20, bare, 2)
        + _msg(20, addr6, 2)
        + _msg(24, default, 3)
        + _msg(24, local, 3)
        + done
    )
    info = parse_rtnetlink(data)
    (iface,) = info.interfaces
    assert (iface.name, iface.mtu, iface.mac, iface.operstate) == ("d0", 1400, "02:fc:00:00:00:01", "UP")
    assert iface.flags == ("MULTICAST", "UP", "LOWER_UP")
    assert [(str(a), a.scope) for a in iface.addresses] == [
        ("192.0.2.10/24", "global"),
        ("fe80::1/64", "link"),
    ]
    (route,) = info.routes  # the local table (255) is not what `ip route` shows
    assert route.is_default and route.gateway == "192.0.2.1" and route.device == "d0"


def test_rtnetlink_error_is_recorded():
    err = _msg(2, struct.pack("=i", -1) + b"\0" * 16, seq=3)
    assert parse_rtnetlink(err).errors == ("routes: Operation not permitted",)


def test_rtnetlink_truncated_message():
    with pytest.raises(ParseError):
        parse_rtnetlink(struct.pack("=IHHII", 200, 16, 0, 0, 0) + b"\0" * 8)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_rtnetlink(data):
    try:
        parse_rtnetlink(data)
    except ParseError:
        pass


def test_id_map():
    text = "         0          0 4294967295\n         0     100000      65536\n"
    ranges = parse_id_map(text)
    assert [(r.inside, r.outside, r.count) for r in ranges] == [(0, 0, 4294967295), (0, 100000, 65536)]
    assert parse_id_map("") == ()
    with pytest.raises(ParseError):
        parse_id_map("0 0\n")
