"""cgroup limits as records: the host's cgroup mode, where a process sits in each controller's
hierarchy, its limits decoded (no sentinel numbers), and the effective (tightest ancestor) limit.

Vocabulary follows cgroups(7) and the kernel's cgroup-v1/cgroup-v2 docs. No I/O, no rich.
"""

from __future__ import annotations

import itertools
from dataclasses import field
from typing import TYPE_CHECKING

# Where a process sits lives with the process records (model/process.py), so reading a process does
# not load every cgroup record; it is re-exported here for the readers that use it with the rest.
from nsview.model.process import CgroupMembership as CgroupMembership
from nsview.model.record import record

if TYPE_CHECKING:  # model/oom.py builds on Limit: imported for the annotation only
    from nsview.model.oom import OomKill

# The cgroup mode of a host, as systemd calls them: "legacy" v1 only, "unified" v2 only, or
# "hybrid" (v1 controllers plus a cgroup2 mount, usually /sys/fs/cgroup/unified).
CGROUP_MODES: tuple[str, ...] = ("v1", "v2", "hybrid", "none")

# The resources nsview reports, named as the v2 controllers are ("io" is v1's "blkio").
RESOURCES: tuple[str, ...] = ("memory", "cpu", "cpuset", "pids", "io")


@record
class Limit:
    """A limit as the kernel configures it. ``value`` is None exactly when ``unlimited`` is
    true: the sentinels (``max``, ``-1``, PAGE_COUNTER_MAX * PAGE_SIZE, LONG_MAX) never
    survive decoding. ``0`` is a real limit (nothing allowed)."""

    value: int | None
    unlimited: bool = False

    @classmethod
    def none(cls) -> Limit:
        return cls(None, True)

    def tighter_than(self, other: Limit) -> bool:
        if self.unlimited:
            return False
        return other.unlimited or (
            self.value is not None and other.value is not None and self.value < other.value
        )


@record
class CgroupMount:
    """A cgroup or cgroup2 filesystem in the reader's mountinfo."""

    version: int  # 1 or 2
    target: str  # mount point, as the reader sees it ("/sys/fs/cgroup/memory")
    root: str  # the cgroup mounted there ("/" for the whole hierarchy)
    controllers: tuple[str, ...]  # v1: from super options ("cpu", "cpuacct", "name=systemd"); v2: ()


@record
class Placement:
    """Where a process sits in the hierarchy that holds one resource's controller."""

    resource: str  # one of RESOURCES
    version: int | None = None  # 1 or 2; None when not available
    controller: str | None = None  # the kernel controller name ("blkio" for io on v1)
    hierarchy_id: int | None = None  # the first field of /proc/PID/cgroup (0 for v2)
    path: str | None = None  # as /proc/PID/cgroup wrote it (may contain "/..")
    cgroup: str | None = None  # resolved and contained, relative to the hierarchy root
    mount_point: str | None = None
    directory: str | None = None  # mount point + (cgroup relative to the mount's root)
    reason: str | None = None  # why the resource is not available

    @property
    def available(self) -> bool:
        return self.reason is None and self.directory is not None


@record
class MemoryStat:
    """Where a cgroup's memory went (memory.stat, bytes); what a version lacks stays None."""

    anon: int | None = None  # v2 anon, v1 total_rss
    file: int | None = None  # v2 file, v1 total_cache (page cache)
    kernel: int | None = None  # v2 kernel (>= 5.18; else kernel_stack + pagetables + percpu + slab)
    sock: int | None = None  # v2 sock: network buffers
    shmem: int | None = None  # v2 shmem, v1 total_shmem (tmpfs, shared memory)
    inactive_file: int | None = None  # page cache that can be dropped
    hierarchical_limit: int | None = None  # v1 hierarchical_memory_limit (raw)


