"""Value files of cgroupfs, v1 and v2 (cgroup-v1/*.rst, cgroup-v2.rst "Interface Files").

Text in, numbers and records out; a shape the kernel does not write is a ParseError. The one
place where a limit's sentinel ("max", "-1", PAGE_COUNTER_MAX * PAGE_SIZE) becomes "unlimited".
"""

from __future__ import annotations

import re

from nsview.errors import ParseError
from nsview.model.cgroup import IoDeviceLimit, Limit

# ---- unlimited -------------------------------------------------------------------------------
# v1 memory writes "unlimited" as PAGE_COUNTER_MAX * PAGE_SIZE, where PAGE_COUNTER_MAX is
# LONG_MAX / PAGE_SIZE: 9223372036854771712 (4 KiB pages), ...759424 (16 KiB), ...710272 (64 KiB);
# old kernels and libraries write LONG_MAX itself. Every power-of-two page size Linux supports
# (4 KiB .. 256 KiB) is covered. v2 writes "max"; v1 cpu.cfs_quota_us writes "-1".
LONG_MAX = 2**63 - 1


UNLIMITED_SENTINELS = frozenset(
    {(LONG_MAX // ps) * ps for ps in (1 << s for s in range(12, 19))} | {LONG_MAX}
)


_INT = re.compile(r"-?[0-9]+")


def decode_limit(text: str, what: str = "cgroup limit") -> Limit:
    """The one place a limit's text becomes a Limit: sentinels -> unlimited, 0 stays 0.

    "max", "-1", the PAGE_COUNTER_MAX sentinels and LONG_MAX are unlimited; other negative
    numbers and anything else raise ParseError."""
    word = text.strip()
    if word == "max":
        return Limit.none()
    if not _INT.fullmatch(word):
        raise ParseError(what, f"not a limit: {word[:40]!r}")
    n = int(word)
    if n == -1 or n in UNLIMITED_SENTINELS:
        return Limit.none()
    if n < 0:
        raise ParseError(what, f"negative limit {n}")
    return Limit(n)


def parse_count(text: str, what: str = "cgroup counter") -> int:
    """A plain non-negative counter or setting ("4096\\n")."""
    word = text.strip()
    if not _INT.fullmatch(word) or word.startswith("-"):
        raise ParseError(what, f"not a count: {word[:40]!r}")
    return int(word)


# memory.stat, memory.events, memory.oom_control (flat keyed, cgroup-v2.rst "Format"):
#   inactive_file 4096
#   hierarchical_memory_limit 9223372036854771712
def parse_keyed(text: str, what: str = "cgroup keyed file") -> dict[str, int]:
    out: dict[str, int] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not _INT.fullmatch(parts[1]):
            raise ParseError(what, f"bad line {line[:80]!r}")
        out[parts[0]] = int(parts[1])
    return out


# cpu.max (v2):  "max 100000"  or  "50000 100000"   ($QUOTA $PERIOD, microseconds)
def parse_cpu_max(text: str) -> tuple[Limit, int]:
    parts = text.split()
    if len(parts) != 2:
        raise ParseError("cpu.max", f"expected 'QUOTA PERIOD', got {text.strip()[:40]!r}")
    return decode_limit(parts[0], "cpu.max"), parse_count(parts[1], "cpu.max period")


# io.max (v2, nested keyed), one line per device that has any limit:
#   8:16 rbps=2097152 wbps=max riops=max wiops=120
_IO_KEYS = ("rbps", "wbps", "riops", "wiops")


def parse_io_max(text: str) -> tuple[IoDeviceLimit, ...]:
    out: list[IoDeviceLimit] = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        _check_device(parts[0], "io.max")
        values: dict[str, Limit] = {}
        for item in parts[1:]:
            key, sep, val = item.partition("=")
            if not sep:
                raise ParseError("io.max", f"bad item {item[:40]!r}")
            if key in _IO_KEYS:
                values[key] = decode_limit(val, "io.max")
        out.append(IoDeviceLimit(parts[0], **values))
    return tuple(out)


# blkio.throttle.{read,write}_{bps,iops}_device (v1), one line per limited device:
#   8:0 1048576
def parse_blkio_throttle(text: str, what: str = "blkio.throttle") -> dict[str, Limit]:
    out: dict[str, Limit] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ParseError(what, f"bad line {line[:80]!r}")
        _check_device(parts[0], what)
        out[parts[0]] = decode_limit(parts[1], what)
    return out


def _check_device(dev: str, what: str) -> None:
    if not re.fullmatch(r"[0-9]+:[0-9]+", dev):
        raise ParseError(what, f"bad device {dev[:40]!r}")


# io.weight (v2): "default 100" then optional "8:0 200" lines; blkio.bfq.weight (v1) likewise
# or a bare number on older kernels.
def parse_weight(text: str, what: str = "io.weight") -> int:
    first = text.strip().splitlines()[0].split() if text.strip() else []
    if len(first) == 2 and first[0] == "default":
        return parse_count(first[1], what)
    if len(first) == 1:
        return parse_count(first[0], what)
    raise ParseError(what, f"unexpected {text.strip()[:40]!r}")


# cgroup v1 freezer.state (cgroup-v1/freezer-subsystem.rst):  THAWED | FREEZING | FROZEN
# (a child of a frozen cgroup reads FROZEN too: the file shows the effective state)
def parse_freezer_state(text: str) -> str:
    word = text.strip()
    if word not in ("THAWED", "FREEZING", "FROZEN"):
        raise ParseError("freezer.state", f"unexpected state {word[:40]!r}")
    return word.lower()


# cgroup v2 cgroup.events (cgroup-v2.rst, "Core Interface Files"):
#   populated 1
#   frozen 0              <- effective: 1 when this cgroup or an ancestor is frozen
def parse_cgroup_events_frozen(text: str) -> str:
    events = parse_keyed(text, "cgroup.events")
    if "frozen" not in events:
        raise ParseError("cgroup.events", "no frozen line (kernel before 5.2)")
    return "frozen" if events["frozen"] else "thawed"
