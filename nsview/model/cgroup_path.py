"""One line of /proc/PID/cgroup, as a record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CgroupMembership:
    hierarchy_id: int  # 0 for the unified (v2) hierarchy
    controllers: tuple[str, ...]  # () for v2; ("cpu", "cpuacct"); ("name=systemd",)
    path: str  # relative to the reader's cgroup namespace root; may contain "/.."

    @property
    def unified(self) -> bool:
        return self.hierarchy_id == 0 and not self.controllers
