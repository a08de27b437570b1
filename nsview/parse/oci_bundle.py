"""An OCI bundle's ``config.json``: the annotations a CRI runtime writes about the pod.

  {"ociVersion": "1.1.0", "process": {...}, "root": {...},
   "annotations": {"io.kubernetes.cri.container-type": "container",
                   "io.kubernetes.cri.sandbox-name": "web-0", ...}}
The OCI runtime spec (config.md, "Annotations") makes ``annotations`` a map of string to string.
Keys, from the runtimes' sources:
  containerd (internal/cri/annotations/annotations.go): io.kubernetes.cri.sandbox-name,
    .sandbox-namespace, .sandbox-uid, .sandbox-id, .container-name (containers only),
    .container-type ("sandbox" or "container")
  CRI-O (the kubelet's labels, copied as annotations): io.kubernetes.pod.name, .pod.namespace,
    .pod.uid, io.kubernetes.container.name ("POD" for the sandbox),
    io.kubernetes.cri-o.ContainerType ("sandbox" or "container"), io.kubernetes.cri-o.SandboxID
The file is the engine's, but what it says came from whoever created the pod: every value is
checked for type and length and stays untrusted text.
"""

from __future__ import annotations

import json

from nsview.errors import ParseError
from nsview.model.pod import PodRef

# (namespace, pod name, pod uid, container name, container type, sandbox id) keys per runtime
_KEYS: tuple[tuple[str, tuple[str, str, str, str, str, str]], ...] = (
    (
        "containerd",
        (
            "io.kubernetes.cri.sandbox-namespace",
            "io.kubernetes.cri.sandbox-name",
            "io.kubernetes.cri.sandbox-uid",
            "io.kubernetes.cri.container-name",
            "io.kubernetes.cri.container-type",
            "io.kubernetes.cri.sandbox-id",
        ),
    ),
    (
        "cri-o",
        (
            "io.kubernetes.pod.namespace",
            "io.kubernetes.pod.name",
            "io.kubernetes.pod.uid",
            "io.kubernetes.container.name",
            "io.kubernetes.cri-o.ContainerType",
            "io.kubernetes.cri-o.SandboxID",
        ),
    ),
)

# Kubernetes names are DNS labels/subdomains (at most 253 characters); anything longer is not
# the kubelet's and is not shown.
MAX_VALUE = 253


def bundle_pod(data: bytes, source: str) -> PodRef | None:
    """The pod a bundle's annotations name, or None when it carries no CRI annotations.
    ``source`` is the file it came from (kept as evidence)."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise ParseError("config.json", str(err)[:200]) from None
    if not isinstance(doc, dict):
        raise ParseError("config.json", "not a JSON object")
    notes = doc.get("annotations")
    if notes is None:
        return None
    if not isinstance(notes, dict):
        raise ParseError("config.json", "annotations is not an object")
    for engine, keys in _KEYS:
        values = [_text(notes.get(k)) for k in keys]
        namespace, name, uid, container, kind, sandbox_id = values
        if namespace is None and name is None and uid is None:
            continue
        sandbox = None if kind is None else kind == "sandbox"
        if container == "POD" and engine == "cri-o":
            sandbox, container = True, None  # CRI-O names the pause container "POD"
        return PodRef(
            namespace=namespace,
            name=name,
            uid=uid,
            container=None if sandbox else container,
            sandbox=sandbox,
            sandbox_id=sandbox_id,
            engine=engine,
            source=source,
        )
    return None


def podman_bundle_pod(data: bytes, source: str) -> PodRef | None:
    """A podman container's pod id, from the annotations podman writes into its bundle
    (``io.container.manager`` = ``libpod``; ``io.kubernetes.cri-o.SandboxID`` = the pod's id,
    only for a container in a pod). The pod's name is in podman's database alone."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise ParseError("config.json", str(err)[:200]) from None
    notes = doc.get("annotations") if isinstance(doc, dict) else None
    if not isinstance(notes, dict) or notes.get("io.container.manager") != "libpod":
        return None
    pod_id = _text(notes.get("io.kubernetes.cri-o.SandboxID"))
    if pod_id is None:
        return None
    kind = _text(notes.get("io.kubernetes.cri-o.ContainerType"))
    return PodRef(None, None, pod_id, None, True if kind == "sandbox" else None, None, "podman", source)


def _text(value: object) -> str | None:
    if isinstance(value, str) and value and len(value) <= MAX_VALUE:
        return value
    return None
