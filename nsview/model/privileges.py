"""What a process may do to its host: capabilities, seccomp, no_new_privs, its LSM label, how its
user namespace maps root, device access, namespaces shared with the host, and the mounts that
reach into the host. Pure: records in, findings and a one-line summary out. docs/security-review.md
explains each item to a reviewer."""

from __future__ import annotations

from dataclasses import replace

from nsview.model.mount_tree import MountNode, MountTree, is_within
from nsview.model.process import IdMapRange, UserMaps
from nsview.model.reading import Reading
from nsview.model.record import record

# The bounding set each engine gives a container by default, by capability name (no CAP_).
#  - Docker: "Runtime privilege and Linux capabilities" in the docker run reference,
#    https://docs.docker.com/engine/containers/run/#runtime-privilege-and-linux-capabilities
#    (moby's oci/caps/defaults.go, DefaultCapabilities); a live container's CapBnd here is
#    00000000a80425fb, which `capsh --decode` names as exactly these 14.
#  - containerd (ctr, and Kubernetes through the CRI plugin): oci/spec.go, defaultUnixCaps,
#    the same 14 as Docker.
#  - podman: containers.conf(5), default_capabilities (containers/common pkg/config/default.go):
#    Docker's list without NET_RAW, MKNOD and AUDIT_WRITE; a live podman 4 container's CapBnd is
#    00000000800405fb, and `podman inspect` lists those three under HostConfig.CapDrop.
# In capability-number order (capabilities(7)), as the kernel's masks and `capsh --decode` list them.
DOCKER_DEFAULT_CAPS: tuple[str, ...] = (
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SYS_CHROOT",
    "MKNOD",
    "AUDIT_WRITE",
    "SETFCAP",
)
PODMAN_DEFAULT_CAPS: tuple[str, ...] = tuple(
    c for c in DOCKER_DEFAULT_CAPS if c not in ("NET_RAW", "MKNOD", "AUDIT_WRITE")
)
ENGINE_DEFAULT_CAPS: dict[str, tuple[str, ...]] = {
    "docker": DOCKER_DEFAULT_CAPS,
    "containerd": DOCKER_DEFAULT_CAPS,
    "kubernetes": DOCKER_DEFAULT_CAPS,  # through containerd's CRI plugin (engine "containerd")
    "podman": PODMAN_DEFAULT_CAPS,
}


def defaults_of(runtime: str, engine: str | None = None) -> str | None:
    """Whose default capabilities a container of ``runtime`` is compared with (``engine``: a
    Kubernetes container's CRI runtime); None: the host's bounding set (LXC, CRI-O, unshare)."""
    name = engine if runtime == "kubernetes" else runtime
    return name if name in ENGINE_DEFAULT_CAPS and name != "kubernetes" else None


# Capabilities that, added to a container, hand it a way onto the host (capabilities(7); the
# CIS Docker Benchmark 5.3 names the same). Others beyond the default are "medium".
DANGEROUS_CAPS: frozenset[str] = frozenset(
    {
        "SYS_ADMIN",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_PTRACE",
        "DAC_READ_SEARCH",
        "BPF",
        "SYS_BOOT",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
    }
)

# Namespaces a container shares with the host, and what that gives it.
SHARED_NAMESPACE_RISK: dict[str, tuple[str, str]] = {
    "mnt": ("high", "shares the host's mount namespace: it sees and changes the host's mounts"),
    "pid": (
        "high",
        "shares the host's pid namespace: it sees every host process and can signal or trace them",
    ),
    "net": (
        "high",
        "shares the host's network namespace: host interfaces, host ports, host loopback services",
    ),
    "ipc": ("medium", "shares the host's IPC namespace: host shared memory and message queues"),
    "uts": ("low", "shares the host's UTS namespace: a hostname it sets is the host's"),
    "cgroup": ("low", "shares the host's cgroup namespace: it sees the host's cgroup paths"),
    "time": ("info", "shares the host's time namespace (the usual case)"),
}
# Shown as "host pid,net" in `nsview ps`: the ones that matter for escape.
SUMMARY_NAMESPACES: tuple[str, ...] = ("mnt", "pid", "net", "ipc", "uts")

