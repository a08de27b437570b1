"""Human units for text output (JSON always carries exact numbers): the one formatter of bytes and
CPUs, used by every renderer and by the JSON ``text`` fields."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rendering a tree must not load the cgroup records
    from nsview.model.cgroup import Limit

# A 64-hex container or layer id (conmon -c, shim -id, /var/lib/docker/containers/<id>/...):
# shown as the 12 digits `docker ps` shows, then "…", where a line must fit a width.
_LONG_ID = re.compile(r"(?<![0-9a-f])([0-9a-f]{12})[0-9a-f]{52}(?![0-9a-f])")


def short_ids(text: str) -> str:
    """ "-id 9775b24b1e9d406d...e083 -address" -> "-id 9775b24b1e9d… -address"."""
    return _LONG_ID.sub(r"\1…", text)


# Up to EiB: the largest limit a cgroup file can hold (LONG_MAX bytes) is just under 8 EiB.
_UNITS = (
    ("EiB", 1 << 60),
    ("PiB", 1 << 50),
    ("TiB", 1 << 40),
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
)


def human_bytes(n: int) -> str:
    """67108864 -> "64 MiB", 70778880 -> "67.5 MiB", 0 -> "0 B"."""
    for unit, size in _UNITS:
        if n >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{n} B"


def limit_words(limit: Limit, unit: str) -> str:
    """A limit in words: "unlimited", "256 MiB" (bytes), "0.5 CPUs" (millionths of a CPU), "100"."""
    if limit.unlimited or limit.value is None:
        return "unlimited"
    if unit == "bytes":
        return human_bytes(limit.value)
    if unit == "cpus":
        return f"{human_cpus(limit.value)} CPUs"
    return str(limit.value)


def human_cpus(micro_cpus: int) -> str:
    """500000 millionths of a CPU -> "0.5"."""
    return f"{micro_cpus / 1_000_000:.3f}".rstrip("0").rstrip(".")
