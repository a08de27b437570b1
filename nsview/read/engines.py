"""What container engines keep on the host's disk, read from the host filesystem (never from
inside a container): Docker's ``<data-root>/containers/<id>/config.v2.json`` for names."""

from __future__ import annotations

from nsview.errors import NsviewError
from nsview.model.supervisor import DEFAULT_DOCKER_ROOT
from nsview.parse.docker_config import docker_config_name
from nsview.procfs import KernelFS

_DOCKER_CONFIG_LIMIT = 1024 * 1024


def docker_names(fs: KernelFS, roots: list[str], ids: list[str]) -> dict[str, tuple[str, str]]:
    """id -> (name without "/", the file it came from), for the docker ids the scan found."""
    if not ids:
        return {}
    search = roots + ([DEFAULT_DOCKER_ROOT] if DEFAULT_DOCKER_ROOT not in roots else [])
    out: dict[str, tuple[str, str]] = {}
    for cid in ids:
        for root in search:
            rel = f"{root.strip('/')}/containers/{cid}/config.v2.json"
            try:
                name = docker_config_name(fs.read_bytes(rel, _DOCKER_CONFIG_LIMIT), cid)
            except NsviewError:
                continue
            if name is not None:
                out[cid] = (name, f"{root.rstrip('/')}/containers/{cid[:12]}.../config.v2.json")
                break
    return out


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
