"""Containers as the host sees them: one record per container, a scan's result, and how a
TARGET string names one (docker's and ctr's rules). Pure; see model/attribution.py for how a
process is assigned to a container."""

from __future__ import annotations

import re
from dataclasses import field
from typing import TYPE_CHECKING

from nsview.errors import UsageError
from nsview.model.pod import POD_TARGET_PREFIX, SANDBOX_NAME, PodRef, parse_pod_target
from nsview.model.process import HostReference, NamespaceRef
from nsview.model.record import record

if TYPE_CHECKING:  # annotations only: `tree` reads containers without loading these records
    from nsview.model.cgroup import EffectiveLimit
    from nsview.model.oom import OomKill
    from nsview.model.privileges import Privileges

# Display order for `nsview ps` and the vocabulary of --runtime.
RUNTIMES: tuple[str, ...] = (
    "docker",
    "containerd",
    "podman",
    "cri-o",
    "kubernetes",
    "lxc",
    "namespaces only",
)


def runtime_filter(values: list[str] | None) -> frozenset[str]:
    """``--runtime`` values -> runtime names; "namespaces"/"ns" mean bare unshare groups."""
    wanted = frozenset(
        "namespaces only" if v.strip().lower() in ("namespaces", "ns") else v.strip().lower()
        for v in values or ()
    )
    unknown = sorted(wanted - set(RUNTIMES))
    if unknown:
        choices = ", ".join(r if r != "namespaces only" else "namespaces" for r in RUNTIMES)
        raise UsageError(f"unknown --runtime {', '.join(unknown)}; choose from: {choices}")
    return wanted


_HEX64 = r"[0-9a-f]{64}"
_HEX_ID = re.compile(rf"^{_HEX64}$")


@record
class ComposeRef:
    """Docker Compose's labels on a container: its project and service."""

    project: str | None
    service: str | None

    def label(self) -> str:
        return f"{self.project or '?'}/{self.service or '?'}"


@record
class NestedRef:
    """A container another one runs inside (docker-in-docker, a kind node, Docker in LXC)."""

    runtime: str
    id: str
    name: str | None = None  # when the outer is a container of this scan with a name

    @property
    def short_id(self) -> str:
        return self.id[:12] if _HEX_ID.match(self.id) else self.id

    def label(self) -> str:
        return f"{self.runtime} {self.short_id}" + (f" ({self.name})" if self.name else "")


@record
class Container:
    """One container as the host sees it. ``evidence`` says what identified it."""

    runtime: str  # one of RUNTIMES
    id: str | None  # full id; LXC: name; "namespaces only": None
    name: str | None
    init_pid: int
    pids: tuple[int, ...]
    namespace: str | None = None  # containerd namespace
    engine: str | None = None  # kubernetes: the CRI runtime when known
    pod_uid: str | None = None
    namespaces: dict[str, NamespaceRef] = field(default_factory=dict)  # of the init process
    isolated: tuple[str, ...] | None = None  # types that differ from the host reference
    hostname: str | None = None
    memory_limit: EffectiveLimit | None = None  # the binding one; cgroup None: setter unknown
    rootfs_type: str | None = None
    state: str | None = None  # the init process's, or "paused" (see process_state)
    frozen: bool | None = None  # the cgroup freezer holds it; None when not readable
    evidence: tuple[str, ...] = ()
    last_oom: OomKill | None = None  # the newest OOM kill in its memory cgroup, if logged
    errors: dict[str, str] = field(default_factory=dict)  # column -> why it is empty
    pod: PodRef | None = None  # Kubernetes: its pod and its name in it, from the host's files
    nested_in: tuple[NestedRef, ...] = ()  # the containers it runs inside, outermost first
    compose: ComposeRef | None = None  # Docker: compose project/service labels
    privileges: Privileges | None = None  # what it may do to the host (model/privileges.py)

    @property
    def short_id(self) -> str | None:
        if self.id is None:
            return None
        return self.id[:12] if _HEX_ID.match(self.id) else self.id

    @property
    def qualified_id(self) -> str | None:
        """How ``ctr`` names it: ``namespace/id`` for containerd, else the id."""
        if self.namespace is not None and self.id is not None:
            return f"{self.namespace}/{self.id}"
        return self.id

    def label(self) -> str:
        cid = self.short_id
        if cid is not None and self.namespace is not None:
            cid = f"{self.namespace}/{cid}"
        parts = [self.runtime, cid or f"pid {self.init_pid}"]
        if self.name:
            parts.append(f"({self.name})")
        if self.pod is not None:
            parts.append(f"(pod:{self.pod.label()})")
        return " ".join(parts)

    def nesting(self) -> str | None:
        """``in docker 5eed91756358 (node)``, innermost outer first, or None when not nested."""
        if not self.nested_in:
            return None
        return "in " + " in ".join(o.label() for o in reversed(self.nested_in))


