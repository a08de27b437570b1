"""``nsview cgroup --json``: the JSON document (rich-free; keys are documented in docs/json.md)."""

from __future__ import annotations

from typing import Any

from nsview.model.cgroup import CgroupReport, EffectiveLimit, Limit
from nsview.render.json.oom import kill_to_dict


def _lim(limit: Limit | None, key: str = "value") -> dict[str, Any] | None:
    if limit is None:
        return None
    return {key: limit.value, "unlimited": limit.unlimited}


def _eff(eff: EffectiveLimit | None, key: str) -> dict[str, Any] | None:
    if eff is None:
        return None
    out: dict[str, Any]
    if key == "cpus":
        value = eff.limit.value
        out = {"cpus": None if value is None else value / 1_000_000, "unlimited": eff.limit.unlimited}
    else:
        out = _lim(eff.limit, key) or {}
    out.update({"cgroup": eff.cgroup, "own": eff.own, "highest_visible": eff.visible_top})
    return out


def cgroup_to_dict(report: CgroupReport) -> dict[str, Any]:
    m, c, cs, p, io = report.memory, report.cpu, report.cpuset, report.pids, report.io
    eff = report.effective
    mem_eff = _eff(eff.get("memory"), "bytes")
    if mem_eff is not None:
        mem_eff["above_physical_memory"] = report.above_physical_memory
    return {
        "pid": report.pid,
        "mode": report.mode,
        "mode_evidence": report.mode_evidence,
        "host_memory_bytes": report.host_memory,
        "controllers": [
            {
                "resource": pl.resource,
                "available": pl.available,
                "version": pl.version,
                "controller": pl.controller,
                "hierarchy_id": pl.hierarchy_id,
                "path": pl.path,
                "cgroup": pl.cgroup,
                "mount_point": pl.mount_point,
                "directory": pl.directory,
                "reason": pl.reason,
            }
            for pl in report.placements
        ],
        "memory": None
        if m is None
        else {
            "limit": _lim(m.limit, "bytes"),
            "soft_limit": _lim(m.soft_limit, "bytes"),
            "high": _lim(m.high, "bytes"),
            "memsw": _lim(m.memsw, "bytes"),
            "swap": _lim(m.swap, "bytes"),
            "usage_bytes": m.usage,
            "usage_minus_inactive_file_bytes": m.usage_minus_inactive_file,
            "peak_bytes": m.peak,
            "failcnt": m.failcnt,
            "oom_events": m.oom_events,
            "oom_kill": m.oom_kill,
            "hierarchical_limit": _lim(m.hierarchical_limit, "bytes"),
        },
        "cpu": None
        if c is None
        else {
            "quota_us": _lim(c.quota_us),
            "period_us": c.period_us,
            "cpus": c.cpus,
            "shares": c.shares,
            "weight": c.weight,
        },
        "cpuset": None
        if cs is None
        else {
            "cpus": cs.cpus,
            "mems": cs.mems,
            "effective_cpus": cs.effective_cpus,
            "effective_mems": cs.effective_mems,
        },
        "pids": None if p is None else {"max": _lim(p.max), "current": p.current},
        "io": None
        if io is None
        else {
            "limits": [
                {
                    "device": d.device,
                    "rbps": _lim(d.rbps),
                    "wbps": _lim(d.wbps),
                    "riops": _lim(d.riops),
                    "wiops": _lim(d.wiops),
                }
                for d in io.limits
            ],
            "weight": io.weight,
        },
        "effective": {
            "memory": mem_eff,
            "memsw": _eff(eff.get("memsw"), "bytes"),
            "swap": _eff(eff.get("swap"), "bytes"),
            "pids": _eff(eff.get("pids"), "value"),
            "cpu": _eff(eff.get("cpu"), "cpus"),
        },
        "gone": list(report.gone),
        "errors": dict(report.errors),
        "notes": list(report.notes),
        "last_oom_kill": kill_to_dict(report.last_oom),
    }
