"""/proc/PID/cgroup: which cgroup a process is in, per hierarchy."""

from __future__ import annotations

from nsview.errors import ParseError
from nsview.model.process import CgroupMembership

# cgroups(7):  hierarchy-ID:controller-list:cgroup-path
#   12:pids:/docker/0ac949292b65...
#   4:cpu,cpuacct:/docker/0ac9...
#   1:name=systemd:/docker/0ac9...
#   0::/docker/0ac9...              <- the v2 (unified) hierarchy
# The path may itself contain ":" (split at most twice) and, relative to the reader's cgroup
# namespace, may read "/../.." when the process is outside it.


def parse_proc_cgroup(data: bytes) -> tuple[CgroupMembership, ...]:
    out: list[CgroupMembership] = []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        parts = raw.split(b":", 2)
        if len(parts) != 3:
            raise ParseError("/proc/PID/cgroup", f"malformed line {raw[:80]!r}")
        try:
            hid = int(parts[0])
        except ValueError:
            raise ParseError("/proc/PID/cgroup", f"bad hierarchy id in {raw[:80]!r}") from None
        ctrls = tuple(c for c in parts[1].decode("utf-8", "backslashreplace").split(",") if c)
        out.append(CgroupMembership(hid, ctrls, parts[2].decode("utf-8", "backslashreplace")))
    return tuple(out)
