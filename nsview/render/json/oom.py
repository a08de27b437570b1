"""``nsview oom --json``: the JSON document (rich-free; keys are documented in docs/json.md)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from nsview.model.oom import OomCounters, OomKill, OomReport, OomVictim


def oom_to_dict(report: OomReport) -> dict[str, Any]:
    return {
        "source": report.source,
        "target": report.target,
        "records": report.records,
        "log_error": report.log_error,
        "kills": [victim_to_dict(v) for v in report.victims],
        "counters": [_counters(c) for c in report.counters],
        "notes": list(report.notes),
        "errors": dict(report.errors),
    }


def victim_to_dict(v: OomVictim) -> dict[str, Any]:
    short = v.id[:12] if v.id and len(v.id) == 64 else v.id
    return {
        **_kill(v.kill),
        "container": None
        if v.runtime is None
        else {
            "runtime": v.runtime,
            "id": v.id,
            "short_id": short,
            "name": v.name,
            "namespace": v.namespace,
            "pod_uid": v.pod_uid,
        },
        "limit_now": None
        if v.limit_now is None
        else {"bytes": v.limit_now.value, "unlimited": v.limit_now.unlimited},
        "limit_now_error": v.limit_why,
    }


def kill_to_dict(k: OomKill | None) -> dict[str, Any] | None:
    """One kill as the kernel logged it: the ``last_oom_kill`` of ps and cgroup."""
    return None if k is None else _kill(k)


def _kill(k: OomKill) -> dict[str, Any]:
    return {
        "time": None if k.wall is None else datetime.fromtimestamp(k.wall, timezone.utc).isoformat(),
        "epoch": k.wall,
        "boot_seconds": None if k.usec is None else k.usec / 1_000_000,
        "pid": k.pid,
        "comm": k.comm,
        "uid": k.uid,
        "rss_kb": k.rss_kb,
        "anon_rss_kb": k.anon_rss_kb,
        "file_rss_kb": k.file_rss_kb,
        "shmem_rss_kb": k.shmem_rss_kb,
        "total_vm_kb": k.total_vm_kb,
        "oom_score_adj": k.oom_score_adj,
        "constraint": k.constraint,
        "whose_limit": k.whose_limit,
        "oom_memcg": k.oom_memcg,
        "task_memcg": k.task_memcg,
        "cpuset": k.cpuset,
        "complete": k.complete,
    }


def _counters(c: OomCounters) -> dict[str, Any]:
    return {
        "cgroup": c.cgroup,
        "version": c.version,
        "oom": c.oom,
        "oom_kill": c.oom_kill,
        "max": c.max,
        "high": c.high,
        "failcnt": c.failcnt,
    }
