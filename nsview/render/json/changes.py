"""``nsview changes --json``: the JSON document (rich-free; keys are documented in docs/json.md)."""

from __future__ import annotations

from typing import Any

from nsview.model.changes import Change, ChangeReport, Summary, summarize


def changes_to_dict(report: ChangeReport) -> dict[str, Any]:
    changes = [] if report.summary_only else [change_to_dict(c) for c in report.changes()]
    summary = summarize(report.changes()) if report.summary_only else None
    return {
        "pid": report.pid,
        "container": report.container,
        "runtime": report.runtime,
        "style": report.style,
        "layers": {
            "upper": report.layers.upper,
            "lower": list(report.layers.lower),
            "driver": report.layers.driver,
            "options": list(report.layers.options),
        },
        "changes": None if report.summary_only else changes,
        "summary": None if summary is None else summary_to_dict(summary),
        "truncated": report.truncated,
        "limit": report.limit,
        "problems": [{"path": p.path, "reason": p.reason} for p in report.problems],
    }


def change_to_dict(c: Change) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "path": c.path,
        "type": c.type,
        "size": c.size,
        "differs": list(c.differs) if c.kind == "C" else None,
        "parent_only": c.parent_only,
    }


def summary_to_dict(s: Summary) -> dict[str, Any]:
    return {
        "added": s.added,
        "changed": s.changed,
        "deleted": s.deleted,
        "bytes_added": s.bytes_added,
        "top": [
            {
                "path": t.top,
                "added": t.added,
                "changed": t.changed,
                "deleted": t.deleted,
                "bytes_added": t.bytes_added,
            }
            for t in s.tops
        ],
    }
