"""Process-level records, named in the kernel's vocabulary (proc(5), namespaces(7))."""

from __future__ import annotations

from dataclasses import field

from nsview.model.record import record

# Every namespace type Linux has, in lsns order. ``pid_for_children``/``time_for_children`` are
# not separate types: they are where the *next* child will live, and are left out on purpose.
NAMESPACE_TYPES: tuple[str, ...] = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")

# include/linux/sched.h: set in stat's flags for kernel threads. An empty cmdline is not proof
# (zombies and some user processes have one too).
PF_KTHREAD = 0x00200000


@record
class NamespaceRef:
    """A namespace as the kernel names it: ``net:[4026531833]``."""

    type: str
    inode: int

    def __str__(self) -> str:
        return f"{self.type}:[{self.inode}]"


@record
class HostReference:
    """What "the host's namespaces" means for a comparison or a scan, and where it came from:
    PID 1's where readable, else nsview's own (some sandboxes refuse even root /proc/1/ns)."""

    pid: int | None
    source: str  # "pid 1" or "nsview itself (pid 1 unreadable: permission denied)"
    namespaces: dict[str, NamespaceRef] = field(default_factory=dict)


@record
class Stat:
    """The fields of /proc/PID/stat nsview uses (proc(5), numbered from 1)."""

    pid: int
    comm: str  # (2) up to 15 bytes, may contain spaces, parens, newlines
    state: str  # (3) R S D Z T t X I ...
    ppid: int  # (4)
    pgrp: int  # (5)
    session: int  # (6)
    flags: int  # (9) PF_* flags
    num_threads: int  # (20)
    starttime: int  # (22) clock ticks since boot; with pid, the identity of a process

    @property
    def kernel_thread(self) -> bool:
        return bool(self.flags & PF_KTHREAD)

    @property
    def zombie(self) -> bool:
        return self.state == "Z"


@record
class Status:
    """The fields of /proc/PID/status nsview uses."""

    name: str
    tgid: int
    pid: int
    ppid: int
    nspid: tuple[int, ...]  # outermost (host) first; one entry when not in a nested pid ns
    uids: tuple[int, ...] = ()  # real, effective, saved, fs
    gids: tuple[int, ...] = ()


@record
class Process:
    """One process as nsview shows it. Unreadable parts are None plus a reason in ``errors``."""

    pid: int
    ppid: int
    comm: str
    args: tuple[str, ...]
    state: str
    kernel_thread: bool
    starttime: int
    nspid: tuple[int, ...] = ()
    namespaces: dict[str, NamespaceRef] = field(default_factory=dict)
    # what could not be read, and why: {"namespaces": "permission denied", "cmdline": ...}
    errors: dict[str, str] = field(default_factory=dict)
    args_truncated: bool = False
    # threads whose namespaces differ from the leader's: {tid: the differing refs}. The
    # process is then not "in" one namespace of that type, whatever /proc/PID/ns says.
    thread_namespaces: dict[int, tuple[NamespaceRef, ...]] = field(default_factory=dict)

    @property
    def zombie(self) -> bool:
        return self.state == "Z"

    @property
    def pid_in_namespace(self) -> int | None:
        """The pid as the innermost pid namespace sees it, when that is not the host's."""
        return self.nspid[-1] if len(self.nspid) > 1 else None

    @property
    def display_name(self) -> str:
        """What pstree shows: the comm, bracketed for kernel threads."""
        return f"[{self.comm}]" if self.kernel_thread else self.comm


@record
class CgroupMembership:
    """One line of /proc/PID/cgroup: a hierarchy and the path in it."""

    hierarchy_id: int  # 0 for the unified (v2) hierarchy
    controllers: tuple[str, ...]  # () for v2; ("cpu", "cpuacct"); ("name=systemd",)
    path: str  # relative to the reader's cgroup namespace root; may contain "/.."

    @property
    def unified(self) -> bool:
        return self.hierarchy_id == 0 and not self.controllers


@record
class IdMapRange:
    """One line of /proc/PID/uid_map (user_namespaces(7)): ``inside outside count``."""

    inside: int
    outside: int
    count: int


@record
class UserMaps:
    uid_map: tuple[IdMapRange, ...]
    gid_map: tuple[IdMapRange, ...]
