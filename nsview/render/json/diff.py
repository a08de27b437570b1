"""``nsview diff --json``: the JSON document (rich-free; keys are documented in docs/json.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from nsview.model.diff import (
    LIMIT_ROWS,
    Comparison,
    IdMapRange,
    Limits,
    MountView,
    Pair,
    Reading,
    Side,
    UserMaps,
)
from nsview.model.mount import Mount
from nsview.model.net import NetworkInfo
from nsview.model.overlay import OverlayRoot
from nsview.model.process import NamespaceRef
from nsview.render.units import limit_words

T = TypeVar("T")


def diff_to_dict(c: Comparison) -> dict[str, Any]:
    return {
        "reference": _side_dict(c.reference),
        "target": _side_dict(c.target),
        "partial": c.partial,
        "notes": list(c.notes),
        "sections": {
            "namespaces": {
                "classic": c.classic.get("namespaces"),
                "rows": [
                    {
                        "type": row.type,
                        "reference": _ns(row.reference),
                        "target": _ns(row.target),
                        "shared": row.shared,
                        "errors": _errors(row.reference, row.target),
                    }
                    for row in c.namespaces
                ],
            },
            "user_maps": _pair(c.user_maps, _user_maps, c.classic.get("user_maps")),
            "uts": _pair(
                c.uts, lambda u: {"hostname": u.hostname, "domainname": u.domainname}, c.classic.get("uts")
            ),
            "network": _pair(c.network, _network, c.classic.get("network")),
            "mounts": _pair(c.mounts, _mount_view, c.classic.get("mounts")),
            "limits": _pair(c.limits, _limits, c.classic.get("limits")),
        },
    }


def _side_dict(s: Side) -> dict[str, Any]:
    return {"pid": s.pid, "name": s.comm, "role": s.role, "note": s.note}


def _errors(ref: Reading[T], tgt: Reading[T]) -> dict[str, str | None]:
    return {"reference": ref.error, "target": tgt.error}


def _ns(r: Reading[NamespaceRef]) -> dict[str, Any] | None:
    return None if r.value is None else {"inode": r.value.inode, "id": str(r.value)}


def _pair(p: Pair[T], convert: Callable[[T], dict[str, Any]], classic: str | None) -> dict[str, Any]:
    return {
        "classic": classic,
        "namespace": p.namespace,
        "reference": None if p.reference.value is None else convert(p.reference.value),
        "target": None if p.target.value is None else convert(p.target.value),
        "same": p.same,
        "errors": _errors(p.reference, p.target),
    }


def _user_maps(m: UserMaps) -> dict[str, Any]:
    def ranges(rs: tuple[IdMapRange, ...]) -> list[dict[str, int]]:
        return [{"inside": r.inside, "outside": r.outside, "count": r.count} for r in rs]

    return {"uid_map": ranges(m.uid_map), "gid_map": ranges(m.gid_map)}


def _network(n: NetworkInfo) -> dict[str, Any]:
    return {
        "interfaces": [
            {
                "index": i.index,
                "name": i.name,
                "operstate": i.operstate,
                "flags": list(i.flags),
                "mtu": i.mtu,
                "mac": i.mac,
                "addresses": [
                    {"family": a.family, "address": a.address, "prefixlen": a.prefixlen, "scope": a.scope}
                    for a in i.addresses
                ],
            }
            for i in n.interfaces
        ],
        "routes": [
            {
                "family": r.family,
                "destination": r.destination,
                "gateway": r.gateway,
                "device": r.device,
                "type": r.type,
                "metric": r.metric,
                "prefsrc": r.prefsrc,
                "default": r.is_default,
            }
            for r in n.routes
        ],
        "default_routes": [r.gateway for r in n.default_routes],
        "errors": list(n.errors),
    }


def mount_dict(m: Mount) -> dict[str, Any]:
    return {
        "id": m.mount_id,
        "target": m.target,
        "fstype": m.fstype,
        "source": m.source,
        "root": m.root,
        "device": f"{m.major}:{m.minor}",
        "findmnt_source": m.findmnt_source,
        "options": list(m.options),
        "super_options": list(m.super_options),
        "read_only": m.read_only,
    }


def overlay_dict(o: OverlayRoot) -> dict[str, Any]:
    return {
        "driver": o.driver,
        "data_root": o.data_root,
        "lower": [
            {
                "spec": layer.spec,
                "path": layer.path,
                "error": layer.error,
                "snapshot": layer.snapshot,
                "data_only": layer.data_only,
            }
            for layer in o.lower
        ],
        # The four GraphDriver.Data fields, spelled as `docker inspect` spells them.
        "graphdriver": {
            "LowerDir": o.lower_dir,
            "UpperDir": o.upper,
            "WorkDir": o.work,
            "MergedDir": o.merged,
        },
        "notes": list(o.notes),
    }


def _mount_view(v: MountView) -> dict[str, Any]:
    return {
        "root": None
        if v.root is None
        else {
            **mount_dict(v.root.mount),
            "overlay": None if v.root.overlay is None else overlay_dict(v.root.overlay),
        },
        "count": v.count,
        "only_here": [mount_dict(m) for m in v.only_here],
        "other_instance": [
            {"target": mine.target, "here": mount_dict(mine), "other": mount_dict(theirs)}
            for mine, theirs in v.other_instance
        ],
    }


def _limits(lim: Limits) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for key, name, unit in LIMIT_ROWS:
        eff = lim.effective.get(key)
        if eff is None:
            continue
        value: float | int | None = eff.limit.value
        if unit == "cpus" and value is not None:
            value = value / 1_000_000  # JSON speaks in CPUs (0.5), as docs/json.md says
        rows[name] = {
            "value": value,
            "unlimited": eff.limit.unlimited,
            "unit": unit,
            "text": limit_words(eff.limit, unit),
        }
    if lim.cpuset_cpus is not None:
        rows["cpuset_cpus"] = {
            "value": lim.cpuset_cpus,
            "unlimited": False,
            "unit": "cpulist",
            "text": lim.cpuset_cpus,
        }
    return {"cgroup": lim.cgroup, "files": list(lim.files), "limits": rows}
