"""`nsview ps`: every container on the host, from /proc and the engines' files alone (no engine API).

The scan, in steps (each a function below):
1. one pass over /proc: for each pid ``stat`` and the ``ns/*`` links; ``cgroup`` only for
   processes whose namespaces differ from the host (a process entirely in the host's
   namespaces is in no container), and not for a child in exactly its parent's namespaces,
   which inherited the parent's cgroups when it forked; ``cmdline`` only for the few
   supervisors (containerd shims, conmon, LXC monitors, dockerd);
2. what the supervisors' argv say;
3. attribution, a pure function (model/attribution.py: ``attribute``), then the groups,
   bare ``unshare`` groups included;
4. one Container per group; Docker's names from ``<data-root>/containers/<id>/config.v2.json``,
   read from the host filesystem (``fs_root``), never from inside a container;
5. once per container: its root filesystem type, memory limit, hostname and whether its cgroup
   is frozen (paused).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field, replace

from nsview.collect.oom import last_kill_in, memory_cgroup, ring_buffer_kills
from nsview.collect.privileges import HostContext
from nsview.errors import (
    AccessDenied,
    NoSuchProcess,
    NsviewError,
)
from nsview.model.attribution import (
    NAMESPACES_ONLY,
    Attribution,
    ContainerKey,
    ProcessEvidence,
    attribute,
    bare_groups,
    classify_cgroup_path,
    isolated_types,
    pick_cgroup_paths,
)
from nsview.model.cgroup import CgroupMembership, CgroupReport, EffectiveLimit
from nsview.model.container import (
    RUNTIMES,
    ComposeRef,
    Container,
    ContainerScan,
    NestedRef,
    StoppedContainer,
    process_state,
)
from nsview.model.mount import Mount, visible_mount
from nsview.model.pod import PodLogDir, PodRef, agree, pod_from_logs
from nsview.model.process import NAMESPACE_TYPES, HostReference, NamespaceRef
from nsview.model.record import record
from nsview.model.supervisor import (
    ContainerBoundary,
    DockerDaemon,
    boundary_from_parent,
    conmon_bundle,
    conmon_graph_root,
)
from nsview.parse.cmdline import parse_cmdline
from nsview.parse.ns_link import parse_ns_link
from nsview.parse.proc_cgroup import parse_proc_cgroup
from nsview.parse.stat import parse_stat
from nsview.procfs import KernelFS, ProcFS, host_root_for
from nsview.read.cgroupfs import FreezerReader
from nsview.read.engines import (
    docker_configs,
    docker_daemon_of,
    docker_roots_on_disk,
    docker_stopped,
    docker_unreadable,
)
from nsview.read.kubernetes import (
    containerd_bundles,
    crio_bundles,
    read_bundle_pod,
    read_pod_logs,
    read_podman_bundle_pod,
)
from nsview.read.namespaces import host_reference
from nsview.read.podman import PodmanStore, graph_roots, podman_store
from nsview.read.process import read_mountinfo, read_status
from nsview.read.procmount import hidepid_note, permission_hint

_NS_LINKS = tuple(f"ns/{t}" for t in NAMESPACE_TYPES)
_SUPERVISORS = ("containerd-shim", "conmon", "lxc", "[lxc", "dockerd")


@record
class _Seen:
    """What the scan keeps of one process."""

    pid: int
    ppid: int
    comm: str
    starttime: int
    zombie: bool
    state: str  # stat field 3, one letter
    links: dict[str, str]  # "ns/net" -> "net:[4026531833]", as readlink gave it
    ns_failed: bool
    differs: bool  # some readable namespace differs from the host reference (never a zombie)
    paths: tuple[str, ...] = ()  # cgroup paths, most telling first (pick_cgroup_paths)
    memberships: tuple[CgroupMembership, ...] = ()  # /proc/PID/cgroup, when it was read
    args: tuple[str, ...] | None = None  # argv, for supervisors only

    def evidence(self) -> ProcessEvidence:
        return ProcessEvidence(self.pid, self.ppid, self.differs, self.paths)


@dataclass(slots=True)
class _Tally:
    """Processes the scan could not classify: exited meanwhile, or unreadable (reason -> count)."""

    vanished: int = 0
    unreadable: dict[str, int] = field(default_factory=dict)

    def count(self, why: str) -> None:
        self.unreadable[why] = self.unreadable.get(why, 0) + 1


def _refs(links: dict[str, str]) -> dict[str, NamespaceRef]:
    out: dict[str, NamespaceRef] = {}
    for text in links.values():
        try:
            ref = parse_ns_link(text)
        except NsviewError:
            continue
        out[ref.type] = ref
    return out


def scan_containers(
    proc: ProcFS,
    sys: KernelFS | None = None,
    *,
    fs_root: str | os.PathLike[str] | None = None,
    details: bool = True,
    stopped: bool = False,
) -> ContainerScan:
    """Every container visible in ``proc``. Scans forgive: a process that exits mid-scan is
    skipped and counted, an unreadable one is counted with its reason. ``details=False`` skips
    the per-container extras (rootfs, memory, hostname): target resolution needs only ids.
    ``stopped``: also the containers the engines keep on disk that do not run (``ps --all``)."""
    proc.check_mounted()
    host = host_reference(proc)
    host_raw = {f"ns/{t}": str(ref) for t, ref in host.namespaces.items()}
    tally = _Tally()
    pids = proc.pids()
    seen = _read_processes(proc, pids, host_raw, tally)
    engine_fs = KernelFS(fs_root if fs_root is not None else host_root_for(proc.root))
    supervisors, daemons = _supervisors(proc, engine_fs, seen)
    docker_roots = [d.data_root for d in daemons]
    claims = attribute({pid: rec.evidence() for pid, rec in seen.items()}, supervisors)
    groups = _groups(seen, claims, host_raw, bool(host.namespaces), tally)
    names = docker_configs(engine_fs, docker_roots, [k.id for k in groups if k.runtime == "docker" and k.id])
    containers = [
        _container(proc, key, members, seen, claims, names, host, host_raw) for key, members in groups.items()
    ]
    containers = _with_pods(proc, engine_fs, containers, seen, supervisors, host_raw)
    store = None
    if stopped or any(c.runtime in _PODMAN_RUNTIMES for c in containers):
        conmon_roots = tuple(
            root for rec in seen.values() if rec.args and (root := conmon_graph_root(rec.args)) is not None
        )
        store = podman_store(engine_fs, graph_roots(engine_fs, conmon_roots))
        containers = _with_podman(engine_fs, containers, seen, supervisors, store)
    containers = _with_nesting(containers, claims)
    if details:
        containers = _with_details(proc, sys, containers, seen, tally)
    containers.sort(key=_sort_key)
    # names that were wanted (a container without one, or --all) but are root's to read
    unnamed = {c.runtime for c in containers if c.name is None and c.id is not None}
    denied = names_denied(
        engine_fs,
        docker_roots if stopped or "docker" in unnamed else None,
        store if stopped or unnamed & set(_PODMAN_RUNTIMES) else None,
    )
    # a Bolt database or an unreadable store matters for what --all can say
    notes = _notes(proc, host) + (store.notes if store is not None and stopped else ())
    found_stopped: tuple[StoppedContainer, ...] = ()
    if stopped:
        found_stopped = tuple(stopped_containers(engine_fs, docker_roots, store, containers))
    return ContainerScan(
        containers=tuple(containers),
        host=host,
        scanned=len(pids),
        vanished=tally.vanished,
        unreadable=sum(tally.unreadable.values()),
        unreadable_why=tuple(
            f"{why} ({permission_hint()})" if why in _DENIED else why for why in sorted(tally.unreadable)
        ),
        notes=notes + tuple(denied),
        docker_roots=tuple(docker_roots),
        stopped=found_stopped,
        names_denied=tuple(denied),
    )


_PODMAN_RUNTIMES = ("podman", "conmon")


def _with_podman(
    fs: KernelFS,
    containers: list[Container],
    seen: dict[int, _Seen],
    supervisors: dict[int, ContainerBoundary],
    store: PodmanStore,
) -> list[Container]:
    """Step 4b': a podman container's name from its conmon's ``-n`` (podman passes it), else
    from the store's containers.json or podman's database; its pod from the database."""
    out = []
    for c in containers:
        if c.runtime not in _PODMAN_RUNTIMES or c.id is None:
            out.append(c)
            continue
        evidence = list(c.evidence)
        name = c.name
        boundary = supervisors.get(seen[c.init_pid].ppid)
        if name is None and boundary is not None and boundary.id == c.id and boundary.name:
            name = boundary.name
            evidence.append("name from conmon -n")
        if name is None:
            stored = store.name(c.id)
            if stored is not None:
                name = stored[0]
                evidence.append(f"name from {stored[1]}")
        pod = c.pod
        record = store.records.get(c.id)
        if pod is None and record is not None and record[0].pod_id is not None:
            pod = podman_pod(record[0].pod_id, record[0].pod_name, record[0].infra, record[1])
            evidence.append(f"pod from {record[1]}")
        parent = seen.get(seen[c.init_pid].ppid)
        bundle = conmon_bundle(parent.args or ()) if parent is not None and boundary is not None else None
        if pod is None and bundle is not None:
            # the pod's id from the bundle's annotations; its name is in the database alone
            pod = read_podman_bundle_pod(fs, bundle)
            if pod is not None:
                evidence.append(f"pod id from {pod.source}")
        out.append(replace(c, name=name, pod=pod, evidence=tuple(evidence)))
    return out


def podman_pod(pod_id: str, pod_name: str | None, infra: bool, source: str) -> PodRef:
    """A podman pod as PodRef: no Kubernetes namespace; the infra container is its sandbox."""
    return PodRef(None, pod_name, pod_id, None, True if infra else None, None, "podman", source)


def names_denied(fs: KernelFS, docker_roots: list[str] | None, store: PodmanStore | None) -> list[str]:
    """``names need root: /var/lib/docker is not readable``, for each engine whose containers
    this scan found without a name (or ``--all`` asked for) but whose files that name them are
    closed to this user (None: not asked)."""
    out = []
    if docker_roots is not None:
        out += [f"names need root: {root} is not readable" for root in docker_unreadable(fs, docker_roots)]
    if store is not None:
        out += [f"podman names need root: {root} is not readable" for root in store.denied]
    return out


def stopped_containers(
    fs: KernelFS,
    docker_roots: list[str] | tuple[str, ...],
    store: PodmanStore | None,
    running: list[Container],
) -> list[StoppedContainer]:
    """The containers the engines keep on disk of which no process runs: Docker's from each data
    root's config.v2.json, podman's from its store and database (docs/hardening.md, row 38)."""
    ids = {c.id for c in running if c.id is not None}
    roots = list(docker_roots) + [r for r in docker_roots_on_disk(fs) if r not in docker_roots]
    out = docker_stopped(fs, roots, ids)
    if store is None:
        return sorted(out, key=lambda c: (c.name or "", c.id))
    bolt = next((n for n in store.notes if "Bolt" in n), None)
    for cid in sorted(set(store.stored) | set(store.records)):
        if cid in ids:
            continue
        record = store.records.get(cid)
        name = store.name(cid)
        source = record[1] if record is not None else store.stored[cid][1]
        state = record[0].state if record is not None else None
        errors: dict[str, str] = {}
        if state is not None and state.status in ("running", "paused", "stopping"):
            errors["exit"] = (
                f"{source} says {state.status}, but no process of it was found: it started or "
                "stopped during the scan"
            )
            state = None
        elif state is None:
            errors["exit"] = (
                "podman keeps its state in a Bolt database (libpod/bolt_state.db), which nsview does not read"
                if bolt
                else f"{source} does not say how it ended"
            )
        pod = None
        if record is not None and record[0].pod_id is not None:
            pod = podman_pod(record[0].pod_id, record[0].pod_name, record[0].infra, record[1])
        out.append(StoppedContainer("podman", cid, name[0] if name else None, state, source, pod, errors))
    return sorted(out, key=lambda c: (RUNTIMES.index(c.runtime), c.name or "", c.id))


# Reasons that mean "permission denied" and get the hint of what to do about it.
_DENIED = (AccessDenied.REASON, f"namespaces: {AccessDenied.REASON}")


def _read_processes(
    proc: ProcFS, pids: list[int], host_raw: dict[str, str], tally: _Tally
) -> dict[int, _Seen]:
    """Step 1: one pass over /proc. Kernel threads are left out (always the host's)."""
    seen: dict[int, _Seen] = {}
    for pid in pids:
        try:
            rec = _read_one(proc, pid, host_raw, seen)
        except NoSuchProcess:
            tally.vanished += 1
            continue
        except AccessDenied as err:
            tally.count(err.reason)
            continue
        except NsviewError as err:
            tally.count(err.message)
            continue
        if rec is not None:
            seen[pid] = rec
    return seen


def _supervisors(
    proc: ProcFS, fs: KernelFS, seen: dict[int, _Seen]
) -> tuple[dict[int, ContainerBoundary], list[DockerDaemon]]:
    """Step 2: what the supervisors' argv say (shims, conmon, LXC monitors), and where each
    dockerd keeps its containers' names (its argv, its daemon.json, the default; a rootless
    dockerd's under its user's home)."""
    supervisors: dict[int, ContainerBoundary] = {}
    daemons: list[DockerDaemon] = []
    for rec in seen.values():
        if rec.args is None:
            continue
        if rec.comm == "dockerd" or (rec.args and rec.args[0].rsplit("/", 1)[-1] == "dockerd"):
            if any(classify_cgroup_path(path) is not None for path in rec.paths):
                # a dockerd inside a container (dind): its paths are the container's, not the
                # host's; a rootless dockerd (rootlesskit's namespaces, a user's cgroup) sees
                # the host's home directories and counts
                continue
            try:
                uid: int | None = read_status(proc, rec.pid).uids[0]
            except (NsviewError, IndexError):
                uid = None
            daemon = docker_daemon_of(fs, rec.args, uid)
            if daemon.data_root not in [d.data_root for d in daemons]:
                daemons.append(daemon)
            continue
        boundary = boundary_from_parent(rec.comm, rec.args)
        if boundary is not None:
            supervisors[rec.pid] = boundary
    return supervisors, daemons


def _groups(
    seen: dict[int, _Seen], claims: Attribution, host_raw: dict[str, str], host_known: bool, tally: _Tally
) -> dict[ContainerKey, list[int]]:
    """Step 3: the members of each container; processes no engine claims but whose namespaces
    differ from the host's become "namespaces only" groups, one per bare ``unshare``."""
    groups: dict[ContainerKey, list[int]] = {}
    unclaimed: dict[int, tuple[str, ...]] = {}
    for pid, rec in seen.items():
        key = claims.keys.get(pid)
        if key is not None:
            groups.setdefault(key, []).append(pid)
        elif rec.differs and host_known:
            unclaimed[pid] = tuple(
                text
                for name, text in sorted(rec.links.items())
                if name in host_raw and host_raw[name] != text
            )
        elif rec.ns_failed and not rec.zombie:
            tally.count(f"namespaces: {AccessDenied.REASON}")  # neither namespaces nor cgroup placed it
    for members in bare_groups({p: seen[p].ppid for p in unclaimed}, unclaimed):
        groups[ContainerKey(NAMESPACES_ONLY, None, leader=members[0])] = members
    return groups


def _container(
    proc: ProcFS,
    key: ContainerKey,
    members: list[int],
    seen: dict[int, _Seen],
    claims: Attribution,
    names: dict[str, tuple[str | None, ComposeRef | None, str]],
    host: HostReference,
    host_raw: dict[str, str],
) -> Container:
    """Step 4: one container from its members: the init is the earliest started of the
    members whose parent is outside the group; for a bare group, the process that is pid 1 of
    the group's new pid namespace when there is one (``unshare --pid --fork``'s child)."""
    member_set = set(members)
    tops = [p for p in members if seen[p].ppid not in member_set] or members
    init = min(tops, key=lambda p: (seen[p].starttime, p))
    if key.runtime == NAMESPACES_ONLY:
        init = _pid_ns_init(proc, members, seen, host_raw) or init
    evidence = list(claims.evidence.get(key, ()))
    if key.runtime == NAMESPACES_ONLY:
        evidence.append("namespaces differ from the host reference; no engine claims them")
    name = None
    compose = None
    if key.runtime == "docker" and key.id in names:
        name, compose, where = names[key.id]
        evidence.append(f"name from {where}")
    elif key.runtime == "lxc":
        name = key.id
    namespaces = _refs(seen[init].links)
    isolated = isolated_types(namespaces, host.namespaces) if host.namespaces else None
    errors: dict[str, str] = {}
    if seen[init].ns_failed:
        # some links could not be read (not root): what it isolates is not known, not "none"
        isolated = None
        errors["isolated"] = f"namespaces: {AccessDenied.REASON}"
    elif isolated is None:
        errors["isolated"] = "the host's namespaces could not be read"
    if key.runtime == NAMESPACES_ONLY and isolated is not None:
        # the group isolates what any of its processes does: `unshare --pid --fork` puts
        # only the child in the new pid namespace, not the unshare process (the init)
        # (compared as the kernel's text: parsing 8 links of thousands of members shows)
        isolated = tuple(
            sorted(
                {
                    link[3:]
                    for p in members
                    for link, text in seen[p].links.items()
                    if host_raw.get(link, text) != text
                }
            )
        )
    return Container(
        runtime=key.runtime,
        id=key.id,
        name=name,
        init_pid=init,
        pids=tuple(sorted(members)),
        namespace=key.namespace,
        engine=claims.engine.get(key),
        pod_uid=claims.pod_uid.get(key),
        namespaces=namespaces,
        isolated=isolated,
        state=process_state(seen[init].state),
        evidence=tuple(evidence),
        compose=compose,
        errors=errors,
    )


def _pid_ns_init(
    proc: ProcFS, members: list[int], seen: dict[int, _Seen], host_raw: dict[str, str]
) -> int | None:
    """The member that is pid 1 of a pid namespace other than the host's: the first in its pid
    namespace (its parent is in another one), confirmed by the last NSpid field of its status
    (proc(5); "NSpid: 3074 1"). None when the group has no new pid namespace (``unshare`` without
    ``--pid``), or its pid 1 is not a member (it exited; a later process is pid 2 or more)."""
    host_pid = host_raw.get("ns/pid")
    firsts = [
        p
        for p in members
        if (link := seen[p].links.get("ns/pid")) is not None
        and link != host_pid
        and (seen[p].ppid not in seen or seen[seen[p].ppid].links.get("ns/pid") != link)
    ]
    for p in sorted(firsts, key=lambda p: (seen[p].starttime, p)):
        try:
            nspid = read_status(proc, p).nspid
        except NsviewError:
            continue  # exited or unreadable: the topmost member stays the init
        if len(nspid) > 1 and nspid[-1] == 1:
            return p
    return None


_POD_RUNTIMES = ("kubernetes", "containerd", "cri-o")


def _with_pods(
    proc: ProcFS,
    fs: KernelFS,
    containers: list[Container],
    seen: dict[int, _Seen],
    supervisors: dict[int, ContainerBoundary],
    host_raw: dict[str, str],
) -> list[Container]:
    """Step 4b: the pod of each CRI container, from its OCI bundle's annotations (found through
    its shim's cwd or conmon's -b, else the runtimes' default state directories), checked
    against the kubelet's /var/log/pods and the pod uid of its cgroup path."""
    logs: dict[str, PodLogDir] | None = None
    out: list[Container] = []
    for c in containers:
        if c.runtime not in _POD_RUNTIMES or c.id is None:
            out.append(c)
            continue
        bundles, why_not = _bundle_dirs(proc, c, seen, supervisors, host_raw)
        pod, why = read_bundle_pod(fs, bundles) if bundles else (None, why_not)
        uid = (pod.uid if pod is not None else None) or c.pod_uid
        if logs is None and (uid is not None or c.runtime == "kubernetes"):
            logs = read_pod_logs(fs)
        log_dir = (logs or {}).get(uid) if uid is not None else None
        evidence = list(c.evidence)
        errors = dict(c.errors)
        if pod is not None:
            conflict = agree(pod, log_dir, c.pod_uid)
            if conflict is not None:
                errors["pod"] = conflict
                pod = None
            else:
                evidence.append(f"pod from {pod.source}")
        sandbox = _is_sandbox(c, seen, supervisors)
        if pod is None and log_dir is not None:
            pod = replace(pod_from_logs(log_dir), sandbox=True if sandbox else None)
            evidence.append(f"pod from {log_dir.path}")
        elif pod is None and sandbox:
            # the names are nowhere to be read, but the shim still tells the sandbox apart
            pod = PodRef(
                None,
                None,
                c.pod_uid,
                None,
                True,
                c.id,
                None,
                "containerd-shim -id (a CRI shim's id is its sandbox's)",
            )
        elif pod is not None and log_dir is not None:
            evidence.append(f"pod also in {log_dir.path}")
        named = pod is not None and (pod.container is not None or pod.sandbox)
        if why is not None and not named and (c.runtime == "kubernetes" or pod is not None):
            errors.setdefault("pod", why)  # the bundle would have named the container
        pod_uid = c.pod_uid or (pod.uid if pod is not None else None)
        out.append(replace(c, pod=pod, pod_uid=pod_uid, evidence=tuple(evidence), errors=errors))
    return out


def _bundle_dirs(
    proc: ProcFS,
    c: Container,
    seen: dict[int, _Seen],
    supervisors: dict[int, ContainerBoundary],
    host_raw: dict[str, str],
) -> tuple[list[str], str | None]:
    """Where the container's bundle may be on the host, and why nowhere."""
    assert c.id is not None
    ppid = seen[c.init_pid].ppid
    boundary = supervisors.get(ppid)
    parent = seen.get(ppid)
    if boundary is not None and parent is not None:
        if parent.links.get("ns/mnt", host_raw.get("ns/mnt")) != host_raw.get("ns/mnt"):
            # a nested engine's shim (a kind node's): its files are in the outer's filesystem
            return (
                [],
                f"its {parent.comm} (pid {ppid}) runs in another mount namespace: its bundle is not on the host",
            )
        if boundary.runtime == "containerd":
            try:
                cwd: str | None = proc.pid_readlink(ppid, "cwd")
            except NsviewError:
                cwd = None
            return containerd_bundles(boundary.namespace or "k8s.io", c.id, cwd), None
        if boundary.runtime in ("cri-o", "conmon", "podman"):
            return crio_bundles(c.id, conmon_bundle(parent.args or ())), None
    if c.engine == "cri-o" or c.runtime == "cri-o":
        return crio_bundles(c.id, None), None
    if c.engine == "containerd" or c.runtime == "containerd":
        return containerd_bundles(c.namespace or "k8s.io", c.id, None), None
    return [], "no shim or conmon names its bundle"


def _is_sandbox(c: Container, seen: dict[int, _Seen], supervisors: dict[int, ContainerBoundary]) -> bool:
    """With CRI, containerd runs one shim per pod whose -id is the sandbox's id."""
    boundary = supervisors.get(seen[c.init_pid].ppid)
    return (
        c.runtime == "kubernetes"
        and boundary is not None
        and boundary.runtime == "containerd"
        and boundary.id == c.id
    )


def _with_nesting(containers: list[Container], claims: Attribution) -> list[Container]:
    """Step 4c: the chain of a container inside another, with the outers' names."""
    names = {(c.runtime, c.id): c.name for c in containers}
    out = []
    for c in containers:
        outer = claims.outer.get(ContainerKey(c.runtime, c.id, c.namespace)) if c.id else None
        if outer:
            chain = tuple(NestedRef(k.runtime, k.id or "", names.get((k.runtime, k.id))) for k in outer)
            c = replace(c, nested_in=chain)  # the cgroup path in its evidence shows the chain
        out.append(c)
    return out


def _with_details(
    proc: ProcFS, sys: KernelFS | None, containers: list[Container], seen: dict[int, _Seen], tally: _Tally
) -> list[Container]:
    """Step 5: per container, read once from its init: rootfs, memory limit, hostname, frozen.
    A container whose processes all exited meanwhile is dropped and counted as vanished."""
    finished: list[Container] = []
    hostnames = _hostnames(proc, containers, seen)
    from nsview.collect.cgroup import MemoryLimits
    from nsview.collect.privileges import host_context

    ctx = host_context(proc) if containers else None
    if ctx is not None:  # nsview's own mounts, read once for every container's cgroup lookups
        own_mounts = ctx.own_mounts
    else:
        try:
            own_mounts = read_mountinfo(proc, "self")
        except NsviewError:
            own_mounts = ()
    freezer = FreezerReader(sys, own_mounts)
    limits = MemoryLimits(sys, own_mounts) if sys is not None and own_mounts else None
    kills = ring_buffer_kills(proc) if containers else ()
    for c in containers:
        init = seen[c.init_pid]
        memberships = init.memberships
        frozen = freezer.state(memberships)
        c = replace(c, last_oom=last_kill_in(kills, memory_cgroup(memberships)))
        if limits is not None and memberships and not init.zombie:
            memory = limits.of(memberships)
        else:
            memory = _memory_limit(proc, sys, c.init_pid, own_mounts)
        table = _mount_table(proc, c)
        done = _finish(proc, c, hostnames.get(c.init_pid, (None, "not read")), frozen, memory, table)
        if done is not None and ctx is not None:
            mounts = table if isinstance(table, tuple) else None
            done = _with_privileges(proc, sys, done, ctx, mounts, init)
        if done is None:
            tally.vanished += len(c.pids)
        else:
            finished.append(done)
    return finished


def _notes(proc: ProcFS, host: HostReference) -> tuple[str, ...]:
    notes: list[str] = []
    if host.pid != 1:
        notes.append(f"host reference: {host.source}")
    hidden = hidepid_note(proc)  # docs/hardening.md, row 10: others' pids give ENOENT; say so
    if hidden:
        notes.append(hidden)
    return tuple(notes)


@functools.lru_cache(maxsize=4096)
def _cgroup_of(data: bytes) -> tuple[tuple[CgroupMembership, ...], tuple[str, ...]]:
    """Parsed /proc/PID/cgroup and its candidate paths. A container's processes share the
    same text, so a host-wide scan parses it once per cgroup, not once per process."""
    memberships = parse_proc_cgroup(data)
    return memberships, tuple(pick_cgroup_paths(memberships))


def _read_one(proc: ProcFS, pid: int, host_raw: dict[str, str], seen: dict[int, _Seen]) -> _Seen | None:
    data, found, failed = proc.pid_stat_and_links(pid, _NS_LINKS)
    stat = parse_stat(data)
    if stat.kernel_thread:
        return None  # always in the initial namespaces; never a container's
    # compare the kernel's text ("net:[4026531833]") as is; parse only what is shown later
    differs = any(host_raw.get(name, text) != text for name, text in found.items())
    memberships: tuple[CgroupMembership, ...] = ()
    paths: tuple[str, ...] = ()
    parent = seen.get(stat.ppid)
    if differs and not failed and parent is not None and parent.links == found and parent.memberships:
        # A fork inherits its parent's cgroups: in the parent's very namespaces, take its
        # cgroup instead of reading one more file per process (a 3000-process scan reads 30).
        memberships, paths = parent.memberships, parent.paths
    elif differs or failed or stat.zombie:
        try:
            memberships, paths = _cgroup_of(proc.pid_read(pid, "cgroup"))
        except NoSuchProcess:
            raise
        except NsviewError:
            if failed:
                raise AccessDenied(f"/proc/{pid}/ns and cgroup", pid) from None
    args = None
    if stat.comm.startswith(_SUPERVISORS):
        try:
            args = parse_cmdline(proc.pid_read(pid, "cmdline", limit=64 * 1024))
        except NoSuchProcess:
            raise
        except NsviewError:
            args = None
    return _Seen(
        pid,
        stat.ppid,
        stat.comm,
        stat.starttime,
        stat.zombie,
        stat.state,
        found,
        bool(failed),
        differs and not stat.zombie,  # a zombie's links are mostly gone: it cannot define a group
        paths,
        memberships,
        args,
    )


def _mount_table(proc: ProcFS, c: Container) -> tuple[Mount, ...] | NsviewError:
    """The init's mountinfo, parsed once for the root filesystem and the mount risks."""
    try:
        return read_mountinfo(proc, c.init_pid)
    except NsviewError as err:
        return err


def _finish(
    proc: ProcFS,
    c: Container,
    hostname: tuple[str | None, str | None],
    freezer: tuple[str | None, str | None],
    memory_limit: tuple[EffectiveLimit | None, str | None],
    table: tuple[Mount, ...] | NsviewError,
) -> Container | None:
    """The per-container extras, read once from the init process. None when every process of
    the container has exited meanwhile (it stopped while we scanned: no phantom row)."""
    errors: dict[str, str] = dict(c.errors)  # what earlier steps could not read (the pod)
    rootfs = None
    if isinstance(table, NoSuchProcess):
        if not any(proc.pid_exists(p) for p in c.pids):
            return None
        errors["rootfs_type"] = "init process exited"
    elif isinstance(table, NsviewError):
        errors["rootfs_type"] = table.reason
    else:
        root = visible_mount(table, "/")
        rootfs = root.fstype if root is not None else None
    memory, mem_err = memory_limit
    if mem_err:
        errors["memory_limit"] = mem_err
    name, host_err = hostname
    if host_err:
        errors["hostname"] = host_err
    frozen_word, freezer_err = freezer
    if freezer_err:
        errors["frozen"] = freezer_err
    frozen = None if frozen_word is None else frozen_word != "thawed"
    state = process_state(None, frozen_word) or c.state  # "paused" over the init's own state
    return replace(
        c, rootfs_type=rootfs, memory_limit=memory, hostname=name, errors=errors, state=state, frozen=frozen
    )


def _with_privileges(
    proc: ProcFS,
    sys: KernelFS | None,
    c: Container,
    ctx: HostContext,
    mounts: tuple[Mount, ...] | None,
    init: _Seen,
) -> Container:
    from nsview.collect.privileges import collect_privileges
    from nsview.model.privileges import defaults_of

    engine = defaults_of(c.runtime, c.engine)
    try:
        priv = collect_privileges(
            proc,
            sys if sys is not None else KernelFS("/sys"),
            c.init_pid,
            ctx,
            engine=engine,
            detect_engine=False,
            mount_table=mounts,
            # what the scan read of the init already: not read again per container
            starttime=init.starttime,
            namespace_refs=None if init.ns_failed else c.namespaces,
            memberships=init.memberships or None,
        )
    except NsviewError as err:
        return replace(c, errors={**c.errors, "privileges": err.reason})
    return replace(c, privileges=priv)


def _memory_limit(
    proc: ProcFS, sys: KernelFS | None, pid: int, own_mounts: tuple[Mount, ...]
) -> tuple[EffectiveLimit | None, str | None]:
    """Through the cgroup collector (the one reader of limits in nsview), when it is there."""
    from nsview.collect.cgroup import collect_cgroup

    try:
        report = collect_cgroup(
            proc,
            sys if sys is not None else KernelFS("/sys"),
            pid,
            ("memory",),
            own_mounts or None,
            details=False,
        )
    except NoSuchProcess:
        return None, "process exited"
    except NsviewError as err:
        return None, err.reason
    return memory_from_report(report)


def memory_from_report(report: CgroupReport) -> tuple[EffectiveLimit | None, str | None]:
    """The binding (effective) memory limit of a report, else its own cgroup's limit (with no
    setter named: an ancestor could not be read), else why there is none."""
    if report.memory_limit is not None:
        return report.memory_limit, None
    own = report.memory.limit if report.memory is not None else None
    if own is None:
        return None, report.errors.get("memory") or "memory controller not available"
    placement = report.placement("memory")
    return EffectiveLimit(own, None, False, (placement.cgroup if placement else None) or "/"), None


def _hostnames(
    proc: ProcFS, containers: list[Container], seen: dict[int, _Seen]
) -> dict[int, tuple[str | None, str | None]]:
    """(hostname, why not) per init pid: the kernel's hostname of each UTS namespace, asked
    once per namespace, all by one forked child (see nsview.enter)."""
    from nsview.read.hostname import read_uts_each

    by_ns: dict[object, list[int]] = {}
    for c in containers:
        uts = c.namespaces.get("uts")
        by_ns.setdefault(uts.inode if uts is not None else ("pid", c.init_pid), []).append(c.init_pid)
    leaders = [pids[0] for pids in by_ns.values()]
    answers = read_uts_each(proc, [(pid, seen[pid].starttime) for pid in leaders])
    out: dict[int, tuple[str | None, str | None]] = {}
    for pids, answer in zip(by_ns.values(), answers, strict=True):
        if isinstance(answer, NoSuchProcess):
            value: tuple[str | None, str | None] = (None, "process exited")
        elif isinstance(answer, NsviewError):
            value = (None, answer.reason)
        else:
            value = (answer.hostname, None)
        for pid in pids:
            out[pid] = value
    return out


def _sort_key(c: Container) -> tuple[int, str, str, str, str, int]:
    order = RUNTIMES.index(c.runtime) if c.runtime in RUNTIMES else len(RUNTIMES)
    pod = (c.pod.label() if c.pod is not None else None) or c.pod_uid or ""
    return (order, c.namespace or "", pod, c.name or "", c.id or "", c.init_pid)
