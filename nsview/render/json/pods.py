"""``nsview ps --pods --json``: the scan grouped by Kubernetes pod (rich-free; keys in docs/json.md)."""

from __future__ import annotations

from typing import Any

from nsview.model.container import ContainerScan, group_pods
from nsview.render.json.ps import container_to_dict, ps_to_dict


def pods_to_dict(scan: ContainerScan) -> dict[str, Any]:
    pods = group_pods(scan.containers)
    in_pods = {id(c) for p in pods for c in p.containers}
    doc = ps_to_dict(scan)
    del doc["containers"]
    return {
        "pods": [
            {
                "namespace": p.namespace,
                "name": p.name,
                "uid": p.uid,
                "containers": [container_to_dict(c) for c in p.containers],
            }
            for p in pods
        ],
        "outside_pods": sum(1 for c in scan.containers if id(c) not in in_pods),
        **doc,
    }