ENGINE_SOCKETS: tuple[str, ...] = (
    "docker.sock",
    "containerd.sock",
    "podman.sock",
    "crio.sock",
    "dockershim.sock",
)
# Host paths an engine creates for a container's own use (its /etc/hosts, /etc/hostname,
# resolv.conf, /dev/shm): read-write by design, not a way onto the host.
ENGINE_OWNED: tuple[str, ...] = (
    "/var/lib/docker/containers",
    "/var/lib/containers/storage",
    "/run/containers/storage",
    "/var/run/containers/storage",
    "/run/libpod",
    "/var/lib/lxc",
    "/var/lib/kubelet/pods",
    "/run/containerd/io.containerd.grpc.v1.cri",
)
SEVERITIES: tuple[str, ...] = ("high", "medium", "low", "info")
MAX_MISSING_FOR_ALL = 3  # see assess: an engine's "ALL" may predate the kernel's newest


@record
class CapSets:
    """The five capability sets of /proc/PID/status, by name, in capability-number order."""

    inheritable: tuple[str, ...]
    permitted: tuple[str, ...]
    effective: tuple[str, ...]
    bounding: tuple[str, ...]
    ambient: tuple[str, ...]
    masks: dict[str, str]  # "CapEff" -> "00000000a80425fb", as the kernel wrote it


@record
class SecurityStatus:
    """The security lines of /proc/PID/status (proc(5))."""

    caps: CapSets | None
    seccomp: int | None  # 0 disabled, 1 strict, 2 filter; None: line absent (CONFIG_SECCOMP off)
    seccomp_filters: int | None  # Linux >= 5.9
    no_new_privs: bool | None  # Linux >= 4.10


SECCOMP_MODES = {0: "disabled", 1: "strict", 2: "filter"}


@record
class LsmLabel:
    """/proc/PID/attr/current (or attr/apparmor/current): the LSM's label for the process."""

    lsm: str | None  # "apparmor", "selinux", "smack"; None: no LSM answers on this host
    label: str | None  # the raw label (AppArmor profile, SELinux context)
    mode: str | None = None  # AppArmor: "enforce", "complain", "kill", "unconfined"...
    source: str = "attr/current"

    @property
    def unconfined(self) -> bool:
        if self.lsm is None:
            return True
        if self.lsm == "apparmor":
            return self.label == "unconfined" or self.mode == "unconfined"
        if self.lsm == "selinux" and self.label:
            parts = self.label.split(":")
            return len(parts) > 2 and parts[2] in ("unconfined_t", "spc_t", "kernel_t")
        return self.label in (None, "", "unconfined", "_")

    def words(self) -> str:
        if self.lsm is None:
            return "no LSM loaded on this host"
        text = self.label or ""
        if self.mode and self.mode != self.label:
            text += f" ({self.mode})"
        return f"{self.lsm} {text}".rstrip()


@record
class UserMapping:
    """How the process's user namespace maps root (uid 0) and itself onto host uids."""

    own_namespace: bool  # its user namespace is not the host's
    root_outside: int | None  # the host uid of uid 0 inside; None: uid 0 is not mapped
    ranges: tuple[IdMapRange, ...]

    @property
    def root_is_host_root(self) -> bool:
        return self.root_outside == 0

    def words(self) -> str:
        if not self.own_namespace:
            return "no user namespace: root in the container is root on the host"
        if self.root_outside == 0:
            return "user namespace maps uid 0 to 0: root in the container is root on the host"
        if self.root_outside is None:
            return "user namespace without uid 0: nobody is root inside"
        return f"root inside is uid {self.root_outside} outside"


def user_mapping(maps: UserMaps, own_namespace: bool) -> UserMapping:
    root = None
    for r in maps.uid_map:
        if r.inside <= 0 < r.inside + r.count:
            root = r.outside + (0 - r.inside)
            break
    return UserMapping(own_namespace, root, maps.uid_map)


@record
class DeviceRule:
    """A line of a v1 ``devices.list``: ``c 1:3 rwm`` (type, major, minor, access)."""

    type: str  # "a", "b", "c"
    major: str  # a number or "*"
    minor: str
    access: str  # some of "rwm"

    def __str__(self) -> str:
        return f"{self.type} {self.major}:{self.minor} {self.access}"

    @property
    def every_device(self) -> bool:
        return self.type == "a" and self.major == "*" and self.minor == "*" and "r" in self.access


