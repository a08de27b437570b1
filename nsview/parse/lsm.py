"""/proc/PID/attr/current and /proc/PID/attr/apparmor/current: the LSM label of a process."""

from __future__ import annotations

from nsview.errors import ParseError
from nsview.model.privileges import LsmLabel

# proc(5), /proc/PID/attr/current: the label of the LSM that owns the "current" attribute, one
# line, NUL- or newline-terminated depending on the LSM:
#   AppArmor (apparmor(7)):  docker-default (enforce)\n      unconfined\n
#   SELinux (selinux(8)):    system_u:system_r:container_t:s0:c123,c456\0
#   Smack:                   _\0
# attr/apparmor/current (Linux >= 5.1) is AppArmor's own copy when several LSMs are stacked.
# No LSM providing the attribute: the read fails with EINVAL (see procfs.pid_read_attr).
MAX_LABEL = 4096  # the kernel caps a label at a page


def parse_attr_current(data: bytes, source: str = "attr/current") -> LsmLabel:
    text = data.split(b"\0", 1)[0].rstrip(b"\n").decode("utf-8", "backslashreplace")
    if "\n" in text:
        raise ParseError(source, "more than one line")
    text = text.strip()
    if source.startswith("attr/apparmor") or text == "unconfined":
        return _apparmor(text, source)
    if text.endswith(")") and " (" in text:
        return _apparmor(text, source)
    if text.count(":") >= 3 and " " not in text:  # user:role:type:level
        return LsmLabel("selinux", text, None, source)
    if text in ("", "_"):
        return LsmLabel("smack" if text == "_" else None, text or None, None, source)
    return LsmLabel("unknown", text, None, source)


def _apparmor(text: str, source: str) -> LsmLabel:
    # "profile (mode)"; unconfined has no mode. A profile name may hold spaces and parentheses
    # ("foo (bar) (enforce)"): the mode is the last parenthesised word.
    if text.endswith(")") and " (" in text:
        profile, _, mode = text[:-1].rpartition(" (")
        return LsmLabel("apparmor", profile, mode, source)
    return LsmLabel("apparmor", text or None, "unconfined" if text == "unconfined" else None, source)
