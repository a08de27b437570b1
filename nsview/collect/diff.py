"""Everything `nsview diff` compares, read for a reference (the host, or another target) and a
target. Strict about the target existing at the start; forgiving after: a section that cannot
be read on one side carries the reason, and the other sections still show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from nsview.errors import NoSuchProcess, NsviewError
from nsview.model.diff import (
    LIMIT_ROWS,
    Comparison,
    Limits,
    MountView,
    NamespaceRow,
    Pair,
    Reading,
    RootFS,
    Side,
)
from nsview.model.mount import Mount, visible_mount
from nsview.model.process import NAMESPACE_TYPES, NamespaceRef, Process
from nsview.procfs import KernelFS, ProcFS, SysFS, host_root_for
from nsview.read.namespaces import host_reference, read_namespaces
from nsview.read.overlay import decode_overlay
from nsview.read.process import read_mountinfo, read_process, read_user_maps

T = TypeVar("T")


def choose_reference(proc: ProcFS, against: int | None) -> tuple[int, str, str | None]:
    """(pid, role, note): the other side of the comparison: ``against``, or the host reference
    (PID 1 where its namespaces are readable, else nsview itself, with a note saying so)."""
    if against is not None:
        return against, "against", None
    ref = host_reference(proc)
    if ref.pid is None:
        raise NoSuchProcess(1, f"no host reference: {ref.source}")
    return ref.pid, "host", f"host = {ref.source}"


def _side(proc: ProcFS, pid: int, role: str, note: str | None) -> tuple[Side, Process]:
    p = read_process(proc, pid, namespaces=False)
    return Side(pid=pid, comm=p.comm, role=role, note=note), p


def _read(fn: Callable[[], T], skip: str | None = None) -> Reading[T]:
    if skip:
        return Reading(error=skip)
    try:
        return Reading(fn())
    except NsviewError as err:
        return Reading(error=err.reason)


def _no_user_space(p: Process) -> str | None:
    """Why a section that needs the process's own view cannot be read at all."""
    # A kernel thread is no exception: it lives in the initial namespaces, and they can be
    # entered through its ns links like any other (`nsenter -t 2 -u hostname` works).
    if p.zombie:
        return "zombie: the process has exited, only its pid and user namespaces are left"
    return None


def collect_diff(
    proc: ProcFS,
    sys: SysFS,
    target: int,
    *,
    against: int | None = None,
    host: KernelFS | None = None,
) -> Comparison:
    """Compare ``target`` with the host (or with ``against``). ``host`` reads host files such as
    overlay2 short links; its default is the host root."""
    if host is None:
        host = KernelFS(host_root_for(proc.root))
    ref_pid, role, note = choose_reference(proc, against)
    tgt_side, tgt = _side(proc, target, "target", None)  # strict: NoSuchProcess propagates
    ref_side, ref = _side(proc, ref_pid, role, note)

    namespaces = _namespace_rows(proc, ref, tgt)
    by_type = {row.type: row.shared for row in namespaces}

    # sameness of a namespace's view is the namespace's identity (inode), not its contents

    user_maps = Pair(
        _read(lambda: read_user_maps(proc, ref.pid)),
        _read(lambda: read_user_maps(proc, tgt.pid)),
        namespace="user",
        shared=by_type.get("user"),
    )

    from nsview.read.hostname import read_uts
    from nsview.read.network import read_network

    uts = Pair(
        _read(lambda: read_uts(proc, ref.pid, starttime=ref.starttime), _no_user_space(ref)),
        _read(lambda: read_uts(proc, tgt.pid, starttime=tgt.starttime), _no_user_space(tgt)),
        namespace="uts",
        shared=by_type.get("uts"),
    )
    network = Pair(
        _read(lambda: read_network(proc, ref.pid, starttime=ref.starttime), _no_user_space(ref)),
        _read(lambda: read_network(proc, tgt.pid, starttime=tgt.starttime), _no_user_space(tgt)),
        namespace="net",
        shared=by_type.get("net"),
    )
    try:  # nsview's own mounts: where the host sees the overlay, and where the cgroups are
        own_mounts = read_mountinfo(proc, "self")
    except NsviewError:
        own_mounts = ()
    mounts = replace(_mounts(proc, host, ref, tgt, own_mounts), namespace="mnt", shared=by_type.get("mnt"))
    limits = Pair(
        _read(lambda: _limits(proc, sys, ref.pid, own_mounts), _no_user_space(ref) if ref.zombie else None),
        _read(lambda: _limits(proc, sys, tgt.pid, own_mounts), _no_user_space(tgt) if tgt.zombie else None),
    )
    classic = _classic(target, ref_pid, role, limits, mounts)
    notes = tuple(n for n in (note,) if n)
    return Comparison(
        reference=ref_side,
        target=tgt_side,
        namespaces=namespaces,
        user_maps=user_maps,
        uts=uts,
        network=network,
        mounts=mounts,
        limits=limits,
        classic=classic,
        notes=notes,
    )


def _namespace_rows(proc: ProcFS, ref: Process, tgt: Process) -> tuple[NamespaceRow, ...]:
    def side(p: Process) -> tuple[dict[str, NamespaceRef], dict[str, str], str | None]:
        try:
            found, failed = read_namespaces(proc, p.pid)
        except NsviewError as err:
            return {}, {}, err.reason
        return found, failed, None

    sides = [side(ref), side(tgt)]
    rows = []
    for ns_type in NAMESPACE_TYPES:
        readings = []
        for (found, failed, whole), p in zip(sides, (ref, tgt), strict=True):
            if ns_type in found:
                readings.append(Reading(found[ns_type]))
            elif whole:
                readings.append(Reading(error=whole))
            elif ns_type in failed:
                readings.append(Reading(error=failed[ns_type]))
            elif p.zombie:
                readings.append(Reading(error="zombie: namespace released"))
            else:
                readings.append(Reading(error="not on this kernel"))
        if all(r.error == "not on this kernel" for r in readings):
            continue  # the kernel has no such type (time before 5.6): not a difference
        rows.append(NamespaceRow(ns_type, readings[0], readings[1]))
    return tuple(rows)


