"""`nsview oom [TARGET]`: who the kernel's OOM killer killed, in which container, whose limit it was.

Steps:
1. the kernel log: the host's /dev/kmsg ring buffer (or a saved log, ``--log``), its OOM kills;
2. the container of each victim, from its cgroup path alone (the container may be gone), named
   from the running containers and from the engines' files;
3. the limit that was hit, as it is now, when that cgroup still exists;
4. with a TARGET: only its kills, and the OOM counters along its memory cgroup's path, which
   count kills that have scrolled out of the ring buffer.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from nsview.errors import NotAvailable, NsviewError, TargetNotFound, UsageError
from nsview.model.attribution import ContainerKey, cgroup_container
from nsview.model.cgroup import CgroupMembership, CgroupMount, CgroupReport, Limit
from nsview.model.cgroup_placement import ancestors, cgroup_components, cgroup_mounts, place, placement_for
from nsview.model.container import Container, ContainerScan, match_target
from nsview.model.oom import OomCounters, OomKill, OomReport, OomVictim
from nsview.procfs import KernelFS, ProcFS, host_root_for
from nsview.read.cgroupfs import CgroupFiles, read_memberships
from nsview.read.engines import docker_containers, docker_names
from nsview.read.kernel_log import KMSG, oom_kills, read_kmsg, read_saved_log
from nsview.read.podman import graph_roots, podman_store
from nsview.read.process import read_mountinfo


def collect_oom(
    proc: ProcFS,
    sys: KernelFS,
    target: str | None = None,
    *,
    log: Path | None = None,
    fs_root: str | os.PathLike[str] | None = None,
    scan: ContainerScan | None = None,
) -> OomReport:
    """The OOM kills the kernel log holds (oldest first), for every container or for ``target``.
    An unreadable ring buffer is not an error: the report says why (``log_error``) and still has
    the counters. An unreadable ``log`` file is: the user named it. ``scan``: the containers
    (``details=False``), when the caller scanned already (`nsview snapshot`, once per target)."""
    from nsview.collect.ps import scan_containers  # the scan is the heavy part: only when asked

    proc.check_mounted()
    log_error = None
    if log is not None:
        records = read_saved_log(log)
    else:
        try:
            records = read_kmsg(proc)
        except NotAvailable as err:
            records, log_error = (), err.why
    kills = oom_kills(proc, records, live=log is None)
    if scan is None:
        scan = scan_containers(proc, sys, fs_root=fs_root, details=False)
    engine_fs = KernelFS(fs_root if fs_root is not None else host_root_for(proc.root))
    files = CgroupFiles(sys)
    try:
        mounts = cgroup_mounts(read_mountinfo(proc, "self"))
    except NsviewError:
        mounts = ()
    # a saved log is another boot's, or another host's: its cgroups are not these
    victims = _victims(kills, scan, engine_fs, mounts if log is None else (), files)
    counters: tuple[OomCounters, ...] = ()
    notes: list[str] = []
    if target is not None:
        victims, counters, note = _for_target(target, victims, scan, engine_fs, proc, mounts, files)
        if note:
            notes.append(note)
    if log is not None:
        notes.append("a saved log: containers are named from this host's files, and limits are not read")
    return OomReport(
        victims=victims,
        source=str(log) if log is not None else KMSG,
        target=target,
        counters=counters,
        log_error=log_error,
        records=len(records),
        notes=tuple(notes),
        errors=dict(files.errors),
    )


def ring_buffer_kills(proc: ProcFS) -> tuple[OomKill, ...]:
    """The kills in the host's ring buffer; () when it cannot be read: ps and cgroup show a
    container's last kill, and say nothing more when the log is closed to them."""
    try:
        return oom_kills(proc, read_kmsg(proc), live=True)
    except NsviewError:
        return ()


def with_last_oom(proc: ProcFS, report: CgroupReport) -> CgroupReport:
    """``nsview cgroup``'s report with the newest OOM kill in its memory cgroup, if logged."""
    placement = report.placement("memory")
    return replace(
        report, last_oom=last_kill_in(ring_buffer_kills(proc), placement.cgroup if placement else None)
    )


def last_kill_in(kills: tuple[OomKill, ...], cgroup: str | None) -> OomKill | None:
    """The newest kill whose victim was in ``cgroup`` or below it."""
    if cgroup is None or cgroup == "/":
        return None  # the root holds every process: "last kill on the host" is not a container's
    return next((k for k in reversed(kills) if _under(k.task_memcg, cgroup)), None)


