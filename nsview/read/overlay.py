"""An overlay mount's options decoded into layers, as `docker inspect` GraphDriver names them.

A Docker (overlay2) container root, from /proc/PID/mountinfo (super options, already octal-decoded):
  lowerdir=/var/lib/docker/overlay2/l/6XHUW6J7LAUT7WIPCVGPTUAKTO:/var/lib/docker/overlay2/l/RO6U...,
  upperdir=/var/lib/docker/overlay2/<id>/diff,workdir=/var/lib/docker/overlay2/<id>/work
When the option string would pass a page, dockerd chdir()s into its data root and mounts with
relative paths (lowerdir=l/6XHU...:l/RO6U...,upperdir=<id>/diff,workdir=<id>/work).
Each ``l/<26 chars>`` is a symlink ``../<layer>/diff``; `docker inspect` reports the resolved paths.
containerd's overlayfs snapshotter uses ``<root>/io.containerd.snapshotter.v1.overlayfs/snapshots/N/fs``.

Escapes (Documentation/filesystems/overlayfs.rst): in lowerdir a mounter writes ":" inside a path
as "\\:" (and "," as "\\,", "\\" as "\\\\"); the kernel shows the option as given, and mountinfo's
octal escapes are already undone by the mountinfo parser. A lone "::" starts data-only layers.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from nsview.errors import AccessDenied, NsviewError
from nsview.model.mount import Mount
from nsview.model.overlay import OverlayLayer, OverlayRoot
from nsview.parse.overlay import split_lowerdir, unescape_option
from nsview.procfs import KernelFS

_SHORT_LINK = re.compile(r"^(?:(?P<root>/.*)/)?l/(?P<link>[A-Za-z0-9]+)$")
_SNAPSHOT = re.compile(r"^(?P<root>.*)/snapshots/(?P<n>\d+)/fs$")
_LAYER_DIR = re.compile(r"^\.\./(?P<layer>[^/]+)/diff$")


def decode_overlay(mount: Mount, *, host: KernelFS, host_mounts: tuple[Mount, ...] = ()) -> OverlayRoot:
    """Decode ``mount`` (fstype overlay). ``host`` reads the host's files (short links under the
    engine's data root); ``host_mounts`` is the host's mount table, to find the merged dir."""
    lower_opt = mount.super_option("lowerdir") or ""
    upper = mount.super_option("upperdir")
    work = mount.super_option("workdir")
    upper = unescape_option(upper) if upper is not None else None
    work = unescape_option(work) if work is not None else None
    specs = split_lowerdir(lower_opt)
    notes: list[str] = []

    merged = _merged_dir(mount, host_mounts)
    relative = any(not spec.startswith("/") for spec, _ in specs) or (
        upper is not None and not upper.startswith("/")
    )

    # Which engine laid this out, and where its data root is.
    driver, data_root = "overlay", None
    for spec, _ in specs:
        if m := _SHORT_LINK.match(spec):
            driver, data_root = "overlay2", m.group("root")
            break
        if m := _SNAPSHOT.match(spec):
            driver, data_root = "containerd-overlayfs", m.group("root")
            break
    if upper and (m := _SNAPSHOT.match(upper)):
        driver, data_root = "containerd-overlayfs", m.group("root")
    if relative and data_root is None:
        data_root = _root_from_merged(upper, merged)
        if data_root is None:
            notes.append(
                "relative layer paths, and the data root is unknown (the host does not show the merged mount)"
            )
        else:
            notes.append(
                f"relative layer paths resolved against the data root {data_root} (from the merged dir)"
            )

    def absolute(path: str | None) -> str | None:
        if path is None or path.startswith("/"):
            return path
        return posixpath.join(data_root, path) if data_root else None

    layers = tuple(_layer(spec, data_only, absolute, host) for spec, data_only in specs)
    return OverlayRoot(
        lower=layers,
        upper=absolute(upper) if upper is not None else None,
        work=absolute(work) if work is not None else None,
        merged=merged,
        driver=driver,
        data_root=data_root,
        notes=tuple(notes),
    )


def _layer(spec: str, data_only: bool, absolute: Callable[[str], str | None], host: KernelFS) -> OverlayLayer:
    full = absolute(spec)
    if full is None:
        return OverlayLayer(spec, None, "relative path; data root unknown", data_only=data_only)
    if m := _SNAPSHOT.match(full):
        return OverlayLayer(spec, full, snapshot=m.group("n"), data_only=data_only)
    if _SHORT_LINK.match(full):
        path, error = resolve_short_link(full, host)
        return OverlayLayer(spec, path, error, data_only=data_only)
    return OverlayLayer(spec, full, data_only=data_only)


def resolve_short_link(link: str, host: KernelFS) -> tuple[str | None, str | None]:
    """``/var/lib/docker/overlay2/l/ABC`` -> (``/var/lib/docker/overlay2/<layer>/diff``, None).

    Reads one host symlink through ``host`` (never a path inside a container root) and resolves
    its text lexically: overlay2 writes ``../<layer>/diff``; anything else is reported, not followed.
    """
    try:
        target = host.readlink(link.lstrip("/"))
    except AccessDenied:
        return None, "permission denied reading the short link"
    except NsviewError as err:
        return None, f"short link not readable: {getattr(err, 'why', err.message)}"
    if not _LAYER_DIR.match(target):
        return None, f"short link points to an unexpected place: {target}"
    data_root = posixpath.dirname(posixpath.dirname(link))
    return posixpath.join(data_root, target[3:]), None


def _merged_dir(mount: Mount, host_mounts: tuple[Mount, ...]) -> str | None:
    """Where the host mounts this same overlay superblock (same device number)."""
    for m in host_mounts:
        if m.fstype == "overlay" and (m.major, m.minor) == (mount.major, mount.minor) and m.root == "/":
            return m.target
    return None


def _root_from_merged(upper: str | None, merged: str | None) -> str | None:
    """Relative overlay2 mounts: merged is ``<root>/<id>/merged`` and upper ``<id>/diff``."""
    if not upper or not merged:
        return None
    layer = upper.split("/", 1)[0]
    suffix = f"/{layer}/merged"
    if upper == f"{layer}/diff" and merged.endswith(suffix):
        return merged[: -len(suffix)] or "/"
    return None
