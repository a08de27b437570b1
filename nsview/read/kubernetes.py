"""What Kubernetes' runtimes keep on the host's disk about pods, read from the host filesystem:
the OCI bundle ``config.json`` of a running container (its CRI annotations) and the kubelet's
``/var/log/pods``. Where each runtime keeps a bundle (the shim's or conmon's own argv and cwd
say it first; the defaults are the runtimes' own):
  containerd: <state>/io.containerd.runtime.v2.task/<namespace>/<id>/config.json; the v2 shim
              runs in its bundle directory, so /proc/<shim>/cwd names it (with CRI one shim
              serves a pod: its cwd is the sandbox's bundle, the containers' are its siblings)
  CRI-O:      conmon -b <bundle>; else <runroot>/overlay-containers/<id>/userdata/config.json
              (runroot /run/containers/storage; CRI-O writes the same file to the graph root too)
"""

from __future__ import annotations

from nsview.errors import NotAvailable, NsviewError
from nsview.model.pod import PodLogDir, PodRef
from nsview.parse.kubelet_logs import container_log_names, parse_pod_log_dir
from nsview.parse.oci_bundle import bundle_pod, podman_bundle_pod
from nsview.procfs import KernelFS

# A CRI bundle's config.json is some 10-40 KiB (its env and mounts); 1 MiB is generous, and a
# bigger one is not parsed (docs/hardening.md, row 32).
BUNDLE_LIMIT = 1024 * 1024

CONTAINERD_TASKS = "/run/containerd/io.containerd.runtime.v2.task"
CRIO_RUNROOT = "/run/containers/storage"
CRIO_GRAPHROOT = "/var/lib/containers/storage"
POD_LOGS = "/var/log/pods"


def containerd_bundles(namespace: str, cid: str, shim_cwd: str | None) -> list[str]:
    """Where a containerd container's bundle may be, most telling first."""
    out = []
    if shim_cwd and shim_cwd.startswith("/") and shim_cwd.rstrip("/"):
        out.append(f"{shim_cwd.rstrip('/').rsplit('/', 1)[0]}/{cid}")  # the sibling of its bundle
    out.append(f"{CONTAINERD_TASKS}/{namespace}/{cid}")
    return list(dict.fromkeys(out))


def crio_bundles(cid: str, conmon_bundle: str | None) -> list[str]:
    out = [conmon_bundle] if conmon_bundle and conmon_bundle.startswith("/") else []
    out += [
        f"{CRIO_RUNROOT}/overlay-containers/{cid}/userdata",
        f"{CRIO_GRAPHROOT}/overlay-containers/{cid}/userdata",
    ]
    return list(dict.fromkeys(out))


def read_bundle_pod(fs: KernelFS, bundles: list[str]) -> tuple[PodRef | None, str | None]:
    """The pod the first readable bundle's config.json names, and why none could be read.
    The file is never followed through a symlink and never read past BUNDLE_LIMIT."""
    why = None
    for bundle in bundles:
        if ".." in bundle.split("/"):
            continue
        path = f"{bundle.rstrip('/')}/config.json"
        try:
            data = fs.read_bytes(path.lstrip("/"), BUNDLE_LIMIT + 1, nofollow=True)
            if len(data) > BUNDLE_LIMIT:
                raise NotAvailable(path, f"larger than {BUNDLE_LIMIT // 1024} KiB, not read")
            return bundle_pod(data, path), None
        except NsviewError as err:
            why = why or f"{path}: {err.reason}"
    return None, why


def read_podman_bundle_pod(fs: KernelFS, bundle: str) -> PodRef | None:
    """A podman container's pod id from its bundle (conmon's ``-b``), read as a CRI bundle is."""
    if ".." in bundle.split("/") or not bundle.startswith("/"):
        return None
    path = f"{bundle.rstrip('/')}/config.json"
    try:
        data = fs.read_bytes(path.lstrip("/"), BUNDLE_LIMIT + 1, nofollow=True)
        return podman_bundle_pod(data, path) if len(data) <= BUNDLE_LIMIT else None
    except NsviewError:
        return None


def read_pod_logs(fs: KernelFS) -> dict[str, PodLogDir]:
    """pod uid -> its /var/log/pods directory (with the container names below it); {} when
    the directory is not there or not readable."""
    try:
        names = fs.listdir(POD_LOGS.lstrip("/"))
    except NsviewError:
        return {}
    out: dict[str, PodLogDir] = {}
    for name in sorted(names):
        found = parse_pod_log_dir(name)
        if found is None or found.uid in out:
            continue
        try:
            entries = fs.listdir(f"{POD_LOGS.lstrip('/')}/{name}")
        except NsviewError:
            entries = []
        out[found.uid] = PodLogDir(
            found.namespace, found.name, found.uid, found.path, container_log_names(entries)
        )
    return out
