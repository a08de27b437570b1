"""What `nsview exec` enters, decided before anything is entered: pure logic over namespace links.

Like ``nsenter -a``, a namespace TARGET shares with nsview is not entered (entering one's own
user namespace is even an error, EINVAL). With no namespace named, the default is net, uts, ipc
and pid: the container's view of the network, its hostname and its processes, with the host's
filesystem kept, so the host's tools (ip, ss, tcpdump, strace) run there.
"""

from __future__ import annotations

from dataclasses import field

from nsview.model.process import NamespaceRef
from nsview.model.record import record

# Every type nsview exec can enter, in the order setns(2) is asked to enter them (user first:
# the other namespaces' owners are then reachable; mnt last but for pid, as nsenter does).
ENTERABLE: tuple[str, ...] = ("user", "cgroup", "ipc", "uts", "net", "time", "mnt", "pid")
DEFAULT_TYPES: tuple[str, ...] = ("ipc", "uts", "net", "pid")


@record
class EntryPlan:
    """One ``nsview exec``: which process, which of its namespaces, and what runs there."""

    pid: int
    starttime: int  # /proc/PID/stat field 22: the process identity pinned before entering
    label: str  # how TARGET is named in messages ("docker 0ac949292b65 (web)", "pid 3074")
    enter: tuple[str, ...]  # namespace types to enter, in ENTERABLE order
    skipped: dict[str, str] = field(default_factory=dict)  # type -> why it is not entered
    namespaces: dict[str, NamespaceRef] = field(default_factory=dict)  # TARGET's, by type
    command: tuple[str, ...] = ()
    cwd: str | None = None  # --wd: the working directory the command starts in
    cgroup_join: bool = False
    method: str = "pidfd"  # how the process is pinned: "pidfd" (Linux >= 5.8) or "namespace fds"

    @property
    def forks(self) -> bool:
        """pid and time namespaces apply to children only: the command is a child of the
        process that entered (nsenter --fork)."""
        return "pid" in self.enter or "time" in self.enter

    @property
    def container_root(self) -> bool:
        """In TARGET's mount namespace the command is looked up in the container's root: the
        container's binaries, not the host's."""
        return "mnt" in self.enter


def plan_entry(
    wanted: tuple[str, ...] | None,
    everything: bool,
    target: dict[str, NamespaceRef],
    own: dict[str, NamespaceRef],
) -> tuple[tuple[str, ...], dict[str, str]]:
    """(types to enter, type -> why not) for the namespaces asked for (None: the default set;
    ``everything``: every type TARGET does not share with nsview, like ``nsenter -a``)."""
    asked = tuple(t for t in ENTERABLE if t in target) if everything else (wanted or DEFAULT_TYPES)
    enter: list[str] = []
    skipped: dict[str, str] = {}
    for ns_type in ENTERABLE:
        if ns_type not in asked:
            continue
        if ns_type not in target:
            skipped[ns_type] = "not readable, or this kernel has no such namespace"
        elif own.get(ns_type) == target[ns_type]:
            skipped[ns_type] = f"TARGET shares nsview's own ({target[ns_type]})"
        else:
            enter.append(ns_type)
    return tuple(enter), skipped