def _mount_key(m: Mount) -> tuple[str, str, int, int, str]:
    return (m.target, m.fstype, m.major, m.minor, m.root)


def _mounts(
    proc: ProcFS, host: KernelFS, ref: Process, tgt: Process, host_mounts: tuple[Mount, ...]
) -> Pair[MountView]:
    def table(p: Process) -> Reading[tuple[Mount, ...]]:
        if p.zombie:
            return Reading(error=_no_user_space(p))
        return _read(lambda: read_mountinfo(proc, p.pid))

    ref_table, tgt_table = table(ref), table(tgt)

    def view(mine: Reading[tuple[Mount, ...]], other: Reading[tuple[Mount, ...]]) -> Reading[MountView]:
        if mine.value is None:
            return Reading(error=mine.error)
        mounts: tuple[Mount, ...] = mine.value
        root = visible_mount(mounts, "/")
        rootfs = None
        if root is not None:
            overlay = (
                decode_overlay(root, host=host, host_mounts=host_mounts) if root.fstype == "overlay" else None
            )
            rootfs = RootFS(root, overlay)
        theirs = other.value or ()
        others = {_mount_key(m) for m in theirs}
        # the other side's mounts on each mount point that this side lacks; the last one
        # mounted there is the one a path reaches (mountinfo lists them in mount order)
        unmatched: dict[str, Mount] = {}
        mine_keys = {_mount_key(m) for m in mounts}
        for m in theirs:
            if _mount_key(m) not in mine_keys:
                unmatched[m.target] = m
        only: list[Mount] = []
        pairs: list[tuple[Mount, Mount]] = []
        if other.value is not None:
            for m in mounts:
                if m is root or _mount_key(m) in others:
                    continue
                if m.target in unmatched:
                    pairs.append((m, unmatched[m.target]))
                else:
                    only.append(m)
        return Reading(
            MountView(root=rootfs, count=len(mounts), only_here=tuple(only), other_instance=tuple(pairs))
        )

    return Pair(view(ref_table, tgt_table), view(tgt_table, ref_table))


def _limits(proc: ProcFS, sys: SysFS, pid: int, own_mounts: tuple[Mount, ...]) -> Limits:
    from nsview.collect.cgroup import collect_cgroup

    report = collect_cgroup(proc, sys, pid, reader_mounts=own_mounts or None, details=False)
    effective = {key: report.effective[key] for key, _, _ in LIMIT_ROWS if key in report.effective}
    cpus = report.cpuset.effective_cpus if report.cpuset else None
    placement = report.placement("memory")
    files = []
    if placement and placement.directory:
        files.append(
            placement.directory + ("/memory.limit_in_bytes" if placement.version == 1 else "/memory.max")
        )
    cgroup = placement.cgroup if placement and placement.cgroup else ""
    return Limits(cgroup=cgroup or "", effective=effective, cpuset_cpus=cpus, files=tuple(files))


def _classic(
    target: int, ref_pid: int, role: str, limits: Pair[Limits], mounts: Pair[MountView]
) -> dict[str, str]:
    """The commands a person would type to check each section by hand. Against the host, the
    host side is plain ``hostname``, ``ip addr``...; with --against, both pids are named."""
    t, r = str(target), str(ref_pid)
    against = role == "against"

    def memfile(side: Reading[Limits]) -> str | None:
        return side.value.files[0] if side.value and side.value.files else None

    def both(cmd: str, host_form: str | None = None) -> str:
        """``cmd`` for the target, then for the reference (``{}`` stands for the pid)."""
        if against:
            return f"{cmd.format(t)}   vs   {cmd.format(r)}"
        return f"{cmd.format(t)}   vs   {host_form}" if host_form else cmd.format(t)

    hints = []
    for side, pid in ((mounts.target, t), (mounts.reference, r)):
        overlay = side.value.root.overlay if side.value and side.value.root else None
        if overlay is None:
            continue
        if overlay.driver == "overlay2":  # Docker's graph driver: only docker inspect knows it as such
            hint = "docker inspect -f '{{json .GraphDriver.Data}}' ID"
        elif overlay.driver == "containerd-overlayfs":
            hint = "ctr -n NAMESPACE snapshots mounts DIR ID"
        else:
            hint = f"findmnt -N {pid} -no FS-OPTIONS /"
        if hint not in hints:
            hints.append(hint)
    mounts_line = both("findmnt -N {}")
    if hints:
        mounts_line += f"   (overlay layers: {'; '.join(hints)})"

    tfile, rfile = memfile(limits.target), memfile(limits.reference)
    if tfile and rfile and (against or rfile != tfile):
        limits_line = f"cat {tfile}   vs   cat {rfile}"
    else:
        limits_line = f"cat {tfile}" if tfile else both("cat /proc/{}/cgroup")
    return {
        "namespaces": both("lsns -p {}")
        + f"   (or: ls -l /proc/{t}/ns"
        + (f" /proc/{r}/ns)" if against else ")"),
        "user_maps": both("cat /proc/{0}/uid_map /proc/{0}/gid_map"),
        "uts": both("nsenter -t {} -u hostname", "hostname"),
        "network": both("nsenter -t {0} -n ip addr; nsenter -t {0} -n ip route", "ip addr; ip route"),
        "mounts": mounts_line,
        "limits": limits_line,
    }
