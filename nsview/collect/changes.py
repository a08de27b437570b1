"""`nsview changes TARGET`: what the container changed in its filesystem, from the layers of
its overlay root as the host sees them (never through /proc/PID/root; docs/hardening.md, row 29).
Strict about the target and its layers; forgiving during the walk (a directory that cannot be
read, or an overlay feature not decoded, is a problem in the report, exit 6)."""

from __future__ import annotations

from nsview.errors import NsviewError, Unsupported
from nsview.model.changes import STYLES, ChangeReport, ChangeWalk, LayerInfo
from nsview.model.container import Container
from nsview.model.mount import Mount, visible_mount
from nsview.procfs import KernelFS, ProcFS, SysFS, host_root_for
from nsview.read.layers import OverlaySource
from nsview.read.overlay import decode_overlay
from nsview.read.process import read_mountinfo


def default_style(container: Container | None) -> str:
    """Whose rules: podman's for a podman container, docker's (the issue's) for everything else."""
    return "podman" if container is not None and container.runtime == "podman" else "docker"


def collect_changes(
    proc: ProcFS,
    sys: SysFS,
    pid: int,
    *,
    container: Container | None = None,
    style: str | None = None,
    limit: int | None = None,
    summary_only: bool = False,
) -> ChangeReport:
    style = style or default_style(container)
    assert style in STYLES
    host = KernelFS(host_root_for(proc.root))
    label = container.label() if container is not None else f"process {pid}"
    root = visible_mount(read_mountinfo(proc, pid), "/")  # strict: a gone target is exit 3
    if root is not None and root.fstype.startswith("fuse.") and "overlay" in root.fstype:
        # rootless podman on old kernels: the layers live in fuse-overlayfs' own options, which
        # the kernel's mount table does not show
        raise Unsupported(
            f"the root of {label} is {root.fstype}: its layers are not in the mount table, "
            "so nsview cannot find them (use `podman diff`)"
        )
    if root is None or root.fstype != "overlay":
        what = root.fstype if root is not None else "not a mount nsview can see"
        raise Unsupported(
            f"the root of {label} is {what}, not an overlay: nsview changes needs the layers of an overlay root"
        )
    try:
        own: tuple[Mount, ...] = read_mountinfo(proc, "self")
    except NsviewError:
        own = ()
    overlay = decode_overlay(root, host=host, host_mounts=own)
    if overlay.upper is None:
        raise Unsupported(f"the overlay root of {label} has no upper layer: it cannot change anything")
    unknown = [layer for layer in overlay.lower if layer.path is None and not layer.data_only]
    if unknown:
        raise Unsupported(
            f"the lower layer {unknown[0].spec} of {label} cannot be located: {unknown[0].error or 'unknown path'}"
        )
    lowers = tuple(layer.path for layer in overlay.lower if layer.path is not None and not layer.data_only)
    userxattr = "userxattr" in root.super_options
    metacopy = _feature(root, sys, "metacopy")
    redirect = _feature(root, sys, "redirect_dir")
    options = tuple(
        name
        for name, on in (("userxattr", userxattr), ("metacopy", metacopy), ("redirect_dir", redirect))
        if on
    )
    source = OverlaySource(host, overlay.upper, lowers, userxattr=userxattr, metacopy=metacopy)
    notes = tuple(
        f"lower layer {lowers[i]} not readable: {err.reason}"
        for i, err in sorted(source.lower_errors.items())
    )
    if notes:
        source.close()
        raise NsviewError(notes[0])
    return ChangeReport(
        pid=pid,
        container=container.label() if container is not None else None,
        runtime=container.runtime if container is not None else None,
        style=style,
        layers=LayerInfo(upper=overlay.upper, lower=lowers, driver=overlay.driver, options=options),
        walk=ChangeWalk(source, style),
        limit=limit,
        summary_only=summary_only,
        close=source.close,
    )


def _feature(root: Mount, sys: SysFS, name: str) -> bool:
    """An overlay feature as this mount has it: its own option, else the module's default
    (/sys/module/overlay/parameters/NAME: Y/N, or for redirect_dir also on/follow/nofollow/off).
    overlayfs lists an option in mountinfo only when it differs from the default."""
    value = root.super_option(name)
    if value is None:
        try:
            value = sys.read_text(f"module/overlay/parameters/{name}").strip()
        except NsviewError:
            return False
    return value.lower() in ("on", "y", "1")
