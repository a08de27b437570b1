"""What container engines keep on the host's disk, read from the host filesystem (never from
inside a container): Docker's ``<data-root>/containers/<id>/config.v2.json`` for names and
compose labels, and where that data root is (dockerd's argv, its daemon.json, the default;
rootless Docker under the user's home)."""

from __future__ import annotations

from nsview.errors import AccessDenied, NsviewError
from nsview.model.container import ComposeRef, StoppedContainer
from nsview.model.supervisor import (
    DEFAULT_DOCKER_CONFIG,
    DEFAULT_DOCKER_ROOT,
    ROOTLESS_DOCKER_CONFIG,
    DockerDaemon,
    docker_config_file,
    docker_daemon,
)
from nsview.parse.docker_config import docker_config_facts, docker_config_name, docker_config_state
from nsview.parse.docker_daemon import daemon_data_root
from nsview.parse.passwd import home_of
from nsview.procfs import KernelFS

_DOCKER_CONFIG_LIMIT = 1024 * 1024
_SMALL_FILE = 256 * 1024  # daemon.json, /etc/passwd


def docker_configs(
    fs: KernelFS, roots: list[str], ids: list[str]
) -> dict[str, tuple[str | None, ComposeRef | None, str]]:
    """id -> (name without "/", compose labels, the file they came from), for the docker ids
    the scan found; the first data root that holds the id wins."""
    if not ids:
        return {}
    search = roots + ([DEFAULT_DOCKER_ROOT] if DEFAULT_DOCKER_ROOT not in roots else [])
    out: dict[str, tuple[str | None, ComposeRef | None, str]] = {}
    for cid in ids:
        for root in search:
            rel = f"{root.strip('/')}/containers/{cid}/config.v2.json"
            try:
                name, compose = docker_config_facts(fs.read_bytes(rel, _DOCKER_CONFIG_LIMIT), cid)
            except NsviewError:
                continue
            if name is not None:
                out[cid] = (name, compose, f"{root.rstrip('/')}/containers/{cid[:12]}.../config.v2.json")
                break
    return out


def docker_names(fs: KernelFS, roots: list[str], ids: list[str]) -> dict[str, tuple[str, str]]:
    """id -> (name without "/", the file it came from), for the docker ids the scan found."""
    return {
        cid: (name, where)
        for cid, (name, _, where) in docker_configs(fs, roots, ids).items()
        if name is not None
    }


def _config_root(fs: KernelFS, path: str) -> str | None:
    try:
        return daemon_data_root(fs.read_bytes(path.lstrip("/"), _SMALL_FILE))
    except NsviewError:
        return None  # no daemon.json (the usual case), unreadable or not JSON: argv/default decide


def docker_daemon_of(fs: KernelFS, args: tuple[str, ...], uid: int | None) -> DockerDaemon:
    """Where one running dockerd keeps its containers: its argv, its daemon.json (``--config-file``,
    else /etc/docker/daemon.json; a rootless daemon's under its user's home), the default."""
    home = None
    if uid is not None and uid != 0:
        try:
            home = home_of(fs.read_bytes("etc/passwd", _SMALL_FILE), uid)
        except NsviewError:
            home = None
    config = docker_config_file(args)
    if config is None:
        config = f"{home.rstrip('/')}/{ROOTLESS_DOCKER_CONFIG}" if home else DEFAULT_DOCKER_CONFIG
    return docker_daemon(args, _config_root(fs, config), config, home)


def docker_roots_on_disk(fs: KernelFS) -> list[str]:
    """Data roots the host's files name without a running dockerd to ask: daemon.json's, then
    the default."""
    root = _config_root(fs, DEFAULT_DOCKER_CONFIG)
    return [r for r in (root, DEFAULT_DOCKER_ROOT) if r is not None]


def docker_containers(fs: KernelFS, roots: list[str] | tuple[str, ...]) -> dict[str, str]:
    """id -> name of every container Docker keeps on disk, running or stopped (``docker rm`` and
    ``--rm`` remove the directory, and the name with it)."""
    out: dict[str, str] = {}
    for root in list(roots) + ([DEFAULT_DOCKER_ROOT] if DEFAULT_DOCKER_ROOT not in roots else []):
        base = f"{root.strip('/')}/containers"
        try:
            ids = fs.listdir(base)
        except NsviewError:
            continue
        for cid in ids:
            if cid in out or len(cid) != 64:
                continue
            try:
                name = docker_config_name(
                    fs.read_bytes(f"{base}/{cid}/config.v2.json", _DOCKER_CONFIG_LIMIT), cid
                )
            except NsviewError:
                continue
            if name is not None:
                out[cid] = name
    return out


def _search(roots: list[str] | tuple[str, ...]) -> list[str]:
    return list(roots) + ([DEFAULT_DOCKER_ROOT] if DEFAULT_DOCKER_ROOT not in roots else [])


def docker_unreadable(fs: KernelFS, roots: list[str] | tuple[str, ...]) -> list[str]:
    """The data roots that are there but whose containers this user may not list (Docker's
    are root's, mode 0710): names and states there need root."""
    out = []
    for root in _search(roots):
        try:
            fs.listdir(f"{root.strip('/')}/containers")
        except AccessDenied:
            out.append(root)
        except NsviewError:
            continue
    return out


def docker_stopped(
    fs: KernelFS, roots: list[str] | tuple[str, ...], running: set[str]
) -> list[StoppedContainer]:
    """Every container a data root keeps whose id is not among ``running``, with its State from
    config.v2.json (docs/hardening.md, row 38: a file that says "running" while no process of it
    was seen is a container that started or stopped meanwhile, and says so)."""
    out: dict[str, StoppedContainer] = {}
    for root in _search(roots):
        base = f"{root.strip('/')}/containers"
        try:
            ids = fs.listdir(base)
        except NsviewError:
            continue
        for cid in sorted(ids):
            if cid in out or cid in running or len(cid) != 64:
                continue
            where = f"{root.rstrip('/')}/containers/{cid}/config.v2.json"
            try:
                name, state = docker_config_state(
                    fs.read_bytes(f"{base}/{cid}/config.v2.json", _DOCKER_CONFIG_LIMIT, nofollow=True),
                    cid,
                    where,
                )
            except NsviewError as err:
                out[cid] = StoppedContainer("docker", cid, None, None, where, errors={"exit": err.reason})
                continue
            errors = {}
            if state is not None and state.status in ("running", "paused", "restarting"):
                errors["exit"] = (
                    f"{where} says {state.status}, but no process of it was found: it started or "
                    "stopped during the scan, or its daemon is gone"
                )
                state = None
            out[cid] = StoppedContainer("docker", cid, name, state, where, errors=errors)
    return list(out.values())
