"""cgroup limits of one process, on v1, v2 and hybrid hosts.

How a process's limits are found, without gluing "/sys/fs/cgroup/<controller>" together:
1. the reader's mountinfo lists every cgroup/cgroup2 mount, its root and (v1) its controllers;
2. /proc/PID/cgroup gives the process's path in each hierarchy (relative to the reader's cgroup
   namespace, possibly with "/.."); it is resolved by whole components and joined to the mount
   point relative to the mount's root, so it can never leave the mount (HARDENING rule 5);
3. the value files of that directory and of each ancestor up to the mount's root are decoded;
   the tightest ancestor limit is the effective one.

Parsers here are pure (text -> records, ParseError on a bad shape); reads go through
SysFS/KernelFS only. ``collect_cgroup`` is the library entry point other commands reuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TypeVar

from nsview.collect.cgroup_membership import parse_proc_cgroup
from nsview.collect.mountinfo import read_mountinfo
from nsview.collect.stat import read_stat
from nsview.errors import (
    NoSuchProcess,
    NotAvailable,
    NsviewError,
    ParseError,
    ZombieProcess,
)
from nsview.model.cgroup import (
    RESOURCES,
    CgroupMount,
    CgroupReport,
    CpuInfo,
    CpusetInfo,
    EffectiveLimit,
    IoDeviceLimit,
    IoInfo,
    Limit,
    MemoryInfo,
    PidsInfo,
    Placement,
)
from nsview.model.cgroup_path import CgroupMembership
from nsview.model.mount import Mount
from nsview.procfs import KernelFS, ProcFS, SysFS

T = TypeVar("T")

# statfs(2) f_type values (include/uapi/linux/magic.h).
CGROUP_SUPER_MAGIC = 0x0027E0EB
CGROUP2_SUPER_MAGIC = 0x63677270
TMPFS_MAGIC = 0x01021994

# v1 names the io controller "blkio"; everything else has the same name in both versions.
V1_CONTROLLER = {"memory": "memory", "cpu": "cpu", "cpuset": "cpuset", "pids": "pids", "io": "blkio"}

# Value files are tiny; a cap keeps a hostile snapshot from making us read gigabytes.
_VALUE_CAP = 1024 * 1024

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

# Limit files the kernel does not create in a hierarchy's root cgroup (CFTYPE_NOT_ON_ROOT in
# kernel/cgroup/pids.c, mm/memcontrol.c, kernel/sched/core.c): the root cannot be limited, so
# there a missing file means "unlimited". v1 memory and cpu keep theirs on the root ("-1", the
# PAGE_COUNTER_MAX sentinel); memory.memsw.* missing on the root means no swap accounting.
ROOT_HAS_NO = frozenset({"pids.max", "memory.max", "memory.high", "memory.swap.max", "cpu.max"})


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


# /proc/meminfo:  "MemTotal:       16303412 kB"
def parse_memtotal(text: str) -> int:
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * (1024 if parts[2:3] == ["kB"] else 1)
    raise ParseError("/proc/meminfo", "no MemTotal line")


# ---- paths -----------------------------------------------------------------------------------


def cgroup_components(path: str) -> tuple[str, ...]:
    """Resolve "." and ".." by whole components (cgroupfs has no symlinks, so this is exact).
    A ".." that climbs above the start is kept: "/../../x" -> ("..", "..", "x") means "outside
    the reader's cgroup namespace", and the caller decides what that can reach."""
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == ".." and out and out[-1] != "..":
            out.pop()
        else:
            out.append(part)
    return tuple(out)


def _join(parts: tuple[str, ...]) -> str:
    return "/" + "/".join(parts)


