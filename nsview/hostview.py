"""Where the host is when nsview runs inside a container (``--host-root DIR``, or found).

From a container started with the host's pid namespace and the host's ``/`` mounted at a
directory (``docker run --pid host -v /:/host:ro``, a Kubernetes DaemonSet with ``hostPID: true``,
``kubectl debug node/N``), the kernel's view of every process is the host's, but nsview's own
``/sys``, mount table and cgroup namespace are the container's, and engine files are not at their
host paths. A host view puts them back:

- engine files, overlay layers and ``/dev/kmsg`` are read below DIR (procfs.host_root_for);
- ``/sys`` is DIR/sys (the container's own shows its own cgroups and network devices);
- "the reader's mount table" (where cgroups are mounted, the host side of ``diff``) is the host
  init's, ``/proc/1/mountinfo``, not nsview's own;
- a cgroup namespace of its own is left for the host's (``setns`` to ``/proc/1/ns/cgroup``), so
  ``/proc/PID/cgroup`` and the cgroup mounts' roots read as the host has them. Where that is
  refused, paths stay relative to the container's cgroup namespace and a note says so.

Without the host's pid namespace nothing of the host can be seen through /proc: one line says so.
"""

from __future__ import annotations

from pathlib import Path

from nsview.errors import FileMissing, NsviewError, UsageError
from nsview.model.record import record
from nsview.procfs import KernelFS, ProcFS, bind_host_view

# The mount point a host's "/" is given by convention: kubectl debug node/N, and the DaemonSet
# and `docker run -v /:/host:ro` of docs/fleet.md.
DEFAULT_HOST_DIR = Path("/host")
# Files engines leave in the root of the containers they start.
CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")

OWN_PID_NS = (
    "nsview runs in a pid namespace of its own, not the host's: it sees only this container's "
    "processes, so it cannot list, name or inspect any other container or host process "
    "(run it with --pid host, or hostPID: true in Kubernetes)"
)


@record
class HostView:
    """What the checks found: the host's tree (None: nsview runs on the host itself), whether
    /proc shows the host's pid namespace, and the notes to print."""

    host_root: Path | None
    sys_root: Path | None
    host_pids: bool | None
    viewpoint: str
    notes: tuple[str, ...]


def in_container(root: KernelFS) -> str | None:
    """Why nsview seems to run in a container (a marker file an engine leaves), or None."""
    for marker in CONTAINER_MARKERS:
        if root.exists(marker.lstrip("/")):
            return marker
    return None


def holds_host_tree(directory: Path) -> bool:
    """A directory that holds a host's filesystem: an /etc, and /proc and /sys to mount on."""
    fs = KernelFS(directory)
    return all(fs.is_dir(d) for d in ("etc", "proc", "sys"))


def shares_host_pids(proc: ProcFS) -> bool | None:
    """Whether this procfs shows the host's pid namespace: only there is kthreadd (pid 2, the
    parent of every kernel thread) visible. None when it cannot be told (no pid 2 readable)."""
    try:
        status = proc.read_text("2/status", 4096)
    except FileMissing:
        return False if proc.exists("1") else None  # hidepid=2 hides pid 1 too: cannot tell
    except NsviewError:  # hidepid=1 (the directory is there, its files refused): cannot tell
        return None
    return "\nPPid:\t0\n" in status or status.startswith("Name:\tkthreadd")


def _ns(proc: ProcFS, pid: str, kind: str) -> str | None:
    try:
        return proc.readlink(f"{pid}/ns/{kind}")
    except NsviewError:
        return None


def enter_host_cgroup_ns(proc: ProcFS) -> str | None:
    """Leave nsview's own cgroup namespace for the host's (its init's, or kthreadd's where pid 1's
    links are refused: pid 2 holds the initial namespaces), so cgroup paths are the host's.
    None when done or not needed; else the note that says paths stay relative."""
    own = _ns(proc, "self", "cgroup")
    pid, host = next(((p, ns) for p in (1, 2) if (ns := _ns(proc, str(p), "cgroup")) is not None), (0, None))
    if own is None or host is None or own == host:
        return None
    from nsview.enter import join_cgroup_namespace

    why = join_cgroup_namespace(proc, pid)
    if why is None:
        return None
    return (
        f"nsview runs in a cgroup namespace of its own and cannot enter the host's ({why}; it needs "
        "CAP_SYS_ADMIN): cgroup paths are relative to this container's cgroup"
    )


def find_host_view(proc_root: Path, sys_root: Path, host_root: Path | None) -> HostView:
    """The host view for these options. ``host_root`` given: used (it must be a directory).
    Not given: only for the live /proc, a container marker or a cgroup namespace other than
    the host init's, with a host tree at /host, makes one (and a note says so)."""
    notes: list[str] = []
    live = proc_root == Path("/proc")
    if host_root is not None:
        if not KernelFS(host_root).is_dir(""):
            raise UsageError(f"--host-root {host_root}: not a directory")
    elif not live:
        return HostView(None, None, None, "self", ())
    else:
        proc = ProcFS(proc_root)
        marker = in_container(KernelFS("/"))
        own_ns, init_ns = _ns(proc, "self", "cgroup"), _ns(proc, "1", "cgroup")
        other_cgroup_ns = own_ns is not None and init_ns is not None and own_ns != init_ns
        # A marker alone says little (some sandboxes and VMs have /.dockerenv at their root):
        # a host tree at /host must be there too.
        if (marker is not None or other_cgroup_ns) and holds_host_tree(DEFAULT_HOST_DIR):
            why = f"{marker} is there" if marker else "its cgroup namespace is not the host's"
            host_root = DEFAULT_HOST_DIR
            notes.append(
                f"nsview runs in a container ({why}): the host's files are read from "
                f"{DEFAULT_HOST_DIR} (--host-root {DEFAULT_HOST_DIR})"
            )
    proc = ProcFS(proc_root)
    host_pids = shares_host_pids(proc) if live else True
    if live and host_pids is False:
        notes.append(OWN_PID_NS)
    if host_root is None:
        return HostView(None, None, host_pids, "self", tuple(notes))
    new_sys = host_root / "sys"
    sys_dir = new_sys if sys_root == Path("/sys") and KernelFS(new_sys).is_dir("fs/cgroup") else None
    viewpoint = "self"
    if live and host_pids and proc.exists("1/mountinfo"):
        viewpoint = "1"  # the host init's mount table is the host's; nsview's own is the container's
        note = enter_host_cgroup_ns(proc)
        if note:
            notes.append(note)
    return HostView(host_root, sys_dir, host_pids, viewpoint, tuple(notes))


def apply_host_view(proc_root: Path, sys_root: Path, host_root: Path | None) -> HostView:
    """Find the host view and bind it for this command's reads (procfs.bind_host_view)."""
    view = find_host_view(proc_root, sys_root, host_root)
    bind_host_view(proc_root, view.host_root, view.sys_root, view.viewpoint)
    return view
