"""The kubelet's pod log directories, ``/var/log/pods/<namespace>_<pod name>_<pod uid>/``.

  /var/log/pods/default_web-0_1b6f0d52-3a4e-4c2f-9f7a-0123456789ab/web/0.log
The kubelet (pkg/kubelet/kuberuntime, BuildPodLogsDirectory) joins the three with "_"; none of
them can hold one (namespaces and pod names are DNS-1123 names, a uid is a UUID or, for a
static pod, 32 hex digits), so a name with other than three parts is not the kubelet's.
Below it, one directory per container name holds ``<restart count>.log``.
"""

from __future__ import annotations

import re

from nsview.model.pod import PodLogDir

_DNS = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
_UID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$")
_CONTAINER = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def parse_pod_log_dir(name: str) -> PodLogDir | None:
    """``default_web-0_<uid>`` -> PodLogDir, or None when the name is not in the kubelet's shape."""
    parts = name.split("_")
    if len(parts) != 3:
        return None
    namespace, pod, uid = parts
    if not (_DNS.match(namespace) and _DNS.match(pod) and _UID.match(uid)):
        return None
    return PodLogDir(namespace, pod, uid, f"/var/log/pods/{name}")


def container_log_names(entries: list[str]) -> tuple[str, ...]:
    """The container names among a pod log directory's entries (sorted; others ignored)."""
    return tuple(sorted(e for e in entries if _CONTAINER.match(e)))
