"""cgroup limits of one process, on v1, v2 and hybrid hosts.

How a process's limits are found, without gluing "/sys/fs/cgroup/<controller>" together:
1. the reader's mountinfo lists every cgroup/cgroup2 mount, its root and (v1) its controllers;
2. /proc/PID/cgroup gives the process's path in each hierarchy (relative to the reader's cgroup
   namespace, possibly with "/.."); it is resolved by whole components and joined to the mount
   point relative to the mount's root, so it can never leave the mount (docs/hardening.md, rule 5);
3. the value files of that directory and of each ancestor up to the mount's root are decoded;
   the tightest ancestor limit is the effective one.

Placement and the tightest limit are pure (model/cgroup_placement.py), value files are parsed
by parse/cgroupfs.py and read by read/cgroupfs.py; this module puts them together.
``collect_cgroup`` is the library entry point other commands reuse (ps, diff).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from nsview.errors import (
    NoSuchProcess,
    NsviewError,
    ZombieProcess,
)
from nsview.model.cgroup import (
    PRESSURE_RESOURCES,
    RESOURCES,
    CgroupMembership,
    CgroupMount,
    CgroupNamespace,
    CgroupPressure,
    CgroupReport,
    CpuInfo,
    CpusetInfo,
    DelegationStep,
    EffectiveLimit,
    IoDeviceLimit,
    IoInfo,
    Limit,
    MemoryInfo,
    PidsInfo,
    Placement,
)
from nsview.model.cgroup_placement import (
    ancestors,
    cgroup_components,
    cgroup_mounts,
    derived_limit,
    detect_mode,
    memsw_from_swap,
    place,
    swap_from_memsw,
    tightest,
)
from nsview.model.mount import Mount
from nsview.parse.cgroup_controllers import parse_controller_list
from nsview.parse.cgroupfs import (
    decode_limit,
    parse_blkio_throttle,
    parse_cpu_max,
    parse_io_max,
    parse_weight,
)
from nsview.parse.cpu_stat import parse_cpu_stat
from nsview.parse.meminfo import parse_memtotal
from nsview.parse.memory_stat import parse_memory_stat
from nsview.parse.ns_link import parse_ns_link
from nsview.parse.pressure import parse_pressure
from nsview.procfs import KernelFS, ProcFS
from nsview.read.cgroupfs import CgroupFiles, read_memberships
from nsview.read.namespaces import host_reference
from nsview.read.process import read_mountinfo, read_stat

T = TypeVar("T")


# ---- paths -----------------------------------------------------------------------------------


# ---- mounts and mode -------------------------------------------------------------------------


# ---- reading ---------------------------------------------------------------------------------


def _memory(f: CgroupFiles, d: str, version: int) -> MemoryInfo:
    stat = f.value(d, "memory.stat", lambda t: parse_memory_stat(t, version))
    inactive = None if stat is None else stat.inactive_file
    if version == 1:
        limit = f.limit(d, "memory.limit_in_bytes")
        memsw = f.limit(d, "memory.memsw.limit_in_bytes")
        oom = f.keyed(d, "memory.oom_control") or {}
        hier = None if stat is None else stat.hierarchical_limit
        return MemoryInfo(
            limit=limit,
            soft_limit=f.limit(d, "memory.soft_limit_in_bytes"),
            memsw=memsw,
            swap=swap_from_memsw(memsw, limit),
            usage=f.count(d, "memory.usage_in_bytes"),
            peak=f.count(d, "memory.max_usage_in_bytes"),
            failcnt=f.count(d, "memory.failcnt"),
            oom_kill=oom.get("oom_kill"),
            inactive_file=inactive,
            hierarchical_limit=None if hier is None else decode_limit(str(hier)),
            stat=stat,
        )
    limit = f.limit(d, "memory.max")
    swap = f.limit(d, "memory.swap.max")
    events = f.keyed(d, "memory.events") or {}
    return MemoryInfo(
        limit=limit,
        high=f.limit(d, "memory.high"),
        low=f.limit(d, "memory.low"),
        min=f.limit(d, "memory.min"),
        swap=swap,
        memsw=memsw_from_swap(limit, swap),
        usage=f.count(d, "memory.current"),
        peak=f.count(d, "memory.peak"),
        high_events=events.get("high"),
        max_events=events.get("max"),
        oom_events=events.get("oom"),
        oom_kill=events.get("oom_kill"),
        inactive_file=inactive,
        stat=stat,
    )


def _cpu(f: CgroupFiles, d: str, version: int, with_stat: bool = True) -> CpuInfo:
    stat = f.value(d, "cpu.stat", lambda t: parse_cpu_stat(t, version)) if with_stat else None
    if version == 1:
        return CpuInfo(
            quota_us=f.limit(d, "cpu.cfs_quota_us"),
            period_us=f.count(d, "cpu.cfs_period_us"),
            shares=f.count(d, "cpu.shares"),
            stat=stat,
        )
    failures = f.failures
    quota_period = f.value(d, "cpu.max", parse_cpu_max)
    if quota_period is None and f.root_unlimited(d, "cpu.max", failures):
        return CpuInfo(quota_us=Limit.none(), weight=f.count(d, "cpu.weight"), stat=stat)
    return CpuInfo(
        quota_us=None if quota_period is None else quota_period[0],
        period_us=None if quota_period is None else quota_period[1],
        weight=f.count(d, "cpu.weight"),
        stat=stat,
    )


def _cpuset(f: CgroupFiles, d: str, version: int) -> CpusetInfo:
    if version == 1:
        return CpusetInfo(
            f.word(d, "cpuset.cpus"),
            f.word(d, "cpuset.mems"),
            f.word(d, "cpuset.effective_cpus"),
            f.word(d, "cpuset.effective_mems"),
        )
    return CpusetInfo(
        f.word(d, "cpuset.cpus"),
        f.word(d, "cpuset.mems"),
        f.word(d, "cpuset.cpus.effective"),
        f.word(d, "cpuset.mems.effective"),
    )


def _pids(f: CgroupFiles, d: str) -> PidsInfo:
    return PidsInfo(max=f.limit(d, "pids.max"), current=f.count(d, "pids.current"))


def _io(f: CgroupFiles, d: str, version: int) -> IoInfo:
    if version == 2:
        limits = f.value(d, "io.max", parse_io_max) or ()
        return IoInfo(tuple(lim for lim in limits if _any_set(lim)), f.value(d, "io.weight", parse_weight))
    per_dev: dict[str, dict[str, Limit]] = {}
    for key, name in (
        ("rbps", "read_bps"),
        ("wbps", "write_bps"),
        ("riops", "read_iops"),
        ("wiops", "write_iops"),
    ):
        fname = f"blkio.throttle.{name}_device"
        for dev, lim in (
            f.value(d, fname, functools.partial(parse_blkio_throttle, what=fname)) or {}
        ).items():
            per_dev.setdefault(dev, {})[key] = lim
    limits = tuple(IoDeviceLimit(dev, **vals) for dev, vals in sorted(per_dev.items()))
    weight = f.value(d, "blkio.weight", lambda t: parse_weight(t, "blkio.weight"))
    if weight is None:
        weight = f.value(d, "blkio.bfq.weight", lambda t: parse_weight(t, "blkio.bfq.weight"))
    return IoInfo(tuple(lim for lim in limits if _any_set(lim)), weight)


def _any_set(lim: IoDeviceLimit) -> bool:
    return not all(x.unlimited for x in (lim.rbps, lim.wbps, lim.riops, lim.wiops))


def _effective(
    f: CgroupFiles, chain: list[tuple[str, str]], read: Callable[[str], Limit | None]
) -> EffectiveLimit | None:
    """Read one limit along the chain (own cgroup first) and take the tightest. None when no
    cgroup has the file, or when one link could not be read: then the tightest is unknown."""
    links: list[tuple[str, Limit | None]] = []
    for cgroup, directory in chain:
        failures = f.failures
        links.append((cgroup, read(directory)))
        if f.failures > failures:
            return None  # do not guess
    return tightest(links)


def _effective_cpu(f: CgroupFiles, chain: list[tuple[str, str]], version: int) -> EffectiveLimit | None:
    """CPU limits compare as quota/period; the result carries the quota in CPU millionths
    (quota * 1e6 / period), so a 50000/100000 quota is 500000 (= 0.5 CPUs)."""

    def read(d: str) -> Limit | None:
        info = _cpu(f, d, version, with_stat=False)
        if info.quota_us is None:
            return None
        if info.quota_us.unlimited or not info.period_us:
            return Limit.none()
        assert info.quota_us.value is not None
        return Limit(info.quota_us.value * 1_000_000 // info.period_us)

    return _effective(f, chain, read)


def _v2_enabled(f: CgroupFiles, mount_root_dir: Callable[[str], str]) -> Callable[[str, str], str | None]:
    def check(directory: str, controller: str) -> str | None:
        own = f.word(directory, "cgroup.controllers")
        if own is not None and controller in own.split():
            return None
        if own is None and not f.is_dir(directory):
            return None  # the cgroup is gone: reported as such by the caller, not as "not enabled"
        top = f.word(mount_root_dir(directory), "cgroup.controllers")
        if top is not None and controller not in top.split():
            return f"{controller} controller not available in the cgroup2 hierarchy (bound to v1 or disabled)"
        if own is None:
            return "cgroup.controllers not readable"
        return f"{controller} controller not enabled for this cgroup (parent's cgroup.subtree_control)"

    return check


def collect_cgroup(
    proc: ProcFS,
    sys: KernelFS,
    pid: int,
    resources: tuple[str, ...] = RESOURCES,
    reader_mounts: tuple[Mount, ...] | None = None,
    *,
    details: bool = True,
) -> CgroupReport:
    """Everything nsview knows about the cgroup limits of ``pid`` (library entry point).
    ``resources`` narrows the work to some of RESOURCES (``nsview ps`` needs only memory);
    ``reader_mounts`` is nsview's own mountinfo when the caller has read it already (a scan
    asks for many processes, and the cgroup mounts do not change between them). ``details``
    adds what only ``nsview cgroup`` shows: pressure (PSI), delegation along the path and the
    cgroup namespace.

    Raises NoSuchProcess when the process does not exist or exits while being read; a
    controller that is not mounted or not enabled is a Placement with a ``reason``, not an
    error. ``CgroupReport.memory_limit`` is the headline (effective memory limit)."""
    f = CgroupFiles(sys)
    # A zombie's v1 memberships are moved to the root cgroup when it exits (cgroup_exit): its
    # /proc/PID/cgroup then names "/", whose usage is the whole host's, not the process's.
    if read_stat(proc, pid).zombie:
        raise ZombieProcess(pid)
    memberships = read_memberships(proc, pid, f)
    mounts = cgroup_mounts(read_mountinfo(proc, "self") if reader_mounts is None else reader_mounts)
    mode, evidence = detect_mode(mounts, sys.fs_magic("fs/cgroup"))
    notes: list[str] = []

    def v2_root_dir(directory: str) -> str:
        for m in mounts:
            if m.version == 2 and (directory == m.target or directory.startswith(m.target.rstrip("/") + "/")):
                return m.target
        return directory

    placements = tuple(place(r, memberships, mounts, _v2_enabled(f, v2_root_dir)) for r in resources)
    mount_roots = {(m.version, m.target): m.root for m in mounts}
    if any(".." in cgroup_components(m.root) for m in mounts):
        # docs/hardening.md, row 11: mountinfo shows a cgroup mount's root relative to the reader's cgroup
        # namespace; "/.." means nsview itself runs inside one.
        notes.append(
            "nsview runs inside a cgroup namespace: cgroup paths are relative to its root "
            '("/.." climbs above it); run nsview from the host\'s cgroup namespace for full paths'
        )

    sections: dict[str, object] = {}
    effective: dict[str, EffectiveLimit] = {}
    gone: list[str] = []
    v2_dirs: dict[str, str] = {}  # v2 cgroup -> directory, the own cgroup and its ancestors
    v2_own: str | None = None
    for p in placements:
        if not p.available:
            continue
        assert p.directory is not None and p.version is not None
        d, v = p.directory, p.version
        if not f.is_dir(d):
            gone.append(p.cgroup or d)
            continue
        chain = ancestors(p, mount_roots.get((v, p.mount_point or ""), "/"))
        f.roots.update(directory for cgroup, directory in chain if cgroup == "/")
        if v == 2:
            v2_dirs.update(chain)
            v2_own = p.cgroup
        if p.resource == "memory":
            sections["memory"] = _memory(f, d, v)
            mem_file = "memory.limit_in_bytes" if v == 1 else "memory.max"
            swap_file = "memory.memsw.limit_in_bytes" if v == 1 else "memory.swap.max"
            _put(effective, "memory", _effective(f, chain, _limit_reader(f, mem_file)))
            _put(effective, "memsw" if v == 1 else "swap", _effective(f, chain, _limit_reader(f, swap_file)))
        elif p.resource == "cpu":
            sections["cpu"] = _cpu(f, d, v)
            _put(effective, "cpu", _effective_cpu(f, chain, v))
        elif p.resource == "cpuset":
            sections["cpuset"] = _cpuset(f, d, v)
        elif p.resource == "pids":
            sections["pids"] = _pids(f, d)
            _put(effective, "pids", _effective(f, chain, _limit_reader(f, "pids.max")))
        elif p.resource == "io":
            sections["io"] = _io(f, d, v)
        if not f.is_dir(d):
            gone.append(p.cgroup or d)

    # The other half of memory+swap, derived from the effective limits the same way the own
    # cgroup's is (v1: swap = memsw - memory; v2: memsw = memory + swap): both come in pairs.
    derived = None
    if "memory" in effective and "memsw" in effective:
        derived = "swap"
        _put(effective, "swap", derived_limit(effective["memsw"], effective["memory"], swap_from_memsw))
    elif "memory" in effective and "swap" in effective:
        derived = "memsw"
        _put(
            effective,
            "memsw",
            derived_limit(effective["swap"], effective["memory"], lambda sw, mem: memsw_from_swap(mem, sw)),
        )

    if gone:
        if not proc.pid_exists(pid):
            raise NoSuchProcess(
                pid, f"process {pid} exited while its cgroups were being read (container stopped?)"
            )
        for cg in dict.fromkeys(gone):
            notes.append(
                f"cgroup {cg} is gone: it was removed while being read (container stopped?); values missing"
            )

    extras: dict[str, object] = {}
    if details:
        extras = _v2_details(f, placements, mounts, mount_roots, v2_dirs, v2_own, effective, mode)
        extras["cgroup_namespace"] = _cgroup_namespace(proc, pid)

    host_memory = None
    try:
        host_memory = parse_memtotal(proc.read_text("meminfo"))
    except NsviewError as err:
        f.errors["/proc/meminfo"] = err.message

    report = CgroupReport(
        pid=pid,
        mode=mode,
        mode_evidence=evidence,
        placements=placements,
        memory=sections.get("memory"),  # type: ignore[arg-type]
        cpu=sections.get("cpu"),  # type: ignore[arg-type]
        cpuset=sections.get("cpuset"),  # type: ignore[arg-type]
        pids=sections.get("pids"),  # type: ignore[arg-type]
        io=sections.get("io"),  # type: ignore[arg-type]
        effective=effective,
        host_memory=host_memory,
        errors=dict(f.errors),
        gone=tuple(dict.fromkeys(gone)),
        notes=tuple(notes),
        **extras,  # type: ignore[arg-type]
    )
    for key, label in _LABELS.items():
        eff = effective.get(key)
        if key != derived and eff is not None and not eff.own and eff.cgroup is not None:
            notes.append(
                f"{label} is limited by ancestor cgroup {eff.cgroup}, not by the process's own cgroup"
            )
    if report.above_physical_memory:
        notes.append("the effective memory limit is above the host's physical memory (MemTotal)")
    if notes != list(report.notes):
        from dataclasses import replace

        report = replace(report, notes=tuple(notes))
    if read_stat(proc, pid).zombie:
        raise ZombieProcess(pid)  # it exited while being read: the numbers may be the root's
    return report


class MemoryLimits:
    """The effective memory limit of many processes at once (`nsview ps`'s MEMORY column), from
    what a scan already holds: each process's memberships and the reader's mountinfo, read once.
    Only ``memory.max`` (v1: ``memory.limit_in_bytes``) of the own cgroup and its ancestors is
    read, and each directory once per scan: the ancestors (``/docker``, ``system.slice``, the
    root) are shared by many containers. The value is the one ``collect_cgroup`` would give as
    ``memory_limit``, or its own cgroup's limit with no setter when an ancestor is unreadable."""

    def __init__(self, sys: KernelFS, reader_mounts: tuple[Mount, ...]) -> None:
        self.f = CgroupFiles(sys)
        self.mounts = cgroup_mounts(reader_mounts)
        self.mount_roots = {(m.version, m.target): m.root for m in self.mounts}
        self._read: dict[tuple[str, str], tuple[Limit | None, bool]] = {}  # (dir, file) -> (limit, failed)

    def _v2_root_dir(self, directory: str) -> str:
        for m in self.mounts:
            if m.version == 2 and (directory == m.target or directory.startswith(m.target.rstrip("/") + "/")):
                return m.target
        return directory

    def _limit(self, directory: str, name: str) -> tuple[Limit | None, bool]:
        key = (directory, name)
        if key not in self._read:
            failures = self.f.failures
            lim = self.f.limit(directory, name)
            self._read[key] = (lim, self.f.failures > failures)
        return self._read[key]

    def of(self, memberships: tuple[CgroupMembership, ...]) -> tuple[EffectiveLimit | None, str | None]:
        """(effective limit, None) or (None, why there is none)."""
        p = place("memory", memberships, self.mounts, _v2_enabled(self.f, self._v2_root_dir))
        if not p.available or p.directory is None or p.version is None or not self.f.is_dir(p.directory):
            return None, "memory controller not available"
        name = "memory.limit_in_bytes" if p.version == 1 else "memory.max"
        chain = ancestors(p, self.mount_roots.get((p.version, p.mount_point or ""), "/"))
        self.f.roots.update(directory for cgroup, directory in chain if cgroup == "/")
        links: list[tuple[str, Limit | None]] = []
        for cgroup, directory in chain:
            lim, failed = self._limit(directory, name)
            if failed:
                break  # one link unreadable: the tightest is unknown, do not guess
            links.append((cgroup, lim))
        else:
            effective = tightest(links)
            if effective is not None:
                return effective, None
        own = self._limit(p.directory, name)[0]
        if own is None:
            return None, "memory controller not available"
        return EffectiveLimit(own, None, False, p.cgroup or "/"), None


# How the notes name each effective limit.
_LABELS = {"memory": "memory", "memsw": "memory+swap", "swap": "swap", "cpu": "cpu", "pids": "pids"}


def _limit_reader(f: CgroupFiles, name: str) -> Callable[[str], Limit | None]:
    """Reads limit file ``name`` of a cgroup directory: one chain link of ``_effective``."""
    return lambda directory: f.limit(directory, name)


def _put(effective: dict[str, EffectiveLimit], key: str, value: EffectiveLimit | None) -> None:
    if value is not None:
        effective[key] = value


# The controllers whose delegation along the path decides whether a limit can bind there.
_ENFORCE = ("memory", "cpu", "cpuset", "pids", "io")


def _v2_details(
    f: CgroupFiles,
    placements: tuple[Placement, ...],
    mounts: tuple[CgroupMount, ...],
    mount_roots: dict[tuple[int, str], str],
    v2_dirs: dict[str, str],
    v2_own: str | None,
    effective: dict[str, EffectiveLimit],
    mode: str,
) -> dict[str, object]:
    """Pressure of the own cgroup and of the ancestors that bind it, and the controllers along
    the path: both v2 only. v1 has neither (PSI exists only as cgroup2 files)."""
    v2 = next((p for p in placements if p.version == 2 and p.directory and p.cgroup is not None), None)
    if v2 is None:
        why = "not on v1: pressure and delegation are cgroup v2 interfaces"
        if mode == "none":
            why = "no cgroup mounted"
        return {"pressure_reason": why, "delegation_reason": why}
    assert v2.directory is not None and v2.cgroup is not None
    if not f.is_dir(v2.directory):  # removed meanwhile: the collector says "gone" in a note
        why = "the cgroup was removed while being read"
        return {"pressure_reason": why, "delegation_reason": why}
    chain = ancestors(v2, mount_roots.get((2, v2.mount_point or ""), "/"))
    dirs = dict(chain) | v2_dirs
    own = v2_own if v2_own is not None else v2.cgroup
    steps = tuple(
        DelegationStep(
            cg,
            f.value(d, "cgroup.controllers", parse_controller_list),
            f.value(
                d, "cgroup.subtree_control", lambda t: parse_controller_list(t, "cgroup.subtree_control")
            ),
        )
        for cg, d in reversed(chain)
    )
    binds: dict[str, list[str]] = {own: []}
    for key in ("memory", "cpu", "pids"):
        eff = effective.get(key)
        if eff is not None and eff.cgroup is not None and not eff.own and eff.cgroup in dirs:
            binds.setdefault(eff.cgroup, []).append(key)
    pressure: list[CgroupPressure] = []
    for cg, what in binds.items():
        found = tuple(
            pr
            for r in PRESSURE_RESOURCES
            if (
                pr := f.value(
                    dirs.get(cg, v2.directory), f"{r}.pressure", functools.partial(parse_pressure, resource=r)
                )
            )
            is not None
        )
        if found:
            pressure.append(CgroupPressure(cg, tuple(what), found))
    no_psi: str | None = None
    if not pressure and not f.is_dir(v2.directory):
        no_psi = "the cgroup was removed while being read"
    elif not pressure:
        no_psi = "no pressure files (a kernel without CONFIG_PSI, or booted with psi=0)"
    return {
        "pressure": tuple(pressure),
        "pressure_reason": no_psi,
        "delegation": steps,
        "delegation_reason": None,
    }


def _cgroup_namespace(proc: ProcFS, pid: int) -> CgroupNamespace | None:
    """The process's cgroup namespace; private when it is not the host reference's."""
    try:
        mine = parse_ns_link(proc.pid_readlink(pid, "ns/cgroup"))
    except NoSuchProcess:
        raise
    except NsviewError:
        return None
    host = host_reference(proc).namespaces.get("cgroup")
    return CgroupNamespace(str(mine), None if host is None else host != mine)
