"""What a container changed in its filesystem, from its overlay layers: `docker diff` and
`podman diff` without the engine. Pure: the layers are read through a ``LayerSource`` (the
collector gives one over the host's layer directories, tests give one over a dict).

The two engines do not agree, so both are computed, each as its engine does it:

- **docker** (`docker diff`; the overlay2 driver diffs the container's merged tree against its
  ``-init`` layer's, whose tree is exactly the container's lower layers): an entry is
  A when the lowers do not have it, D when the merged tree lost it (a whiteout, or a name an
  opaque directory hides), C when present on both sides and its mode, owner, rdev, or (not for
  directories) size or mtime, or its ``security.capability`` differ. A copy-up that changed
  nothing is not a change. A directory holding a change is C, and comes before its children.
- **podman** (containers/storage's ``OverlayChanges``): every entry of the upper layer is
  looked for in the lower layers one by one; found means C, except a directory whose size, mode
  and mtime are unchanged, which is skipped; not found (or below a whiteout) means A; a whiteout
  is D, and so is an opaque directory the lowers have (its new contents are then A). The parents
  of an A or D not yet listed are added as C. podman then drops its own paths (``/etc/hosts``,
  ``/run/.containerenv``, ... : ``PODMAN_INIT_PATHS``).

Only the upper layer is walked: whatever it does not hold is the lowers' and unchanged. The
walk goes directory by directory (one directory's names in memory at a time) and yields changes
as it finds them, parents first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import field
from stat import S_IFMT, S_ISBLK, S_ISCHR, S_ISDIR, S_ISFIFO, S_ISLNK, S_ISREG, S_ISSOCK
from typing import Protocol

from nsview.errors import NsviewError
from nsview.model.record import record

Path = tuple[bytes, ...]  # the components below the layer root: () is "/"

# A walk stops this deep (each level holds one directory fd open) and says so.
MAX_DEPTH = 256

# podman's libpod/diff.go `initInodes`: paths podman itself creates in every container's upper
# layer (mount points of its bind mounts and its own files); `podman diff` never lists them.
PODMAN_INIT_PATHS = frozenset(
    {
        "/dev",
        "/etc/hostname",
        "/etc/hosts",
        "/etc/resolv.conf",
        "/proc",
        "/run",
        "/run/notify",
        "/run/.containerenv",
        "/run/secrets",
        "/run/podman-init",
        "/sys",
        "/etc/mtab",
    }
)

STYLES = ("docker", "podman")


@record
class Node:
    """One entry of a layer directory: its lstat and the overlay xattrs that change its meaning."""

    name: bytes
    mode: int
    uid: int
    gid: int
    rdev: int
    size: int
    mtime_ns: int
    opaque: bytes | None = None  # overlay.opaque of a directory: b"y" opaque, b"x" holds xattr whiteouts
    redirect: bytes | None = None  # overlay.redirect: a renamed directory (redirect_dir) or metacopy origin
    metacopy: bool = False  # overlay.metacopy: metadata copied up, data still in a lower layer
    xwhiteout: bool = False  # a lower layer's zero-size file marked overlay.whiteout (Linux 6.7+)

    @property
    def is_dir(self) -> bool:
        return S_ISDIR(self.mode)

    @property
    def whiteout(self) -> bool:
        """overlayfs' deletion mark: a character device 0:0, or an xattr whiteout below."""
        return (S_ISCHR(self.mode) and self.rdev == 0) or self.xwhiteout

    @property
    def char_whiteout(self) -> bool:
        return S_ISCHR(self.mode) and self.rdev == 0

    @property
    def type(self) -> str:
        return file_type(self.mode)


def file_type(mode: int) -> str:
    for test, name in (
        (S_ISREG, "file"),
        (S_ISDIR, "dir"),
        (S_ISLNK, "symlink"),
        (S_ISFIFO, "fifo"),
        (S_ISSOCK, "socket"),
        (S_ISCHR, "char"),
        (S_ISBLK, "block"),
    ):
        if test(mode):
            return name
    return "unknown"


@record
class Change:
    """One line of `docker diff`: kind A (added), C (changed) or D (deleted), and the path."""

    kind: str
    path: str
    type: str | None = None  # the entry as it is now (None for D, and for a C added as a parent)
    size: int | None = None  # st_size in the upper layer (A and C)
    differs: tuple[str, ...] = ()  # C: what differs from the lower layers' entry
    parent_only: bool = False  # C only because something below it changed


@record
class Problem:
    """A part of the upper layer the walk could not read, or an overlay feature it does not
    decode: what it shows may be incomplete there (exit 6), never wrong elsewhere."""

    path: str
    reason: str


