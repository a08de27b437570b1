"""Every container on the host, from /proc and the engines' files alone: no engine API.

One pass over /proc: for each pid, ``stat`` and the ``ns/*`` links; ``cgroup`` only for
processes whose namespaces differ from the host (a process entirely in the host's namespaces
is in no container), and not for a child in exactly its parent's namespaces, which inherited
the parent's cgroups when it forked; ``cmdline`` only for
the few supervisors (containerd shims, conmon, LXC monitors, dockerd). Then, once per container:
its root filesystem type, memory limit, hostname and whether its cgroup is frozen (paused).

Evidence, strongest first: the cgroup path (model.containers.classify_cgroup_path); the shim's
``-namespace``/``-id`` confirming a plain containerd ``/<ns>/<id>`` cgroup; the supervisor that
is the parent of a container's first process; a parent already known to be in a container.
Docker's names come from ``<data-root>/containers/<id>/config.v2.json``, read from the host
filesystem (``fs_root``), never from inside a container.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace

from nsview.errors import (
    AccessDenied,
    NoSuchProcess,
    NotAvailable,
    NsviewError,
)
from nsview.model.attribution import (
    CgroupMatch,
    bare_groups,
    classify_cgroup_path,
    containerd_path,
    isolated_types,
    pick_cgroup_paths,
)
from nsview.model.cgroup import CgroupMembership, CgroupReport, EffectiveLimit
from nsview.model.container import RUNTIMES, Container, ContainerScan, process_state
from nsview.model.mount import Mount, visible_mount
from nsview.model.process import NAMESPACE_TYPES, NamespaceRef
from nsview.model.supervisor import ContainerBoundary, boundary_from_parent, docker_data_root
from nsview.parse.cgroupfs import parse_cgroup_events_frozen, parse_freezer_state
from nsview.parse.cmdline import parse_cmdline
from nsview.parse.ns_link import parse_ns_link
from nsview.parse.proc_cgroup import parse_proc_cgroup
from nsview.parse.stat import parse_stat
from nsview.procfs import KernelFS, ProcFS, host_root_for
from nsview.read.engines import docker_names
from nsview.read.namespaces import host_reference
from nsview.read.process import read_mountinfo

_NS_LINKS = tuple(f"ns/{t}" for t in NAMESPACE_TYPES)
_SUPERVISORS = ("containerd-shim", "conmon", "lxc", "[lxc", "dockerd")


@dataclass(slots=True)
class _Seen:
    """What the scan keeps of one process (mutable while the scan assembles containers)."""

    pid: int
    ppid: int
    comm: str
    starttime: int
    zombie: bool
    state: str  # stat field 3, one letter
    links: dict[str, str]  # "ns/net" -> "net:[4026531833]", as readlink gave it
    ns_failed: bool
    differs: bool  # some readable namespace differs from the host reference
    paths: tuple[str, ...] = ()
    memberships: tuple[CgroupMembership, ...] = ()  # /proc/PID/cgroup, when it was read
    args: tuple[str, ...] | None = None


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
) -> ContainerScan:
    """Every container visible in ``proc``. Scans forgive: a process that exits mid-scan is
    skipped and counted, an unreadable one is counted with its reason. ``details=False`` skips
    the per-container extras (rootfs, memory, hostname): target resolution needs only ids."""
    proc.check_mounted()
    host = host_reference(proc)
    engine_fs = KernelFS(fs_root if fs_root is not None else host_root_for(proc.root))
    seen: dict[int, _Seen] = {}
    vanished = 0
    unreadable: dict[str, int] = {}
    host_raw = {f"ns/{t}": str(ref) for t, ref in host.namespaces.items()}
    pids = proc.pids()
    for pid in pids:
        try:
            rec = _read_one(proc, pid, host_raw, seen)
        except NoSuchProcess:
            vanished += 1
            continue
        except AccessDenied:
            unreadable["permission denied"] = unreadable.get("permission denied", 0) + 1
            continue
        except NsviewError as err:
            unreadable[err.message] = unreadable.get(err.message, 0) + 1
            continue
        if rec is not None:
            seen[pid] = rec

    supervisors: dict[int, ContainerBoundary] = {}
    docker_roots: list[str] = []
    for rec in seen.values():
        if rec.args is None:
            continue
        if rec.comm == "dockerd" or (rec.args and rec.args[0].rsplit("/", 1)[-1] == "dockerd"):
            root = docker_data_root(rec.args)
            if root and root not in docker_roots:
                docker_roots.append(root)
            continue
        boundary = boundary_from_parent(rec.comm, rec.args)
        if boundary is not None:
            supervisors[rec.pid] = boundary
    shim_ids = {(b.namespace, b.id) for b in supervisors.values() if b.runtime == "containerd"}

    keys: dict[int, tuple | None] = {}
    evidence: dict[tuple, list[str]] = {}
    extra: dict[tuple, dict] = {}

    def own_key(rec: _Seen) -> tuple | None:
        # A shim-confirmed /<ns>/<id> first: two sources agree, and a containerd namespace
        # may be called "lxc" or "docker" like another engine's cgroup parent.
        for path in rec.paths:
            pair = containerd_path(path)
            if pair is not None and pair in shim_ids:
                ns, cid = pair
                key = _engine_key(ns, cid)
                _note(evidence, key, f"cgroup {path} + containerd-shim -namespace {ns} -id {cid}")
                if key[0] == "containerd":
                    extra.setdefault(key, {"namespace": ns})
                return key
        for path in rec.paths:
            match = classify_cgroup_path(path)
            if match is not None:
                return _key_of_match(match, rec, supervisors.get(rec.ppid), evidence, extra)
        parent_boundary = supervisors.get(rec.ppid)
        if parent_boundary is not None and rec.differs and parent_boundary.id is not None:
            key = _boundary_key(parent_boundary)
            if key is not None:
                _note(evidence, key, f"parent {rec.ppid} is {parent_boundary.evidence}")
                if parent_boundary.namespace is not None and key[0] == "containerd":
                    extra.setdefault(key, {"namespace": parent_boundary.namespace})
                return key
        return None

    def key_of(pid: int) -> tuple | None:
        # Iterative walk up the ppid chain: a process without evidence of its own is in its
        # parent's container when it shares that container's namespaces.
        chain: list[int] = []
        cur = pid
        result: tuple | None = None
        while cur in seen and cur not in keys and cur not in chain:
            chain.append(cur)
            key = own_key(seen[cur])
            if key is not None:
                keys[cur] = key
                chain.pop()
                result = key
                break
            cur = seen[cur].ppid
        else:
            result = keys.get(cur)
        for p in reversed(chain):
            rec = seen[p]
            inherit = result is not None and rec.differs and rec.pid not in supervisors
            keys[p] = result if inherit else None
            result = keys[p]
        return keys.get(pid)

    groups: dict[tuple, list[int]] = {}
    unclaimed: dict[int, tuple[str, ...]] = {}
    for pid, rec in seen.items():
        key = key_of(pid)
        if key is not None:
            groups.setdefault(key, []).append(pid)
        elif rec.differs and not rec.zombie and host.namespaces:
            unclaimed[pid] = tuple(
                text
                for name, text in sorted(rec.links.items())
                if name in host_raw and host_raw[name] != text
            )
        elif rec.ns_failed and not rec.zombie:
            # neither its namespaces nor its cgroup placed it: we cannot say what it is
            unreadable["namespaces: permission denied"] = (
                unreadable.get("namespaces: permission denied", 0) + 1
            )
    # "namespaces only": bare unshare groups no engine claims, one per process subtree
    for members in bare_groups({p: seen[p].ppid for p in unclaimed}, unclaimed):
        key = ("namespaces only", members[0])
        groups[key] = members
        _note(evidence, key, "namespaces differ from the host reference; no engine claims them")

    names = docker_names(engine_fs, docker_roots, [k[1] for k in groups if k[0] == "docker"])
    containers: list[Container] = []
    for key, members in groups.items():
        member_set = set(members)
        tops = [p for p in members if seen[p].ppid not in member_set] or members
        init = min(tops, key=lambda p: (seen[p].starttime, p))
        info = extra.get(key, {})
        runtime = key[0]
        cid = key[1] if runtime != "namespaces only" else None
        if runtime == "containerd":
            cid = key[2]
        ev = list(evidence.get(key, []))
        name = None
        if runtime == "docker" and cid in names:
            name, where = names[cid]
            ev.append(f"name from {where}")
        elif runtime == "lxc":
            name = cid
        namespaces = _refs(seen[init].links)
        isolated = isolated_types(namespaces, host.namespaces) if host.namespaces else None
        if runtime == "namespaces only" and isolated is not None:
            # the group isolates what any of its processes does: `unshare --pid --fork` puts
            # only the child in the new pid namespace, not the unshare process (the init)
            # (compared as the kernel's text: parsing 8 links of thousands of members shows)
            isolated = tuple(
                sorted(
                    {
                        name[3:]
                        for p in members
                        for name, text in seen[p].links.items()
                        if host_raw.get(name, text) != text
                    }
                )
            )
        containers.append(
            Container(
                runtime=runtime,
                id=cid,
                name=name,
                init_pid=init,
                pids=tuple(sorted(members)),
                namespace=info.get("namespace"),
                engine=info.get("engine"),
                pod_uid=info.get("pod_uid"),
                namespaces=namespaces,
                isolated=isolated,
                state=process_state(seen[init].state),
                evidence=tuple(ev),
            )
        )

    if details:
        finished: list[Container] = []
        hostnames = _hostnames(proc, containers, seen)
        try:  # nsview's own mounts, read once for every container's cgroup lookups
            own_mounts = read_mountinfo(proc, "self")
        except NsviewError:
            own_mounts = ()
        freezer = _Freezer(sys, own_mounts)
        for c in containers:
            frozen = freezer.state(seen[c.init_pid].memberships)
            done = _finish(proc, sys, c, hostnames.get(c.init_pid, (None, "not read")), frozen, own_mounts)
            if done is None:
                vanished += len(c.pids)
            else:
                finished.append(done)
        containers = finished

    containers.sort(key=_sort_key)
    notes: list[str] = []
    if host.pid != 1:
        notes.append(f"host reference: {host.source}")
    from nsview.read.procmount import hidepid_note, permission_hint

    hidden = hidepid_note(proc)  # HARDENING #10: others' pids give ENOENT, say so
    if hidden:
        notes.append(hidden)
    return ContainerScan(
        containers=tuple(containers),
        host=host,
        scanned=len(pids),
        vanished=vanished,
        unreadable=sum(unreadable.values()),
        unreadable_why=tuple(
            f"{why} ({permission_hint()})" if "permission denied" in why else why
            for why in sorted(unreadable)
        ),
        notes=tuple(notes),
    )


@functools.lru_cache(maxsize=4096)
def _cgroup_of(data: bytes):
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
    rec = _Seen(
        pid, stat.ppid, stat.comm, stat.starttime, stat.zombie, stat.state, found, bool(failed), differs
    )
    if stat.zombie:
        rec.differs = False  # a zombie's links are mostly gone; it cannot define a group
    parent = seen.get(stat.ppid)
    if differs and not failed and parent is not None and parent.links == found and parent.memberships:
        # A fork inherits its parent's cgroups: in the parent's very namespaces, take its
        # cgroup instead of reading one more file per process (a 3000-process scan reads 30).
        rec.memberships, rec.paths = parent.memberships, parent.paths
    elif differs or failed or stat.zombie:
        try:
            rec.memberships, rec.paths = _cgroup_of(proc.pid_read(pid, "cgroup"))
        except NoSuchProcess:
            raise
        except NsviewError:
            if failed:
                raise AccessDenied(f"/proc/{pid}/ns and cgroup", pid) from None
    if stat.comm.startswith(_SUPERVISORS):
        try:
            rec.args = parse_cmdline(proc.pid_read(pid, "cmdline", limit=64 * 1024))
        except NoSuchProcess:
            raise
        except NsviewError:
            rec.args = None
    return rec


def _engine_key(namespace: str | None, cid: str) -> tuple:
    # Docker runs its containers in containerd namespace "moby": those are Docker's.
    if namespace == "moby":
        return ("docker", cid)
    return ("containerd", namespace, cid)


def _boundary_key(b: ContainerBoundary) -> tuple | None:
    if b.runtime == "containerd":
        return _engine_key(b.namespace, b.id or "")
    if b.runtime in ("podman", "cri-o", "lxc"):
        return (b.runtime, b.id)
    if b.runtime == "conmon":
        return ("podman", b.id)
    return None


def _key_of_match(
    m: CgroupMatch,
    rec: _Seen,
    parent: ContainerBoundary | None,
    evidence: dict[tuple, list[str]],
    extra: dict[tuple, dict],
) -> tuple:
    if m.runtime == "kubernetes":
        key: tuple = ("kubernetes", m.id)
        info = extra.setdefault(key, {})
        info.setdefault("pod_uid", m.pod_uid)
        engine = m.engine
        if engine is None and parent is not None:
            engine = {"containerd": "containerd", "cri-o": "cri-o"}.get(parent.runtime)
            if engine is None and parent.runtime in ("podman", "conmon"):
                engine = "cri-o"  # conmon under kubepods is CRI-O's
        if engine is not None:
            info.setdefault("engine", engine)
    else:
        key = (m.runtime, m.id)
    _note(evidence, key, m.evidence)
    if parent is not None and parent.id == m.id:
        _note(evidence, key, parent.evidence)
    return key


def _note(evidence: dict[tuple, list[str]], key: tuple, text: str) -> None:
    items = evidence.setdefault(key, [])
    if text not in items and len(items) < 8:
        items.append(text)


def _finish(
    proc: ProcFS,
    sys: KernelFS | None,
    c: Container,
    hostname: tuple[str | None, str | None],
    freezer: tuple[str | None, str | None],
    own_mounts: tuple[Mount, ...],
) -> Container | None:
    """The per-container extras, read once from the init process. None when every process of
    the container has exited meanwhile (it stopped while we scanned: no phantom row)."""
    errors: dict[str, str] = {}
    rootfs = None
    try:
        root = visible_mount(read_mountinfo(proc, c.init_pid), "/")
        rootfs = root.fstype if root is not None else None
    except NoSuchProcess:
        if not any(proc.pid_exists(p) for p in c.pids):
            return None
        errors["rootfs_type"] = "init process exited"
    except NsviewError as err:
        errors["rootfs_type"] = err.reason
    memory, mem_err = _memory_limit(proc, sys, c.init_pid, own_mounts)
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


class _Freezer:
    """Whether a container's cgroup is frozen (``docker pause``), located with the cgroup
    collector's own membership and mount helpers; the reader's cgroup mounts are read once."""

    def __init__(self, sys: KernelFS | None, own_mounts: tuple[Mount, ...]) -> None:
        from nsview.model.cgroup_placement import cgroup_mounts

        self.sys = sys
        self.mounts = cgroup_mounts(own_mounts) if sys is not None else ()

    def state(self, memberships: tuple[CgroupMembership, ...]) -> tuple[str | None, str | None]:
        """("frozen" | "freezing" | "thawed" | None, why None). Both freezers are asked: on a
        hybrid host runc freezes the v1 one while v2 cgroup.events keeps saying "frozen 0",
        and a cgroup2 freeze leaves the v1 root's state alone; either one holds the tasks."""
        if self.sys is None or not self.mounts:
            return None, None
        from nsview.model.cgroup_placement import placement_for

        v1 = [m for m in self.mounts if m.version == 1 and "freezer" in m.controllers]
        v2 = [m for m in self.mounts if m.version == 2]
        answers: list[tuple[str | None, str | None]] = []
        for mb in memberships:
            if mb.hierarchy_id != 0 and "freezer" in mb.controllers and v1:
                answers.append(
                    self._read(
                        placement_for("freezer", 1, "freezer", mb, v1), "freezer.state", parse_freezer_state
                    )
                )
                break
        unified = next((mb for mb in memberships if mb.unified), None)
        if unified is not None and v2:
            answers.append(
                self._read(
                    placement_for("freezer", 2, "freezer", unified, v2),
                    "cgroup.events",
                    parse_cgroup_events_frozen,
                )
            )
        for word in ("frozen", "freezing", "thawed"):
            if any(state == word for state, _ in answers):
                return word, None
        why = next((err for _, err in answers if err), None)
        return None, why  # no freezer file (root cgroup, none mounted): nothing wrong

    def _read(self, placement, name: str, parser) -> tuple[str | None, str | None]:
        from nsview.read.cgroupfs import host_location

        if not placement.available or self.sys is None:
            return None, placement.reason
        try:
            fs, rel = host_location(f"{placement.directory}/{name}", self.sys)
            return parser(fs.read_text(rel, 4096)), None
        except NotAvailable as err:
            return None, None if err.why == "does not exist" else err.why
        except NsviewError as err:
            return None, err.reason


def _memory_limit(
    proc: ProcFS, sys: KernelFS | None, pid: int, own_mounts: tuple[Mount, ...]
) -> tuple[EffectiveLimit | None, str | None]:
    """Through the cgroup collector (the one reader of limits in nsview), when it is there."""
    from nsview.collect.cgroup import collect_cgroup

    try:
        report = collect_cgroup(
            proc, sys if sys is not None else KernelFS("/sys"), pid, ("memory",), own_mounts or None
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


def _sort_key(c: Container) -> tuple:
    order = RUNTIMES.index(c.runtime) if c.runtime in RUNTIMES else len(RUNTIMES)
    return (order, c.namespace or "", c.name or "", c.id or "", c.init_pid)
