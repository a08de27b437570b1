"""What ``nsview snapshot`` wrote (nsview/collect/snapshot.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SnapshotResult:
    """The archive written: its path, size in bytes, number of members, and its manifest."""

    path: str
    size: int
    members: int
    manifest: dict[str, Any]