class LayerSource(Protocol):
    """The layers of one overlay, as the walk needs them. ``lower_count`` lower layers, topmost
    first (0), as lowerdir lists them. Methods raise NsviewError when a directory cannot be read."""

    @property
    def lower_count(self) -> int: ...

    def upper_nodes(self, path: Path) -> list[Node]:
        """The entries of the upper layer's directory ``path``."""
        ...

    def lower_nodes(self, layer: int, path: Path) -> list[Node]:
        """The entries of lower ``layer``'s directory ``path`` ([] when it is not a directory there)."""
        ...

    def lower_node(self, layer: int, path: Path, name: bytes) -> Node | None:
        """The entry ``name`` of lower ``layer``'s directory ``path``, if it has one."""
        ...

    def capability(self, layer: int | None, path: Path, name: bytes) -> bytes | None:
        """``security.capability`` of a regular file (``layer`` None: the upper layer)."""
        ...


def text_path(path: Path) -> str:
    return "/" + b"/".join(path).decode("utf-8", "backslashreplace")


# ---- what differs ------------------------------------------------------------------------


def _same_time_docker(a_ns: int, b_ns: int) -> bool:
    """moby's sameFsTimeSpec: equal seconds, and equal nanoseconds unless one side has none
    (a layer unpacked from a tar keeps whole seconds)."""
    a_s, a_n = divmod(a_ns, 1_000_000_000)
    b_s, b_n = divmod(b_ns, 1_000_000_000)
    return a_s == b_s and (a_n == b_n or a_n == 0 or b_n == 0)


def _same_time_podman(a_ns: int, b_ns: int) -> bool:
    """containers/storage's sameFSTimePair: as docker's, and a second either way when one side
    was rounded (whole seconds)."""
    if a_ns == b_ns:
        return True
    a_s, a_n = divmod(a_ns, 1_000_000_000)
    b_s, b_n = divmod(b_ns, 1_000_000_000)
    if a_n != 0 and b_n != 0:
        return False
    return a_s == b_s or (b_n == 0 and a_s == b_s - 1) or (a_n == 0 and a_s - 1 == b_s)


def differences(new: Node, old: Node) -> tuple[str, ...]:
    """What docker's statDifferent sees between an upper entry and the lowers' one: the file
    type or permission bits, owner, rdev; for a non-directory also size and mtime."""
    found = []
    if S_IFMT(new.mode) != S_IFMT(old.mode):
        found.append("type")
    elif new.mode != old.mode:
        found.append("mode")
    if (new.uid, new.gid) != (old.uid, old.gid):
        found.append("owner")
    if new.rdev != old.rdev:
        found.append("rdev")
    if not old.is_dir:  # moby #9874: a directory's size and mtime are no measure of change
        if new.size != old.size:
            found.append("size")
        if not _same_time_docker(new.mtime_ns, old.mtime_ns):
            found.append("mtime")
    return tuple(found)


def _podman_dir_unchanged(new: Node, old: Node) -> bool:
    return new.size == old.size and new.mode == old.mode and _same_time_podman(new.mtime_ns, old.mtime_ns)


# ---- the walk ------------------------------------------------------------------------------


class _Frame:
    """A directory on the way down: listed already (A, C), or to be listed as a parent."""

    __slots__ = ("listed", "path")

    def __init__(self, path: Path, listed: bool) -> None:
        self.path = path
        self.listed = listed


