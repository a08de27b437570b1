"""The ``privileges`` object of ``nsview diff --json`` and ``nsview ps --json`` (rich-free; keys
are documented in docs/json.md)."""

from __future__ import annotations

from typing import Any

from nsview.model.privileges import ENGINE_DEFAULT_CAPS, SECCOMP_MODES, Finding, Privileges


def finding_dict(f: Finding) -> dict[str, str]:
    return {"severity": f.severity, "item": f.item, "reason": f.reason}


def privileges_to_dict(p: Privileges | None) -> dict[str, Any] | None:
    if p is None:
        return None
    status = p.status.value
    caps = status.caps if status is not None else None
    lsm, user, dev = p.lsm.value, p.user.value, p.devices.value
    return {
        "pid": p.pid,
        "summary": p.summary,
        "privileged": p.privileged,
        "engine": p.engine,
        "capabilities": None
        if caps is None
        else {
            "effective": list(caps.effective),
            "permitted": list(caps.permitted),
            "inheritable": list(caps.inheritable),
            "bounding": list(caps.bounding),
            "ambient": list(caps.ambient),
            "masks": dict(caps.masks),
            "compared_with": f"{p.engine} default"
            if p.engine in ENGINE_DEFAULT_CAPS
            else "host bounding set",
            "added": list(p.cap_added),
            "dropped": list(p.cap_dropped),
            "missing": list(p.cap_missing),
            "all": p.all_caps,
        },
        "seccomp": None
        if status is None or status.seccomp is None
        else {
            "mode": status.seccomp,
            "mode_name": SECCOMP_MODES.get(status.seccomp, "unknown"),
            "filters": status.seccomp_filters,
        },
        "no_new_privs": None if status is None else status.no_new_privs,
        "lsm": None
        if lsm is None
        else {
            "lsm": lsm.lsm,
            "label": lsm.label,
            "mode": lsm.mode,
            "source": lsm.source,
            "unconfined": lsm.unconfined,
        },
        "user": None
        if user is None
        else {
            "own_namespace": user.own_namespace,
            "root_outside": user.root_outside,
            "root_is_host_root": user.root_is_host_root,
            "text": user.words(),
        },
        "devices": None
        if dev is None
        else {
            "cgroup_version": dev.version,
            "rules": None if dev.rules is None else [str(r) for r in dev.rules],
            "every_device": dev.every_device,
            "bpf_programs": dev.programs,
            "directory": dev.directory,
            "note": dev.note,
        },
        "shared_namespaces": None if p.shared_namespaces.value is None else list(p.shared_namespaces.value),
        "mounts": None
        if p.mounts.value is None
        else [
            {
                "kind": r.kind,
                "severity": r.severity,
                "target": r.target,
                "host_path": r.host_path,
                "read_only": r.read_only,
                "reason": r.reason,
            }
            for r in p.mounts.value
        ],
        "findings": [finding_dict(f) for f in p.findings],
        "errors": {name: r.error for name, r in p.items.items() if r.error is not None},
    }
