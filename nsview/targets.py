"""TARGET on the command line -> a host pid.

Every command takes the same targets:
  3074                        a process id
  web  /web                   a Docker container name (Docker itself writes it with a "/")
  0ac949292b65  0ac9...(64)   a container id, or a unique prefix of one (docker, podman, CRI-O,
                              Kubernetes containers seen in cgroup paths)
  acme/web1  web1             a containerd ``namespace/id`` (as ``ctr -n acme`` shows it), or the
                              bare id when only one namespace has it
  mylxc                       an LXC container name
  pod:default/web-0/web       a Kubernetes pod's container (pod:NS/POD when it has only one;
                              pod:NS/POD/POD its sandbox), from the bundles' CRI annotations
A container resolves to its init process on the host. Nothing asks an engine: the evidence is
/proc (cgroup paths, the shims' and conmon's argv) and the engines' files (see
nsview.collect.ps). Digits are always a pid (pids never start with "0", so "0ac9" is
an id prefix); a container named with digits only is reached as ``/NAME``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from nsview.errors import (
    AmbiguousTarget,
    NamesNeedRoot,
    NoSuchProcess,
    NotRunning,
    NsviewError,
    TargetNotFound,
    UsageError,
)
from nsview.model.record import record
from nsview.procfs import KernelFS, ProcFS, SysFS, host_root_for

if TYPE_CHECKING:  # a pid TARGET (the common case) never loads the container model
    from nsview.model.container import Container, ContainerScan

# The container TARGETs this command resolved (proc root, TARGET, fs root): when the process
# is gone by the time the command reads it, ``explain_gone`` asks the engines' files whether
# the container stopped meanwhile (docs/hardening.md, row 38). Cleared per command (cli.execute).
RESOLVED: list[tuple[str | os.PathLike[str], str, str | os.PathLike[str] | None]] = []


@record
class Resolved:
    pid: int
    container: Container | None  # None when TARGET was a pid


def resolve_target(
    proc_root: str | os.PathLike[str], target: str, *, sys_root: str | os.PathLike[str] = "/sys"
) -> int:
    return resolve(proc_root, target, sys_root=sys_root).pid


def resolve(
    proc_root: str | os.PathLike[str],
    target: str,
    *,
    sys_root: str | os.PathLike[str] = "/sys",
    fs_root: str | os.PathLike[str] | None = None,
    scan: ContainerScan | None = None,
) -> Resolved:
    """``scan``: the containers (``details=False``) when the caller has scanned already, as
    `nsview snapshot` does for each of its targets; else scanned here when a name needs it."""
    text = target.strip()
    if not text:
        raise UsageError("TARGET is empty: give a pid, a container name or a container id")
    proc = ProcFS(proc_root)
    digits = text.isascii() and text.isdigit()
    if (digits and not text.strip("0")) or (text.startswith("-") and text[1:].isdigit()):
        raise UsageError(f"TARGET must be a positive process id, not {target!r}")

    if digits and not text.startswith("0"):
        # Digits are a pid (pids never start with "0"): a mistyped pid must not silently
        # become some container whose id happens to start with those digits.
        pid = int(text)
        proc.check_mounted()
        if proc.pid_exists(pid):
            _refuse_thread(proc, pid)
            return Resolved(pid, None)
        from nsview.model.container import match_target

        scan = scan or _scan(proc, sys_root, fs_root)
        hits = [c for c in match_target(scan.containers, text) if c.id and c.id.startswith(text)]
        hint = (
            f" (container {hits[0].label()} has an id starting with {text}: give more of its id, or its name)"
            if hits
            else ""
        )
        raise NoSuchProcess(pid, f"no such process: {pid}{hint}")

    from nsview.model.container import match_target

    scan = scan or _scan(proc, sys_root, fs_root)
    found = match_target(scan.containers, text)
    if not found:
        denied = _not_running(proc, scan, text, fs_root)
        if denied:
            raise NamesNeedRoot(
                f"no running container that nsview could read matches {target!r}: "
                + "; ".join(denied)
                + " (run as root to find containers by name)"
            )
        count = sum(1 for c in scan.containers if c.id is not None)
        raise TargetNotFound(
            f"no process or running container matches {target!r} "
            f"(TARGET is a pid, a container name, id, id prefix, containerd namespace/id or "
            f"pod:NAMESPACE/POD[/CONTAINER]; "
            f"{count} container(s) found on this host: see `nsview ps`)"
        )
    if len(found) > 1:
        raise AmbiguousTarget(target, sorted(c.label() for c in found))
    RESOLVED.append((proc_root, text, fs_root))
    return Resolved(found[0].init_pid, found[0])


def explain_gone(err: NoSuchProcess) -> NsviewError:
    """A container TARGET whose process exited after it was resolved: NOT_RUNNING with how
    it ended when its engine's files say it stopped, else ``err`` unchanged."""
    from nsview.model.container import match_target

    for proc_root, text, fs_root in RESOLVED:
        proc = ProcFS(proc_root)
        try:
            scan = _scan(proc, "/sys", fs_root)
            if match_target(scan.containers, text):
                continue  # it still runs (another process of it): the error stands
            _not_running(proc, scan, text, fs_root)
        except NotRunning as stopped:
            return stopped
        except NsviewError:
            continue
    return err


def _scan(
    proc: ProcFS, sys_root: str | os.PathLike[str], fs_root: str | os.PathLike[str] | None
) -> ContainerScan:
    # Imported here: a pid target (the common case) never pays for the container scanner.
    from nsview.collect.ps import scan_containers

    return scan_containers(proc, SysFS(sys_root), fs_root=fs_root, details=False)


def _not_running(
    proc: ProcFS, scan: ContainerScan, text: str, fs_root: str | os.PathLike[str] | None
) -> list[str]:
    """TARGET names no running container: if it names one the engines keep on disk, say how
    it stands (exit 9, NOT_RUNNING) instead of "no match". Else the engines' files that could
    have named it but are closed to this user ("names need root: ...")."""
    from nsview.collect.ps import names_denied, stopped_containers
    from nsview.model.container import match_stopped
    from nsview.read.podman import graph_roots, podman_store

    fs = KernelFS(fs_root if fs_root is not None else host_root_for(proc.root))
    store = podman_store(fs, graph_roots(fs))
    stopped = match_stopped(stopped_containers(fs, scan.docker_roots, store, list(scan.containers)), text)
    if len(stopped) > 1:
        raise AmbiguousTarget(text, sorted(c.label() for c in stopped))
    if stopped:
        raise NotRunning(stopped[0].describe(), stopped[0])
    return list(dict.fromkeys([*scan.names_denied, *names_denied(fs, list(scan.docker_roots), store)]))


def _refuse_thread(proc: ProcFS, pid: int) -> None:
    """/proc/<tid> exists for every thread though /proc does not list it (docs/hardening.md, row 6): a TID
    is not a process, whatever the command. A status that cannot be read decides nothing."""
    from nsview.read.process import read_status

    try:
        status = read_status(proc, pid)
    except NsviewError:
        return
    if status.tgid != status.pid:
        raise UsageError(f"{pid} is a thread of process {status.tgid}, not a process; try {status.tgid}")