@record
class ExitState:
    """How a container that does not run stands, as its engine's files say (Docker's
    config.v2.json ``State``, podman's ContainerState): the engine's word for it, and the facts."""

    status: str  # "exited", "created", "stopped", "dead", "unknown" (the engine's word)
    exit_code: int | None = None
    oom_killed: bool | None = None  # the engine saw the kernel's OOM killer end it
    started_at: str | None = None  # RFC 3339, as the engine wrote it; None: never started
    finished_at: str | None = None
    source: str = ""  # the file that said so

    def describe(self) -> str:
        """``exited 137 at 2026-12-01T21:35:58Z, killed by the kernel OOM killer``."""
        words = self.status
        if self.exit_code is not None and self.status in ("exited", "stopped", "dead"):
            words += f" {self.exit_code}"
        if self.finished_at and self.status != "created":
            words += f" at {short_time(self.finished_at)}"
        if self.oom_killed:
            words += ", killed by the kernel OOM killer"
        return words


_FRACTION = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+")


def short_time(stamp: str) -> str:
    """An RFC 3339 time without its fraction of a second (``2026-12-01T21:35:58Z``)."""
    return _FRACTION.sub(r"\1", stamp, count=1)


@record
class StoppedContainer:
    """A container its engine keeps on disk but no process of which runs (``nsview ps --all``)."""

    runtime: str  # "docker", "podman"
    id: str
    name: str | None
    exit: ExitState | None  # None: the engine's files do not say how it stands (errors says why)
    source: str  # the file that lists it
    pod: PodRef | None = None  # podman: its pod, from podman's database
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        return self.id[:12] if _HEX_ID.match(self.id) else self.id

    def label(self) -> str:
        return f"{self.runtime} {self.short_id}" + (f" ({self.name})" if self.name else "")

    def describe(self) -> str:
        """``container web is not running: exited 137 at ..., killed by the kernel OOM killer``."""
        what = self.name or self.short_id
        if self.exit is None:
            why = self.errors.get("exit") or "its engine's files do not say how it ended"
            return f"container {what} is not running ({why})"
        return f"container {what} is not running: {self.exit.describe()}"


@record
class ContainerScan:
    containers: tuple[Container, ...]
    host: HostReference
    scanned: int  # pids looked at
    vanished: int = 0  # exited during the scan: skipped
    unreadable: int = 0  # could not be read (permission denied): not classified
    unreadable_why: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    docker_roots: tuple[str, ...] = ()  # dockerd data roots (argv, daemon.json; where names live)
    stopped: tuple[StoppedContainer, ...] = ()  # with --all: the containers that do not run
    names_denied: tuple[str, ...] = ()  # "names need root: /var/lib/docker is not readable"


# proc(5) field 3 of /proc/PID/stat -> the word `nsview ps` shows. "D" is also what a task
# frozen by the v1 freezer shows, hence the freezer wins over the letter.
PROCESS_STATES: dict[str, str] = {
    "R": "running",
    "S": "sleeping",
    "D": "disk-sleep",
    "T": "stopped",
    "t": "tracing-stop",
    "Z": "zombie",
    "X": "dead",
    "I": "idle",
    "P": "parked",
    "W": "waking",
    "K": "wakekill",
}


def process_state(letter: str | None, freezer: str | None = None) -> str | None:
    """The state `nsview ps` shows: "paused" (or "pausing" while the freezer works) when the
    container's cgroup is frozen - what ``docker pause`` does - else the init's stat state.
    ``freezer`` is "frozen", "freezing", "thawed" or None (not known)."""
    if freezer == "frozen":
        return "paused"
    if freezer == "freezing":
        return "pausing"
    if letter is None:
        return None
    return PROCESS_STATES.get(letter, letter)


def match_stopped(
    containers: tuple[StoppedContainer, ...] | list[StoppedContainer], target: str
) -> list[StoppedContainer]:
    """Stopped containers ``target`` names: an exact id, then an exact name (``/NAME`` too),
    then a unique prefix of a hex id (the rules of ``match_target``)."""
    text = target.strip()
    if text.startswith(POD_TARGET_PREFIX) or not text:
        return []
    if text.startswith("/"):
        return [c for c in containers if c.name == text[1:]]
    exact = [c for c in containers if c.id == text] or [c for c in containers if c.name == text]
    if exact:
        return exact
    lowered = text.lower()
    if not all(ch in "0123456789abcdef" for ch in lowered):
        return []
    return [c for c in containers if _HEX_ID.match(c.id) and c.id.startswith(lowered)]


