"""/proc/PID/status: the process fields, and the security lines (capability masks, seccomp,
no_new_privs) with the table of capability numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nsview.errors import ParseError
from nsview.model.process import Status

if TYPE_CHECKING:  # model/privileges.py is loaded by the commands that read privileges only
    from nsview.model.privileges import SecurityStatus

# proc(5): "Key:\tvalue" lines.
#   Name:   traefik
#   Tgid:   3074
#   Pid:    3074
#   PPid:   3050
#   Uid:    0       0       0       0
#   NSpid:  3074    1          <- outermost pid namespace first (Linux >= 4.1)
# Name is escaped by the kernel (\n -> "\\n", \\ -> "\\\\"), so a line is always one line.


def parse_status(data: bytes) -> Status:
    fields: dict[bytes, bytes] = {}
    for line in data.split(b"\n"):
        key, sep, value = line.partition(b":")
        if sep:
            fields[key] = value.strip()
    try:
        pid = int(fields[b"Pid"])
        return Status(
            name=fields.get(b"Name", b"").decode("utf-8", "backslashreplace"),
            tgid=int(fields.get(b"Tgid", pid)),
            pid=pid,
            ppid=int(fields.get(b"PPid", b"0")),
            nspid=tuple(int(x) for x in fields.get(b"NSpid", b"").split()) or (pid,),
            uids=tuple(int(x) for x in fields.get(b"Uid", b"").split()),
            gids=tuple(int(x) for x in fields.get(b"Gid", b"").split()),
        )
    except (KeyError, ValueError) as err:
        raise ParseError("status", f"missing or malformed field ({err})") from None


# proc(5), the security lines of the same file:
#   CapInh:	0000000000000000
#   CapPrm:	00000000a80425fb
#   CapEff:	00000000a80425fb
#   CapBnd:	00000000a80425fb
#   CapAmb:	0000000000000000      <- Linux >= 4.3
#   NoNewPrivs:	0                 <- Linux >= 4.10
#   Seccomp:	2                 <- 0 disabled, 1 strict, 2 filter (CONFIG_SECCOMP)
#   Seccomp_filters:	1         <- Linux >= 5.9
_CAP_KEYS = (b"CapInh", b"CapPrm", b"CapEff", b"CapBnd", b"CapAmb")


def parse_security_status(data: bytes) -> SecurityStatus:
    from nsview.model.privileges import CapSets, SecurityStatus

    fields: dict[bytes, bytes] = {}
    for line in data.split(b"\n"):
        key, sep, value = line.partition(b":")
        if sep and (key in _CAP_KEYS or key in (b"NoNewPrivs", b"Seccomp", b"Seccomp_filters")):
            fields[key] = value.strip()

    def number(key: bytes) -> int | None:
        raw = fields.get(key)
        if raw is None:
            return None
        if not raw.isdigit():
            raise ParseError("status", f"{key.decode()}: {raw[:20]!r}")
        return int(raw)

    caps = None
    if all(k in fields for k in _CAP_KEYS[:4]):
        decoded = {k: decode_mask(fields[k]) if k in fields else () for k in _CAP_KEYS}
        caps = CapSets(
            inheritable=decoded[b"CapInh"],
            permitted=decoded[b"CapPrm"],
            effective=decoded[b"CapEff"],
            bounding=decoded[b"CapBnd"],
            ambient=decoded[b"CapAmb"],
            masks={k.decode(): fields[k].decode("ascii") for k in _CAP_KEYS if k in fields},
        )
    nnp = number(b"NoNewPrivs")
    return SecurityStatus(
        caps=caps,
        seccomp=number(b"Seccomp"),
        seccomp_filters=number(b"Seccomp_filters"),
        no_new_privs=None if nnp is None else bool(nnp),
    )


# include/uapi/linux/capability.h: the number of each capability, 0..40 (CAP_LAST_CAP on
# Linux 5.9+ is CAP_CHECKPOINT_RESTORE = 40). Names without the "CAP_" prefix, as
# `docker run --cap-add` takes them; `capsh --decode` prints the same names in lower case.
CAP_NAMES: tuple[str, ...] = (
    "CHOWN",  # 0
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",  # 5
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",  # 10
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",  # 15
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",  # 20
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",  # 25
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",  # 30
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",  # 35
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",  # 40
)

ALL_KNOWN: frozenset[str] = frozenset(CAP_NAMES)


def cap_name(bit: int) -> str:
    """The name of capability ``bit``; a bit newer than this table is ``CAP_<n>`` (as capsh
    prints an unknown one: ``cap_41``), never dropped."""
    return CAP_NAMES[bit] if 0 <= bit < len(CAP_NAMES) else f"CAP_{bit}"


# proc(5), /proc/PID/status: each set a 64-bit mask in 16 hex digits:
#   CapEff:	00000000a80425fb
def decode_mask(text: str | bytes) -> tuple[str, ...]:
    """A capability mask (``00000000a80425fb``) -> the names of its set bits, lowest first."""
    raw = text.decode("ascii", "replace") if isinstance(text, bytes) else text
    raw = raw.strip()
    if not raw or len(raw) > 16 or any(c not in "0123456789abcdefABCDEF" for c in raw):
        raise ParseError("capability mask", repr(raw[:40]))
    value = int(raw, 16)
    return tuple(cap_name(bit) for bit in range(64) if value >> bit & 1)
