"""A mount namespace's table as a tree: who is whose parent, which mounts are hidden, and where
each one comes from on the host. Pure: mountinfo records in, records out.

mountinfo is not a tree the reader can trust (docs/hardening.md, row 16): lines come in any
order (a child before its parent), a parent id may be missing (the namespace's root hangs below
a mount of another namespace), a mount may name itself as its parent (rootfs in early
userspace), and a hostile or stitched table may repeat an id or close a cycle. So nodes are
keyed by their position in the listing, never by id alone; the parent of a line is the first
*other* line with that id; a line whose parent is not listed, is itself, or sits on a cycle is a
root of its own; and every walk keeps a visited set, so no table can make it loop.

Hidden (lxkns' rules, the kernel's path walk): a path resolves, from the namespace's root,
into the topmost mount on each mount point. A mount is *over-mounted* when another mount is
stacked on its very mount point (a child whose target is its own target: what
``findmnt --shadowed`` lists); its other children are then out of reach: *covered*. A child is
covered too when a sibling sits on a path above it (``/a/b/c`` after ``/a/b`` was mounted over
its parent directory), and everything below a hidden mount is hidden by the same mount.
"""

from __future__ import annotations

import posixpath
from dataclasses import field

from nsview.model.mount import Mount
from nsview.model.overlay import OverlayRoot
from nsview.model.record import record

OVERMOUNTED = "overmounted"  # another mount is stacked on this mount point (findmnt --shadowed)
COVERED = "covered"  # below a hidden mount, or below a sibling mounted on a path above it


@record
class Hidden:
    """Why a mount cannot be reached by path: ``by`` (a position in the listing) hides it."""

    how: str  # OVERMOUNTED or COVERED
    by: int  # index of the hiding mount in the table
    by_id: int
    by_target: str


@record
class HostSource:
    """Where a mount's files are on the host: ``path`` in the host's mount table (its ``root``
    joined below the host mountpoint of the same filesystem), found through the host mount
    ``via_id`` at ``via_target``; or why there is no such path (``note``)."""

    path: str | None
    via_id: int | None = None
    via_target: str | None = None
    note: str | None = None  # why path is None, or a caveat (hidden on the host)


@record
class MountNode:
    index: int  # position in the listing: the node's identity
    mount: Mount
    parent: int | None  # index of the parent, None for a root of the tree
    children: tuple[int, ...]  # indexes, in listing order
    depth: int
    orphan: str | None = None  # why this line is a root though it is not the namespace's root
    hidden: Hidden | None = None
    host: HostSource | None = None
    overlay: OverlayRoot | None = None


@record
class MountTree:
    nodes: tuple[MountNode, ...]  # in listing order: nodes[i].index == i
    order: tuple[int, ...]  # depth-first, children in listing order: the order to show them
    notes: tuple[str, ...] = ()

    def node(self, index: int) -> MountNode:
        return self.nodes[index]

    @property
    def walk(self) -> tuple[MountNode, ...]:
        return tuple(self.nodes[i] for i in self.order)


@record
class _Links:
    parent: dict[int, int | None]
    children: dict[int, list[int]]
    roots: list[int]
    orphan: dict[int, str] = field(default_factory=dict)


def _link(mounts: tuple[Mount, ...]) -> _Links:
    first: dict[int, list[int]] = {}
    for i, m in enumerate(mounts):
        first.setdefault(m.mount_id, []).append(i)
    parent: dict[int, int | None] = {}
    orphan: dict[int, str] = {}
    for i, m in enumerate(mounts):
        if m.parent_id == m.mount_id:
            parent[i], orphan[i] = None, "its own parent"
            continue
        found = next((j for j in first.get(m.parent_id, []) if j != i), None)
        parent[i] = found
        if found is None:
            orphan[i] = f"parent {m.parent_id} is not in this table"
    children: dict[int, list[int]] = {i: [] for i in range(len(mounts))}
    for i in range(len(mounts)):
        p = parent[i]
        if p is not None:
            children[p].append(i)
    roots = [i for i in range(len(mounts)) if parent[i] is None]
    # The namespace's root first: the "/" mount whose parent is outside the table.
    roots.sort(key=lambda i: (mounts[i].target != "/", i))
    for i in roots:
        if i in orphan and mounts[i].target == "/" and orphan[i].startswith("parent"):
            del orphan[i]  # the namespace's root: its parent is in the namespace it came from
            break
    return _Links(parent, children, roots, orphan)


