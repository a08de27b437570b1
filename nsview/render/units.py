"""Human units for text output (JSON always carries exact numbers). Used by every renderer."""

from __future__ import annotations

_UNITS = (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))


def human_bytes(n: int) -> str:
    """67108864 -> "64 MiB", 70778880 -> "67.5 MiB", 0 -> "0 B"."""
    for unit, size in _UNITS:
        if n >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{n} B"


def human_cpus(micro_cpus: int) -> str:
    """500000 millionths of a CPU -> "0.5"."""
    return f"{micro_cpus / 1_000_000:.3f}".rstrip("0").rstrip(".")