@record
class DeviceAccess:
    """What devices the cgroup lets the process open. v1: the rules; v2: there is no file, the
    rules are a BPF program (``bpftool cgroup show``) nsview does not read."""

    version: int
    rules: tuple[DeviceRule, ...] | None  # None on v2
    directory: str | None = None  # the cgroup directory, for the classic command
    note: str | None = None
    # v2: BPF device programs in effect on the cgroup (its own and inherited); None: not known
    programs: int | None = None

    @property
    def every_device(self) -> bool | None:
        if self.rules is None:
            # v2 without any device program: the kernel checks nothing (runc attaches one for
            # every container unless it allows every device)
            return None if self.programs is None else self.programs == 0
        return any(r.every_device for r in self.rules)

    def words(self) -> str:
        if self.rules is None and self.programs is not None:
            if self.programs == 0:
                return "every device: cgroup v2 with no BPF device program in effect"
            return (
                f"cgroup v2: {self.programs} BPF device program(s) in effect (rules not readable as a file)"
            )
        if self.rules is None:
            return self.note or "cgroup v2: rules are a BPF program, not readable as a file"
        if self.every_device:
            return "every device (a *:* rwm)"
        rw = [r for r in self.rules if "r" in r.access or "w" in r.access]
        # (the row is named "devices": the words need not say it again)
        return f"{len(rw)} read/write rule{'s' if len(rw) != 1 else ''}" + (
            "; mknod of any" if any(r.major == "*" and "m" in r.access for r in self.rules) else ""
        )


@record
class MountRisk:
    """A mount through which the container reaches the host."""

    kind: str  # "engine socket", "host root", "host /proc", "/sys writable", "host /dev", "host /run", "host path rw"
    severity: str
    target: str  # inside the container
    host_path: str | None
    read_only: bool
    reason: str


@record
class Finding:
    severity: str  # one of SEVERITIES
    item: str  # "capabilities", "seccomp", "lsm", "user", "devices", "namespaces", "mounts"
    reason: str


@record
class Privileges:
    """One process's privileges, each item read separately (a Reading: the value or why not)."""

    pid: int
    engine: str | None  # whose defaults capabilities are compared with; None: the host's
    status: Reading[SecurityStatus]
    lsm: Reading[LsmLabel]
    user: Reading[UserMapping]
    devices: Reading[DeviceAccess]
    shared_namespaces: Reading[tuple[str, ...]]  # types shared with the host
    mounts: Reading[tuple[MountRisk, ...]]
    findings: tuple[Finding, ...] = ()
    summary: str = ""
    cap_added: tuple[str, ...] = ()  # bounding set minus the engine's default (or the host's)
    cap_dropped: tuple[str, ...] = ()
    cap_missing: tuple[str, ...] = ()  # of every capability the host has, the ones it lacks
    privileged: bool | None = None  # every capability the host has, and seccomp off
    all_caps: bool | None = None  # every capability the host has (but at most its newest few)

    @property
    def items(self) -> dict[str, Reading[object]]:
        return {
            "status": self.status,  # type: ignore[dict-item]
            "lsm": self.lsm,  # type: ignore[dict-item]
            "user": self.user,  # type: ignore[dict-item]
            "devices": self.devices,  # type: ignore[dict-item]
            "shared_namespaces": self.shared_namespaces,  # type: ignore[dict-item]
            "mounts": self.mounts,  # type: ignore[dict-item]
        }

    @property
    def partial(self) -> bool:
        return any(not r.ok for r in self.items.values())


def _under(path: str, tops: tuple[str, ...]) -> bool:
    return any(is_within(path, t) for t in tops)


def mount_risks(tree: MountTree) -> tuple[MountRisk, ...]:
    """The mounts of a container's tree (with host sources, ``collect/mounts.with_sources``)
    through which it reaches the host. Hidden mounts are left out: no path reaches them."""
    out: list[MountRisk] = []
    for node in tree.walk:
        risk = _mount_risk(node)
        if risk is not None:
            out.append(risk)
    # `-v /:/host` binds recursively: every host mount comes along below /host. They are one
    # finding, the host's root, which says how many came with it and how many are writable.
    roots = [r for r in out if r.kind == "host root"]
    if not roots:
        return tuple(out)
    kept: list[MountRisk] = []
    below: dict[str, list[MountRisk]] = {r.target: [] for r in roots}
    for r in out:
        top = next((h for h in roots if h is not r and is_within(r.target, h.target)), None)
        if top is None:
            kept.append(r)
        else:
            below[top.target].append(r)
    return tuple(
        replace(r, reason=r.reason + _below_words(below[r.target])) if r.kind == "host root" else r
        for r in kept
    )