def build_tree(mounts: tuple[Mount, ...]) -> MountTree:
    """The tree of one mountinfo listing, with every mount's hidden state."""
    links = _link(mounts)
    order: list[int] = []
    depth: dict[int, int] = {}
    hidden: dict[int, Hidden] = {}
    visited: set[int] = set()
    notes: list[str] = []

    def hide(how: str, by: int) -> Hidden:
        return Hidden(how, by, mounts[by].mount_id, mounts[by].target)

    def walk(start: int, start_hidden: Hidden | None) -> None:
        stack: list[tuple[int, int, Hidden | None]] = [(start, 0, start_hidden)]
        while stack:
            i, d, inherited = stack.pop()
            if i in visited:
                continue
            visited.add(i)
            order.append(i)
            depth[i] = d
            m = mounts[i]
            kids = [k for k in links.children[i] if k not in visited]
            stacked = [k for k in kids if mounts[k].target == m.target]
            top = stacked[-1] if stacked else None
            mine = inherited
            if mine is None and top is not None:
                mine = hide(OVERMOUNTED, top)
            if mine is not None:
                hidden[i] = mine
            pending: list[tuple[int, int, Hidden | None]] = []
            index = _SiblingIndex(mounts, kids) if len(kids) > 8 else None
            for k in kids:
                if k == top:
                    state = inherited  # the mount on top takes this one's place
                elif k in stacked and top is not None:  # an older stacked on the same point
                    state = inherited or hide(OVERMOUNTED, top)
                elif mine is not None:
                    state = Hidden(COVERED, mine.by, mine.by_id, mine.by_target)
                else:
                    state = _covered_by_sibling(mounts, k, kids, index)
                pending.append((k, d + 1, state))
            stack.extend(reversed(pending))  # listing order when popped

    for r in links.roots:
        walk(r, None)
    # Lines on a parent cycle are reachable from no root: each becomes a root of its own.
    for i in range(len(mounts)):
        if i not in visited:
            links.orphan[i] = "on a cycle of parent ids"
            notes.append(f"mount {mounts[i].mount_id} is on a cycle of parent ids: shown as a root")
            walk(i, None)
    nodes = tuple(
        MountNode(
            index=i,
            mount=m,
            parent=None if i in links.orphan else links.parent[i],
            children=tuple(links.children[i]),
            depth=depth[i],
            orphan=links.orphan.get(i),
            hidden=hidden.get(i),
        )
        for i, m in enumerate(mounts)
    )
    return MountTree(nodes=nodes, order=tuple(order), notes=tuple(notes))


class _SiblingIndex:
    """The siblings of one parent by target, so that finding those on a path above a mount
    looks at the paths above it, not at every sibling: 1000 mounts side by side under one
    parent cost 1000 lookups, not a million comparisons. Only narrows the candidates: the
    test itself is ``_covered_by_sibling``'s, on exactly the siblings that could pass it."""

    def __init__(self, mounts: tuple[Mount, ...], siblings: list[int]) -> None:
        self.position = {s: i for i, s in enumerate(siblings)}
        self.by_key: dict[str, list[int]] = {}
        for s in siblings:
            self.by_key.setdefault(mounts[s].target.rstrip("/") or "/", []).append(s)

    def candidates(self, target: str) -> list[int]:
        # every sibling whose target could hold ``target`` (is_within): "/", the target itself,
        # or a prefix of it that ends where the target has a "/"
        keys = {
            "/",
            target.rstrip("/") or "/",
            *(target[:i] for i, ch in enumerate(target) if ch == "/" and i),
        }
        found = [s for key in keys for s in self.by_key.get(key, ())]
        return sorted(found, key=self.position.__getitem__)


