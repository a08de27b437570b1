"""A network namespace as rtnetlink describes it (rtnetlink(7), ip-link(8), ip-address(8))."""

from __future__ import annotations

from nsview.model.record import record


@record
class NetAddress:
    family: int  # 4 or 6
    address: str
    prefixlen: int
    scope: str  # "global", "link", "host", "site" or the number

    def __str__(self) -> str:
        return f"{self.address}/{self.prefixlen}"


@record
class NetInterface:
    index: int
    name: str
    operstate: str  # RFC 2863 operational state, as `ip link` prints it: UP, DOWN, UNKNOWN ...
    flags: tuple[str, ...]  # UP, LOOPBACK, LOWER_UP ... (IFF_*)
    mtu: int | None
    mac: str | None  # None when the link has no hardware address
    addresses: tuple[NetAddress, ...] = ()


@record
class NetRoute:
    family: int
    destination: str  # "default" for a default route, else "ADDR/LEN"
    gateway: str | None
    device: str | None
    table: int
    type: str  # unicast, local, unreachable ...
    metric: int | None
    prefsrc: str | None

    @property
    def is_default(self) -> bool:
        return self.destination == "default"


# Routing table 254 is what `ip route` shows ("main"); 255 ("local") holds the kernel's own.
MAIN_TABLE = 254


@record
class NetworkInfo:
    interfaces: tuple[NetInterface, ...]
    routes: tuple[NetRoute, ...]  # main table only, like `ip route` / `ip -6 route`
    errors: tuple[str, ...] = ()  # a dump the kernel refused (NLMSG_ERROR), by request

    @property
    def default_routes(self) -> tuple[NetRoute, ...]:
        return tuple(r for r in self.routes if r.is_default)
