"""Recognising a container boundary from the argv of the process that supervises it.

Pure: argv in, ContainerBoundary (or None) out. Facts from the engines' own command lines:
  containerd-shim-runc-v2 -namespace moby -id 0ac9...54 -address /run/containerd/containerd.sock
  conmon --api-version 1 -c 3f2a...9b -u 3f2a...9b -r /usr/bin/crun ... --exit-command /usr/bin/podman
  [lxc monitor] /var/lib/lxc web1
  runc init                         (the container's init before it execs the real program)
With CRI (Kubernetes) one shim serves a whole pod and ``-id`` is the pod sandbox id: the label
says "shim id" there, because nothing in argv tells a sandbox from a container.
"""

from __future__ import annotations

from nsview.model.record import record


@record
class ContainerBoundary:
    runtime: str  # "containerd", "docker", "podman", "cri-o", "lxc", "runc"
    id: str | None  # full id (or LXC name) as the supervisor names it
    namespace: str | None  # containerd namespace (moby = Docker's)
    evidence: str  # which argument said so, for --json and for the curious
    name: str | None = None  # conmon -n: the container's name, as podman passed it

    @property
    def short_id(self) -> str | None:
        return self.id[:12] if self.id else None

    def describe(self) -> str:
        if self.runtime == "runc":
            return "runc init: a container being started"
        if self.runtime == "lxc":
            return f"LXC container {self.id}"
        if self.namespace is not None:
            return f"container {self.short_id} (containerd namespace {self.namespace})"
        if self.name:  # conmon -n: podman's own name for it, the one users type
            return f"container {self.short_id} ({self.runtime} {self.name})"
        return f"container {self.short_id} ({self.runtime})"


def _flag_value(args: tuple[str, ...], *names: str) -> str | None:
    """Value of ``-x VALUE`` or ``-x=VALUE`` (Go's flag package accepts both, and ``--x``)."""
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + "="):
                return arg[len(name) + 1 :]
    return None


def _basename(arg0: str) -> str:
    return arg0.rsplit("/", 1)[-1]


def boundary_from_parent(parent_comm: str, parent_args: tuple[str, ...]) -> ContainerBoundary | None:
    """The container a child of this process lives in, if the parent is a known supervisor."""
    arg0 = _basename(parent_args[0]) if parent_args else ""
    if arg0.startswith("containerd-shim") or parent_comm.startswith("containerd-shim"):
        cid = _flag_value(parent_args, "-id", "--id")
        ns = _flag_value(parent_args, "-namespace", "--namespace")
        if cid is None:
            return None
        return ContainerBoundary("containerd", cid, ns, f"{arg0 or parent_comm} -namespace/-id")
    if arg0 == "conmon" or parent_comm == "conmon":
        cid = _flag_value(parent_args, "-c", "--cid")
        if cid is None:
            return None
        joined = " ".join(parent_args)
        runtime = "podman" if "podman" in joined else "cri-o" if "crio" in joined else "conmon"
        return ContainerBoundary(runtime, cid, None, "conmon -c", _flag_value(parent_args, "-n", "--name"))
    # LXC retitles its monitor to one string, "[lxc monitor] LXCPATH NAME"; cmdline parsing may
    # have split it on spaces (psutil does), so look at the words, however they were split.
    words = " ".join(parent_args).split()
    if words[:2] == ["[lxc", "monitor]"] and len(words) >= 4:
        return ContainerBoundary("lxc", words[-1], None, "[lxc monitor] argv")
    return None


def boundary_of_self(comm: str, args: tuple[str, ...]) -> ContainerBoundary | None:
    """A process that is itself a container being born (``runc init``)."""
    if len(args) >= 2 and _basename(args[0]) == "runc" and args[1] == "init":
        return ContainerBoundary("runc", None, None, "runc init")
    return None


def conmon_bundle(args: tuple[str, ...]) -> str | None:
    """``conmon -b DIR`` (``--bundle``): the OCI bundle of the container it monitors."""
    return _flag_value(args, "-b", "--bundle")


def conmon_graph_root(args: tuple[str, ...]) -> str | None:
    """The graph root podman passes to its exit command (``--exit-command-arg --root
    --exit-command-arg DIR``): where that container's store, and podman's database, are."""
    passed = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--exit-command-arg"]
    for i, arg in enumerate(passed[:-1]):
        if arg == "--root" and passed[i + 1].startswith("/"):
            return passed[i + 1]
    return None


DEFAULT_DOCKER_ROOT = "/var/lib/docker"
DEFAULT_DOCKER_CONFIG = "/etc/docker/daemon.json"
# Rootless Docker (dockerd-rootless.sh): $XDG_DATA_HOME/docker and $XDG_CONFIG_HOME/docker,
# which default to these below the user's home directory.
ROOTLESS_DOCKER_ROOT = ".local/share/docker"
ROOTLESS_DOCKER_CONFIG = ".config/docker/daemon.json"


def docker_data_root(args: tuple[str, ...]) -> str | None:
    """``dockerd --data-root DIR`` (or ``-g``/``--graph``, the old spellings); None when argv
    does not say (then daemon.json's "data-root", else the default, decides)."""
    for i, arg in enumerate(args):
        for flag in ("--data-root", "-g", "--graph"):
            if arg == flag and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(flag + "="):
                return arg[len(flag) + 1 :]
    return None


def docker_config_file(args: tuple[str, ...]) -> str | None:
    """``dockerd --config-file FILE``: the daemon.json it reads instead of the default."""
    return _flag_value(args, "--config-file")


@record
class DockerDaemon:
    """Where one dockerd keeps its containers, and what said so."""

    data_root: str
    source: str  # "dockerd --data-root", "/etc/docker/daemon.json data-root", "default", ...
    rootless_home: str | None = None  # rootless Docker: the user's home directory


def docker_daemon(
    args: tuple[str, ...], config_root: str | None, config_path: str, home: str | None
) -> DockerDaemon:
    """dockerd's data root: its argv first, then its daemon.json (``config_root``, read from
    ``config_path`` by the caller), then the default (a rootless daemon's is under ``home``)."""
    root = docker_data_root(args)
    if root is not None:
        return DockerDaemon(root, "dockerd --data-root", home)
    if config_root is not None:
        return DockerDaemon(config_root, f"{config_path} data-root", home)
    if home is not None:
        return DockerDaemon(f"{home.rstrip('/')}/{ROOTLESS_DOCKER_ROOT}", "rootless default", home)
    return DockerDaemon(DEFAULT_DOCKER_ROOT, "default", None)
