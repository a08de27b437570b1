"""What `nsview diff` compares: a reference (the host, or another target) and a target, side by
side, section by section. Every per-side value is a ``Reading``: a value, or why there is none."""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from nsview.model.cgroup import EffectiveLimit
from nsview.model.mount import Mount
from nsview.model.net import NetworkInfo
from nsview.model.overlay import OverlayRoot
from nsview.model.process import IdMapRange as IdMapRange
from nsview.model.process import NamespaceRef
from nsview.model.process import UserMaps as UserMaps
from nsview.model.reading import Reading as Reading
from nsview.model.record import record
from nsview.model.uts import UtsInfo as UtsInfo

if TYPE_CHECKING:
    from nsview.model.privileges import Privileges

T = TypeVar("T")


@record
class Pair(Generic[T]):
    """One section's value on each side: ``reference`` (left, the host) and ``target`` (right).

    A section that is the view of a namespace (uts, net, mnt, user) names its ``namespace``
    type, and ``shared`` says whether both sides are in that one namespace, by inode. Two
    namespaces can hold identical contents (two containers with only ``lo``) and still be two:
    for such a section, sameness is the namespace's identity, never a comparison of contents."""

    reference: Reading[T]
    target: Reading[T]
    namespace: str | None = None  # "uts", "net", "mnt", "user"; None: not a namespace (limits)
    shared: bool | None = None  # same namespace inode on both sides; None when a side is unreadable

    @property
    def same(self) -> bool | None:
        if self.namespace is not None:
            return self.shared
        if self.reference.value is None or self.target.value is None:
            return None
        return self.reference.value == self.target.value

    @property
    def partial(self) -> bool:
        return not (self.reference.ok and self.target.ok)


@record
class Side:
    """Who a side is. ``role``: "target", "host" or "against" (a second target)."""

    pid: int
    comm: str
    role: str
    note: str | None = None  # e.g. why the host reference is nsview itself, not PID 1


@record
class NamespaceRow:
    type: str
    reference: Reading[NamespaceRef]
    target: Reading[NamespaceRef]

    @property
    def shared(self) -> bool | None:
        if self.reference.value is None or self.target.value is None:
            return None
        return self.reference.value == self.target.value


@record
class RootFS:
    mount: Mount
    overlay: OverlayRoot | None = None


@record
class MountView:
    """One side's mount namespace: its root filesystem, and the mounts the other side lacks."""

    root: RootFS | None
    count: int  # mounts in this namespace
    only_here: tuple[Mount, ...] = ()  # mount points the other side has no mount on
    # (this side's mount, the other side's) on the same mount point, different filesystem
    # instances: a container's own proc, sysfs, devpts, mqueue, cgroup (another device number)
    other_instance: tuple[tuple[Mount, Mount], ...] = ()


# The cgroup headlines `nsview diff` compares, in order: (key in CgroupReport.effective, the
# stable name in JSON, the unit). CPU limits stay in millionths of a CPU until a renderer shows them.
LIMIT_ROWS: tuple[tuple[str, str, str], ...] = (
    ("memory", "memory", "bytes"),
    ("memsw", "memory_swap", "bytes"),
    ("cpu", "cpus", "cpus"),
    ("pids", "pids", "pids"),
)


@record
class Limits:
    """One side's binding cgroup limits: the effective limits of its cgroup report."""

    cgroup: str  # the cgroup path the limits come from
    effective: dict[str, EffectiveLimit]  # keys of LIMIT_ROWS that the report has
    cpuset_cpus: str | None = None  # effective CPU list ("0-1")
    files: tuple[str, ...] = ()  # the files a person can cat to check


@record
class Comparison:
    reference: Side
    target: Side
    namespaces: tuple[NamespaceRow, ...]
    user_maps: Pair[UserMaps]
    uts: Pair[UtsInfo]
    network: Pair[NetworkInfo]
    mounts: Pair[MountView]
    limits: Pair[Limits]
    privileges: Pair[Privileges] | None = None  # what each side may do to the host
    # the one-line commands each section replaces, by section name
    classic: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def sections(self) -> dict[str, Any]:
        return {
            "user_maps": self.user_maps,
            "uts": self.uts,
            "network": self.network,
            "mounts": self.mounts,
            "limits": self.limits,
        }

    @property
    def partial(self) -> bool:
        if any(not (r.reference.ok and r.target.ok) for r in self.namespaces):
            return True
        if self.privileges is not None and any(
            r.value is not None and r.value.partial
            for r in (self.privileges.reference, self.privileges.target)
        ):
            return True
        return any(p.partial for p in self.sections.values())