def _covered_by_sibling(
    mounts: tuple[Mount, ...], k: int, siblings: list[int], index: _SiblingIndex | None = None
) -> Hidden | None:
    """A sibling on a path above ``k`` (or on the same path, listed later) takes the path first."""
    target = mounts[k].target
    found: int | None = None
    for s in siblings if index is None else index.candidates(target):
        if s == k:
            continue
        other = mounts[s].target
        above = is_within(target, other) and (other != target or s > k)
        if above and (found is None or len(other) <= len(mounts[found].target)):
            found = s  # the highest of them: the path walk meets it first
    if found is None:
        return None
    how = OVERMOUNTED if mounts[found].target == target else COVERED
    return Hidden(how, found, mounts[found].mount_id, mounts[found].target)


def is_within(path: str, top: str) -> bool:
    """``path`` is ``top`` or below it, by whole components (``/a/bc`` is not below ``/a/b``)."""
    if top == "/":
        return path.startswith("/")
    return path == top or path.startswith(top.rstrip("/") + "/")


def host_source(mount: Mount, host: MountTree) -> HostSource:
    """Where ``mount``'s files are in the host's mount table: the host mounts of the same
    filesystem (device number) whose root holds this mount's root; of those, one not hidden
    on the host, then the most specific root (``/var/lib/docker`` bound at /var/lib/docker
    before the disk's ``/``), then the shortest path. A filesystem the host has not mounted
    anywhere (a container's own proc, tmpfs, mqueue) has no host path, and says so."""
    dev = (mount.major, mount.minor)
    best: MountNode | None = None
    for n in host.nodes:
        h = n.mount
        if (h.major, h.minor) != dev:
            continue
        if not (h.root == mount.root or (mount.root.startswith("/") and is_within(mount.root, h.root))):
            continue
        if best is None or _rank(n) > _rank(best):
            best = n
    if best is None:
        if mount.major == 0:  # an anonymous superblock: proc, tmpfs, mqueue made for this namespace
            why = f"its own {mount.fstype} ({mount.major}:{mount.minor}), not mounted on the host"
        else:
            why = f"device {mount.major}:{mount.minor} is not mounted on the host"
        return HostSource(None, note=f"not visible from the host: {why}")
    h = best.mount
    if not mount.root.startswith("/"):  # nsfs: "net:[4026532402]" is a namespace, bound there too
        return HostSource(h.target, h.mount_id, h.target, note=f"the namespace file of {mount.root}")
    rest = mount.root[len(h.root) :].lstrip("/") if h.root != "/" else mount.root.lstrip("/")
    path = posixpath.join(h.target, rest) if rest else h.target
    note = None
    if best.hidden is not None:
        how = "over-mounted by" if best.hidden.how == OVERMOUNTED else "under"
        note = f"hidden on the host: {how} {best.hidden.by_target} (#{best.hidden.by_id})"
    return HostSource(path, h.mount_id, h.target, note)


def _rank(n: MountNode) -> tuple[bool, int, int]:
    return (n.hidden is None, len(n.mount.root), -len(n.mount.target))


def propagation(mount: Mount) -> str:
    """findmnt's PROPAGATION column: shared or private, then ",slave", ",unbindable"."""
    words = ["shared" if peer_group(mount, "shared") is not None else "private"]
    if peer_group(mount, "master") is not None:
        words.append("slave")
    if "unbindable" in mount.optional:
        words.append("unbindable")
    return ",".join(words)


def peer_group(mount: Mount, tag: str) -> int | None:
    """The number of an optional field ``shared:N``, ``master:N`` or ``propagate_from:N``."""
    prefix = tag + ":"
    for f in mount.optional:
        if f.startswith(prefix) and f[len(prefix) :].isdigit():
            return int(f[len(prefix) :])
    return None


def findmnt_options(mount: Mount, *, leave_out: tuple[str, ...] = ()) -> str:
    """findmnt's OPTIONS: the VFS options and the superblock options merged as libmount does
    (one rw/ro flag first: ro when either says ro; then the rest of both). ``leave_out``:
    superblock options starting with these (overlay's layers, shown decoded elsewhere)."""
    sb = (
        tuple(o for o in mount.super_options if not o.startswith(leave_out))
        if leave_out
        else mount.super_options
    )
    vfs, fs = ",".join(mount.options), ",".join(sb)
    if not fs or vfs == fs:
        return vfs or fs
    ro = "ro" in mount.options or "ro" in sb
    rest = [o for o in (*mount.options, *sb) if o not in ("rw", "ro")]
    return ",".join(["ro" if ro else "rw", *rest])