def memory_cgroup(memberships: tuple[CgroupMembership, ...]) -> str | None:
    """A process's memory cgroup in the hierarchy the kernel log's paths refer to: v1's memory
    controller when it has one, else the unified hierarchy's."""
    v1 = next((m for m in memberships if "memory" in m.controllers), None)
    chosen = v1 or next((m for m in memberships if m.unified), None)
    return None if chosen is None else "/" + "/".join(cgroup_components(chosen.path))


def _victims(
    kills: tuple[OomKill, ...],
    scan: ContainerScan,
    engine_fs: KernelFS,
    mounts: tuple[CgroupMount, ...],
    files: CgroupFiles,
) -> tuple[OomVictim, ...]:
    running = {_key(c): c for c in scan.containers}
    keys = [cgroup_container(k.task_memcg or "", tuple(running)) for k in kills]
    docker_ids = sorted({key.id for key, _ in keys if key is not None and key.runtime == "docker" and key.id})
    names = docker_names(engine_fs, list(scan.docker_roots), docker_ids)
    podman = (
        podman_store(engine_fs, graph_roots(engine_fs))
        if any(key is not None and key.runtime == "podman" for key, _ in keys)
        else None
    )
    out: list[OomVictim] = []
    for kill, (key, pod_uid) in zip(kills, keys, strict=True):
        limit, why = _limit_now(kill, mounts, files)
        name = None
        if key is not None:
            live = running.get(key)
            name = live.name if live is not None else None
            if name is None and key.runtime == "docker" and key.id in names:
                name = names[key.id][0]
            if name is None and key.runtime == "lxc":
                name = key.id
            if name is None and podman is not None and key.runtime == "podman" and key.id:
                stored = podman.name(key.id)  # a stopped podman container: its store names it
                name = stored[0] if stored is not None else None
        out.append(
            OomVictim(
                kill=kill,
                runtime=key.runtime if key else None,
                id=key.id if key else None,
                name=name,
                namespace=key.namespace if key else None,
                pod_uid=pod_uid,
                limit_now=limit,
                limit_why=why,
            )
        )
    return tuple(out)


def _key(c: Container) -> ContainerKey:
    return ContainerKey(c.runtime, c.id, c.namespace, c.init_pid if c.id is None else None)


def _memory_mounts(mounts: tuple[CgroupMount, ...]) -> tuple[int, list[CgroupMount]]:
    """The hierarchy memory cgroup paths in the kernel log refer to: v1's memory controller
    where it is mounted (a hybrid host), else the unified one."""
    v1 = [m for m in mounts if m.version == 1 and "memory" in m.controllers]
    return (1, v1) if v1 else (2, [m for m in mounts if m.version == 2])


def _limit_now(
    kill: OomKill, mounts: tuple[CgroupMount, ...], files: CgroupFiles
) -> tuple[Limit | None, str | None]:
    if kill.constraint != "cgroup" or kill.oom_memcg is None or not mounts:
        return None, None  # a host or cpuset OOM, or a saved log: no cgroup limit here to read
    version, cands = _memory_mounts(mounts)
    membership = CgroupMembership(
        0 if version == 2 else -1, () if version == 2 else ("memory",), kill.oom_memcg
    )
    where = placement_for("memory", version, "memory", membership, cands)
    if not where.available or where.directory is None:
        return None, where.reason
    if not files.is_dir(where.directory):
        return None, "the cgroup is gone"
    name = "memory.max" if version == 2 else "memory.limit_in_bytes"
    return files.limit(where.directory, name), None