def _below_words(below: list[MountRisk]) -> str:
    if not below:
        return ""
    rw = sum(1 for b in below if not b.read_only)
    shown = ", ".join(b.target for b in below[:3]) + ("..." if len(below) > 3 else "")
    return f", and {len(below)} more below it ({rw} read-write: {shown})"


def _mount_risk(node: MountNode) -> MountRisk | None:
    if node.hidden is not None:
        return None
    m = node.mount
    host = node.host.path if node.host is not None else None
    ro = m.read_only

    def risk(kind: str, severity: str, reason: str) -> MountRisk:
        return MountRisk(kind, severity, m.target, host, ro, reason)

    base = m.target.rsplit("/", 1)[-1]
    host_base = host.rsplit("/", 1)[-1] if host else ""
    for sock in ENGINE_SOCKETS:
        if sock in (base, host_base):
            return risk(
                "engine socket",
                "high",
                f"{sock} at {m.target}: whoever talks to the engine can start a privileged "
                "container, which is root on the host",
            )
    if m.fstype == "devtmpfs" or (host is not None and host == "/dev"):
        return risk("host /dev", "high", f"the host's /dev at {m.target}: its disks and devices")
    if m.fstype == "proc" and host is not None:
        return risk("host /proc", "high", f"the host's /proc at {m.target}: every host process")
    if m.fstype == "sysfs" and not ro:
        return risk("/sys writable", "high", f"sysfs read-write at {m.target}: kernel and device settings")
    if host is None or m.target == "/":
        return None
    if host == "/" and m.fstype not in ("proc", "sysfs", "cgroup", "cgroup2"):
        return risk("host root", "high", f"the host's root filesystem at {m.target}")
    if host in ("/run", "/var/run"):
        return risk("host /run", "high", f"the host's {host} at {m.target}: its daemons' sockets")
    if m.fstype in ("proc", "sysfs", "cgroup", "cgroup2", "mqueue", "devpts", "tmpfs", "nsfs"):
        return None  # the container's own, or a kernel view its engine gives it
    if _under(host, ENGINE_OWNED) or ro:
        return None
    return risk("host path rw", "medium", f"host path {host} mounted read-write at {m.target}")


def _caps_words(added: list[str], dropped: list[str]) -> str:
    def side(sign: str, names: list[str]) -> list[str]:
        if len(names) > 3:
            return [f"{sign}{len(names)} caps"]
        return [sign + n for n in names]

    return " ".join(side("+", added) + side("-", dropped)) or "default"


