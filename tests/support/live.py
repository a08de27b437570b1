"""Helpers for live tests: real namespaces, real containers, each removed by the test by id."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

# CI sets this: a missing engine or privilege is then a failure, not a skip.
REQUIRE = os.environ.get("NSVIEW_REQUIRE_ENGINES") == "1"
CONTAINERD_ADDRESS = os.environ.get(
    "NSVIEW_CONTAINERD_ADDRESS", "/run/nsview-test/containerd/containerd.sock"
)


def need(condition: bool, why: str) -> None:
    if condition:
        return
    if REQUIRE:
        pytest.fail(f"required for CI but missing: {why}")
    pytest.skip(why)


def is_root() -> bool:
    return os.geteuid() == 0


def docker_ok() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def containerd_ok() -> bool:
    if not shutil.which("ctr"):
        return False
    r = subprocess.run(["ctr", "--address", CONTAINERD_ADDRESS, "version"], capture_output=True)
    return r.returncode == 0


def podman_ok() -> bool:
    """podman is installed and answers (it has no daemon: `podman info` is the whole check)."""
    if not shutil.which("podman"):
        return False
    return subprocess.run(["podman", "info"], capture_output=True).returncode == 0


LXC_BUSYBOX_TEMPLATE = Path("/usr/share/lxc/templates/lxc-busybox")


def lxc_ok() -> bool:
    """LXC's tools and its busybox template (which copies the host's busybox: no download)."""
    tools = ("lxc-create", "lxc-start", "lxc-info", "lxc-stop", "lxc-destroy", "busybox")
    return all(shutil.which(t) for t in tools) and LXC_BUSYBOX_TEMPLATE.is_file()


def run(*args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, **kw)


def docker_inspect(cid: str) -> dict:
    return json.loads(run("docker", "inspect", cid).stdout)[0]


def podman_inspect(cid: str) -> dict:
    return json.loads(run("podman", "inspect", cid).stdout)[0]


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for condition")
        time.sleep(interval)


def unique_name(prefix: str) -> str:
    """``PREFIX-<random>``: a name for something a test makes (a container, a cgroup) that no
    other run uses, and that says where a leftover came from."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def stat_fields(pid: int) -> list[bytes]:
    """/proc/PID/stat fields after the comm, split the way proc(5) says (after the last ')'):
    [0] is the state, [1] the ppid, [6] the flags, [19] the start time."""
    data = Path(f"/proc/{pid}/stat").read_bytes()
    return data[data.rindex(b")") + 2 :].split()


def ns_links(pid: int) -> dict[str, str]:
    """readlink of every /proc/PID/ns/<type> nsview shows (the kernel's own names)."""
    out = {}
    for t in ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"):
        try:
            out[t] = os.readlink(f"/proc/{pid}/ns/{t}")
        except OSError:
            pass
    return out


def wait_comm(pid: int, comm: str) -> None:
    """Until /proc/PID/comm is COMM (a wrapper like unshare has exec'd its command)."""
    wait_for(lambda: Path(f"/proc/{pid}/comm").read_text().strip() == comm)


def kill_tree(p: subprocess.Popen) -> None:
    """SIGKILL a child started in its own session (start_new_session=True) and its whole
    process group, then reap it."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.kill()
    except ProcessLookupError:
        pass
    p.wait()


# A parent that never reaps its child: the child stays a zombie. Prints the zombie's pid.
_ZOMBIE_PARENT = (
    "import os, time\n"
    "kid = os.fork()\n"
    "if kid == 0:\n    os._exit(0)\n"
    "print(kid, flush=True)\n"
    "time.sleep(3600)\n"
)


def zombie(spawn) -> tuple[subprocess.Popen, int]:
    """(the parent, the zombie's pid), started with the ``spawn`` fixture, once the kernel
    shows the child as a zombie (state Z)."""
    parent = spawn([sys.executable, "-c", _ZOMBIE_PARENT], stdout=subprocess.PIPE)
    kid = int(parent.stdout.readline())
    wait_for(lambda: stat_fields(kid)[0] == b"Z")
    return parent, kid


def kill_and_rmdir_cgroup(d: Path) -> None:
    """SIGKILL every process left in the cgroup directory D, wait until the kernel has emptied
    it, then remove it."""
    procs = d / "cgroup.procs"
    for pid in procs.read_text().split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_for(lambda: not procs.read_text().strip())
    d.rmdir()


def children_of(pid: int) -> list[int]:
    kids: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            kids += [int(x) for x in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
        except FileNotFoundError:
            pass
    return kids


def remove_empty_cgroups(name: str) -> None:
    """rmdir the cgroup ``/name`` in every hierarchy where it is left empty (containerd makes
    one per namespace and never removes it); a cgroup with tasks or children stays."""
    root = Path("/sys/fs/cgroup")
    for d in [root / name, *(h / name for h in root.iterdir() if h.is_dir())]:  # v2; v1 and hybrid
        try:
            d.rmdir()
        except OSError:
            pass
