"""The files behind `nsview diff`'s Privileges section and `nsview ps`'s PRIVILEGES column:
the security lines of /proc/PID/status, the LSM attribute, the v1 devices cgroup's devices.list."""

from __future__ import annotations

from nsview.errors import FileMissing, NsviewError
from nsview.model.cgroup_placement import cgroup_mounts, placement_for
from nsview.model.mount import Mount
from nsview.model.privileges import DeviceAccess, LsmLabel, SecurityStatus
from nsview.model.process import CgroupMembership
from nsview.parse.devices_list import parse_devices_list
from nsview.parse.lsm import MAX_LABEL, parse_attr_current
from nsview.parse.status import parse_security_status
from nsview.procfs import KernelFS, ProcFS
from nsview.read.cgroupfs import host_location


def read_security_status(proc: ProcFS, pid: int) -> SecurityStatus:
    return parse_security_status(proc.pid_read(pid, "status"))


def read_lsm(proc: ProcFS, pid: int) -> LsmLabel:
    """AppArmor's own attribute where the kernel has it (several LSMs stacked: attr/current
    belongs to the first), else attr/current; no LSM answering either is "none loaded"."""
    try:
        data = proc.pid_read_attr(pid, "attr/apparmor/current", MAX_LABEL)
        if data is not None:
            return parse_attr_current(data, "attr/apparmor/current")
    except FileMissing:
        pass  # a kernel without AppArmor has no attr/apparmor/
    data = proc.pid_read_attr(pid, "attr/current", MAX_LABEL)
    if data is None:
        return LsmLabel(None, None, None, "attr/current")
    return parse_attr_current(data)


V2_DEVICES = (
    "cgroup v2: device rules are a BPF program attached to the cgroup, which no file shows "
    "(bpftool cgroup show DIR lists it)"
)


def read_devices(
    sys: KernelFS, memberships: tuple[CgroupMembership, ...], own_mounts: tuple[Mount, ...]
) -> DeviceAccess:
    """The v1 devices controller's rules for a process, read where the host mounts it; on a
    v2-only host the answer is that the rules are not readable as a file."""
    mounts = cgroup_mounts(own_mounts)
    v1 = [m for m in mounts if m.version == 1 and "devices" in m.controllers]
    for mb in memberships:
        if mb.hierarchy_id != 0 and "devices" in mb.controllers:
            placement = placement_for("devices", 1, "devices", mb, v1)
            if not placement.available or placement.directory is None:
                raise FileMissing(f"devices cgroup ({placement.reason})")
            fs, rel = host_location(f"{placement.directory}/devices.list", sys)
            rules = parse_devices_list(fs.read_text(rel, 1024 * 1024))
            return DeviceAccess(1, rules, placement.directory)
    unified = next((mb for mb in memberships if mb.unified), None)
    if unified is not None:
        v2 = [m for m in mounts if m.version == 2]
        if not v2:
            return DeviceAccess(2, None, None, f"{V2_DEVICES}; no cgroup2 mount to ask the kernel through")
        placement = placement_for("devices", 2, "devices", unified, v2)
        if not placement.available or placement.directory is None:
            return DeviceAccess(2, None, None, f"{V2_DEVICES}; {placement.reason}")
        fs, rel = host_location(placement.directory, sys)
        try:
            programs = fs.cgroup_device_programs(rel)
        except NsviewError as err:  # not root (EPERM), an old kernel: the rules stay unknown
            return DeviceAccess(2, None, placement.directory, f"{V2_DEVICES}; BPF query: {err.reason}")
        return DeviceAccess(2, None, placement.directory, None, programs)
    raise FileMissing("devices cgroup (not mounted)")