@record
class MemoryInfo:
    """Memory controller, v1 or v2 (fields the other version lacks stay None)."""

    limit: Limit | None = None  # v1 memory.limit_in_bytes, v2 memory.max
    soft_limit: Limit | None = None  # v1 memory.soft_limit_in_bytes (docker --memory-reservation)
    high: Limit | None = None  # v2 memory.high (throttling threshold)
    low: Limit | None = None  # v2 memory.low: best-effort protection (docker --memory-reservation)
    min: Limit | None = None  # v2 memory.min: hard protection from reclaim
    high_events: int | None = None  # v2 memory.events "high": times usage went over memory.high
    max_events: int | None = None  # v2 memory.events "max": times usage hit memory.max
    memsw: Limit | None = None  # memory + swap: v1 memory.memsw.limit_in_bytes; v2 derived
    swap: Limit | None = None  # swap alone: v2 memory.swap.max; v1 derived
    usage: int | None = None  # v1 memory.usage_in_bytes, v2 memory.current
    peak: int | None = None  # v1 memory.max_usage_in_bytes, v2 memory.peak
    failcnt: int | None = None  # v1 memory.failcnt: times the limit was hit
    oom_events: int | None = None  # v2 memory.events "oom"
    oom_kill: int | None = None  # v1 memory.oom_control / v2 memory.events "oom_kill"
    inactive_file: int | None = None  # v1 total_inactive_file, v2 inactive_file (memory.stat)
    hierarchical_limit: Limit | None = None  # v1 memory.stat hierarchical_memory_limit
    stat: MemoryStat | None = None  # memory.stat breakdown

    @property
    def usage_minus_inactive_file(self) -> int | None:
        """Usage as ``docker stats`` shows it: page cache that can be dropped is not counted."""
        if self.usage is None:
            return None
        if self.inactive_file is None:
            return self.usage
        return max(self.usage - self.inactive_file, 0)


@record
class CpuStat:
    """CFS bandwidth counters of cpu.stat (v1 and v2): how often the quota stopped the cgroup."""

    nr_periods: int | None = None  # enforcement periods that had runnable tasks
    nr_throttled: int | None = None  # of those, periods in which the quota ran out
    throttled_usec: int | None = None  # time spent throttled (v1 throttled_time / 1000)
    usage_usec: int | None = None  # v2 only: CPU time used

    @property
    def throttled_percent(self) -> float | None:
        """Share of periods that were throttled, 0-100; None without periods."""
        if not self.nr_periods or self.nr_throttled is None:
            return None
        return round(100 * self.nr_throttled / self.nr_periods, 1)


@record
class CpuInfo:
    quota_us: Limit | None = None  # v1 cpu.cfs_quota_us, v2 first field of cpu.max
    period_us: int | None = None
    shares: int | None = None  # v1 cpu.shares (default 1024)
    weight: int | None = None  # v2 cpu.weight (default 100)
    stat: CpuStat | None = None  # cpu.stat throttling counters

    @property
    def cpus(self) -> float | None:
        """Quota over period, the number `docker run --cpus` took; None when unlimited/unknown."""
        if self.quota_us is None or self.quota_us.value is None or not self.period_us:
            return None
        # millionths, as the effective limit keeps it: one number for one quota everywhere
        return round(self.quota_us.value / self.period_us, 6)


@record
class CpusetInfo:
    cpus: str | None = None  # kernel list syntax, e.g. "0-3,8"; "" means inherited (v2)
    mems: str | None = None
    effective_cpus: str | None = None
    effective_mems: str | None = None


@record
class PidsInfo:
    max: Limit | None = None
    current: int | None = None


@record
class IoDeviceLimit:
    """Throttles on one block device ("MAJ:MIN"); only the ones that are set are listed."""

    device: str
    rbps: Limit = field(default_factory=Limit.none)
    wbps: Limit = field(default_factory=Limit.none)
    riops: Limit = field(default_factory=Limit.none)
    wiops: Limit = field(default_factory=Limit.none)


@record
class IoInfo:
    limits: tuple[IoDeviceLimit, ...] = ()
    weight: int | None = None  # v2 io.weight "default N" / v1 blkio.bfq.weight


@record
class PressureLine:
    """One line of a pressure file: share of wall time stalled (percent) and total (us)."""

    avg10: float
    avg60: float
    avg300: float
    total_usec: int


@record
class Pressure:
    """cpu.pressure, memory.pressure or io.pressure: "some" tasks stalled, or "full" (all)."""

    resource: str  # "cpu", "memory", "io"
    some: PressureLine
    full: PressureLine | None = None  # cpu before Linux 5.13 writes no full line


# The resources with a pressure file, in the order nsview shows them.
PRESSURE_RESOURCES: tuple[str, ...] = ("cpu", "memory", "io")


@record
class CgroupPressure:
    """The pressure files of one cgroup: the process's own, or an ancestor that sets a limit
    binding it (``binds`` names which: "memory", "cpu", ...)."""

    cgroup: str
    binds: tuple[str, ...] = ()  # () for the process's own cgroup
    pressures: tuple[Pressure, ...] = ()

    def get(self, resource: str) -> Pressure | None:
        return next((p for p in self.pressures if p.resource == resource), None)