def assess(
    p: Privileges,
    *,
    host_bounding: tuple[str, ...] | None,
    every_cap: tuple[str, ...],
) -> Privileges:
    """``p`` with its findings, its capabilities compared with its engine's default (or the
    host's bounding set when no engine is known) and its summary for `nsview ps`."""
    findings: list[Finding] = []
    words: list[str] = []
    added: list[str] = []
    dropped: list[str] = []
    privileged: bool | None = None
    has_all: bool | None = None
    missing: list[str] = []
    status = p.status.value
    caps = status.caps if status else None
    user = p.user.value
    own_userns = user is not None and user.own_namespace and not user.root_is_host_root
    if caps is not None:
        bnd = caps.bounding
        every = list(host_bounding or every_cap)
        missing = [c for c in every if c not in bnd]
        # An engine's "ALL" is the capabilities it knows: Docker 20.10 knows none past
        # AUDIT_READ (37), so its --privileged lacks PERFMON, BPF and CHECKPOINT_RESTORE on a
        # newer kernel. Every capability but at most three of the newest, SYS_ADMIN among them,
        # is "all", and the reason names what is missing.
        has_all = "SYS_ADMIN" in bnd and len(missing) <= MAX_MISSING_FOR_ALL
        seccomp_off = status is not None and status.seccomp == 0
        privileged = has_all and seccomp_off
        but = f" but {' '.join(missing)}" if missing else ""
        base = ENGINE_DEFAULT_CAPS.get(p.engine or "") or host_bounding or ()
        added = [c for c in bnd if c not in base]
        dropped = [c for c in base if c not in bnd]
        scope = " (in its own user namespace)" if own_userns else ""
        if privileged:
            words.append("privileged")
            findings.append(
                Finding(
                    "high" if not own_userns else "medium",
                    "capabilities",
                    f"privileged: every capability the host has{but} ({len(bnd)}) and no seccomp filter{scope}",
                )
            )
        elif has_all:
            words.append("all caps")
            findings.append(
                Finding(
                    "high" if not own_userns else "medium", "capabilities", f"every capability{but}{scope}"
                )
            )
        else:
            words.append(_caps_words(added, dropped))
            bad = [c for c in added if c in DANGEROUS_CAPS]
            other = [c for c in added if c not in DANGEROUS_CAPS]
            whose = f"{p.engine}'s default" if p.engine in ENGINE_DEFAULT_CAPS else "the host's"
            if bad:
                findings.append(
                    Finding(
                        "high" if not own_userns else "medium",
                        "capabilities",
                        f"beyond {whose} set: {', '.join(bad)}{scope}",
                    )
                )
            if other:
                findings.append(
                    Finding(
                        "medium" if not own_userns else "low",
                        "capabilities",
                        f"beyond {whose} set: {', '.join(other)}",
                    )
                )
            if dropped and not added:
                findings.append(
                    Finding("info", "capabilities", f"fewer than {whose} set: {', '.join(dropped)}")
                )
    if status is not None:
        if status.seccomp == 0 and not privileged:  # a privileged one's finding says it already
            words.append("unconfined")
            findings.append(Finding("medium", "seccomp", "no seccomp filter: every system call is allowed"))
        if status.no_new_privs is False and caps is not None and caps.bounding:
            findings.append(
                Finding(
                    "info", "no_new_privs", "no_new_privs is off: setuid binaries inside can gain privileges"
                )
            )
    lsm = p.lsm.value
    if lsm is not None:
        if lsm.lsm is None:
            findings.append(Finding("info", "lsm", "no LSM (AppArmor, SELinux) is loaded on this host"))
        elif lsm.unconfined:
            findings.append(Finding("medium", "lsm", f"LSM label {lsm.words()}: not confined"))
        elif lsm.lsm == "apparmor" and lsm.mode == "complain":
            findings.append(
                Finding(
                    "medium",
                    "lsm",
                    f"AppArmor profile {lsm.label} in complain mode: it logs, it does not enforce",
                )
            )
    if user is not None:
        if user.root_is_host_root or not user.own_namespace:
            findings.append(Finding("low", "user", "root in the container is root on the host"))
        elif user.root_outside is not None:
            words.append(f"userns {user.root_outside}")
    dev = p.devices.value
    if dev is not None and dev.every_device:
        how = "a *:* rwm" if dev.rules is not None else "no BPF device program on its v2 cgroup"
        findings.append(Finding("high", "devices", f"every device ({how}): it can open the host's disks"))
        if not privileged:
            words.append("all devices")
    shared = p.shared_namespaces.value
    if shared:
        for ns in shared:
            if ns in SHARED_NAMESPACE_RISK and ns != "time":
                sev, why = SHARED_NAMESPACE_RISK[ns]
                findings.append(Finding(sev, "namespaces", why))
        host_ns = [ns for ns in SUMMARY_NAMESPACES if ns in shared]
        if host_ns:
            words.append("host " + ",".join(host_ns))
    for r in p.mounts.value or ():
        findings.append(Finding(r.severity, "mounts", r.reason))
        if r.kind == "engine socket":
            sock = next((s for s in ENGINE_SOCKETS if r.reason.startswith(s)), "socket")
            if sock not in words:
                words.append(sock)
        elif r.severity == "high" and r.kind not in words:
            words.append(r.kind)
    if caps is None:
        words.insert(0, "caps unknown")  # never "default" by omission
    elif p.partial:
        words.append("partial")  # some item could not be read: the summary is not the whole answer
    findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    summary = ", ".join(dict.fromkeys(words))
    return replace(
        p,
        findings=tuple(findings),
        summary=summary,
        cap_added=tuple(added),
        cap_dropped=tuple(dropped),
        cap_missing=tuple(missing),
        privileged=privileged,
        all_caps=has_all,
    )


def host_namespaces_shared(
    target: dict[str, object], host: dict[str, object], *, types: tuple[str, ...]
) -> tuple[str, ...]:
    """The namespace types whose inode is the host's (``target`` and ``host``: type -> ref)."""
    return tuple(t for t in types if t in target and t in host and target[t] == host[t])
