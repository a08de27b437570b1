"""Shared fixtures. Live fixtures start real kernel objects and engines' containers and remove
exactly what they started, by id, even when the test fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import live
from tests.support.image import IMAGE_REF, build_image_tar

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true", help="rewrite golden files under tests/golden")


@pytest.fixture
def regen_golden(request) -> bool:
    return request.config.getoption("--regen-golden")


@pytest.fixture
def nsview_cmd():
    """Run the real CLI in a subprocess (what a user runs): returns CompletedProcess."""

    def _run(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "nsview", *args], capture_output=True, text=True, env=full_env, **kw
        )

    return _run


@pytest.fixture(scope="session")
def busybox_image(tmp_path_factory) -> str:
    """The locally built busybox image, loaded into Docker (no registry: offline)."""
    live.need(live.is_root(), "needs root")
    live.need(live.docker_ok(), "needs a running Docker engine (scripts/engines.sh start)")
    tar = build_image_tar(tmp_path_factory.mktemp("image") / "busybox.tar")
    live.run("docker", "load", "-i", str(tar))
    return IMAGE_REF


@pytest.fixture
def docker_run(busybox_image):
    """Factory: start a detached container with extra `docker run` args; removed by id after."""
    started: list[str] = []

    def _start(*args: str, cmd: tuple[str, ...] = ("/bin/sleep", "3600")) -> dict:
        cid = live.run("docker", "run", "-d", *args, busybox_image, *cmd).stdout.strip()
        started.append(cid)
        info = live.wait_for(lambda: (i := live.docker_inspect(cid))["State"]["Pid"] and i)
        return info

    yield _start
    for cid in started:
        live.run("docker", "rm", "-f", cid, check=False)


@pytest.fixture(scope="session")
def containerd_image(tmp_path_factory) -> str:
    live.need(live.is_root(), "needs root")
    live.need(live.containerd_ok(), "needs a running containerd (scripts/engines.sh start)")
    tar = build_image_tar(tmp_path_factory.mktemp("ctrimage") / "busybox.tar")
    return str(tar)


@pytest.fixture
def ctr_run(containerd_image):
    """Factory: `ctr -n NS run -d` a container; task killed and container removed after."""
    started: list[tuple[str, str]] = []

    def _start(namespace: str, cid: str, *args: str) -> int:
        ctr = ["ctr", "--address", live.CONTAINERD_ADDRESS, "-n", namespace]
        live.run(*ctr, "image", "import", containerd_image)
        live.run(*ctr, "run", "-d", *args, f"docker.io/{IMAGE_REF}", cid, "/bin/sleep", "3600")
        started.append((namespace, cid))
        out = live.wait_for(lambda: live.run(*ctr, "task", "ls", check=False).stdout)
        for line in out.splitlines()[1:]:
            parts = line.split()
            if parts and parts[0] == cid:
                return int(parts[1])
        raise AssertionError(f"task {cid} not listed: {out}")

    yield _start
    import time

    for namespace, cid in started:
        ctr = ["ctr", "--address", live.CONTAINERD_ADDRESS, "-n", namespace]
        live.run(*ctr, "task", "kill", "-s", "SIGKILL", cid, check=False)
        for _ in range(50):
            if live.run(*ctr, "task", "rm", "-f", cid, check=False).returncode == 0:
                break
            time.sleep(0.1)
        live.run(*ctr, "container", "rm", cid, check=False)
    for namespace in {ns for ns, _ in started}:
        ctr = ["ctr", "--address", live.CONTAINERD_ADDRESS, "-n", namespace]
        if live.run(*ctr, "container", "ls", "-q", check=False).stdout.strip():
            continue  # someone else's containers live there: leave the namespace alone
        live.run(*ctr, "image", "rm", f"docker.io/{IMAGE_REF}", check=False)
        for _ in range(100):  # containerd frees the image's content a moment after `image rm`
            if (
                live.run(
                    "ctr", "--address", live.CONTAINERD_ADDRESS, "namespaces", "rm", namespace, check=False
                ).returncode
                == 0
            ):
                break
            time.sleep(0.1)
        live.remove_empty_cgroups(namespace)


@pytest.fixture
def spawn():
    """Factory: start a process (list argv); killed (its whole process group) after the test."""
    procs: list[subprocess.Popen] = []

    def _spawn(argv: list[str], **kw) -> subprocess.Popen:
        p = subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL, **kw)
        procs.append(p)
        return p

    yield _spawn
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