def match_target(containers: tuple[Container, ...] | list[Container], target: str) -> list[Container]:
    """Containers ``target`` names, by the rules users know from docker and ctr: an exact full
    id, then an exact name, then ``namespace/id``, then a unique prefix of a hex id; and
    ``pod:NAMESPACE/POD[/CONTAINER]`` for a Kubernetes pod's container (``/POD``: its sandbox).
    Returns every candidate (the caller decides: none is not found, several is ambiguous)."""
    text = target.strip()
    with_id = [c for c in containers if c.id is not None]
    wanted = parse_pod_target(text)
    if wanted is not None:
        in_pod = [
            c
            for c in with_id
            if c.pod is not None and (c.pod.namespace, c.pod.name) == (wanted.namespace, wanted.name)
        ]
        if wanted.container is None:  # the pod's container: one, or several to choose from
            return [c for c in in_pod if not (c.pod and c.pod.sandbox)]
        if wanted.container == SANDBOX_NAME:
            return [c for c in in_pod if c.pod and c.pod.sandbox]
        return [c for c in in_pod if c.pod and c.pod.container == wanted.container]
    if text.startswith("/"):
        # Docker writes names with a leading "/" (inspect, config.v2.json): a name, nothing else
        return [c for c in with_id if c.name == text[1:]]
    if "/" in text:
        ns, _, cid = text.partition("/")
        return [c for c in with_id if c.namespace == ns and c.id == cid]
    exact = [c for c in with_id if c.id == text] or [c for c in with_id if c.name == text]
    if exact:
        return exact
    lowered = text.lower()
    if not lowered or not all(ch in "0123456789abcdef" for ch in lowered):
        return []
    return [c for c in with_id if c.id is not None and _HEX_ID.match(c.id) and c.id.startswith(lowered)]


@record
class Pod:
    """One pod of a scan: the containers whose files name it, sandbox first."""

    namespace: str | None
    name: str | None
    uid: str | None
    containers: tuple[Container, ...]

    def label(self) -> str:
        if self.namespace is None and any(c.pod and c.pod.engine == "podman" for c in self.containers):
            return self.name or f"pod {(self.uid or '?')[:12]}"  # a podman pod has no namespace
        return f"{self.namespace or '?'}/{self.name or '?'}"


def group_pods(containers: tuple[Container, ...] | list[Container]) -> tuple[Pod, ...]:
    """The pods of a scan, one per pod uid (or namespace/name when no uid is known), sorted by
    namespace and name; a container with only a pod uid (from its cgroup path) is in a pod
    whose name is unknown."""
    groups: dict[tuple[str | None, ...], list[Container]] = {}
    for c in containers:
        uid = c.pod.uid if c.pod is not None and c.pod.uid else c.pod_uid
        if c.pod is None and uid is None:
            continue
        key: tuple[str | None, ...] = (
            (uid,) if uid else ("", c.pod.namespace if c.pod else None, c.pod.name if c.pod else None)
        )
        groups.setdefault(key, []).append(c)
    pods = []
    for members in groups.values():
        named = next((c.pod for c in members if c.pod is not None and c.pod.name), None)
        uid = next((c.pod.uid if c.pod and c.pod.uid else c.pod_uid for c in members), None)
        members.sort(
            key=lambda c: (not (c.pod and c.pod.sandbox), (c.pod and c.pod.container) or "", c.init_pid)
        )
        pods.append(
            Pod(named.namespace if named else None, named.name if named else None, uid, tuple(members))
        )
    pods.sort(key=lambda p: (p.namespace is None, p.namespace or "", p.name or "", p.uid or ""))
    return tuple(pods)


# What a shell may be offered as a word: a hostile name with a space, a quote, a newline or an
# escape would split or inject in the completion protocol (docs/hardening.md, row 46).
_COMPLETABLE = re.compile(r"^[A-Za-z0-9_.:@/+=-]+$")


def target_words(containers: tuple[Container, ...] | list[Container]) -> list[str]:
    """The TARGET spellings ``match_target`` accepts for each container, for shell completion:
    its name, the 12-digit id docker ps shows (or the whole id), ``namespace/id`` for
    containerd, ``pod:NAMESPACE/POD/CONTAINER`` for a pod's. Sorted, unique, shell-safe only."""
    words: set[str] = set()
    for c in containers:
        if c.id is None:
            continue
        words.add(c.id[:12] if _HEX_ID.match(c.id) else c.id)
        if c.name:
            words.add(c.name)
        if c.namespace and c.runtime == "containerd":
            words.add(f"{c.namespace}/{c.id}")
        pod = c.pod
        if pod is not None and pod.namespace and pod.name and (pod.sandbox or pod.container):
            words.add(f"pod:{pod.namespace}/{pod.name}/{SANDBOX_NAME if pod.sandbox else pod.container}")
    return sorted(w for w in words if _COMPLETABLE.match(w))