def host_location(path: str, sys: SysFS) -> tuple[KernelFS, str]:
    """A path as the host sees it (a mount point from mountinfo plus a cgroup) -> where to
    read it. Under /sys it is read below ``sys``'s root (so ``--sys-root fixtures/x/sys`` maps
    "/sys/fs/cgroup/memory" to "fixtures/x/sys/fs/cgroup/memory"); any other mount point (say
    "/cgroup/memory") is read below the parent of ``sys``'s root, which is "/" on a live host
    and the fixture tree's top otherwise."""
    parts = cgroup_components(path)
    if ".." in parts:
        raise NotAvailable(path, "path leaves the filesystem root")
    if parts[:1] == ("sys",):
        return sys, "/".join(parts[1:])
    return KernelFS(sys.root.parent), "/".join(parts)


# ---- mounts and mode -------------------------------------------------------------------------


def cgroup_mounts(mounts: tuple[Mount, ...]) -> tuple[CgroupMount, ...]:
    """The cgroup filesystems among the reader's mounts. For v1, the super options after
    "rw"/"ro" name the controllers of the hierarchy ("rw,cpu,cpuacct", "rw,name=systemd");
    options with "=" other than name= (release_agent=...) and flags are not controllers."""
    out: list[CgroupMount] = []
    flags = {"rw", "ro", "noprefix", "xattr", "clone_children", "cpuset_v2_mode", "favordynmods"}
    for m in mounts:
        if m.fstype == "cgroup2":
            out.append(CgroupMount(2, m.target, m.root, ()))
        elif m.fstype == "cgroup":
            ctrls = tuple(
                o for o in m.super_options if o not in flags and ("=" not in o or o.startswith("name="))
            )
            out.append(CgroupMount(1, m.target, m.root, ctrls))
    return tuple(out)


def detect_mode(mounts: tuple[CgroupMount, ...], magic: int | None) -> tuple[str, str]:
    """(mode, evidence). statfs of /sys/fs/cgroup is decisive when it says cgroup2 (a pure v2
    host); otherwise the mounts decide: v1 controllers plus a cgroup2 mount is hybrid."""
    v1 = [m for m in mounts if m.version == 1 and any(not c.startswith("name=") for c in m.controllers)]
    v2 = [m for m in mounts if m.version == 2]
    kind = {CGROUP2_SUPER_MAGIC: "cgroup2", CGROUP_SUPER_MAGIC: "cgroup", TMPFS_MAGIC: "tmpfs"}.get(
        magic or -1
    )
    evidence: list[str] = []
    if kind:
        evidence.append(f"statfs(/sys/fs/cgroup) is {kind}")
    if v1:
        evidence.append(f"{len(v1)} cgroup v1 controller mount(s)")
    if v2:
        evidence.append("cgroup2 at " + ", ".join(sorted({m.target for m in v2})))
    if not evidence:
        evidence.append("no cgroup mounts in mountinfo")
    if v1 and (v2 or kind == "cgroup2"):
        mode = "hybrid"
    elif v1:
        mode = "v1"
    elif v2 or kind == "cgroup2":
        mode = "v2"
    else:
        mode = "none"
    return mode, "; ".join(evidence)


def _pick_mount(
    candidates: list[CgroupMount], parts: tuple[str, ...]
) -> tuple[CgroupMount, tuple[str, ...]] | None:
    """The mount through which a cgroup is reachable, and the cgroup's path below its root.
    Prefer /sys/fs/cgroup, then the widest root (more ancestors visible)."""
    best: tuple[tuple[int, int], CgroupMount, tuple[str, ...]] | None = None
    for m in candidates:
        root = cgroup_components(m.root)
        if parts[: len(root)] != root:
            continue
        rest = parts[len(root) :]
        if ".." in rest:  # would climb out of the mount: never
            continue
        rank = (0 if m.target.startswith("/sys/fs/cgroup") else 1, len(root))
        if best is None or rank < best[0]:
            best = (rank, m, rest)
    return None if best is None else (best[1], best[2])


