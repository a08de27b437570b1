"""`nsview mounts TARGET`: the mount tree of TARGET's mount namespace, where each mount comes
from on the host, and which mounts are hidden.

Steps:
1. TARGET's mountinfo (strict: a target whose table cannot be read is an error) and the host's
   (pid 1's, or nsview's own when pid 1's namespaces are unreadable: the host reference);
2. both as trees (``model/mount_tree.build_tree``): parents, hidden mounts;
3. per mount, its host path (its root below the host mountpoint of the same filesystem), and
   for an overlay its layers, decoded as ``nsview diff`` does;
4. the filters.
"""

from __future__ import annotations

from dataclasses import replace

from nsview.errors import NsviewError, ZombieProcess
from nsview.model.mount import Mount
from nsview.model.mount_tree import HostSource, MountNode, MountTree, build_tree, host_source
from nsview.model.mounts import MountFilter, MountsReport, select
from nsview.model.overlay import OverlayRoot
from nsview.parse.ns_link import parse_ns_link
from nsview.procfs import KernelFS, ProcFS, host_root_for
from nsview.read.namespaces import host_reference
from nsview.read.overlay import decode_overlay
from nsview.read.process import read_mountinfo, read_process


def collect_mounts(
    proc: ProcFS,
    target: int,
    *,
    label: str | None = None,
    wanted: MountFilter | None = None,
    host: KernelFS | None = None,
) -> MountsReport:
    """The mount tree of ``target``'s namespace. ``host`` reads host files (overlay2 short
    links); its default is the host root that goes with ``proc``."""
    if host is None:
        host = KernelFS(host_root_for(proc.root))
    wanted = wanted or MountFilter()
    p = read_process(proc, target, namespaces=False)  # strict: NoSuchProcess propagates
    if p.zombie:  # its mount namespace went with its mm: mountinfo says EINVAL (docs/hardening.md, row 2)
        raise ZombieProcess(target)
    errors: dict[str, str] = {}
    namespace = None
    try:
        namespace = parse_ns_link(proc.pid_readlink(target, "ns/mnt"))
    except NsviewError as err:
        errors["namespace"] = err.reason
    mounts = read_mountinfo(proc, target)  # strict: the one thing this command is about
    ref = host_reference(proc)
    host_mounts: tuple[Mount, ...] = ()
    notes: list[str] = []
    if ref.pid is not None:
        try:
            host_mounts = read_mountinfo(proc, ref.pid)
        except NsviewError as err:
            errors["host_mounts"] = err.reason
    else:
        errors["host_mounts"] = ref.source
    if ref.pid != 1:
        notes.append(f"host = {ref.source}")
    host_tree = build_tree(host_mounts)
    tree = with_sources(
        build_tree(mounts), host_tree, host, host_mounts, readable=not errors.get("host_mounts")
    )
    notes += tree.notes
    return MountsReport(
        pid=target,
        comm=p.comm,
        label=label,
        namespace=namespace,
        host_pid=ref.pid,
        host_source=ref.source,
        tree=tree,
        shown=select(tree, wanted),
        filter=wanted,
        notes=tuple(notes),
        errors=errors or None,
    )


def with_sources(
    tree: MountTree,
    host_tree: MountTree,
    host: KernelFS,
    host_mounts: tuple[Mount, ...],
    *,
    readable: bool = True,
    cache: dict[tuple[object, ...], tuple[HostSource | None, OverlayRoot | None]] | None = None,
) -> MountTree:
    """``tree`` with each node's host source and, for overlays, its decoded layers. ``cache``,
    kept by a caller that does this for many trees against the same host (`nsview ps`): both
    depend only on the mount's device, root, type and super options, so a mount every
    namespace has (a copy of the host's table, another container's overlay root seen from a
    sibling) is looked up once."""

    def sources(m: Mount) -> tuple[HostSource | None, OverlayRoot | None]:
        overlay = decode_overlay(m, host=host, host_mounts=host_mounts) if m.fstype == "overlay" else None
        return (host_source(m, host_tree) if readable else None), overlay

    def one(n: MountNode) -> MountNode:
        m = n.mount
        if cache is None:
            source, overlay = sources(m)
        else:
            key = (m.major, m.minor, m.root, m.fstype, m.super_options)
            if key not in cache:
                cache[key] = sources(m)
            source, overlay = cache[key]
        return replace(n, host=source, overlay=overlay)

    return replace(tree, nodes=tuple(one(n) for n in tree.nodes))
