"""``nsview mounts --json``: the JSON document (rich-free; keys are documented in docs/json.md).

The keys findmnt has are spelled as ``findmnt -J -o ...`` spells them, with ``_`` for ``-``
(``maj_min``, ``fsroot``, ``vfs_options``, ``opt_fields``), and hold the same strings: a
script can compare the two record by record."""

from __future__ import annotations

from typing import Any

from nsview.model.mount_tree import MountNode, MountTree, findmnt_options, peer_group, propagation
from nsview.model.mounts import Holder, HoldingReport, MountsReport
from nsview.render.json.diff import overlay_dict


def mounts_to_dict(r: MountsReport | HoldingReport) -> dict[str, Any]:
    if isinstance(r, HoldingReport):
        return holding_to_dict(r)
    f = r.filter
    return {
        "pid": r.pid,
        "name": r.comm,
        "container": r.label,
        "namespace": None if r.namespace is None else str(r.namespace),
        "host_reference": {"pid": r.host_pid, "source": r.host_source},
        "filter": {
            "types": list(f.types),
            "exclude_types": f.exclude_types,
            "source": f.source,
            "mountpoint": f.mountpoint,
            "shadowed": f.shadowed,
        },
        "count": len(r.tree.nodes),
        "mounts": [node_dict(r.tree, n) for n in r.shown_nodes],
        "notes": list(r.notes),
        "errors": dict(r.errors or {}),
    }


def node_dict(tree: MountTree, n: MountNode) -> dict[str, Any]:
    m = n.mount
    parent = tree.nodes[n.parent] if n.parent is not None else None
    return {
        # findmnt's columns
        "id": m.mount_id,
        "parent": m.parent_id,
        "maj_min": f"{m.major}:{m.minor}",
        "fsroot": m.root,
        "target": m.target,
        "source": m.findmnt_source or None,  # findmnt: null for an empty source
        "fstype": m.fstype,
        "options": findmnt_options(m),
        "vfs_options": ",".join(m.options),
        "fs_options": ",".join(m.super_options),
        "opt_fields": " ".join(m.optional) or None,
        "propagation": propagation(m),
        # nsview's
        "mount_source": m.source,
        "peer_group": peer_group(m, "shared"),
        "master": peer_group(m, "master"),
        "propagate_from": peer_group(m, "propagate_from"),
        "unbindable": "unbindable" in m.optional,
        "depth": n.depth,
        "parent_target": None if parent is None else parent.mount.target,
        "orphan": n.orphan,
        "children": [tree.nodes[c].mount.mount_id for c in n.children],
        "hidden": None
        if n.hidden is None
        else {"how": n.hidden.how, "by_id": n.hidden.by_id, "by_target": n.hidden.by_target},
        "host": None
        if n.host is None
        else {
            "path": n.host.path,
            "via_id": n.host.via_id,
            "via_target": n.host.via_target,
            "note": n.host.note,
        },
        "overlay": None if n.overlay is None else overlay_dict(n.overlay),
    }


def holding_to_dict(r: HoldingReport) -> dict[str, Any]:
    return {
        "path": r.path,
        "holders": [_holder(h) for h in r.holders],
        "scanned": r.scanned,
        "notes": list(r.notes),
        "errors": dict(r.errors or {}),
    }


def _holder(h: Holder) -> dict[str, Any]:
    return {
        "namespace": str(h.namespace),
        "inode": h.namespace.inode,
        "kind": h.kind,
        "pid": h.pid,
        "name": h.comm,
        "container": h.container,
        "bind_mounts": list(h.bind_mounts),
        "mounts": [
            {
                "id": held.node.mount.mount_id,
                "target": held.node.mount.target,
                "fstype": held.node.mount.fstype,
                "host_path": None if held.node.host is None else held.node.host.path,
                "why": held.why,
                "hidden": None if held.node.hidden is None else held.node.hidden.how,
            }
            for held in h.mounts
        ],
    }
