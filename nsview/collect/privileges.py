"""What a process may do to its host, for `nsview diff` (both sides) and `nsview ps` (each
container): the items of model/privileges.py, each read on its own, so one that cannot be read
(not root, a restrictive LSM, a process that exited) says why and the others still show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import TypeVar

from nsview.collect.mounts import with_sources
from nsview.errors import AccessDenied, NoSuchProcess, NotAvailable, NsviewError
from nsview.model.attribution import classify_cgroup_path, pick_cgroup_paths
from nsview.model.mount import Mount
from nsview.model.mount_tree import HostSource, MountTree, build_tree
from nsview.model.overlay import OverlayRoot
from nsview.model.privileges import (
    DeviceAccess,
    MountRisk,
    Privileges,
    assess,
    defaults_of,
    host_namespaces_shared,
    mount_risks,
    user_mapping,
)
from nsview.model.process import NAMESPACE_TYPES, CgroupMembership, NamespaceRef
from nsview.model.reading import Reading
from nsview.model.record import record
from nsview.model.supervisor import boundary_from_parent
from nsview.parse.status import CAP_NAMES
from nsview.procfs import KernelFS, ProcFS, host_root_for
from nsview.read.namespaces import host_reference, read_namespaces
from nsview.read.privileges import read_devices, read_lsm, read_security_status
from nsview.read.process import read_cmdline, read_mountinfo, read_proc_cgroup, read_stat, read_user_maps

T = TypeVar("T")


@record
class HostContext:
    """What every container is compared with, read once: the host reference's namespaces, its
    bounding set ("every capability" means every one the host has), its mount tree (where a
    container's mounts come from) and nsview's own mounts (where the cgroups are)."""

    pid: int | None
    namespaces: dict[str, NamespaceRef]
    bounding: tuple[str, ...] | None
    mounts: tuple[Mount, ...]
    tree: MountTree | None  # None: the host's table could not be read
    fs: KernelFS  # host files (overlay2 short links)
    own_mounts: tuple[Mount, ...]
    error: str | None = None  # why the host's mount table is not known
    # host sources and overlay layers already looked up, for every container (with_sources)
    sources: dict[tuple[object, ...], tuple[HostSource | None, OverlayRoot | None]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # the mount risks of each shape of mount table already assessed (_shape)
    risks: dict[tuple[object, ...], tuple[MountRisk, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # the device rules of each cgroup placement already read: a scan's containers often share
    # one (every `unshare` group of a shell sits in that shell's cgroup)
    devices: dict[tuple[CgroupMembership, ...], Reading[DeviceAccess]] = field(
        default_factory=dict, compare=False, repr=False
    )


def _read(fn: Callable[[], T]) -> Reading[T]:
    try:
        return Reading(fn())
    except NsviewError as err:
        return Reading(error=err.reason)


def host_context(proc: ProcFS, host: KernelFS | None = None) -> HostContext:
    if host is None:
        host = KernelFS(host_root_for(proc.root))
    ref = host_reference(proc)
    bounding = None
    mounts: tuple[Mount, ...] = ()
    tree = None
    error = ref.source if ref.pid is None else None
    if ref.pid is not None:
        status = _read(lambda: read_security_status(proc, ref.pid or 0))
        if status.value is not None and status.value.caps is not None:
            bounding = status.value.caps.bounding
        table = _read(lambda: read_mountinfo(proc, ref.pid or 0))
        if table.value is not None:
            mounts = table.value
            tree = build_tree(mounts)
        else:
            error = table.error
    try:
        own = read_mountinfo(proc, "self")
    except NsviewError:
        own = ()
    return HostContext(ref.pid, dict(ref.namespaces), bounding, mounts, tree, host, own, error)


def engine_of(memberships: tuple[CgroupMembership, ...]) -> str | None:
    """The engine a process's cgroup path names (docker, podman, containerd...), or None."""
    for path in pick_cgroup_paths(memberships):
        match = classify_cgroup_path(path)
        if match is not None:
            if match.runtime == "kubernetes" and match.engine:
                return match.engine
            return match.runtime
    return None


def collect_privileges(
    proc: ProcFS,
    sys: KernelFS,
    pid: int,
    ctx: HostContext,
    *,
    engine: str | None = None,
    detect_engine: bool = True,
    reference: bool = False,
    mount_table: tuple[Mount, ...] | None = None,
    starttime: int | None = None,
    namespace_refs: dict[str, NamespaceRef] | None = None,
    memberships: tuple[CgroupMembership, ...] | None = None,
) -> Privileges:
    """``pid``'s privileges. ``engine``: whose defaults to compare with (None and
    ``detect_engine``: the engine its cgroup path names). ``reference``: the host side of a
    diff, which shares everything with itself: no namespaces or mounts are assessed.

    Identity is pinned (docs/hardening.md, rule 4 and row 41): the start time is read before and
    after, and a process that exited or was replaced meanwhile is NoSuchProcess, never a mix
    of two processes' files. ``mount_table``, ``namespace_refs``, ``memberships``: ``pid``'s
    mountinfo, namespace links and /proc/PID/cgroup, read already by a caller that needed them
    for something else (`nsview ps`'s scan), with the ``starttime`` the caller saw before it
    read them: that read is the "before" of the pin, and a process that is not that one any
    more at the end is NoSuchProcess."""
    if starttime is None:
        start = read_stat(proc, pid).starttime  # NoSuchProcess propagates: the process is gone
    else:
        start = starttime
    status = _read(lambda: read_security_status(proc, pid))
    lsm = _read(lambda: read_lsm(proc, pid))
    cgroup = Reading(memberships) if memberships else _read(lambda: read_proc_cgroup(proc, pid))
    if engine is None and detect_engine and cgroup.value is not None:
        engine = engine_of(cgroup.value)
    if engine is None and detect_engine:
        engine = _engine_of_parent(proc, pid)
    namespaces = Reading(namespace_refs) if namespace_refs else _read(lambda: _namespaces(proc, pid))
    own_user = None
    if namespaces.value is not None and "user" in namespaces.value and "user" in ctx.namespaces:
        own_user = namespaces.value["user"] != ctx.namespaces["user"]
    maps = _read(lambda: read_user_maps(proc, pid))
    if maps.value is not None and own_user is not None:
        user = Reading(user_mapping(maps.value, own_user))
    else:
        user = Reading(error=maps.error or namespaces.error or "host user namespace not known")
    if cgroup.value is not None:
        placed = cgroup.value
        devices = ctx.devices.get(placed) or _read(lambda: read_devices(sys, placed, ctx.own_mounts))
        if devices.value is not None:
            ctx.devices[placed] = devices
    else:
        devices = Reading(error=cgroup.error)
    if reference:
        shared: Reading[tuple[str, ...]] = Reading(())
        risks: Reading[tuple[MountRisk, ...]] = Reading(())
    else:
        if namespaces.value is not None and ctx.namespaces:
            found = namespaces.value
            shared = Reading(
                host_namespaces_shared(
                    dict(found.items()), dict(ctx.namespaces.items()), types=NAMESPACE_TYPES
                )
            )
        else:
            shared = Reading(error=namespaces.error or "host namespaces not known")
        risks = _read(lambda: _mount_risks(proc, pid, ctx, mount_table))
    try:
        again = read_stat(proc, pid).starttime
    except NoSuchProcess:
        raise NoSuchProcess(pid, f"process {pid} exited while its privileges were read") from None
    if again != start:
        raise NoSuchProcess(pid, f"process {pid} exited while its privileges were read (its pid was reused)")
    p = Privileges(
        pid=pid,
        engine=engine,
        status=status,
        lsm=lsm,
        user=user,
        devices=devices,
        shared_namespaces=shared,
        mounts=risks,
    )
    return assess(p, host_bounding=ctx.bounding, every_cap=CAP_NAMES)


def _engine_of_parent(proc: ProcFS, pid: int) -> str | None:
    """A container's init is its supervisor's child (a containerd shim, conmon): its argv names
    the engine where the cgroup path does not (ctr's /NAMESPACE/ID)."""
    try:
        parent = read_stat(proc, read_stat(proc, pid).ppid)
        args, _ = read_cmdline(proc, parent.pid)
    except NsviewError:
        return None
    boundary = boundary_from_parent(parent.comm, args)
    if boundary is None:
        return None
    runtime = (
        "docker" if boundary.runtime == "containerd" and boundary.namespace == "moby" else boundary.runtime
    )
    return defaults_of(runtime)


def _namespaces(proc: ProcFS, pid: int) -> dict[str, NamespaceRef]:
    found, failed = read_namespaces(proc, pid)
    if failed and not found:
        raise AccessDenied(f"/proc/{pid}/ns", pid)
    return found


def _mount_risks(
    proc: ProcFS, pid: int, ctx: HostContext, table: tuple[Mount, ...] | None = None
) -> tuple[MountRisk, ...]:
    if ctx.tree is None:
        raise NotAvailable("host mount table", ctx.error or "not readable")
    mounts = read_mountinfo(proc, pid) if table is None else table
    key = _shape(mounts)
    if key is not None and key in ctx.risks:
        return ctx.risks[key]
    tree = with_sources(build_tree(mounts), ctx.tree, ctx.fs, ctx.mounts, cache=ctx.sources)
    risks = mount_risks(tree)
    if key is not None:
        ctx.risks[key] = risks
    return risks


def _shape(mounts: tuple[Mount, ...]) -> tuple[object, ...] | None:
    """A mount table without its mount ids: every field, and each parent as a position in the
    table. Risks name no mount id, so two tables of this same shape (mount namespaces copied
    from one another: `unshare -m`, private /tmp units) have the same risks. None when ids
    repeat (the tree of such a table is built, never looked up)."""
    at = {m.mount_id: i for i, m in enumerate(mounts)}
    if len(at) != len(mounts):
        return None
    return tuple(
        (
            at.get(m.parent_id, -1),
            m.major,
            m.minor,
            m.root,
            m.target,
            m.options,
            m.optional,
            m.fstype,
            m.source,
            m.super_options,
        )
        for m in mounts
    )
