"""Kubernetes pods as the host's files show them: which pod a container is in (from its OCI
bundle's CRI annotations, or the kubelet's /var/log/pods), the pods of one scan, and the
``pod:NAMESPACE/POD[/CONTAINER]`` TARGET syntax. Pure: records in, records out."""

from __future__ import annotations

from nsview.errors import UsageError
from nsview.model.record import record

# A TARGET naming a pod: `pod:` cannot start a pid, a Docker or podman name, an id or a
# containerd namespace (none of them may hold ":"), so it is never confused with them.
POD_TARGET_PREFIX = "pod:"

# CRI-O and dockershim call the pause container "POD"; no real container can (names are
# lowercase DNS labels), so `pod:NS/NAME/POD` means the sandbox for every runtime.
SANDBOX_NAME = "POD"


@record
class PodRef:
    """Which pod a container is in, and which container of it it is."""

    namespace: str | None  # the Kubernetes namespace
    name: str | None  # the pod's name
    uid: str | None
    container: str | None  # the container's name in the pod; None for the sandbox or unknown
    sandbox: bool | None  # True: the pause (sandbox) container; None: not known
    sandbox_id: str | None = None
    engine: str | None = None  # whose annotations: "containerd", "cri-o"; None: from the logs
    source: str = ""  # the file that said so

    def label(self) -> str:
        """``namespace/pod/container`` as far as known (``?`` for an unknown part); a podman
        pod (no Kubernetes namespace) is its name, else ``pod`` and its short id."""
        if self.engine == "podman":
            return (self.name or f"pod {(self.uid or '?')[:12]}") + ("/infra" if self.sandbox else "")
        parts = [self.namespace or "?", self.name or "?"]
        if self.sandbox:
            parts.append(SANDBOX_NAME)
        elif self.container:
            parts.append(self.container)
        return "/".join(parts)


@record
class PodLogDir:
    """One ``/var/log/pods/<namespace>_<pod>_<uid>`` directory (the kubelet's)."""

    namespace: str
    name: str
    uid: str
    path: str
    containers: tuple[str, ...] = ()  # the container directories below it


def pod_from_logs(logs: PodLogDir) -> PodRef:
    """What the kubelet's log directory alone says: the pod, not which container this is."""
    return PodRef(logs.namespace, logs.name, logs.uid, None, None, None, None, logs.path)


def agree(bundle: PodRef, logs: PodLogDir | None, cgroup_uid: str | None) -> str | None:
    """Why the sources disagree about a container's pod, or None when they agree (a source
    that says nothing agrees)."""
    if cgroup_uid is not None and bundle.uid is not None and bundle.uid != cgroup_uid:
        return f"{bundle.source} names pod uid {bundle.uid}, the cgroup path {cgroup_uid}"
    if logs is not None and (bundle.namespace, bundle.name) != (logs.namespace, logs.name):
        return f"{bundle.source} names pod {bundle.label()}, {logs.path} another"
    return None


@record
class PodTarget:
    namespace: str
    name: str
    container: str | None  # None: the pod's one container; SANDBOX_NAME: its sandbox


def parse_pod_target(text: str) -> PodTarget | None:
    """``pod:NS/POD`` or ``pod:NS/POD/CONTAINER`` -> PodTarget; None when ``text`` is not a pod
    target at all; UsageError when it is one, badly formed."""
    if not text.startswith(POD_TARGET_PREFIX):
        return None
    parts = text[len(POD_TARGET_PREFIX) :].split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"a pod TARGET is pod:NAMESPACE/POD or pod:NAMESPACE/POD/CONTAINER, not {text!r}")
    return PodTarget(parts[0], parts[1], parts[2] if len(parts) == 3 else None)
