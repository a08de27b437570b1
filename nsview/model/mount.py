"""Mount records (proc_pid_mountinfo(5); findmnt's vocabulary)."""

from __future__ import annotations

from nsview.model.record import record


@record
class Mount:
    mount_id: int
    parent_id: int
    major: int
    minor: int
    root: str  # the path inside the filesystem that is mounted here ("/" for whole fs)
    target: str  # where it is mounted, relative to the reader's root
    options: tuple[str, ...]  # per-mount options: rw, nosuid, relatime ...
    optional: tuple[str, ...]  # shared:N master:N propagate_from:N unbindable
    fstype: str
    source: str  # "" when the kernel has none
    super_options: tuple[str, ...]  # per-superblock options: lowerdir=...,upperdir=...

    @property
    def read_only(self) -> bool:
        return "ro" in self.options

    def super_option(self, name: str) -> str | None:
        prefix = name + "="
        for opt in self.super_options:
            if opt.startswith(prefix):
                return opt[len(prefix) :]
        return None

    @property
    def findmnt_source(self) -> str:
        """SOURCE as findmnt prints it: ``/dev/vda[/var/lib/...]`` for a bind of a sub-tree."""
        if self.root not in ("", "/") and self.fstype != "overlay":
            return f"{self.source}[{self.root}]"
        return self.source


def visible_mount(mounts: tuple[Mount, ...], target: str) -> Mount | None:
    """The mount a path shows: of the mounts on ``target``, the last one mountinfo lists (a
    mount stacked over another hides it; docs/hardening.md, row 16). None when nothing is
    mounted exactly there."""
    found = None
    for m in mounts:
        if m.target == target:
            found = m
    return found


# The kernel's own filesystems, as a runtime mounts them for every container.
_KERNEL_FSTYPES = frozenset(
    {
        "proc",
        "sysfs",
        "cgroup",
        "cgroup2",
        "devpts",
        "mqueue",
        "devtmpfs",
        "securityfs",
        "debugfs",
        "tracefs",
        "bpf",
        "fusectl",
        "configfs",
        "pstore",
        "hugetlbfs",
        "binfmt_misc",
        "tmpfs",
    }
)
_KERNEL_TREES = ("/proc", "/sys", "/dev")


def is_runtime_view(m: Mount) -> bool:
    """One of the mounts every runtime sets up the same way: the container's own proc, sysfs,
    devpts, mqueue, shm and cgroup mounts, and the masks over /proc and /sys (a tmpfs or a
    read-only bind of proc on /proc/kcore, /proc/sys, ...). What a person compares is the rest:
    the root, binds and volumes, other tmpfs mounts. `nsview diff --mounts all` lists these too."""
    under = any(m.target == t or m.target.startswith(t + "/") for t in _KERNEL_TREES)
    return under and m.fstype in _KERNEL_FSTYPES
