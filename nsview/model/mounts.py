"""What `nsview mounts` shows: one mount namespace's tree (``MountsReport``), or every mount
namespace that holds a host path (``HoldingReport``)."""

from __future__ import annotations

from nsview.model.mount_tree import MountNode, MountTree, is_within
from nsview.model.process import NamespaceRef
from nsview.model.record import record


@record
class MountFilter:
    """findmnt's selectors: ``-t`` types, ``--source``, a MOUNTPOINT, ``--shadowed``."""

    types: tuple[str, ...] = ()
    exclude_types: bool = False  # `-t nocgroup,proc`: every type but these (mount(8)'s "no")
    source: str | None = None
    mountpoint: str | None = None
    shadowed: bool = False

    @property
    def active(self) -> bool:
        return bool(self.types or self.source is not None or self.mountpoint is not None or self.shadowed)

    def keeps(self, node: MountNode) -> bool:
        m = node.mount
        if self.types and (m.fstype in self.types) is self.exclude_types:
            return False
        if (
            self.source is not None
            and self.source not in (m.source, m.findmnt_source)
            and not (node.host is not None and node.host.path == self.source)
        ):
            return False
        if self.mountpoint is not None and m.target != self.mountpoint:
            return False
        return not (self.shadowed and node.hidden is None)


@record
class MountsReport:
    pid: int
    comm: str
    label: str | None  # the container TARGET named, when it was one
    namespace: NamespaceRef | None
    host_pid: int | None  # whose mount table "the host" is
    host_source: str  # "pid 1", or why it is nsview itself
    tree: MountTree
    shown: tuple[int, ...]  # indexes of the nodes shown, in tree order
    filter: MountFilter
    notes: tuple[str, ...] = ()
    errors: dict[str, str] | None = None  # what could not be read -> why

    @property
    def shown_nodes(self) -> tuple[MountNode, ...]:
        return tuple(self.tree.nodes[i] for i in self.shown)

    @property
    def partial(self) -> bool:
        return bool(self.errors)


def select(tree: MountTree, wanted: MountFilter) -> tuple[int, ...]:
    return tuple(n.index for n in tree.walk if wanted.keeps(n))


@record
class HeldMount:
    """One mount of a namespace that holds PATH: its mountpoint there and its host path."""

    node: MountNode
    why: str  # "mounted from PATH" / "overlay upper dir inside PATH" ...


@record
class Holder:
    """A mount namespace that has PATH mounted, and who keeps it alive."""

    namespace: NamespaceRef
    kind: str  # "host", "container", "process", "bind mount" (no process: an nsfs bind mount holds it)
    pid: int | None  # a process in it (the container's init, or the lowest pid)
    comm: str | None
    container: str | None  # runtime and name or id, as `nsview ps` labels it
    bind_mounts: tuple[str, ...]  # host paths of nsfs bind mounts of this namespace
    mounts: tuple[HeldMount, ...]


@record
class HoldingReport:
    path: str
    holders: tuple[Holder, ...]
    scanned: int  # mount namespaces whose table was read
    notes: tuple[str, ...] = ()
    errors: dict[str, str] | None = None  # namespace (or pid) -> why its table was not read

    @property
    def partial(self) -> bool:
        return bool(self.errors)


def holds(node: MountNode, path: str) -> str | None:
    """Why ``node`` keeps ``path`` (a host path) busy, or None: its files come from ``path`` or
    below it, or (an overlay) one of its layers is there."""
    host = node.host
    if host is not None and host.path is not None and is_within(host.path, path):
        return "mounted from here" if host.path == path else "mounted from inside"
    ov = node.overlay
    if ov is not None:
        if ov.upper and is_within(ov.upper, path):
            return "overlay upper dir inside"
        if ov.work and is_within(ov.work, path):
            return "overlay work dir inside"
        if any(layer.path and is_within(layer.path, path) for layer in ov.lower):
            return "overlay lower layer inside"
    return None


def type_filter(values: list[str] | None) -> tuple[tuple[str, ...], bool]:
    """``-t`` values (comma lists, repeatable) -> (types, exclude). As mount(8) and findmnt read
    it, a list whose first type starts with "no" excludes them all (``-t nocgroup,proc``)."""
    items = [t.strip() for v in values or () for t in v.split(",") if t.strip()]
    if not items or not items[0].startswith("no"):
        return tuple(items), False
    return tuple(t[2:] if t.startswith("no") else t for t in items), True
