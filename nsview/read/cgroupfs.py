"""cgroupfs value files, read where the host mounts them (never a path glued from a controller name).

A value file that is missing is None (controller not enabled, root cgroup, old kernel); any other
failure is recorded with its reason and is None too, so one report can say what it could not read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from nsview.errors import FileMissing, NotAvailable, NsviewError, ParseError
from nsview.model.cgroup import CgroupMembership, Limit, Placement
from nsview.model.cgroup_placement import cgroup_components, cgroup_mounts, placement_for
from nsview.model.mount import Mount
from nsview.parse.cgroupfs import (
    decode_limit,
    parse_cgroup_events_frozen,
    parse_count,
    parse_freezer_state,
    parse_keyed,
)
from nsview.parse.proc_cgroup import parse_proc_cgroup
from nsview.procfs import KernelFS, ProcFS

T = TypeVar("T")


# Value files are tiny; a cap keeps a hostile snapshot from making us read gigabytes.
_VALUE_CAP = 1024 * 1024


# Limit files the kernel does not create in a hierarchy's root cgroup (CFTYPE_NOT_ON_ROOT in
# kernel/cgroup/pids.c, mm/memcontrol.c, kernel/sched/core.c): the root cannot be limited, so
# there a missing file means "unlimited". v1 memory and cpu keep theirs on the root ("-1", the
# PAGE_COUNTER_MAX sentinel); memory.memsw.* missing on the root means no swap accounting.
ROOT_HAS_NO = frozenset({"pids.max", "memory.max", "memory.high", "memory.swap.max", "cpu.max"})


def host_location(path: str, sys: KernelFS) -> tuple[KernelFS, str]:
    """A path as the host sees it (a mount point from mountinfo plus a cgroup) -> where to
    read it. Under /sys it is read below ``sys``'s root (so ``--sys-root fixtures/x/sys`` maps
    "/sys/fs/cgroup/memory" to "fixtures/x/sys/fs/cgroup/memory"); any other mount point (say
    "/cgroup/memory") is read below the parent of ``sys``'s root, which is "/" on a live host
    and the fixture tree's top otherwise."""
    parts = cgroup_components(path)
    if ".." in parts:
        raise NotAvailable(path, "path leaves the filesystem root")
    if parts[:1] == ("sys",):
        return sys, "/".join(parts[1:])
    return KernelFS(sys.root.parent), "/".join(parts)


class CgroupFiles:
    """Value-file reads for one report: a missing file is None (not enabled, root cgroup, old
    kernel); anything else unreadable is recorded in ``errors`` and also None."""

    def __init__(self, sys: KernelFS) -> None:
        self.sys = sys
        self.errors: dict[str, str] = {}
        self.failures = 0  # counts every failed read, also repeated ones of the same file
        self.roots: set[str] = set()  # directories of root cgroups ("/"): see ROOT_HAS_NO

    def root_unlimited(self, directory: str, name: str, failures: int) -> bool:
        """The file was missing (no read failed since ``failures``) from a root cgroup that
        never has it: the root cannot be limited."""
        return directory in self.roots and name in ROOT_HAS_NO and self.failures == failures

    def _fail(self, path: str, why: str) -> None:
        self.errors[path] = why
        self.failures += 1

    def text(self, directory: str, name: str) -> str | None:
        path = f"{directory}/{name}"
        try:
            fs, rel = host_location(path, self.sys)
            return fs.read_text(rel, _VALUE_CAP)
        except FileMissing:
            return None
        except NotAvailable as err:
            self._fail(path, err.why)
            return None
        except NsviewError as err:
            self._fail(path, err.message)
            return None

    def value(self, directory: str, name: str, parser: Callable[[str], T]) -> T | None:
        text = self.text(directory, name)
        if text is None:
            return None
        try:
            return parser(text)
        except ParseError as err:
            self._fail(f"{directory}/{name}", err.message)
            return None

    def limit(self, directory: str, name: str) -> Limit | None:
        failures = self.failures
        lim = self.value(directory, name, lambda t: decode_limit(t, name))
        if lim is None and self.root_unlimited(directory, name, failures):
            return Limit.none()
        return lim

    def count(self, directory: str, name: str) -> int | None:
        return self.value(directory, name, lambda t: parse_count(t, name))

    def keyed(self, directory: str, name: str) -> dict[str, int] | None:
        return self.value(directory, name, lambda t: parse_keyed(t, name))

    def word(self, directory: str, name: str) -> str | None:
        text = self.text(directory, name)
        return None if text is None else text.strip()

    def is_dir(self, directory: str) -> bool:
        try:
            fs, rel = host_location(directory, self.sys)
        except NotAvailable:
            return False
        return fs.is_dir(rel)


def read_memberships(proc: ProcFS, pid: int, f: CgroupFiles) -> tuple[CgroupMembership, ...]:
    """/proc/PID/cgroup, line by line: a malformed line is reported and skipped (docs/hardening.md, row 18),
    the other hierarchies still count."""
    out: list[CgroupMembership] = []
    for line in proc.pid_read(pid, "cgroup").split(b"\n"):
        try:
            out.extend(parse_proc_cgroup(line))
        except ParseError as err:
            f._fail(f"/proc/{pid}/cgroup", err.message)
    return tuple(out)


class FreezerReader:
    """Whether a container's cgroup is frozen (``docker pause``), located with the same placement
    rules as the limits; the reader's cgroup mounts are read once."""

    def __init__(self, sys: KernelFS | None, own_mounts: tuple[Mount, ...]) -> None:
        # sys None: a caller without sysfs (target resolution); nothing is frozen then
        self.sys = sys
        self.mounts = cgroup_mounts(own_mounts) if sys is not None else ()

    def state(self, memberships: tuple[CgroupMembership, ...]) -> tuple[str | None, str | None]:
        """("frozen" | "freezing" | "thawed" | None, why None). Both freezers are asked: on a
        hybrid host runc freezes the v1 one while v2 cgroup.events keeps saying "frozen 0",
        and a cgroup2 freeze leaves the v1 root's state alone; either one holds the tasks."""
        if self.sys is None or not self.mounts:
            return None, None
        v1 = [m for m in self.mounts if m.version == 1 and "freezer" in m.controllers]
        v2 = [m for m in self.mounts if m.version == 2]
        answers: list[tuple[str | None, str | None]] = []
        for mb in memberships:
            if mb.hierarchy_id != 0 and "freezer" in mb.controllers and v1:
                answers.append(
                    self._read(
                        placement_for("freezer", 1, "freezer", mb, v1), "freezer.state", parse_freezer_state
                    )
                )
                break
        unified = next((mb for mb in memberships if mb.unified), None)
        if unified is not None and v2:
            answers.append(
                self._read(
                    placement_for("freezer", 2, "freezer", unified, v2),
                    "cgroup.events",
                    parse_cgroup_events_frozen,
                )
            )
        for word in ("frozen", "freezing", "thawed"):
            if any(state == word for state, _ in answers):
                return word, None
        why = next((err for _, err in answers if err), None)
        return None, why  # no freezer file (root cgroup, none mounted): nothing wrong

    def _read(
        self, placement: Placement, name: str, parser: Callable[[str], str]
    ) -> tuple[str | None, str | None]:
        if not placement.available or self.sys is None:
            return None, placement.reason
        try:
            fs, rel = host_location(f"{placement.directory}/{name}", self.sys)
            return parser(fs.read_text(rel, 4096)), None
        except FileMissing:
            return None, None
        except NsviewError as err:
            return None, err.reason
