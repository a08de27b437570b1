"""``nsview ps --json``: the JSON document (rich-free; keys are documented in docs/json.md)."""

from __future__ import annotations

from typing import Any

from nsview.model.cgroup import EffectiveLimit
from nsview.model.container import Container, ContainerScan, ExitState, StoppedContainer
from nsview.model.pod import PodRef
from nsview.render.json.oom import kill_to_dict
from nsview.render.json.privileges import privileges_to_dict
from nsview.render.json.tree import nested_to_list

# The column registry: (header, JSON key it shows). The table and docs follow this order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("RUNTIME", "runtime"),
    ("ID", "short_id"),
    ("NAME", "name"),
    ("PID", "init_pid"),
    ("STATE", "state"),
    ("PROCS", "processes"),
    ("ISOLATED", "isolated"),
    ("PRIVILEGES", "privileges"),
    ("HOSTNAME", "hostname"),
    ("MEMORY", "memory_limit"),
    ("ROOTFS", "rootfs_type"),
)
# Columns the table shows only when some row has a value (most hosts have no OOM kill, no pod
# and no container inside a container to show): (header, key, the column it follows).
OPTIONAL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("COMPOSE", "compose"),
    ("POD", "pod"),
    ("IN", "nested_in"),
    ("LAST OOM", "last_oom_kill"),
    ("EXIT", "exit_code"),
    ("FINISHED", "finished_at"),
)
OPTIONAL_AFTER: dict[str, str] = {
    "compose": "name",
    "pod": "name",
    "nested_in": "pod",
    "last_oom_kill": "rootfs_type",
    "exit_code": "state",
    "finished_at": "exit_code",
}


def ps_to_dict(scan: ContainerScan) -> dict[str, Any]:
    return {
        "containers": [container_to_dict(c) for c in scan.containers]
        + [stopped_to_dict(c) for c in scan.stopped],
        "host_reference": {
            "pid": scan.host.pid,
            "source": scan.host.source,
            "namespaces": {t: str(ref) for t, ref in sorted(scan.host.namespaces.items())},
        },
        "scanned": scan.scanned,
        "vanished": scan.vanished,
        "unreadable": scan.unreadable,
        "unreadable_reasons": list(scan.unreadable_why),
        "notes": list(scan.notes),
    }


def container_to_dict(c: Container) -> dict[str, Any]:
    return {
        "runtime": c.runtime,
        "id": c.id,
        "short_id": c.short_id,
        "name": c.name,
        "namespace": c.namespace,
        "engine": c.engine,
        "pod_uid": c.pod_uid,
        "init_pid": c.init_pid,
        "processes": len(c.pids),
        "pids": list(c.pids),
        "isolated": None if c.isolated is None else list(c.isolated),
        "namespaces": {t: str(ref) for t, ref in sorted(c.namespaces.items())},
        "hostname": c.hostname,
        "memory_limit": _memory_dict(c.memory_limit),
        "rootfs_type": c.rootfs_type,
        "state": c.state,
        "frozen": c.frozen,
        "last_oom_kill": kill_to_dict(c.last_oom),
        "pod": pod_to_dict(c.pod),
        "compose": None
        if c.compose is None
        else {"project": c.compose.project, "service": c.compose.service},
        "nested_in": nested_to_list(c.nested_in),
        "privileges": privileges_to_dict(c.privileges),
        "running": True,
        "exit": None,
        "evidence": list(c.evidence),
        "errors": dict(c.errors),
    }


def exit_to_dict(e: ExitState | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {
        "status": e.status,
        "exit_code": e.exit_code,
        "oom_killed": e.oom_killed,
        "started_at": e.started_at,
        "finished_at": e.finished_at,
        "source": e.source,
    }


def stopped_to_dict(c: StoppedContainer) -> dict[str, Any]:
    """A container that does not run (``ps --all``, a NOT_RUNNING error): the keys of a running
    one, with no process (``init_pid`` null, ``running`` false) and how it ended in ``exit``."""
    return {
        "runtime": c.runtime,
        "id": c.id,
        "short_id": c.short_id,
        "name": c.name,
        "namespace": None,
        "engine": None,
        "pod_uid": c.pod.uid if c.pod is not None else None,
        "init_pid": None,
        "processes": 0,
        "pids": [],
        "isolated": None,
        "namespaces": {},
        "hostname": None,
        "memory_limit": None,
        "rootfs_type": None,
        "state": c.exit.status if c.exit is not None else None,
        "frozen": None,
        "last_oom_kill": None,
        "pod": pod_to_dict(c.pod),
        "compose": None,
        "nested_in": [],
        "privileges": None,  # no process: nothing the kernel can say it may do
        "running": False,
        "exit": exit_to_dict(c.exit),
        "evidence": [f"on disk: {c.source}"],
        "errors": dict(c.errors),
    }


def _memory_dict(m: EffectiveLimit | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"bytes": m.limit.value, "unlimited": m.limit.unlimited, "source": m.cgroup}


def pod_to_dict(p: PodRef | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "namespace": p.namespace,
        "name": p.name,
        "uid": p.uid,
        "container": p.container,
        "sandbox": p.sandbox,
        "sandbox_id": p.sandbox_id,
        "engine": p.engine,
        "source": p.source,
    }