def place(
    resource: str,
    memberships: tuple[CgroupMembership, ...],
    mounts: tuple[CgroupMount, ...],
    v2_enabled: Callable[[str, str], str | None],
) -> Placement:
    """Where ``resource`` is controlled for this process. ``v2_enabled(directory, controller)``
    returns None when the controller is enabled for that v2 cgroup, or the reason it is not."""
    ctrl = V1_CONTROLLER[resource]
    for mb in memberships:
        if mb.hierarchy_id != 0 and ctrl in mb.controllers:
            cands = [m for m in mounts if m.version == 1 and set(mb.controllers) <= set(m.controllers)]
            return placement_for(resource, 1, ctrl, mb, cands)
    unified = next((mb for mb in memberships if mb.unified), None)
    v2_mounts = [m for m in mounts if m.version == 2]
    if unified is None or not v2_mounts:
        return Placement(resource, controller=resource, reason="controller not mounted")
    placed = placement_for(resource, 2, resource, unified, v2_mounts)
    if placed.available:
        why = v2_enabled(placed.directory or "", resource)
        if why:
            return Placement(
                resource,
                2,
                resource,
                unified.hierarchy_id,
                unified.path,
                placed.cgroup,
                placed.mount_point,
                placed.directory,
                why,
            )
    return placed


def placement_for(
    resource: str, version: int, ctrl: str, mb: CgroupMembership, cands: list[CgroupMount]
) -> Placement:
    """Where membership ``mb`` of controller ``ctrl`` lives on disk, among the candidate mounts
    of its hierarchy (also used for controllers nsview reads but does not report, e.g. freezer)."""
    base = dict(version=version, controller=ctrl, hierarchy_id=mb.hierarchy_id, path=mb.path)
    if not cands:
        return Placement(resource, **base, reason=f"controller {ctrl} not mounted in this mount namespace")
    parts = cgroup_components(mb.path)
    picked = _pick_mount(cands, parts)
    if picked is None:
        return Placement(
            resource,
            **base,
            cgroup=_join(parts),
            reason="cgroup is outside every mount of its hierarchy (another cgroup namespace?)",
        )
    mount, rest = picked
    directory = str(PurePosixPath(mount.target, *rest))
    return Placement(resource, **base, cgroup=_join(parts), mount_point=mount.target, directory=directory)


def _ancestors(placement: Placement, mount_root: str) -> list[tuple[str, str]]:
    """(cgroup path, directory) from the process's own cgroup up to the mount's root."""
    assert placement.cgroup is not None and placement.directory is not None
    parts = cgroup_components(placement.cgroup)
    depth = len(parts) - len(cgroup_components(mount_root))
    out = []
    directory = PurePosixPath(placement.directory)
    for i in range(depth + 1):
        out.append((_join(parts[: len(parts) - i]), str(directory)))
        directory = directory.parent
    return out


# ---- reading ---------------------------------------------------------------------------------


class _Files:
    """Value-file reads for one report: a missing file is None (not enabled, root cgroup, old
    kernel); anything else unreadable is recorded in ``errors`` and also None."""

    def __init__(self, sys: SysFS) -> None:
        self.sys = sys
        self.errors: dict[str, str] = {}
        self.failures = 0  # counts every failed read, also repeated ones of the same file
        self.roots: set[str] = set()  # directories of root cgroups ("/"): see ROOT_HAS_NO

    def root_unlimited(self, directory: str, name: str, failures: int) -> bool:
        """The file was missing (no read failed since ``failures``) from a root cgroup that
        never has it: the root cannot be limited."""
        return directory in self.roots and name in ROOT_HAS_NO and self.failures == failures

    def _fail(self, path: str, why: str) -> None:
        self.errors[path] = why
        self.failures += 1

    def text(self, directory: str, name: str) -> str | None:
        path = f"{directory}/{name}"
        try:
            fs, rel = host_location(path, self.sys)
            return fs.read_text(rel, _VALUE_CAP)
        except NotAvailable as err:
            if err.why != "does not exist":
                self._fail(path, err.why)
            return None
        except NsviewError as err:
            self._fail(path, err.message)
            return None

    def value(self, directory: str, name: str, parser: Callable[[str], T]) -> T | None:
        text = self.text(directory, name)
        if text is None:
            return None
        try:
            return parser(text)
        except ParseError as err:
            self._fail(f"{directory}/{name}", err.message)
            return None

    def limit(self, directory: str, name: str) -> Limit | None:
        failures = self.failures
        lim = self.value(directory, name, lambda t: decode_limit(t, name))
        if lim is None and self.root_unlimited(directory, name, failures):
            return Limit.none()
        return lim

    def count(self, directory: str, name: str) -> int | None:
        return self.value(directory, name, lambda t: parse_count(t, name))

    def keyed(self, directory: str, name: str) -> dict[str, int] | None:
        return self.value(directory, name, lambda t: parse_keyed(t, name))

    def word(self, directory: str, name: str) -> str | None:
        text = self.text(directory, name)
        return None if text is None else text.strip()

    def is_dir(self, directory: str) -> bool:
        try:
            fs, rel = host_location(directory, self.sys)
        except NotAvailable:
            return False
        return fs.is_dir(rel)


