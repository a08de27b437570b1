"""How the procfs being read is mounted: hidepid hides other users' processes (proc(5))."""

from __future__ import annotations

import os

from nsview.errors import NsviewError
from nsview.model.mount import visible_mount
from nsview.procfs import ProcFS
from nsview.read.process import read_mountinfo

# proc(5), mount options:  hidepid=0|1|2|4 (Linux >= 5.8 also names them off, noaccess,
# invisible, ptraceable), and subset=pid. mountinfo shows them among the super options:
#   43 27 0:39 / /proc rw,relatime - proc proc rw,hidepid=invisible
_VISIBLE = ("0", "off")


def hidepid(proc: ProcFS) -> str | None:
    """The hidepid= value of the procfs at ``proc.root`` when it hides processes, else None.
    A fixture or snapshot (not a mount point in the reader's mountinfo) is never hidden."""
    try:
        mounts = read_mountinfo(proc, "self")
    except NsviewError:
        return None
    where = os.path.realpath(proc.root)
    shown = visible_mount(mounts, where)
    found = shown.super_option("hidepid") if shown is not None and shown.fstype == "proc" else None
    return None if found is None or found in _VISIBLE else found


def hidepid_note(proc: ProcFS) -> str | None:
    if os.geteuid() == 0:
        return None  # hidepid hides nothing from root: no need to read mountinfo
    value = hidepid(proc)
    if value is None:
        return None
    return (
        f"{proc.root} is mounted with hidepid={value}: processes of other users are hidden, "
        "so this list may be incomplete (run as root, or as a member of the mount's gid= group)"
    )


def permission_hint() -> str:
    """What to do about "permission denied" in /proc: as root there is nothing to do (an LSM or
    sandbox policy refuses even root, as for /proc/1/ns/* on some hosts); otherwise, root."""
    if os.geteuid() == 0:
        return "refused even to root, by an LSM or sandbox policy"
    return "run as root to see them"
