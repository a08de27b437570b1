"""``nsview cgroup --json``: the JSON document (rich-free; keys are documented in docs/json.md)."""

from __future__ import annotations

from typing import Any

from nsview.model.cgroup import (
    PRESSURE_RESOURCES,
    RESOURCES,
    CgroupReport,
    EffectiveLimit,
    Limit,
    MemoryStat,
    Pressure,
    PressureLine,
    undelegated,
)
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
            "low": _lim(m.low, "bytes"),
            "min": _lim(m.min, "bytes"),
            "memsw": _lim(m.memsw, "bytes"),
            "swap": _lim(m.swap, "bytes"),
            "usage_bytes": m.usage,
            "usage_minus_inactive_file_bytes": m.usage_minus_inactive_file,
            "peak_bytes": m.peak,
            "failcnt": m.failcnt,
            "high_events": m.high_events,
            "max_events": m.max_events,
            "oom_events": m.oom_events,
            "oom_kill": m.oom_kill,
            "hierarchical_limit": _lim(m.hierarchical_limit, "bytes"),
            "stat": _memory_stat(m.stat),
        },
        "cpu": None
        if c is None
        else {
            "quota_us": _lim(c.quota_us),
            "period_us": c.period_us,
            "cpus": c.cpus,
            "shares": c.shares,
            "weight": c.weight,
            "stat": None
            if c.stat is None
            else {
                "nr_periods": c.stat.nr_periods,
                "nr_throttled": c.stat.nr_throttled,
                "throttled_usec": c.stat.throttled_usec,
                "throttled_percent": c.stat.throttled_percent,
                "usage_usec": c.stat.usage_usec,
            },
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
        "pressure": [
            {
                "cgroup": cp.cgroup,
                "binds": list(cp.binds),
                **{r: _pressure(cp.get(r)) for r in PRESSURE_RESOURCES},
            }
            for cp in report.pressure
        ],
        "pressure_reason": report.pressure_reason,
        "delegation": [
            {
                "cgroup": st.cgroup,
                "controllers": None if st.controllers is None else list(st.controllers),
                "subtree_control": None if st.subtree_control is None else list(st.subtree_control),
            }
            for st in report.delegation
        ],
        "not_delegated": {
            r: {"parent": gap[0], "cgroup": gap[1]}
            for r in RESOURCES
            if (gap := undelegated(report.delegation, r)) is not None
        },
        "delegation_reason": report.delegation_reason,
        "cgroup_namespace": None
        if report.cgroup_namespace is None
        else {"id": report.cgroup_namespace.id, "private": report.cgroup_namespace.private},
    }


def _memory_stat(st: MemoryStat | None) -> dict[str, Any] | None:
    if st is None:
        return None
    return {
        "anon_bytes": st.anon,
        "file_bytes": st.file,
        "kernel_bytes": st.kernel,
        "sock_bytes": st.sock,
        "shmem_bytes": st.shmem,
    }


def _line(line: PressureLine | None) -> dict[str, Any] | None:
    if line is None:
        return None
    return {"avg10": line.avg10, "avg60": line.avg60, "avg300": line.avg300, "total_usec": line.total_usec}


def _pressure(p: Pressure | None) -> dict[str, Any] | None:
    return None if p is None else {"some": _line(p.some), "full": _line(p.full)}
