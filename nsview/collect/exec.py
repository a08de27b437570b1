"""`nsview exec TARGET [NAMESPACES] -- COMMAND`: resolve TARGET, decide what to enter, pin the
process, and hand over to ``nsview.enter.run_inside``, the one place that enters.

Steps: resolve TARGET as every command does; read its namespaces and nsview's own; plan (pure,
model/entry.py); pin it (a pidfd, or every ns fd plus the start time); open the cgroup.procs
files to join, if asked; run and wait.
"""

from __future__ import annotations

import os

from nsview.enter import Pin, pidfd_setns_supported, pin_process, run_inside
from nsview.errors import AccessDenied, NsviewError, Unsupported, UsageError
from nsview.model.cgroup_placement import cgroup_mounts, placement_for
from nsview.model.entry import ENTERABLE, EntryPlan, plan_entry
from nsview.procfs import KernelFS, ProcFS
from nsview.read.cgroupfs import CgroupFiles, host_location, read_memberships
from nsview.read.namespaces import read_namespaces
from nsview.read.process import read_mountinfo, read_stat

# The option that names each type, where it is not the type's own name.
_OPTION = {"mnt": "mount"}


def plan_exec(
    proc: ProcFS,
    pid: int,
    label: str,
    command: tuple[str, ...],
    *,
    wanted: tuple[str, ...] | None = None,
    everything: bool = False,
    cwd: str | None = None,
    cgroup_join: bool = False,
) -> EntryPlan:
    """What ``nsview exec`` would enter for TARGET (resolved to ``pid``, named ``label``)."""
    unknown = [t for t in wanted or () if t not in ENTERABLE]
    if unknown:
        raise UsageError(f"unknown namespace type {', '.join(unknown)}; choose from: {', '.join(ENTERABLE)}")
    stat = read_stat(proc, pid)
    theirs, failed = read_namespaces(proc, pid)
    if failed and not theirs:
        raise AccessDenied(f"the namespaces of {label} ({'; '.join(sorted(set(failed.values())))})", pid)
    for ns_type in wanted or ():  # asked for by name: a missing one is an error, not a skip
        if ns_type in failed:
            raise AccessDenied(f"the {ns_type} namespace of {label} ({failed[ns_type]})", pid)
        if ns_type not in theirs:
            raise Unsupported(f"this kernel has no {ns_type} namespace (--{_OPTION.get(ns_type, ns_type)})")
    own, _ = read_namespaces(proc, int(proc.readlink("self")))
    enter, skipped = plan_entry(wanted, everything, theirs, own)
    return EntryPlan(
        pid=pid,
        starttime=stat.starttime,
        label=label,
        enter=enter,
        skipped=skipped,
        namespaces=theirs,
        command=command,
        cwd=cwd,
        cgroup_join=cgroup_join,
        method="pidfd" if pidfd_setns_supported() else "namespace fds",
    )


def run_exec(proc: ProcFS, sys: KernelFS, plan: EntryPlan, *, pidfd: bool | None = None) -> int:
    """Pin TARGET, then run the plan's command inside; the command's exit code (or minus the
    signal that killed it). ``pidfd`` None: the pidfd way where the kernel has it."""
    if not plan.enter and not plan.cgroup_join:
        raise UsageError(
            f"nothing to enter: {plan.label} shares every namespace asked for with nsview "
            f"({'; '.join(f'{t}: {why}' for t, why in plan.skipped.items())})"
        )
    use_pidfd = plan.method == "pidfd" if pidfd is None else pidfd
    pin: Pin = pin_process(proc, plan.pid, plan.starttime, plan.enter, pidfd=use_pidfd)
    joins: list[int] = []
    try:
        if plan.cgroup_join:
            joins = _cgroup_procs(proc, sys, plan.pid)
        return run_inside(
            pin,
            plan.enter,
            plan.command,
            forks=plan.forks,
            cwd=plan.cwd,
            join_fds=tuple(joins),
            label=plan.label,
            in_container_root=plan.container_root,
        )
    finally:
        pin.close()
        for fd in joins:
            os.close(fd)


def _cgroup_procs(proc: ProcFS, sys: KernelFS, pid: int) -> list[int]:
    """Open, for writing, the cgroup.procs of every cgroup ``pid`` is in (each v1 hierarchy and
    the unified one), located as ``nsview cgroup`` locates them (never a path glued by hand)."""
    files = CgroupFiles(sys)
    mounts = cgroup_mounts(read_mountinfo(proc, "self"))
    out: list[int] = []
    try:
        for mb in read_memberships(proc, pid, files):
            version = 2 if mb.unified else 1
            cands = [
                m
                for m in mounts
                if m.version == version and (version == 2 or set(mb.controllers) <= set(m.controllers))
            ]
            where = placement_for("cgroup", version, ",".join(mb.controllers) or "unified", mb, cands)
            if not where.available or where.directory is None:
                continue
            fs, rel = host_location(f"{where.directory}/cgroup.procs", sys)
            out.append(fs.open_for_writing(rel))
    except NsviewError:
        for fd in out:
            os.close(fd)
        raise
    return out