def _for_target(
    target: str,
    victims: tuple[OomVictim, ...],
    scan: ContainerScan,
    engine_fs: KernelFS,
    proc: ProcFS,
    mounts: tuple[CgroupMount, ...],
    files: CgroupFiles,
) -> tuple[tuple[OomVictim, ...], tuple[OomCounters, ...], str | None]:
    """TARGET's kills and counters: a pid (its container's kills, or the kills in its cgroup and
    below), a running container, or a stopped one, named by the kills' ids or Docker's files."""
    text = target.strip()
    if not text:
        raise UsageError("TARGET is empty: give a pid, a container name or a container id")
    if text.isascii() and text.isdigit() and not text.startswith("0"):
        pid = int(text)
        if not proc.pid_exists(pid):
            raise TargetNotFound(f"no such process: {pid} (a stopped container is named by its name or id)")
        owner = next((c for c in scan.containers if pid in c.pids), None)
        path = _memory_path(proc, pid, files)
        if owner is not None:
            chosen = _of(victims, _key(owner))
        else:
            chosen = tuple(v for v in victims if _under(v.kill.task_memcg, path))
        return (chosen, *_counters(proc, pid, mounts, files))
    found = match_target(scan.containers, text)
    if len(found) == 1:
        return (_of(victims, _key(found[0])), *_counters(proc, found[0].init_pid, mounts, files))
    if len(found) > 1:
        from nsview.errors import AmbiguousTarget

        raise AmbiguousTarget(target, sorted(c.label() for c in found))
    # Not running: the containers the kills name, and those Docker still keeps on disk.
    gone: dict[ContainerKey, Container] = {}
    for v in victims:
        if v.runtime is not None:
            key = ContainerKey(v.runtime, v.id, v.namespace)
            gone.setdefault(key, Container(v.runtime, v.id, v.name, 0, (), namespace=v.namespace))
    for cid, name in docker_containers(engine_fs, scan.docker_roots).items():
        gone.setdefault(ContainerKey("docker", cid), Container("docker", cid, name, 0, ()))
    store = podman_store(engine_fs, graph_roots(engine_fs))  # podman's, named in its store
    for cid in sorted(set(store.stored) | set(store.records)):
        named = store.name(cid)
        key = ContainerKey("podman", cid)
        if key not in gone or gone[key].name is None:  # a kill's container, named by the store
            gone[key] = Container("podman", cid, named[0] if named else None, 0, ())
    hits = match_target(tuple(gone.values()), text)
    if not hits:
        raise TargetNotFound(
            f"no process, running container, stopped container or OOM kill matches {target!r} "
            "(a container removed with `docker rm` or run with --rm is known only by its id)"
        )
    if len(hits) > 1:
        from nsview.errors import AmbiguousTarget

        raise AmbiguousTarget(target, sorted(c.label() for c in hits))
    note = f"{hits[0].label()} is not running: its cgroup is gone, so there are no counters to read"
    return _of(victims, _key(hits[0])), (), note


def _of(victims: tuple[OomVictim, ...], key: ContainerKey) -> tuple[OomVictim, ...]:
    return tuple(
        v for v in victims if (v.runtime, v.id, v.namespace) == (key.runtime, key.id, key.namespace) and v.id
    )


def _under(path: str | None, top: str | None) -> bool:
    if path is None or top is None:
        return False
    return top == "/" or path == top or path.startswith(top.rstrip("/") + "/")


def _memory_path(proc: ProcFS, pid: int, files: CgroupFiles) -> str | None:
    """The memory cgroup of ``pid`` in the hierarchy the kernel log's paths refer to."""
    try:
        return memory_cgroup(read_memberships(proc, pid, files))
    except NsviewError:
        return None


def _counters(
    proc: ProcFS, pid: int, mounts: tuple[CgroupMount, ...], files: CgroupFiles
) -> tuple[tuple[OomCounters, ...], str | None]:
    """memory.events (v2) or memory.oom_control and memory.failcnt (v1) of ``pid``'s memory
    cgroup and each ancestor up to the mount's root, own cgroup first; or none and why (the
    process exited meanwhile, no memory controller): an empty list never goes unexplained."""
    try:
        memberships = read_memberships(proc, pid, files)
    except NsviewError as err:
        return (), f"no counters: the cgroups of pid {pid} could not be read ({err.reason})"
    where = place("memory", memberships, mounts, lambda _d, _c: None)
    if not where.available or where.version is None:
        return (), f"no counters: {where.reason or 'no memory controller'}"
    root = next((m.root for m in mounts if m.target == where.mount_point and m.version == where.version), "/")
    out: list[OomCounters] = []
    for cgroup, directory in ancestors(where, root):
        if where.version == 2:
            events = files.keyed(directory, "memory.events") or {}
            out.append(
                OomCounters(
                    cgroup,
                    2,
                    oom=events.get("oom"),
                    oom_kill=events.get("oom_kill"),
                    max=events.get("max"),
                    high=events.get("high"),
                )
            )
        else:
            control = files.keyed(directory, "memory.oom_control") or {}
            out.append(
                OomCounters(
                    cgroup,
                    1,
                    oom_kill=control.get("oom_kill"),
                    failcnt=files.count(directory, "memory.failcnt"),
                )
            )
    return tuple(out), None
