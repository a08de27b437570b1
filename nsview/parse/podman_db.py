"""podman's own database, ``<graphroot>/libpod/db.sql`` (SQLite; podman >= 4.8, the default from
5.0), as rows of the tables libpod's sqlite_state creates:

  ContainerConfig(ID TEXT PRIMARY KEY, Name TEXT UNIQUE, PodID TEXT, JSON TEXT)
      JSON: {"id": "2f72...", "name": "pm-web", "pod": "<pod id>", ...}
  ContainerState(ID TEXT PRIMARY KEY, State INTEGER, ExitCode INTEGER, JSON TEXT)
      JSON: {"state": 6, "exitCode": 137, "oomKilled": true,
             "startedTime": "2026-12-01T21:35:50.1Z", "finishedTime": "2026-12-01T21:35:58.2Z"}
  PodConfig(ID TEXT PRIMARY KEY, Name TEXT UNIQUE, JSON TEXT)
  PodState(ID TEXT PRIMARY KEY, InfraContainerID TEXT, JSON TEXT)
State is libpod's define.ContainerStatus: 0 unknown, 1 configured, 2 created, 3 running,
4 stopped, 5 paused, 6 exited, 7 removing, 8 stopping. Older podman keeps the same facts in a
Bolt file (``bolt_state.db``), which nsview does not read. Rows come from ``KernelFS.sqlite_rows``;
values are whoever ran the container's (a rootless user's database is that user's own file).
"""

from __future__ import annotations

import json
from typing import Any

from nsview.model.container import ExitState
from nsview.model.record import record

MAX_NAME = 253  # as for containers.json's names (parse/podman_storage.py)

# The queries the reader runs, one per table (a table that is missing gives no rows).
QUERIES: dict[str, str] = {
    "containers": "SELECT ID, Name, PodID FROM ContainerConfig",
    "states": "SELECT ID, State, ExitCode, JSON FROM ContainerState",
    "pods": "SELECT ID, Name FROM PodConfig",
    "infra": "SELECT ID, InfraContainerID FROM PodState",
}

CONTAINER_STATUS: dict[int, str] = {
    0: "unknown",
    1: "configured",
    2: "created",
    3: "running",
    4: "stopped",
    5: "paused",
    6: "exited",
    7: "removing",
    8: "stopping",
}
_ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time.Time: never started / never finished


@record
class PodmanRecord:
    """One container of podman's database."""

    id: str
    name: str | None
    pod_id: str | None
    pod_name: str | None
    infra: bool  # the pod's infra (pause) container
    state: ExitState | None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= MAX_NAME else None


def _time(value: object) -> str | None:
    if not isinstance(value, str) or not value or value.startswith("0001-01-01") or len(value) > 64:
        return None
    return value


def _state(status: object, exit_code: object, raw: object, source: str) -> ExitState | None:
    doc: Any = None
    if isinstance(raw, str) and len(raw) <= 1024 * 1024:
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError):
            doc = None
    if not isinstance(doc, dict):
        doc = {}
    code = exit_code if isinstance(exit_code, int) and not isinstance(exit_code, bool) else None
    if code is None and isinstance(doc.get("exitCode"), int) and not isinstance(doc.get("exitCode"), bool):
        code = doc["exitCode"]
    if not isinstance(status, int) or isinstance(status, bool):
        status = doc.get("state")
    word = CONTAINER_STATUS.get(status, "unknown") if isinstance(status, int) else "unknown"
    oom = doc.get("oomKilled")
    return ExitState(
        word,
        code if code is None or -1 <= code <= 255 else None,
        oom if isinstance(oom, bool) else False,
        _time(doc.get("startedTime")),
        _time(doc.get("finishedTime")),
        source,
    )


def podman_records(rows: dict[str, list[tuple[Any, ...]] | None], source: str) -> dict[str, PodmanRecord]:
    """id -> record, from the rows of ``QUERIES`` (a query whose table was missing: None)."""
    pods = {str(r[0]): _text(r[1]) for r in rows.get("pods") or () if len(r) >= 2 and isinstance(r[0], str)}
    infra = {str(r[1]) for r in rows.get("infra") or () if len(r) >= 2 and isinstance(r[1], str)}
    states = {
        r[0]: _state(r[1], r[2], r[3], source)
        for r in rows.get("states") or ()
        if len(r) >= 4 and isinstance(r[0], str)
    }
    out: dict[str, PodmanRecord] = {}
    for r in rows.get("containers") or ():
        if len(r) < 3 or not isinstance(r[0], str) or len(r[0]) > 128:
            continue
        pod_id = r[2] if isinstance(r[2], str) and r[2] else None
        out[r[0]] = PodmanRecord(
            r[0],
            _text(r[1]),
            pod_id,
            pods.get(pod_id) if pod_id else None,
            r[0] in infra,
            states.get(r[0]),
        )
    return out
