"""The layer directories of an overlay root, read for `nsview changes` (model/changes.py's
``LayerSource``) through ``procfs.LayerDir``: by fd, one name at a time, never following a link
(docs/hardening.md, rule 2 and row 29).

overlayfs marks (Documentation/filesystems/overlayfs.rst), in the ``trusted.`` namespace, or
``user.`` for a mount with ``userxattr`` (rootless):
  overlay.opaque     "y" on a directory: the lower layers' directory is hidden
                     "x" on a lower directory: it holds xattr whiteouts (Linux 6.8+)
  overlay.whiteout   on a zero-size file in such a directory: a whiteout (Linux 6.7+)
  overlay.redirect   a directory renamed with redirect_dir=on: where its lower part is
  overlay.metacopy   a file whose metadata alone was copied up (metacopy=on)
"""

from __future__ import annotations

from stat import S_ISDIR, S_ISREG

from nsview.errors import AccessDenied, NsviewError
from nsview.model.changes import Node, Path
from nsview.procfs import KernelFS, LayerDir

CAPABILITY = "security.capability"


class OverlaySource:
    """An overlay's upper layer and lower layers (topmost first), below the host root ``host``.

    It keeps the upper directories on the way down open (the walk goes depth first) and one
    directory per lower layer; ``close`` closes them all."""

    def __init__(
        self,
        host: KernelFS,
        upper: str,
        lowers: tuple[str, ...],
        *,
        userxattr: bool = False,
        metacopy: bool = False,
    ) -> None:
        prefix = "user.overlay." if userxattr else "trusted.overlay."
        self._opaque, self._redirect = prefix + "opaque", prefix + "redirect"
        self._metacopy, self._whiteout, self._whiteouts = (
            prefix + "metacopy",
            prefix + "whiteout",
            prefix + "whiteouts",
        )
        self._read_metacopy = metacopy
        self._upper_root = LayerDir.open(host, upper)  # strict: an unreadable upper is an error
        self._upper: list[tuple[bytes, LayerDir]] = []  # the open directories below the root
        self._roots: list[LayerDir | None] = []
        self._lower_errors: dict[int, NsviewError] = {}
        for i, path in enumerate(lowers):
            try:
                self._roots.append(LayerDir.open(host, path))
            except NsviewError as err:
                self._roots.append(None)
                self._lower_errors[i] = err
        self._lower: dict[int, tuple[Path, LayerDir | None]] = {}
        self._lower_xw: dict[int, bool] = {}

    @property
    def lower_count(self) -> int:
        return len(self._roots)

    @property
    def lower_errors(self) -> dict[int, NsviewError]:
        return dict(self._lower_errors)

    # -- LayerSource --

    def upper_nodes(self, path: Path) -> list[Node]:
        d = self._upper_dir(path)
        nodes = []
        for name in d.names():
            node = self._node(d, name, upper=True, xwhiteouts=False)
            if node is not None:
                nodes.append(node)
        return nodes

    def lower_nodes(self, layer: int, path: Path) -> list[Node]:
        d = self._lower_dir(layer, path)
        if d is None:
            return []
        xw = self._lower_xw.get(layer, False)
        return [n for name in d.names() if (n := self._node(d, name, upper=False, xwhiteouts=xw)) is not None]

    def lower_node(self, layer: int, path: Path, name: bytes) -> Node | None:
        d = self._lower_dir(layer, path)
        if d is None:
            return None
        return self._node(d, name, upper=False, xwhiteouts=self._lower_xw.get(layer, False))

    def capability(self, layer: int | None, path: Path, name: bytes) -> bytes | None:
        d = self._upper_dir(path) if layer is None else self._lower_dir(layer, path)
        if d is None:
            return None
        return d.xattrs((CAPABILITY,), name).get(CAPABILITY)

    def close(self) -> None:
        for _, d in self._upper:
            d.close()
        self._upper.clear()
        self._upper_root.close()
        for _, ld in self._lower.values():
            if ld is not None:
                ld.close()
        self._lower.clear()
        for root in self._roots:
            if root is not None:
                root.close()

    # -- reading --

    def _node(self, d: LayerDir, name: bytes, *, upper: bool, xwhiteouts: bool) -> Node | None:
        st = d.lstat(name)
        if st is None:
            return None  # gone since the directory was listed: a running container's layer
        node = Node(name, st.st_mode, st.st_uid, st.st_gid, st.st_rdev, st.st_size, st.st_mtime_ns)
        if S_ISDIR(st.st_mode):
            attrs = d.xattrs((self._opaque, self._redirect) if upper else (self._opaque,), name)
            if attrs:
                return Node(
                    *_fields(node), opaque=attrs.get(self._opaque), redirect=attrs.get(self._redirect)
                )
        elif S_ISREG(st.st_mode):
            if upper and self._read_metacopy:
                attrs = d.xattrs((self._metacopy, self._redirect), name)
                if self._metacopy in attrs:
                    return Node(*_fields(node), metacopy=True, redirect=attrs.get(self._redirect))
            # Xattr whiteouts count in lower layers only, in a directory marked for them
            # (the kernel looks for them nowhere else).
            if (
                not upper
                and xwhiteouts
                and st.st_size == 0
                and self._whiteout in d.xattrs((self._whiteout,), name)
            ):
                return Node(*_fields(node), xwhiteout=True)
        return node

    def _upper_dir(self, path: Path) -> LayerDir:
        keep = 0
        while keep < len(self._upper) and keep < len(path) and self._upper[keep][0] == path[keep]:
            keep += 1
        for _, d in self._upper[keep:]:
            d.close()
        del self._upper[keep:]
        for name in path[keep:]:
            parent = self._upper[-1][1] if self._upper else self._upper_root
            self._upper.append((name, parent.child(name)))
        return self._upper[-1][1] if self._upper else self._upper_root

    def _lower_dir(self, layer: int, path: Path) -> LayerDir | None:
        """Lower ``layer``'s directory ``path``, or None when it has no directory there (a
        missing name, a file, a link: a link inside a layer is never followed)."""
        cached = self._lower.get(layer)
        if cached is not None and cached[0] == path:
            return cached[1]
        if cached is not None and cached[1] is not None:
            cached[1].close()
        root = self._roots[layer]
        found: LayerDir | None = None
        xw = False
        if root is not None:
            current = root
            try:
                for name in path:
                    step = current.child(name)
                    if current is not root:
                        current.close()
                    current = step
                found = current
            except AccessDenied:
                if current is not root:
                    current.close()
                raise
            except NsviewError:
                if current is not root:
                    current.close()
                found = None
            if found is not None:
                attrs = found.xattrs((self._opaque, self._whiteouts))
                xw = attrs.get(self._opaque) == b"x" or self._whiteouts in attrs
        if found is root:
            found = root.dup() if root is not None else None
        self._lower[layer] = (path, found)
        self._lower_xw[layer] = xw
        return found


def _fields(node: Node) -> tuple[bytes, int, int, int, int, int, int]:
    return (node.name, node.mode, node.uid, node.gid, node.rdev, node.size, node.mtime_ns)
