"""``nsview exec --dry-run --json``: what would be entered (rich-free; keys in docs/json.md)."""

from __future__ import annotations

from typing import Any

from nsview.model.entry import EntryPlan


def plan_to_dict(plan: EntryPlan) -> dict[str, Any]:
    return {
        "pid": plan.pid,
        "starttime": plan.starttime,
        "target": plan.label,
        "enter": list(plan.enter),
        "skipped": dict(plan.skipped),
        "namespaces": {t: str(ref) for t, ref in sorted(plan.namespaces.items())},
        "method": plan.method,
        "forks": plan.forks,
        "container_root": plan.container_root,
        "cwd": plan.cwd,
        "cgroup_join": plan.cgroup_join,
        "command": list(plan.command),
    }
