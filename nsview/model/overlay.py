"""An overlay root filesystem decoded into layers, in `docker inspect` GraphDriver words."""

from __future__ import annotations

from nsview.model.record import record


@record
class OverlayLayer:
    """One lower layer. ``spec`` is what the mount options say (``l/ABC...``, a full path, a
    containerd ``snapshots/N/fs``); ``path`` is the layer's full host path when it is known."""

    spec: str
    path: str | None
    error: str | None = None  # why ``path`` is None
    snapshot: str | None = None  # containerd snapshot number, when the path is one
    data_only: bool = False  # after "::" in lowerdir: used for data, not for names


@record
class OverlayRoot:
    lower: tuple[OverlayLayer, ...]  # topmost first, as lowerdir lists them
    upper: str | None  # the writable layer (docker: UpperDir)
    work: str | None
    merged: str | None  # where the host sees the merged tree (docker: MergedDir)
    driver: str  # "overlay2" (docker), "containerd-overlayfs", "overlay" (anything else)
    data_root: str | None  # overlay2's or the snapshotter's directory, when known
    notes: tuple[str, ...] = ()

    @property
    def lower_dir(self) -> str | None:
        """LowerDir as `docker inspect` prints it: full paths joined with ":"."""
        if not self.lower or any(layer.path is None for layer in self.lower):
            return None
        return ":".join(layer.path for layer in self.lower if layer.path is not None)
