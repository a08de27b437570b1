"""Which container a process belongs to, from the text the kernel and the engines leave behind.

Pure: cgroup paths, namespace links and argv in, records out. The engines' conventions for cgroup
paths (each one the path a process of the container shows in /proc/PID/cgroup):

  /docker/<64 hex>                                               docker, cgroupfs driver
  /system.slice/docker-<64 hex>.scope                            docker, systemd driver
  /machine.slice/libpod-<64 hex>.scope                           podman (systemd; rootless under user@UID.service)
  /libpod_parent/libpod-<64 hex>                                 podman, cgroupfs driver
  /kubepods.slice/kubepods-burstable.slice/
      kubepods-burstable-pod<uid with _ for ->.slice/cri-containerd-<64 hex>.scope
                                                                 kubernetes + containerd, systemd driver
  .../kubepods-pod<uid>.slice/crio-<64 hex>.scope                kubernetes + CRI-O, systemd driver
  /kubepods/burstable/pod<uid>/<64 hex>                          kubernetes, cgroupfs driver
  /kubepods/pod<uid>/crio-<64 hex>                               kubernetes + CRI-O, cgroupfs driver
  /kubepods-besteffort-pod<uid>.slice:cri-containerd:<64 hex>    containerd 1.4 era: runc's systemd
                                                                 "slice:prefix:id" taken literally
  (pod<uid>: a UUID, or a static pod's 32 hex digits: the kubelet's hash of its manifest)
  /machine.slice/crio-<64 hex>.scope                             CRI-O outside Kubernetes
  /<containerd namespace>/<id>                                   plain containerd (only with a shim to confirm it)
  /lxc.payload.<name>  /lxc.payload/<name>  /lxc/<name>          LXC (4.x, 3.x, 2.x)

A container inside a container continues its outer's path with its own engine's convention:
  /docker/<outer>/docker/<inner>                                 docker-in-docker
  /system.slice/docker-<node>.scope/kubelet.slice/kubelet-kubepods.slice/.../cri-containerd-<id>.scope
                                                                 a kind node's pods
The innermost one is the process's container; the others are its chain.

``crio-conmon-<id>.scope`` and ``libpod-conmon-<id>.scope`` hold the *monitor* (conmon), not the
container, and are not matched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field

from nsview.model.process import CgroupMembership, NamespaceRef
from nsview.model.record import record
from nsview.model.supervisor import ContainerBoundary

_HEX64 = r"[0-9a-f]{64}"


_SCOPE = rf"^(docker|libpod|crio|cri-containerd)-({_HEX64})\.scope$"


_HEX_ID = rf"^{_HEX64}$"


# A pod uid: the API server's UUID (36 characters; systemd slice names write "_" for "-"), or
# a static pod's 32 hex digits (the kubelet hashes the manifest: no UUID, no dashes).
_UID = r"[0-9a-f]{8}(?:[-_][0-9a-f]{4}){3}[-_][0-9a-f]{12}|[0-9a-f]{32}"


# kubepods-burstable-pod<uid>.slice, and kind's "kubelet-" prefixed cgroup root.
_POD_SLICE = rf"^(?:[a-z0-9]+-)*kubepods(?:-[a-z]+)?-pod({_UID})\.slice$"


_POD_DIR = rf"^pod({_UID})$"


# The kubelet's cgroup root: kubepods (cgroupfs), kubepods.slice, kind's kubelet-kubepods.slice.
_KUBEPODS = r"^(?:[a-z0-9]+-)*kubepods(?:\.slice)?$"


# containerd 1.4-era (and any CRI runtime left on the cgroupfs driver while the kubelet used the
# systemd one): runc's "slice:prefix:name" cgroupsPath written unexpanded, as one directory,
# e.g. /kubepods-besteffort-pod<uid>.slice:cri-containerd:<id> (containerd/runwasi#821).
_SYSTEMD_TRIPLE = (
    rf"^(?:[a-z0-9]+-)*kubepods(?:-[a-z]+)?-pod({_UID})\.slice:(cri-containerd|crio|docker):({_HEX64})$"
)


# The CRI-O cgroupfs driver names the container's directory crio-<id>, with no .scope.
_CRIO_DIR = rf"^crio-({_HEX64})$"


_LXC_PAYLOAD = r"^lxc\.payload[.](.+)$"


_SCOPE_RUNTIME = {"docker": "docker", "libpod": "podman", "crio": "cri-o", "cri-containerd": "containerd"}


@record
class CgroupMatch:
    """What one cgroup path says about its process."""

    runtime: str  # one of RUNTIMES
    id: str  # the engine's id (LXC: the container name)
    engine: str | None = None  # for kubernetes: the CRI runtime ("containerd", "cri-o", "docker")
    pod_uid: str | None = None  # kubernetes pod uid, with dashes (a static pod's: 32 hex digits)
    evidence: str = ""
    outer: tuple[tuple[str, str], ...] = ()  # the containers it is nested in, outermost first


def classify_cgroup_path(path: str) -> CgroupMatch | None:
    """The innermost container a cgroup path names, or None. Works on whole path components
    only, so a directory merely *containing* "docker-" or "/.." cannot be mistaken for one.
    A container inside a container (docker-in-docker, a kind node's pods, Docker inside LXC)
    shows as the outer's path continued by the inner engine's own convention; the match is
    the innermost one and ``outer`` names the others."""
    chain = cgroup_chain(path)
    if not chain:
        return None
    inner = chain[-1]
    outer = tuple((m.runtime, m.id) for m in chain[:-1])
    return CgroupMatch(inner.runtime, inner.id, inner.engine, inner.pod_uid, f"cgroup {path}", outer)


def cgroup_chain(path: str) -> tuple[CgroupMatch, ...]:
    """Every container a cgroup path names, outermost first. After a container's component,
    the rest of the path is read as a new cgroup root: what a nested engine sees as its "/"."""
    parts = [p for p in path.split("/") if p]
    if not parts or ".." in parts:
        return ()  # outside our cgroup namespace: the path says nothing we can trust
    chain: list[CgroupMatch] = []
    base = 0
    while base < len(parts):
        found = _first_match(parts, base)
        if found is None:
            break
        match, end = found
        chain.append(match)
        base = end
    return tuple(chain)


def _first_match(parts: list[str], base: int) -> tuple[CgroupMatch, int] | None:
    """The first container named at or below ``parts[base]`` (read as a cgroup root), and the
    index just past the component that named it."""
    kube = False
    pod_uid: str | None = None
    for i in range(base, len(parts)):
        part = parts[i]
        top = i == base
        # Each pattern is tried only on a component that has its fixed part: a process outside
        # any container compiles none of them (re caches each on first use), docs/design.md.
        m = re.match(_SYSTEMD_TRIPLE, part) if ":" in part else None
        if m:
            uid = m.group(1).replace("_", "-")
            engine = _SCOPE_RUNTIME[m.group(2)]
            return CgroupMatch("kubernetes", m.group(3), engine, uid), i + 1
        if "kubepods" in part and re.match(_KUBEPODS, part):
            kube = True
            continue
        if pod_uid is None:
            m = re.match(_POD_SLICE, part) if "kubepods" in part else None
            if m is None and kube and part.startswith("pod"):
                m = re.match(_POD_DIR, part)
            if m:
                kube = True
                pod_uid = m.group(1).replace("_", "-")
                continue
        m = re.match(_SCOPE, part) if part.endswith(".scope") else None
        if m:
            engine = _SCOPE_RUNTIME[m.group(1)]
            if kube:
                return CgroupMatch("kubernetes", m.group(2), engine, pod_uid), i + 1
            if engine == "containerd":
                return None  # cri-containerd scopes outside kubepods: no pod, nothing sure
            return CgroupMatch(engine, m.group(2)), i + 1
        if kube and pod_uid is not None:
            m = re.match(_CRIO_DIR, part) if part.startswith("crio-") else None
            if m:
                return CgroupMatch("kubernetes", m.group(1), "cri-o", pod_uid), i + 1
            if _is_hex_id(part):
                # cgroupfs driver: the engine is not in the path; a shim or conmon may tell later
                return CgroupMatch("kubernetes", part, None, pod_uid), i + 1
        if not top:
            continue
        nxt = parts[i + 1] if i + 1 < len(parts) else ""
        if part == "docker" and _is_hex_id(nxt):
            return CgroupMatch("docker", nxt), i + 2
        if part == "libpod_parent" and nxt.startswith("libpod-") and _is_hex_id(nxt[len("libpod-") :]):
            return CgroupMatch("podman", nxt[len("libpod-") :]), i + 2
        m = re.match(_LXC_PAYLOAD, part) if part.startswith("lxc.payload.") else None
        if m:
            return CgroupMatch("lxc", m.group(1)), i + 1
        if part in ("lxc.payload", "lxc") and nxt:
            return CgroupMatch("lxc", nxt), i + 2
    return None


def _is_hex_id(text: str) -> bool:
    return len(text) == 64 and re.match(_HEX_ID, text) is not None


def containerd_path(path: str) -> tuple[str, str] | None:
    """``/<namespace>/<id>`` (and anything below it) -> (namespace, id). Any two-level path
    has this shape, so a caller must confirm it with a shim's ``-namespace``/``-id``."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or ".." in parts:
        return None
    return parts[0], parts[1]


def pick_cgroup_paths(memberships: tuple[CgroupMembership, ...]) -> list[str]:
    """The distinct paths of one /proc/PID/cgroup, in the order most likely to name the
    container: the unified hierarchy, name=systemd, then the v1 controllers."""

    def rank(m: CgroupMembership) -> int:
        if m.hierarchy_id == 0 and not m.controllers:
            return 0
        if "name=systemd" in m.controllers:
            return 1
        return 2

    seen: list[str] = []
    for m in sorted(memberships, key=rank):
        if m.path not in seen:
            seen.append(m.path)
    return seen


def bare_groups(parent: dict[int, int], differing: dict[int, tuple[str, ...]]) -> list[list[int]]:
    """Group the processes no engine claims ("namespaces only") into one group per bare
    ``unshare``: a process joins its parent when the parent is also unclaimed (``unshare
    --pid --fork`` leaves unshare in mnt,net,uts and its child also in the new pid ns), and
    processes in exactly the same namespaces are one group (``nsenter`` into it from a host
    shell). ``parent``: pid -> ppid; ``differing``: pid -> its namespaces that differ from the
    host, for the unclaimed pids only. Groups come sorted, each sorted by pid."""
    leader: dict[int, int] = {pid: pid for pid in differing}

    def find(pid: int) -> int:
        root = pid
        while leader[root] != root:
            root = leader[root]
        while leader[pid] != root:  # path compression keeps long chains cheap
            leader[pid], pid = root, leader[pid]
        return root

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            leader[max(ra, rb)] = min(ra, rb)

    same: dict[tuple[str, ...], int] = {}
    for pid in sorted(differing):
        ppid = parent.get(pid)
        if ppid is not None and ppid in differing:
            union(pid, ppid)
        first = same.setdefault(differing[pid], pid)
        union(pid, first)
    groups: dict[int, list[int]] = {}
    for pid in sorted(differing):
        groups.setdefault(find(pid), []).append(pid)
    return sorted(groups.values())


def isolated_types(own: dict[str, NamespaceRef], host: dict[str, NamespaceRef]) -> tuple[str, ...]:
    """Namespace types where ``own`` differs from the host reference (both must be known)."""
    return tuple(sorted(t for t, ref in own.items() if t in host and host[t] != ref))


# ---- from evidence to containers -------------------------------------------------------------


@record
class ContainerKey:
    """A container's identity within one scan: every process of it maps to the same key."""

    runtime: str  # one of RUNTIMES
    id: str | None  # the engine's id (LXC: the name); None for "namespaces only"
    namespace: str | None = None  # containerd namespace: ids are unique only within one
    leader: int | None = None  # "namespaces only": the group's lowest pid


@record
class ProcessEvidence:
    """What attribution needs of one process (kernel threads are never given)."""

    pid: int
    ppid: int
    differs: bool  # some namespace differs from the host reference (False for a zombie)
    cgroup_paths: tuple[str, ...]  # pick_cgroup_paths order; () when /proc/PID/cgroup was not read


@record
class Attribution:
    """Which container each process is in, and what said so."""

    keys: dict[int, ContainerKey]  # pid -> its container, for the pids some evidence claims
    evidence: dict[ContainerKey, tuple[str, ...]]  # at most EVIDENCE_MAX items each
    pod_uid: dict[ContainerKey, str]  # kubernetes
    engine: dict[ContainerKey, str]  # kubernetes: the CRI runtime, when known
    outer: dict[ContainerKey, tuple[ContainerKey, ...]] = field(default_factory=dict)
    # a nested container -> the containers it runs inside, outermost first


EVIDENCE_MAX = 8
NAMESPACES_ONLY = "namespaces only"


def engine_key(namespace: str | None, cid: str) -> ContainerKey:
    """A container a containerd shim serves. Docker runs its containers in containerd
    namespace "moby": those are Docker's."""
    if namespace == "moby":
        return ContainerKey("docker", cid)
    return ContainerKey("containerd", cid, namespace)


def boundary_key(b: ContainerBoundary) -> ContainerKey | None:
    """The container a supervisor (shim, conmon, LXC monitor) says its children are in."""
    if b.runtime == "containerd":
        return engine_key(b.namespace, b.id or "")
    if b.runtime in ("podman", "cri-o", "lxc"):
        return ContainerKey(b.runtime, b.id)
    if b.runtime == "conmon":
        return ContainerKey("podman", b.id)
    return None


def attribute(
    processes: Mapping[int, ProcessEvidence], supervisors: Mapping[int, ContainerBoundary]
) -> Attribution:
    """Assign processes to containers. Evidence, strongest first: a plain containerd cgroup
    ``/<ns>/<id>`` that a shim's ``-namespace``/``-id`` confirms; a cgroup path an engine's
    convention names (classify_cgroup_path); the supervisor that is the process's parent. A
    process with no evidence of its own is in its parent's container when its namespaces
    differ from the host's too (and it is no supervisor itself). ``supervisors``: pid -> what
    that process's argv says about its children."""
    shim_ids = {(b.namespace, b.id) for b in supervisors.values() if b.runtime == "containerd"}
    evidence: dict[ContainerKey, list[str]] = {}
    pod_uid: dict[ContainerKey, str] = {}
    engine: dict[ContainerKey, str] = {}
    outer: dict[ContainerKey, tuple[ContainerKey, ...]] = {}

    def note(key: ContainerKey, text: str) -> None:
        items = evidence.setdefault(key, [])
        if text not in items and len(items) < EVIDENCE_MAX:
            items.append(text)

    def own_key(p: ProcessEvidence) -> ContainerKey | None:
        # A shim-confirmed /<ns>/<id> first: two sources agree, and a containerd namespace
        # may be called "lxc" or "docker" like another engine's cgroup parent.
        for path in p.cgroup_paths:
            pair = containerd_path(path)
            if pair is not None and pair in shim_ids:
                key = engine_key(*pair)
                note(key, f"cgroup {path} + containerd-shim -namespace {pair[0]} -id {pair[1]}")
                return key
        parent = supervisors.get(p.ppid)
        for path in p.cgroup_paths:
            match = classify_cgroup_path(path)
            if match is not None:
                key = _key_of_match(match, parent, pod_uid, engine)
                note(key, match.evidence)
                if match.outer:
                    outer.setdefault(key, tuple(ContainerKey(rt, cid) for rt, cid in match.outer))
                if parent is not None and parent.id == match.id:
                    note(key, parent.evidence)
                return key
        if parent is not None and p.differs and parent.id is not None:
            claimed = boundary_key(parent)
            if claimed is not None:
                note(claimed, f"parent {p.ppid} is {parent.evidence}")
                return claimed
        return None

    keys: dict[int, ContainerKey | None] = {}
    for pid in processes:
        # Walk up the ppid chain (iteratively: chains can be thousands long) to the nearest
        # process with evidence of its own, then hand its key down to those who inherit it.
        chain: list[int] = []
        cur = pid
        result: ContainerKey | None = None
        while cur in processes and cur not in keys and cur not in chain:
            chain.append(cur)
            key = own_key(processes[cur])
            if key is not None:
                keys[cur] = key
                chain.pop()
                result = key
                break
            cur = processes[cur].ppid
        else:
            result = keys.get(cur)
        for p in reversed(chain):
            inherit = result is not None and processes[p].differs and p not in supervisors
            keys[p] = result if inherit else None
            result = keys[p]
    return Attribution(
        keys={pid: key for pid, key in keys.items() if key is not None},
        evidence={key: tuple(items) for key, items in evidence.items()},
        pod_uid=pod_uid,
        engine=engine,
        outer=outer,
    )


def _key_of_match(
    m: CgroupMatch,
    parent: ContainerBoundary | None,
    pod_uid: dict[ContainerKey, str],
    engine: dict[ContainerKey, str],
) -> ContainerKey:
    if m.runtime != "kubernetes":
        return ContainerKey(m.runtime, m.id)
    key = ContainerKey("kubernetes", m.id)
    if m.pod_uid is not None:
        pod_uid.setdefault(key, m.pod_uid)
    found = m.engine
    if found is None and parent is not None:
        found = {"containerd": "containerd", "cri-o": "cri-o"}.get(parent.runtime)
        if found == "containerd" and parent.namespace == "moby":
            found = "docker"  # dockershim / cri-dockerd: Docker's containerd namespace
        if found is None and parent.runtime in ("podman", "conmon"):
            found = "cri-o"  # conmon under kubepods is CRI-O's
    if found is not None:
        engine.setdefault(key, found)
    return key


def cgroup_container(path: str, running: tuple[ContainerKey, ...]) -> tuple[ContainerKey | None, str | None]:
    """The container a cgroup path alone names, and its pod uid: what is left of a container
    that is gone (an OOM victim's ``task_memcg``). A plain containerd ``/<ns>/<id>`` counts only
    when a running container has that key: any two-level path has that shape."""
    match = classify_cgroup_path(path)
    if match is not None:
        return ContainerKey(match.runtime, match.id), match.pod_uid
    pair = containerd_path(path)
    if pair is not None:
        key = engine_key(*pair)
        if key in running:
            return key, None
    return None, None