class ChangeWalk:
    """The changes of one overlay, computed lazily: iterate it once. ``problems`` fills up as
    the walk goes; read it after the iteration ends."""

    def __init__(self, source: LayerSource, style: str = "docker") -> None:
        if style not in STYLES:
            raise ValueError(style)
        self.source = source
        self.style = style
        self.problems: list[Problem] = []
        self._frames: list[_Frame] = []

    def __iter__(self) -> Iterator[Change]:
        if self.style == "docker":
            return self._docker_dir((), tuple(range(self.source.lower_count)), False)
        return self._podman(self._podman_dir((), (False,) * self.source.lower_count))

    # -- shared --

    def _list(self, path: Path) -> list[Node] | None:
        if len(path) > MAX_DEPTH:
            self.problems.append(Problem(text_path(path), f"deeper than {MAX_DEPTH} levels: not walked"))
            return None
        try:
            return sorted(self.source.upper_nodes(path), key=lambda n: n.name)
        except NsviewError as err:
            self.problems.append(Problem(text_path(path), err.reason))
            return None

    def _emit(self, change: Change) -> Iterator[Change]:
        for frame in self._frames:
            if not frame.listed:
                frame.listed = True
                yield Change("C", text_path(frame.path), "dir", parent_only=True)
        yield change

    def _not_decoded(self, path: Path, node: Node) -> None:
        # A metacopy file's redirect only says where its data is: its metadata, compared as any
        # file's, is in the upper layer. A renamed directory's redirect names where overlayfs
        # merges its lower contents from: those are not walked here.
        if node.redirect is not None and node.is_dir:
            what = "a renamed directory"
            origin = node.redirect.decode("utf-8", "backslashreplace")
            self.problems.append(
                Problem(
                    text_path(path),
                    f"{what} (overlay redirect to {origin}): what it holds from the lower layers is not compared",
                )
            )

    # -- docker --

    def _lower_view(
        self, lowers: tuple[int, ...], path: Path, name: bytes
    ) -> tuple[Node | None, int, tuple[int, ...]]:
        """The lowers' merged entry for ``name`` (the topmost one, unless a whiteout hides it),
        its layer, and the layers whose directories merge into it, as overlayfs' lookup finds them."""
        top: Node | None = None
        top_layer = -1
        dirs: list[int] = []
        for layer in lowers:
            node = self.source.lower_node(layer, path, name)
            if node is None:
                continue
            if node.whiteout:
                break
            if top is None:
                top, top_layer = node, layer
            if not node.is_dir:
                break  # a non-directory ends the merge (and hides directories below it)
            dirs.append(layer)
            if node.opaque == b"y":
                break
        return top, top_layer, tuple(dirs)

    def _lower_names(self, lowers: tuple[int, ...], path: Path) -> list[bytes]:
        """The names the lowers' merged directory ``path`` shows."""
        first: dict[bytes, bool] = {}
        for layer in lowers:
            for node in self.source.lower_nodes(layer, path):
                first.setdefault(node.name, node.whiteout)
        return sorted(name for name, hidden in first.items() if not hidden)

    def _docker_dir(self, path: Path, lowers: tuple[int, ...], upper_only: bool) -> Iterator[Change]:
        """The changes below ``path``: ``lowers`` make its old contents; with ``upper_only``
        (it is opaque, or below an opaque directory) its new contents are the upper's alone."""
        nodes = self._list(path)
        if nodes is None:
            return
        gone: list[bytes] = []
        present: set[bytes] = set()
        for node in nodes:
            child = (*path, node.name)
            try:
                old, old_layer, child_lowers = self._lower_view(lowers, path, node.name)
            except NsviewError as err:
                self.problems.append(Problem(text_path(child), err.reason))
                continue
            if node.char_whiteout:
                if not upper_only and old is not None:
                    gone.append(node.name)
                continue  # below an opaque directory the lowers' names are counted instead
            present.add(node.name)
            self._not_decoded(child, node)
            if old is None:
                yield from self._emit(Change("A", text_path(child), node.type, node.size))
                if node.is_dir:
                    self._frames.append(_Frame(child, True))
                    yield from self._added(child)
                    self._frames.pop()
                continue
            diffs = differences(node, old)
            if not diffs and S_ISREG(node.mode) and S_ISREG(old.mode):
                try:
                    upper_cap = self.source.capability(None, path, node.name)
                    if upper_cap != self.source.capability(old_layer, path, node.name):
                        diffs = ("capability",)
                except NsviewError as err:
                    self.problems.append(Problem(text_path(child), f"security.capability: {err.reason}"))
            if diffs:
                yield from self._emit(Change("C", text_path(child), node.type, node.size, diffs))
            if node.is_dir:
                self._frames.append(_Frame(child, bool(diffs)))
                yield from self._docker_dir(
                    child, child_lowers if old.is_dir else (), upper_only or node.opaque == b"y"
                )
                self._frames.pop()
        if upper_only and lowers:
            try:
                gone = [name for name in self._lower_names(lowers, path) if name not in present]
            except NsviewError as err:
                self.problems.append(Problem(text_path(path), err.reason))
        for name in sorted(gone):
            yield from self._emit(Change("D", text_path((*path, name))))

    def _added(self, path: Path) -> Iterator[Change]:
        """Everything below a new directory is new (whiteouts in it hide nothing). Its
        parents are listed already: the hot path of a big new tree, kept lean."""
        nodes = self._list(path)
        if nodes is None:
            return
        base = text_path(path).rstrip("/") + "/"
        for node in nodes:
            if node.char_whiteout:
                continue
            yield Change("A", base + node.name.decode("utf-8", "backslashreplace"), node.type, node.size)
            if node.is_dir:
                child = (*path, node.name)
                self._frames.append(_Frame(child, True))
                yield from self._added(child)
                self._frames.pop()

    # -- podman --

    def _podman(self, changes: Iterable[Change]) -> Iterator[Change]:
        return (c for c in changes if c.path not in PODMAN_INIT_PATHS)

    def _podman_dir(self, path: Path, hidden: tuple[bool, ...]) -> Iterator[Change]:
        """filepath.Walk order: each entry, then (a directory) its contents. ``hidden[i]``: a
        whiteout in lower ``i`` at ``path`` or above it."""
        nodes = self._list(path)
        if nodes is None:
            return
        for node in nodes:
            child = (*path, node.name)
            try:
                kind, below, skip, old = self._podman_kind(path, node, hidden)
            except NsviewError as err:
                self.problems.append(Problem(text_path(child), err.reason))
                continue
            self._not_decoded(child, node)
            if not skip:
                change = Change(
                    kind,
                    text_path(child),
                    None if kind == "D" else node.type,
                    None if kind == "D" else node.size,
                    differences(node, old) if kind == "C" and old is not None else (),
                )
                if kind == "C":
                    yield change
                else:
                    yield from self._emit(change)
            if node.is_dir:
                self._frames.append(_Frame(child, not skip))
                yield from self._podman_dir(child, below)
                self._frames.pop()

    def _podman_kind(
        self, path: Path, node: Node, hidden: tuple[bool, ...]
    ) -> tuple[str, tuple[bool, ...], bool, Node | None]:
        """(kind, the hidden flags for its contents, skipped as an unchanged directory, the
        lower entry a C was found as)."""
        found = [self.source.lower_node(layer, path, node.name) for layer in range(len(hidden))]
        below = tuple(h or (n is not None and n.char_whiteout) for h, n in zip(hidden, found, strict=True))
        if node.char_whiteout:
            return "D", below, False, None
        if node.is_dir and node.opaque == b"y":
            for h, n in zip(hidden, found, strict=True):
                if n is not None:
                    if not n.char_whiteout:
                        return "D", below, False, None
                    break
                if h:
                    break
        for h, n in zip(below, found, strict=True):
            if h:
                break
            if n is not None:
                if n.is_dir and node.is_dir and _podman_dir_unchanged(node, n):
                    return "C", below, True, n
                return "C", below, False, n
        return "A", below, False, None


