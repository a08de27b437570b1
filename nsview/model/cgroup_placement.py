"""Where a process's cgroups are, and which one binds: pure logic over records.

1. the reader's mountinfo lists every cgroup/cgroup2 mount, its root and (v1) its controllers;
2. /proc/PID/cgroup gives the process's path in each hierarchy (relative to the reader's cgroup
   namespace, possibly with "/.."); it is resolved by whole components and joined to the mount
   point relative to the mount's root, so it can never leave the mount (docs/hardening.md, rule 5);
3. from the process's own cgroup up to the mount's root, the tightest limit is the effective one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TypedDict

from nsview.model.cgroup import CgroupMembership, CgroupMount, EffectiveLimit, Limit, Placement
from nsview.model.mount import Mount

# statfs(2) f_type values (include/uapi/linux/magic.h).
CGROUP_SUPER_MAGIC = 0x0027E0EB


CGROUP2_SUPER_MAGIC = 0x63677270


TMPFS_MAGIC = 0x01021994


# v1 names the io controller "blkio"; everything else has the same name in both versions.
V1_CONTROLLER = {"memory": "memory", "cpu": "cpu", "cpuset": "cpuset", "pids": "pids", "io": "blkio"}


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


def cgroup_mounts(mounts: tuple[Mount, ...]) -> tuple[CgroupMount, ...]:
    """The cgroup filesystems among the reader's mounts. For v1, the super options after
    "rw"/"ro" name the controllers of the hierarchy ("rw,cpu,cpuacct", "rw,name=systemd");
    options with "=" other than name= (release_agent=...) and flags are not controllers. Nor is
    ``seclabel``: SELinux appends it to every filesystem that supports labels (RHEL, Fedora), so
    a name-only hierarchy ("rw,seclabel,name=systemd") must not count as a controller mount."""
    out: list[CgroupMount] = []
    flags = {"rw", "ro", "noprefix", "xattr", "clone_children", "cpuset_v2_mode", "favordynmods", "seclabel"}
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


class _Membership(TypedDict):
    """The Placement fields every answer of placement_for shares."""

    version: int
    controller: str
    hierarchy_id: int
    path: str


def placement_for(
    resource: str, version: int, ctrl: str, mb: CgroupMembership, cands: list[CgroupMount]
) -> Placement:
    """Where membership ``mb`` of controller ``ctrl`` lives on disk, among the candidate mounts
    of its hierarchy (also used for controllers nsview reads but does not report, e.g. freezer)."""
    base = _Membership(version=version, controller=ctrl, hierarchy_id=mb.hierarchy_id, path=mb.path)
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


def ancestors(placement: Placement, mount_root: str) -> list[tuple[str, str]]:
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


def swap_from_memsw(memsw: Limit | None, mem: Limit | None) -> Limit | None:
    # v1 swap alone = (memory+swap) - memory; the kernel keeps memsw >= memory.
    if memsw is None or mem is None:
        return None
    if memsw.unlimited or mem.unlimited or memsw.value is None or mem.value is None:
        return Limit.none()
    return Limit(max(memsw.value - mem.value, 0))


def memsw_from_swap(mem: Limit | None, swap: Limit | None) -> Limit | None:
    # v2 memory+swap = memory.max + memory.swap.max (what docker's --memory-swap set).
    if mem is None or swap is None:
        return None
    if mem.unlimited or swap.unlimited or mem.value is None or swap.value is None:
        return Limit.none()
    return Limit(mem.value + swap.value)


def derived_limit(
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


def tightest(links: list[tuple[str, Limit | None]]) -> EffectiveLimit | None:
    """The tightest limit over (cgroup, limit) links, the process's own cgroup first and the
    highest visible one last; a link whose file is absent is None. None when no link has one."""
    best: Limit | None = None
    setter: str | None = None
    for cgroup, lim in links:
        if lim is None:
            continue
        if lim.unlimited:
            best = best or lim
        elif best is None or lim.tighter_than(best):
            best, setter = lim, cgroup  # strictly tighter only: on a tie the nearest cgroup wins
    if best is None:
        return None
    return EffectiveLimit(best, setter, setter is not None and setter == links[0][0], links[-1][0])
