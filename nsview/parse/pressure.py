"""Pressure stall information of a cgroup: cpu.pressure, memory.pressure, io.pressure
(Documentation/accounting/psi.rst, cgroup-v2.rst "PSI - Pressure Stall Information"; v2 only,
Linux >= 4.20, CONFIG_PSI). The three files share one shape:

    some avg10=0.00 avg60=1.25 avg300=0.40 total=1824365
    full avg10=0.00 avg60=0.80 avg300=0.21 total=1103817

avg* are percentages of wall time some (or all) tasks stalled on the resource; total is in
microseconds. cpu.pressure gained its "full" line in Linux 5.13 (all zeros at the root).
"""

from __future__ import annotations

from nsview.errors import ParseError
from nsview.model.cgroup import Pressure, PressureLine

_KEYS = ("avg10", "avg60", "avg300", "total")


def _line(fields: list[str], what: str) -> PressureLine:
    values: dict[str, str] = {}
    for item in fields:
        key, sep, val = item.partition("=")
        if not sep or key not in _KEYS or key in values:
            raise ParseError(what, f"bad item {item[:40]!r}")
        values[key] = val
    if set(values) != set(_KEYS):
        raise ParseError(what, f"missing {', '.join(k for k in _KEYS if k not in values)}")
    try:
        avgs = [float(values[k]) for k in _KEYS[:3]]
        total = int(values["total"])
    except ValueError:
        raise ParseError(what, "not a number") from None
    if any(not 0.0 <= a <= 100.0 for a in avgs) or total < 0:
        raise ParseError(what, "value out of range")
    return PressureLine(avgs[0], avgs[1], avgs[2], total)


def parse_pressure(text: str, resource: str) -> Pressure:
    """``resource`` is "cpu", "memory" or "io" (the file's prefix). A "some" line is required;
    "full" is None where the kernel does not write it (cpu before 5.13)."""
    what = f"{resource}.pressure"
    lines: dict[str, PressureLine] = {}
    for raw in text.splitlines():
        parts = raw.split()
        if not parts:
            continue
        if parts[0] not in ("some", "full") or parts[0] in lines:
            raise ParseError(what, f"bad line {raw[:80]!r}")
        lines[parts[0]] = _line(parts[1:], what)
    if "some" not in lines:
        raise ParseError(what, "no 'some' line")
    return Pressure(resource, lines["some"], lines.get("full"))
