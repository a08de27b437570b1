"""Helpers for live tests: real namespaces, real containers, each removed by the test by id."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
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


def run(*args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, **kw)


def docker_inspect(cid: str) -> dict:
    return json.loads(run("docker", "inspect", cid).stdout)[0]


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for condition")
        time.sleep(interval)


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