def _memory(f: _Files, d: str, version: int) -> MemoryInfo:
    if version == 1:
        limit = f.limit(d, "memory.limit_in_bytes")
        memsw = f.limit(d, "memory.memsw.limit_in_bytes")
        stat = f.keyed(d, "memory.stat") or {}
        oom = f.keyed(d, "memory.oom_control") or {}
        hier = stat.get("hierarchical_memory_limit")
        return MemoryInfo(
            limit=limit,
            soft_limit=f.limit(d, "memory.soft_limit_in_bytes"),
            memsw=memsw,
            swap=_difference(memsw, limit),
            usage=f.count(d, "memory.usage_in_bytes"),
            peak=f.count(d, "memory.max_usage_in_bytes"),
            failcnt=f.count(d, "memory.failcnt"),
            oom_kill=oom.get("oom_kill"),
            inactive_file=stat.get("total_inactive_file", stat.get("inactive_file")),
            hierarchical_limit=None if hier is None else decode_limit(str(hier)),
        )
    limit = f.limit(d, "memory.max")
    swap = f.limit(d, "memory.swap.max")
    events = f.keyed(d, "memory.events") or {}
    stat = f.keyed(d, "memory.stat") or {}
    return MemoryInfo(
        limit=limit,
        high=f.limit(d, "memory.high"),
        swap=swap,
        memsw=_sum(limit, swap),
        usage=f.count(d, "memory.current"),
        peak=f.count(d, "memory.peak"),
        oom_events=events.get("oom"),
        oom_kill=events.get("oom_kill"),
        inactive_file=stat.get("inactive_file"),
    )


def _difference(memsw: Limit | None, mem: Limit | None) -> Limit | None:
    # v1 swap alone = (memory+swap) - memory; the kernel keeps memsw >= memory.
    if memsw is None or mem is None:
        return None
    if memsw.unlimited or mem.unlimited or memsw.value is None or mem.value is None:
        return Limit.none()
    return Limit(max(memsw.value - mem.value, 0))


def _sum(mem: Limit | None, swap: Limit | None) -> Limit | None:
    # v2 memory+swap = memory.max + memory.swap.max (what docker's --memory-swap set).
    if mem is None or swap is None:
        return None
    if mem.unlimited or swap.unlimited or mem.value is None or swap.value is None:
        return Limit.none()
    return Limit(mem.value + swap.value)


def _cpu(f: _Files, d: str, version: int) -> CpuInfo:
    if version == 1:
        return CpuInfo(
            quota_us=f.limit(d, "cpu.cfs_quota_us"),
            period_us=f.count(d, "cpu.cfs_period_us"),
            shares=f.count(d, "cpu.shares"),
        )
    failures = f.failures
    quota_period = f.value(d, "cpu.max", parse_cpu_max)
    if quota_period is None and f.root_unlimited(d, "cpu.max", failures):
        return CpuInfo(quota_us=Limit.none(), weight=f.count(d, "cpu.weight"))
    return CpuInfo(
        quota_us=None if quota_period is None else quota_period[0],
        period_us=None if quota_period is None else quota_period[1],
        weight=f.count(d, "cpu.weight"),
    )


