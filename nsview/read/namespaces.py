"""/proc/PID/ns/*: namespace identity (namespaces(7))."""

from __future__ import annotations

import os

from nsview.errors import FileMissing, NoSuchProcess, NotAvailable, NsviewError
from nsview.model.process import NAMESPACE_TYPES, HostReference, NamespaceRef
from nsview.parse.ns_link import parse_ns_link
from nsview.procfs import KernelFS, ProcFS


def read_namespaces(proc: ProcFS, pid: int) -> tuple[dict[str, NamespaceRef], dict[str, str]]:
    """Every namespace of ``pid`` it can read, and for the rest why not.

    Raises NoSuchProcess only when the process is gone. A type this kernel lacks (no
    ``time`` before 5.6) is simply absent from both dicts.
    """
    found: dict[str, NamespaceRef] = {}
    failed: dict[str, str] = {}
    for ns_type in NAMESPACE_TYPES:
        try:
            found[ns_type] = parse_ns_link(proc.pid_readlink(pid, f"ns/{ns_type}"))
        except NoSuchProcess:
            raise
        except NsviewError as err:
            if not isinstance(err, FileMissing):
                failed[ns_type] = err.reason
    return found, failed


def read_thread_namespaces(
    proc: ProcFS, pid: int, leader: dict[str, NamespaceRef]
) -> dict[int, tuple[NamespaceRef, ...]]:
    """Threads of ``pid`` whose namespaces differ from the leader's (docs/hardening.md, row 7).

    namespaces(7) entries are per thread: a thread may unshare(CLONE_NEWUTS) on its own, and
    /proc/PID/ns shows only the leader. Returns {tid: the differing refs}; threads that vanish
    or cannot be read are left out (the leader's own row already says what was unreadable).
    """
    out: dict[int, tuple[NamespaceRef, ...]] = {}
    try:
        tids = proc.pid_listdir(pid, "task")
    except NsviewError:
        return out
    for name in sorted(tids, key=lambda t: int(t) if t.isdigit() else 0):
        if not name.isdigit() or int(name) == pid:
            continue
        differ: list[NamespaceRef] = []
        for ns_type in NAMESPACE_TYPES:
            if ns_type not in leader:
                continue
            try:
                ref = parse_ns_link(proc.pid_readlink(pid, f"task/{name}/ns/{ns_type}"))
            except NsviewError:
                continue
            if ref != leader[ns_type]:
                differ.append(ref)
        if differ:
            out[int(name)] = tuple(differ)
    return out


def host_reference(proc: ProcFS) -> HostReference:
    """PID 1's namespaces where readable; else nsview's own, and say so (on some hosts a
    sandbox policy gives even root EACCES on /proc/1/ns/*)."""
    why = "not visible"
    try:
        found, failed = read_namespaces(proc, 1)
        if found and not failed:
            return HostReference(1, "pid 1", found)
        why = sorted(set(failed.values()))[0] if failed else "no namespace links"
    except NsviewError as err:
        why = err.message
    if getattr(proc, "viewpoint", "self") != "self":
        # inside a container (nsview/hostview.py) nsview's own namespaces are the container's:
        # kthreadd, pid 2 in the host's pid namespace, holds the initial ones
        try:
            found, failed = read_namespaces(proc, 2)
            if found and not failed:
                return HostReference(2, f"kthreadd, pid 2 (pid 1 unreadable: {why})", found)
        except NsviewError:
            pass
    try:
        own = int(proc.readlink("self"))
        found, _failed = read_namespaces(proc, own)
        return HostReference(own, f"nsview itself (pid 1 unreadable: {why})", found)
    except (NsviewError, ValueError):
        from nsview.answers import shown

        return HostReference(None, f"none (pid 1 unreadable: {why}; no {shown(proc.root)}/self)", {})


def read_bound_mountinfo(proc: ProcFS, host: KernelFS, path: str, inode: int) -> bytes:
    """The mountinfo of the mount namespace ``mnt:[inode]`` that the nsfs bind mount at host
    ``path`` holds (no process needs to be in it): read from outside, by enter.read_mount_table.
    The inode check refuses a file swapped since the host's table was read (docs/hardening.md, row 36)."""
    from nsview.enter import read_mount_table

    fd, found = host.open_namespace_file(path.lstrip("/"))
    try:
        if found != inode:
            raise NotAvailable(path, f"now holds namespace {found}, not mnt:[{inode}]")
        from nsview import answers

        if answers.TAP is not None:  # a snapshot being taken or read (nsview/answers.py)
            return answers.TAP.mount_table(inode, lambda: read_mount_table(proc, fd))
        return read_mount_table(proc, fd)
    finally:
        os.close(fd)
