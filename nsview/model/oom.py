"""OOM kills as the kernel logs them, and what they say about a container (mm/oom_kill.c).

A kill by a cgroup's limit names two cgroups: ``oom_memcg``, the cgroup whose limit was hit, and
``task_memcg``, the victim's own. When they differ, the victim died of an ancestor's limit (its
pod's, its parent slice's), not of its own. ``CONSTRAINT_NONE`` means the whole host ran out.
"""

from __future__ import annotations

from dataclasses import field

from nsview.model.cgroup import Limit
from nsview.model.record import record

# The kernel's constraint words (enum oom_constraint) -> nsview's.
CONSTRAINTS: dict[str, str] = {
    "CONSTRAINT_NONE": "host",
    "CONSTRAINT_CPUSET": "cpuset",
    "CONSTRAINT_MEMORY_POLICY": "memory policy",
    "CONSTRAINT_MEMCG": "cgroup",
}


@record
class KernelRecord:
    """One record of the kernel log. ``usec`` is printk's clock (microseconds since boot);
    ``wall`` is a date (epoch seconds) when the log itself carried one (dmesg -T, journalctl)."""

    text: str
    usec: int | None = None
    wall: float | None = None
    seq: int | None = None


@record
class OomKill:
    """One process the OOM killer killed, from the ``oom-kill:`` line and the ``Killed process``
    line of one kill (older kernels: the ``Task in ... killed as a result of limit of ...`` line)."""

    pid: int
    comm: str  # as the kernel wrote it: untrusted, may hold \\xNN escapes
    uid: int | None = None
    constraint: str | None = None  # one of CONSTRAINTS' values; None when the log does not say
    oom_memcg: str | None = None  # the cgroup whose limit was hit ("/" for a global OOM)
    task_memcg: str | None = None  # the victim's own cgroup
    cpuset: str | None = None
    total_vm_kb: int | None = None
    anon_rss_kb: int | None = None
    file_rss_kb: int | None = None
    shmem_rss_kb: int | None = None
    oom_score_adj: int | None = None
    usec: int | None = None
    wall: float | None = None  # when: the log's date, or boot time + usec
    complete: bool = True  # False when one of the kill's lines is missing (cut, wrapped)

    @property
    def rss_kb(self) -> int | None:
        parts = (self.anon_rss_kb, self.file_rss_kb, self.shmem_rss_kb)
        return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)

    @property
    def whose_limit(self) -> str:
        """ "own" (the victim's cgroup's limit), "ancestor" (a limit above it: ``oom_memcg``
        names it), "host" (the whole machine ran out), "cpuset", "memory policy" or "unknown"."""
        if self.constraint == "cgroup":
            if self.oom_memcg is None or self.task_memcg is None:
                return "unknown"
            return "own" if self.oom_memcg == self.task_memcg else "ancestor"
        return self.constraint or "unknown"


@record
class OomVictim:
    """A kill and the container its victim was in (from the cgroup path alone: the container may
    be gone), with the limit that was hit as it is now, when that cgroup still exists."""

    kill: OomKill
    runtime: str | None = None
    id: str | None = None
    name: str | None = None
    namespace: str | None = None  # containerd namespace
    pod_uid: str | None = None
    limit_now: Limit | None = None  # oom_memcg's own memory limit, read now
    limit_why: str | None = None  # why limit_now is missing ("cgroup is gone")


@record
class OomCounters:
    """The OOM counters of one cgroup on a target's memory path (own cgroup first), so a kill
    that scrolled out of the ring buffer is still counted. v2: memory.events; v1:
    memory.oom_control's oom_kill and memory.failcnt."""

    cgroup: str
    version: int
    oom: int | None = None  # v2 "oom": times the limit was hit and the OOM killer was asked
    oom_kill: int | None = None
    max: int | None = None  # v2 "max": times usage reached memory.max
    high: int | None = None  # v2 "high": times usage went over memory.high
    failcnt: int | None = None  # v1


@record
class OomReport:
    victims: tuple[OomVictim, ...]  # oldest first
    source: str  # "/dev/kmsg" or the --log file
    target: str | None = None  # the TARGET asked for, as given
    counters: tuple[OomCounters, ...] = ()
    log_error: str | None = None  # why the kernel log could not be read
    records: int = 0  # kernel log records read
    notes: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        return self.log_error is not None or bool(self.errors)