def _cpuset(f: _Files, d: str, version: int) -> CpusetInfo:
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


def _pids(f: _Files, d: str) -> PidsInfo:
    return PidsInfo(max=f.limit(d, "pids.max"), current=f.count(d, "pids.current"))


def _io(f: _Files, d: str, version: int) -> IoInfo:
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
        for dev, lim in (f.value(d, fname, lambda t, n=fname: parse_blkio_throttle(t, n)) or {}).items():
            per_dev.setdefault(dev, {})[key] = lim
    limits = tuple(IoDeviceLimit(dev, **vals) for dev, vals in sorted(per_dev.items()))
    weight = f.value(d, "blkio.weight", lambda t: parse_weight(t, "blkio.weight"))
    if weight is None:
        weight = f.value(d, "blkio.bfq.weight", lambda t: parse_weight(t, "blkio.bfq.weight"))
    return IoInfo(tuple(lim for lim in limits if _any_set(lim)), weight)


def _any_set(lim: IoDeviceLimit) -> bool:
    return not all(x.unlimited for x in (lim.rbps, lim.wbps, lim.riops, lim.wiops))


def _effective(
    f: _Files, chain: list[tuple[str, str]], read: Callable[[str], Limit | None]
) -> EffectiveLimit | None:
    """Tightest limit over the chain (own cgroup first). None when no cgroup has the file."""
    best: Limit | None = None
    setter: str | None = None
    for cgroup, directory in chain:
        failures = f.failures
        lim = read(directory)
        if f.failures > failures:
            return None  # one unreadable link and the tightest limit is unknown: do not guess
        if lim is None:
            continue
        if lim.unlimited:
            best = best or lim
        elif best is None or lim.tighter_than(best):
            best, setter = lim, cgroup  # strictly tighter only: on a tie the nearest cgroup wins
    if best is None:
        return None
    return EffectiveLimit(best, setter, setter is not None and setter == chain[0][0], chain[-1][0])


