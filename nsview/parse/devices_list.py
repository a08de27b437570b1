"""devices.list of the cgroup v1 devices controller (Documentation/admin-guide/cgroup-v1/devices.rst)."""

from __future__ import annotations

from nsview.errors import ParseError
from nsview.model.privileges import DeviceRule

# One rule a line, "type major:minor access": type a (all), b (block) or c (char), a number
# or * for either part, access some of r, w, m (mknod):
#   a *:* rwm          <- every device (the root cgroup; `docker run --privileged`)
#   c 1:3 rwm          <- /dev/null
#   c 136:* rwm        <- every pty
_TYPES = ("a", "b", "c")


def parse_devices_list(text: str) -> tuple[DeviceRule, ...]:
    out = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or parts[0] not in _TYPES or ":" not in parts[1]:
            raise ParseError("devices.list", repr(line[:80]))
        major, _, minor = parts[1].partition(":")
        if not all(p == "*" or p.isdigit() for p in (major, minor)) or not set(parts[2]) <= set("rwm"):
            raise ParseError("devices.list", repr(line[:80]))
        out.append(DeviceRule(parts[0], major, minor, parts[2]))
    return tuple(out)