@record
class DelegationStep:
    """One cgroup on the v2 path from the root down: the controllers it has and hands on."""

    cgroup: str
    controllers: tuple[str, ...] | None  # cgroup.controllers; None when unreadable
    subtree_control: tuple[str, ...] | None  # cgroup.subtree_control; None when unreadable


def undelegated(steps: tuple[DelegationStep, ...], controller: str) -> tuple[str, str] | None:
    """(parent, child): the first cgroup down the path whose parent's cgroup.subtree_control
    does not list ``controller``, so the child and everything below it lacks the controller's
    files and no limit of it can be set there. None when it reaches the last cgroup, or when
    the root itself lacks the controller (bound to v1, disabled: said elsewhere)."""
    if not steps or steps[0].controllers is None or controller not in steps[0].controllers:
        return None
    for parent, child in itertools.pairwise(steps):
        # a cgroup has a controller exactly when its parent's subtree_control lists it: ask the
        # child's own list first, the parent's when the child's cannot be read
        if child.controllers is not None:
            if controller not in child.controllers:
                return parent.cgroup, child.cgroup
            continue
        if parent.subtree_control is None:
            return None  # unknown: do not guess
        if controller not in parent.subtree_control:
            return parent.cgroup, child.cgroup
    return None


@record
class CgroupNamespace:
    """The process's cgroup namespace, compared with the host reference's."""

    id: str  # "cgroup:[4026532451]"
    private: bool | None  # None when the host's could not be read


@record
class EffectiveLimit:
    """The tightest limit over a cgroup and all its ancestors, and which cgroup sets it.

    ``cgroup`` is None when nothing on the way up sets a limit (then ``limit.unlimited``).
    ``own`` is true when the process's own cgroup sets it. ``visible_top`` is the highest
    cgroup that could be read (a mount of a sub-tree hides what is above it)."""

    limit: Limit
    cgroup: str | None
    own: bool
    visible_top: str


@record
class CgroupReport:
    pid: int
    mode: str  # one of CGROUP_MODES
    mode_evidence: str
    placements: tuple[Placement, ...]
    memory: MemoryInfo | None = None  # None: the controller is not available
    cpu: CpuInfo | None = None
    cpuset: CpusetInfo | None = None
    pids: PidsInfo | None = None
    io: IoInfo | None = None
    effective: dict[str, EffectiveLimit] = field(default_factory=dict)  # memory, memsw, pids, cpu
    host_memory: int | None = None  # MemTotal from /proc/meminfo, in bytes
    errors: dict[str, str] = field(default_factory=dict)  # file -> why it could not be read
    gone: tuple[
        str, ...
    ] = ()  # cgroups removed while being read (the process was moved or its container stopped)
    notes: tuple[str, ...] = ()
    last_oom: OomKill | None = None  # the newest OOM kill in its memory cgroup or below, if logged
    # v2 only (v1 has no equivalent): pressure of the own cgroup and of ancestors that bind it,
    # the controllers along the path, and why either is missing
    pressure: tuple[CgroupPressure, ...] = ()
    pressure_reason: str | None = None  # why there is none ("not on v1", "no PSI in this kernel")
    delegation: tuple[DelegationStep, ...] = ()
    delegation_reason: str | None = None
    cgroup_namespace: CgroupNamespace | None = None

    def placement(self, resource: str) -> Placement | None:
        for p in self.placements:
            if p.resource == resource:
                return p
        return None

    @property
    def memory_limit(self) -> EffectiveLimit | None:
        """The headline: the memory limit that really binds the process.

        This is the *effective* limit, the tightest over the process's memory cgroup and all
        its ancestors (``.limit.value`` in bytes, None when ``.limit.unlimited``; ``.cgroup``
        names the cgroup that sets it). None when the memory controller is not available.
        For just a number, use :attr:`memory_limit_bytes`."""
        return self.effective.get("memory")

    @property
    def memory_limit_bytes(self) -> int | None:
        """Effective memory limit in bytes; None when unlimited or unknown."""
        eff = self.memory_limit
        return None if eff is None else eff.limit.value

    @property
    def above_physical_memory(self) -> bool:
        """True when the effective memory limit is larger than the host's MemTotal."""
        limit = self.memory_limit_bytes
        return limit is not None and self.host_memory is not None and limit > self.host_memory