def _effective_cpu(f: _Files, chain: list[tuple[str, str]], version: int) -> EffectiveLimit | None:
    """CPU limits compare as quota/period; the result carries the quota in CPU millionths
    (quota * 1e6 / period), so a 50000/100000 quota is 500000 (= 0.5 CPUs)."""

    def read(d: str) -> Limit | None:
        info = _cpu(f, d, version)
        if info.quota_us is None:
            return None
        if info.quota_us.unlimited or not info.period_us:
            return Limit.none()
        assert info.quota_us.value is not None
        return Limit(info.quota_us.value * 1_000_000 // info.period_us)

    return _effective(f, chain, read)


def _v2_enabled(f: _Files, mount_root_dir: Callable[[str], str]) -> Callable[[str, str], str | None]:
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


def _read_memberships(proc: ProcFS, pid: int, f: _Files) -> tuple[CgroupMembership, ...]:
    """/proc/PID/cgroup, line by line: a malformed line is reported and skipped (HARDENING #18),
    the other hierarchies still count."""
    out: list[CgroupMembership] = []
    for line in proc.pid_read(pid, "cgroup").split(b"\n"):
        try:
            out.extend(parse_proc_cgroup(line))
        except ParseError as err:
            f._fail(f"/proc/{pid}/cgroup", err.message)
    return tuple(out)


def collect_cgroup(
    proc: ProcFS,
    sys: SysFS,
    pid: int,
    resources: tuple[str, ...] = RESOURCES,
    reader_mounts: tuple[Mount, ...] | None = None,
) -> CgroupReport:
    """Everything nsview knows about the cgroup limits of ``pid`` (library entry point).
    ``resources`` narrows the work to some of RESOURCES (``nsview ps`` needs only memory);
    ``reader_mounts`` is nsview's own mountinfo when the caller has read it already (a scan
    asks for many processes, and the cgroup mounts do not change between them).

    Raises NoSuchProcess when the process does not exist or exits while being read; a
    controller that is not mounted or not enabled is a Placement with a ``reason``, not an
    error. ``CgroupReport.memory_limit`` is the headline (effective memory limit)."""
    f = _Files(sys)
    # A zombie's v1 memberships are moved to the root cgroup when it exits (cgroup_exit): its
    # /proc/PID/cgroup then names "/", whose usage is the whole host's, not the process's.
    if read_stat(proc, pid).zombie:
        raise ZombieProcess(pid)
    memberships = _read_memberships(proc, pid, f)
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
        # HARDENING #11: mountinfo shows a cgroup mount's root relative to the reader's cgroup
        # namespace; "/.." means nsview itself runs inside one.
        notes.append(
            "nsview runs inside a cgroup namespace: cgroup paths are relative to its root "
            '("/.." climbs above it); run nsview from the host\'s cgroup namespace for full paths'
        )

    sections: dict[str, object] = {}
    effective: dict[str, EffectiveLimit] = {}
    gone: list[str] = []
    for p in placements:
        if not p.available:
            continue
        assert p.directory is not None and p.version is not None
        d, v = p.directory, p.version
        if not f.is_dir(d):
            gone.append(p.cgroup or d)
            continue
        chain = _ancestors(p, mount_roots.get((v, p.mount_point or ""), "/"))
        f.roots.update(directory for cgroup, directory in chain if cgroup == "/")
        if p.resource == "memory":
            sections["memory"] = _memory(f, d, v)
            name = "memory.limit_in_bytes" if v == 1 else "memory.max"
            _put(effective, "memory", _effective(f, chain, lambda x: f.limit(x, name)))
            swap_name = "memory.memsw.limit_in_bytes" if v == 1 else "memory.swap.max"
            _put(
                effective,
                "memsw" if v == 1 else "swap",
                _effective(f, chain, lambda x: f.limit(x, swap_name)),
            )
        elif p.resource == "cpu":
            sections["cpu"] = _cpu(f, d, v)
            _put(effective, "cpu", _effective_cpu(f, chain, v))
        elif p.resource == "cpuset":
            sections["cpuset"] = _cpuset(f, d, v)
        elif p.resource == "pids":
            sections["pids"] = _pids(f, d)
            _put(effective, "pids", _effective(f, chain, lambda x: f.limit(x, "pids.max")))
        elif p.resource == "io":
            sections["io"] = _io(f, d, v)
        if not f.is_dir(d):
            gone.append(p.cgroup or d)

    # The other half of memory+swap, derived from the effective limits the same way the own
    # cgroup's is (v1: swap = memsw - memory; v2: memsw = memory + swap): both come in pairs.
    derived = None
    if "memory" in effective and "memsw" in effective:
        derived = "swap"
        _put(effective, "swap", _derived(effective["memsw"], effective["memory"], _difference))
    elif "memory" in effective and "swap" in effective:
        derived = "memsw"
        _put(
            effective,
            "memsw",
            _derived(effective["swap"], effective["memory"], lambda sw, mem: _sum(mem, sw)),
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


# How the notes name each effective limit.
_LABELS = {"memory": "memory", "memsw": "memory+swap", "swap": "swap", "cpu": "cpu", "pids": "pids"}


def _derived(
    other: EffectiveLimit, memory: EffectiveLimit, combine: Callable[[Limit, Limit], Limit | None]
) -> EffectiveLimit | None:
    """An effective limit computed from ``other`` (v1 memsw, v2 swap) and memory; it names the
    cgroup that sets ``other``, the one limit of the pair that concerns swap."""
    limit = combine(other.limit, memory.limit)
    if limit is None:
        return None
    if limit.unlimited:
        return EffectiveLimit(limit, None, False, other.visible_top)
    return EffectiveLimit(limit, other.cgroup, other.own, other.visible_top)


def _put(effective: dict[str, EffectiveLimit], key: str, value: EffectiveLimit | None) -> None:
    if value is not None:
        effective[key] = value
