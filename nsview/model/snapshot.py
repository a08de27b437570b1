"""What ``nsview snapshot`` wrote (nsview/collect/snapshot.py)."""

from __future__ import annotations

from typing import Any

from nsview.model.record import record


@record
class SnapshotResult:
    """The archive written: its path, size in bytes, number of members, and its manifest."""

    path: str
    size: int
    members: int
    manifest: dict[str, Any]
