"""``nsview snapshot --json``: what was written, and the manifest inside (docs/json.md)."""

from __future__ import annotations

from typing import Any

from nsview.model.snapshot import SnapshotResult


def snapshot_to_dict(result: SnapshotResult) -> dict[str, Any]:
    return {
        "file": result.path,
        "bytes": result.size,
        "members": result.members,
        "manifest": result.manifest,
    }