# ---- the summary -------------------------------------------------------------------------


@record
class TopCount:
    """The changes below one top-level directory (``/etc``), or at the root for a file there."""

    top: str
    added: int = 0
    changed: int = 0
    deleted: int = 0
    bytes_added: int = 0  # st_size of the regular files (and links) it added or changed


@record
class Summary:
    tops: tuple[TopCount, ...]
    added: int
    changed: int
    deleted: int
    bytes_added: int


def summarize(changes: Iterable[Change]) -> Summary:
    counts: dict[str, list[int]] = {}  # top -> [added, changed, deleted, bytes]
    column = {"A": 0, "C": 1, "D": 2}
    for c in changes:
        row = counts.setdefault("/" + c.path.split("/", 2)[1], [0, 0, 0, 0])
        row[column[c.kind]] += 1
        if c.kind in ("A", "C") and c.size is not None and c.type in ("file", "symlink"):
            row[3] += c.size
    tops = tuple(TopCount(top, *counts[top]) for top in sorted(counts))
    return Summary(
        tops=tops,
        added=sum(t.added for t in tops),
        changed=sum(t.changed for t in tops),
        deleted=sum(t.deleted for t in tops),
        bytes_added=sum(t.bytes_added for t in tops),
    )


@record
class LayerInfo:
    """The overlay `nsview changes` walked (docker inspect's GraphDriver words)."""

    upper: str
    lower: tuple[str, ...]
    driver: str
    options: tuple[str, ...] = ()  # the overlay options that matter here (userxattr, metacopy ...)


@record
class ChangeReport:
    """`nsview changes TARGET`: ``changes`` is the lazy walk (iterate once); ``limit`` stops it."""

    pid: int
    container: str | None  # a label, when TARGET named a container
    runtime: str | None
    style: str  # "docker" or "podman": whose rules
    layers: LayerInfo
    walk: ChangeWalk
    limit: int | None = None
    summary_only: bool = False
    notes: tuple[str, ...] = ()
    close: Callable[[], None] | None = None  # releases the layers' fds when the walk ends
    _state: dict[str, bool] = field(default_factory=dict)

    def changes(self) -> Iterator[Change]:
        """The changes, at most ``limit`` of them; ``truncated`` says afterwards if more were left."""
        count = 0
        try:
            for change in self.walk:
                if self.limit is not None and count >= self.limit:
                    self._state["truncated"] = True
                    return
                count += 1
                yield change
        finally:
            if self.close is not None:
                self.close()

    @property
    def truncated(self) -> bool:
        return self._state.get("truncated", False)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(self.walk.problems)
