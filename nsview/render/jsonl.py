"""``--jsonl``: one JSON object a line for a fleet's log pipeline (docs/json.md, "JSON lines";
docs/schema/nsview-jsonl.schema.json). Each line is one record of the command's ``--json``
document (a container of ``ps``, a kill of ``oom``) in an envelope saying which node, which boot,
when, and which nsview and schema wrote it. Pure: the facts come in, lines go out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

# Raised when a key is removed or changes meaning; a key added keeps the version.
SCHEMA = "nsview.jsonl"
SCHEMA_VERSION = 1

# view -> (the kind of each line, the key of the --json document that holds the records)
RECORDS: dict[str, tuple[str, str]] = {
    "ps": ("container", "containers"),  # also with --pods: each container's pod is in its record
    "oom": ("oom_kill", "kills"),
}


def envelope(kind: str, facts: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "nsview_version": facts["nsview_version"],
        "node": facts["node"],
        "boot_id": facts["boot_id"],
        "time": facts["time"],
        kind: record,
    }


def jsonl_lines(view: str, document: dict[str, Any], facts: dict[str, Any]) -> Iterator[str]:
    """The lines of ``document`` (a --json document of ``view``), one record each."""
    kind, key = RECORDS[view]
    for record in document.get(key, ()):
        yield json.dumps(envelope(kind, facts, record), ensure_ascii=True, separators=(",", ":"))
