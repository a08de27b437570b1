"""`nsview mounts --holding PATH`: every mount namespace on the host that has PATH, or a
filesystem from inside PATH, mounted. The answer to "device or resource busy" when a directory
cannot be removed or a device released while some other namespace still has it mounted.

Steps:
1. the host's mount table (strict: without it no host path can be known), as a tree;
2. every process's mount namespace (``/proc/PID/ns/mnt``), one reader per namespace (a
   container's init where the scan knows the container, else the lowest pid); processes that
   vanish are skipped, unreadable ones counted;
3. mount namespaces no process is in, held by an nsfs bind mount in the host's table
   (``mnt:[N]`` at /run/netns/NAME, /run/docker/netns/ID, wherever): read from outside
   (``enter.read_mount_table``);
4. per namespace, the mounts whose host path is PATH or below it, or whose overlay layers are.
"""

from __future__ import annotations

import posixpath
import re

from nsview.collect.mounts import with_sources
from nsview.errors import FileMissing, NoSuchProcess, NsviewError, UsageError
from nsview.model.mount import Mount
from nsview.model.mount_tree import MountTree, build_tree
from nsview.model.mounts import HeldMount, Holder, HoldingReport, holds
from nsview.model.process import NamespaceRef
from nsview.parse.mountinfo import parse_mountinfo
from nsview.parse.ns_link import parse_ns_link
from nsview.procfs import KernelFS, ProcFS, SysFS, host_root_for
from nsview.read.namespaces import host_reference, read_bound_mountinfo
from nsview.read.process import read_mountinfo, read_stat

_MNT_NS = re.compile(r"^mnt:\[(\d+)\]$")


def collect_holding(
    proc: ProcFS,
    sys: SysFS,
    path: str,
    *,
    host: KernelFS | None = None,
    fs_root: str | None = None,
) -> HoldingReport:
    if not path.startswith("/"):
        raise UsageError(f"--holding needs an absolute host path, not {path!r}")
    path = posixpath.normpath(path)
    path = "/" + path.lstrip("/")  # normpath keeps a leading "//"
    proc.check_mounted()
    if host is None:
        host = KernelFS(host_root_for(proc.root))
    ref = host_reference(proc)
    if ref.pid is None:
        raise NoSuchProcess(1, f"no host mount table: {ref.source}")
    host_mounts = read_mountinfo(proc, ref.pid)  # strict: every answer is a host path
    host_tree = build_tree(host_mounts)
    host_ns = ref.namespaces.get("mnt")

    members, errors, exited = _namespaces(proc)
    vanished = 0
    labels, inits = _containers(proc, sys, fs_root)
    notes: list[str] = []
    if ref.pid != 1:
        notes.append(f"host = {ref.source}")

    holders: list[Holder] = []
    scanned = 0
    bound = _bound_namespaces(host_mounts)
    for inode in sorted(members, key=lambda i: (host_ns is None or i != host_ns.inode, i)):
        ns = NamespaceRef("mnt", inode)
        pids = members[inode]
        chosen = [p for p in (inits.get(inode),) if p is not None and p in pids] + pids
        table: tuple[Mount, ...] | None = None
        reader = None
        for pid in chosen:
            try:
                table = read_mountinfo(proc, pid)
                reader = pid
                break
            except NoSuchProcess:
                continue
            except NsviewError as err:
                errors[str(ns)] = err.reason
                break
        if table is None or reader is None:  # docs/hardening.md, row 35: gone, not an error
            if str(ns) not in errors:
                vanished += 1
            continue
        scanned += 1
        kind = "host" if host_ns is not None and inode == host_ns.inode else "container"
        if kind == "container" and inode not in labels:
            kind = "process"
        held = _held(table, host_tree, host, host_mounts, path)
        if held:
            holders.append(
                Holder(
                    namespace=ns,
                    kind=kind,
                    pid=reader,
                    comm=_comm(proc, reader),
                    container=labels.get(inode),
                    bind_mounts=tuple(bound.get(inode, ())),
                    mounts=held,
                )
            )
    for inode, where in sorted(bound.items()):
        if inode in members:
            continue
        ns = NamespaceRef("mnt", inode)
        try:
            table = parse_mountinfo(read_bound_mountinfo(proc, host, where[0], inode))
        except NsviewError as err:
            errors[f"{ns} (bound at {where[0]})"] = err.reason
            continue
        scanned += 1
        held = _held(table, host_tree, host, host_mounts, path)
        if held:
            holders.append(Holder(ns, "bind mount", None, None, None, tuple(where), held))
    if exited:
        notes.append(f"{exited} process(es) exited during the scan")
    if vanished:
        notes.append(
            f"{vanished} mount namespace(s) vanished while being scanned (every process in it exited)"
        )
    return HoldingReport(
        path=path,
        holders=tuple(holders),
        scanned=scanned,
        notes=tuple(notes),
        errors=errors or None,
    )


def _held(
    table: tuple[Mount, ...], host_tree: MountTree, host: KernelFS, host_mounts: tuple[Mount, ...], path: str
) -> tuple[HeldMount, ...]:
    tree = with_sources(build_tree(table), host_tree, host, host_mounts)
    found = []
    for n in tree.walk:
        why = holds(n, path)
        if why is not None:
            found.append(HeldMount(n, why))
    return tuple(found)


def _namespaces(proc: ProcFS) -> tuple[dict[int, list[int]], dict[str, str], int]:
    """mnt namespace inode -> its processes (lowest pid first); unreadable pids by reason."""
    members: dict[int, list[int]] = {}
    denied: dict[str, int] = {}
    exited = 0
    for pid in proc.pids():
        try:
            ref = parse_ns_link(proc.pid_readlink(pid, "ns/mnt"))
        except NoSuchProcess:
            exited += 1
            continue
        except FileMissing:
            continue  # a zombie: its mount namespace went with its mm
        except NsviewError as err:
            denied[err.reason] = denied.get(err.reason, 0) + 1
            continue
        members.setdefault(ref.inode, []).append(pid)
    errors = {f"ns/mnt of {n} process(es)": why for why, n in denied.items()}
    return members, errors, exited


def _containers(proc: ProcFS, sys: SysFS, fs_root: str | None) -> tuple[dict[int, str], dict[int, int]]:
    """mnt namespace inode -> the container's label and its init pid, from the ps scan."""
    from nsview.collect.ps import scan_containers

    scan = scan_containers(proc, sys, fs_root=fs_root, details=False)
    labels: dict[int, str] = {}
    inits: dict[int, int] = {}
    for c in scan.containers:
        mnt = c.namespaces.get("mnt")
        if mnt is None or mnt.inode in labels:
            continue
        if c.runtime == "namespaces only":
            continue
        labels[mnt.inode] = c.label()
        inits[mnt.inode] = c.init_pid
    return labels, inits


def _bound_namespaces(host_mounts: tuple[Mount, ...]) -> dict[int, list[str]]:
    """Mount namespaces the host's table holds by an nsfs bind mount: inode -> where."""
    out: dict[int, list[str]] = {}
    for m in host_mounts:
        if m.fstype == "nsfs" and (match := _MNT_NS.match(m.root)):
            out.setdefault(int(match.group(1)), []).append(m.target)
    return out


def _comm(proc: ProcFS, pid: int) -> str | None:
    try:
        return read_stat(proc, pid).comm
    except NsviewError:
        return None
