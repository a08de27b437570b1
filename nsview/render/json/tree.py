"""``nsview tree --json``: the JSON document (rich-free; keys are documented in docs/json.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: `ps --json` uses this module without loading the tree model
    from nsview.model.container import NestedRef
    from nsview.model.tree import ProcessTree, TreeNode


def tree_to_dict(tree: ProcessTree) -> dict[str, Any]:
    return {
        "target": tree.target,
        "lineage": list(tree.lineage),
        "tree": _node_dict(tree.root),
        "container": _container_dict(tree),
        "notes": list(tree.notes),
    }


def _container_dict(tree: ProcessTree) -> dict[str, Any] | None:
    c = tree.container
    if c is None:
        return None
    return {
        "runtime": c.runtime,
        "id": c.id,
        "name": c.name,
        "pod_uid": c.pod_uid,
        "nested_in": nested_to_list(c.nested_in),
        "evidence": c.evidence,
    }


def nested_to_list(chain: tuple[NestedRef, ...]) -> list[dict[str, Any]]:
    """The containers one runs inside, outermost first (``ps`` and ``tree`` alike)."""
    return [{"runtime": o.runtime, "id": o.id, "short_id": o.short_id, "name": o.name} for o in chain]


def _node_dict(node: TreeNode) -> dict[str, Any]:
    p = node.process
    c = node.container
    return {
        "pid": p.pid,
        "ppid": p.ppid,
        "name": p.comm,
        "args": list(p.args),
        "args_truncated": p.args_truncated,
        "state": p.state,
        "kernel_thread": p.kernel_thread,
        "zombie": p.zombie,
        "target": node.is_target,
        "nspid": list(p.nspid),
        "pid_in_namespace": p.pid_in_namespace,
        "namespaces": {t: str(ref) for t, ref in p.namespaces.items()},
        "entered": [str(ref) for ref in node.entered],
        "container": None
        if c is None
        else {
            "runtime": c.runtime,
            "id": c.id,
            "namespace": c.namespace,
            "name": c.name,
            "evidence": c.evidence,
        },
        "threads_in_other_namespaces": [
            {"tid": tid, "namespaces": [str(ref) for ref in refs]}
            for tid, refs in sorted(p.thread_namespaces.items())
        ],
        "errors": dict(p.errors),
        "children_elided": node.children_elided,
        "children": [_node_dict(child) for child in node.children],
    }
