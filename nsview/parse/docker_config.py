"""Docker's per-container config, ``<data-root>/containers/<id>/config.v2.json``: the name, and
the compose project and service from its labels.

  {"ID": "0ac9...54", "Name": "/web",
   "Config": {"Labels": {"com.docker.compose.project": "shop", "com.docker.compose.service": "web"}},
   "State": {"Running": false, "Paused": false, "Restarting": false, "OOMKilled": true,
             "Dead": false, "Pid": 0, "ExitCode": 137, "StartedAt": "2026-12-01T21:35:50.1Z",
             "FinishedAt": "2026-12-01T21:35:58.2Z", ...}, ...}
Docker writes names with a leading "/"; Compose (compose-spec api/labels) labels every container
it makes with its project and service. The file is the engine's, but names and labels come from
whoever ran the container: shapes are checked, values stay untrusted text.
"""

from __future__ import annotations

import json
from typing import Any

from nsview.errors import ParseError
from nsview.model.container import ComposeRef, ExitState

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
# a label value nsview shows at most this long (Compose names are short; a longer one is not
# shown: it would only be noise or an attack on the table)
MAX_LABEL = 253


def _load(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise ParseError("config.v2.json", str(err)[:200]) from None
    if not isinstance(doc, dict):
        raise ParseError("config.v2.json", "not a JSON object")
    return doc


def docker_config_name(data: bytes, cid: str) -> str | None:
    """The container's name without the leading "/", or None when the file names another id
    or has no name."""
    return docker_config_facts(data, cid)[0]


def docker_config_facts(data: bytes, cid: str) -> tuple[str | None, ComposeRef | None]:
    """(name, compose project/service) of the file, both None when it names another id."""
    doc = _load(data)
    if doc.get("ID") not in (cid, None):
        return None, None
    name = doc.get("Name")
    config = doc.get("Config")
    labels = config.get("Labels") if isinstance(config, dict) else None
    compose = None
    if isinstance(labels, dict):
        project, service = _label(labels, COMPOSE_PROJECT), _label(labels, COMPOSE_SERVICE)
        if project is not None or service is not None:
            compose = ComposeRef(project, service)
    return (name.lstrip("/") if isinstance(name, str) else None), compose


def _label(labels: dict[str, Any], key: str) -> str | None:
    value = labels.get(key)
    return value if isinstance(value, str) and value and len(value) <= MAX_LABEL else None


_ZERO = "0001-01-01T00:00:00Z"  # Go's zero time: StartedAt of a container never started


def _stamp(value: object) -> str | None:
    if not isinstance(value, str) or not value or value.startswith("0001-01-01") or len(value) > 64:
        return None
    return value


def docker_config_state(data: bytes, cid: str, source: str) -> tuple[str | None, ExitState | None]:
    """(name, state) of the file; the status is Docker's own word for it (moby's
    State.StateString): running, paused, restarting, removing, dead, created (never started),
    else exited. Both None when the file names another id."""
    doc = _load(data)
    if doc.get("ID") not in (cid, None):
        return None, None
    name = doc.get("Name")
    state = doc.get("State")
    if not isinstance(state, dict):
        return (name.lstrip("/") if isinstance(name, str) else None), None

    def flag(key: str) -> bool:
        return state.get(key) is True

    started = _stamp(state.get("StartedAt"))
    if flag("Running"):
        status = "paused" if flag("Paused") else "restarting" if flag("Restarting") else "running"
    elif flag("RemovalInProgress"):
        status = "removing"
    elif flag("Dead"):
        status = "dead"
    elif started is None:
        status = "created"
    else:
        status = "exited"
    code = state.get("ExitCode")
    exit_code = code if isinstance(code, int) and not isinstance(code, bool) else None
    return (name.lstrip("/") if isinstance(name, str) else None), ExitState(
        status,
        exit_code,
        state.get("OOMKilled") is True,
        started,
        _stamp(state.get("FinishedAt")),
        source,
    )
