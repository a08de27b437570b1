"""Shared fixtures. Live fixtures start real kernel objects and engines' containers and remove
exactly what they started, by id, even when the test fails."""

from __future__ import annotations

import io
import locale
import os
import shutil
import subprocess
import sys
import traceback
import types
import uuid
from pathlib import Path

import pytest

from tests.support import live
from tests.support.image import IMAGE_REF, build_image_tar


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true", help="rewrite golden files under tests/golden")


# What a fixture needs, as markers (see docs/testing.md): a test using one of these fixtures,
# directly or through another fixture, gets its markers, so `-m 'not docker'` and the like
# cannot run it by mistake. A test that is live without any of them says so itself
# (`pytestmark = pytest.mark.live` in its module, or a decorator).
FIXTURE_MARKS: dict[str, tuple[str, ...]] = {
    # tests/conftest.py
    "busybox_image": ("docker", "live"),
    "docker_run": ("docker", "live"),
    "containerd_image": ("containerd", "live"),
    "ctr_run": ("containerd", "live"),
    "podman_image": ("podman", "live"),
    "podman_run": ("podman", "live"),
    "lxc_run": ("lxc", "live"),
    "spawn": ("live",),
    "bound_mount_namespace": ("live",),
    # tests/hardening/conftest.py
    "hostile": ("live",),
    "helper": ("live",),
    "unprivileged": ("live",),
    "run_as_nobody": ("live",),
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these markers
def pytest_collection_modifyitems(config, items):
    for item in items:
        wanted = {m for name in item.fixturenames for m in FIXTURE_MARKS.get(name, ())}
        have = {m.name for m in item.iter_markers()}
        for name in sorted(wanted - have):
            item.add_marker(getattr(pytest.mark, name))


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


@pytest.fixture
def nsview_run(monkeypatch):
    """Run the CLI in this process, through ``nsview.cli.main()`` with the argv `python -m nsview`
    would give it: nsview_cmd without the interpreter start-up. Same call, same environment
    (COLUMNS=200 unless ``env`` says otherwise), same result: a CompletedProcess whose
    returncode is the exit status the process would have had, and whose stdout and stderr were
    written to streams like a pipe's (not a terminal; encoded, then decoded, as a subprocess's).

    A real process is needed, and nsview_cmd the right fixture, for what only it shows: the exit
    status as the system reports it, SIGPIPE and broken pipes, /dev/full, a terminal, the
    environment a fresh interpreter starts from, what start-up imports. Live tests use
    nsview_cmd too: nsview enters namespaces in forked children, and this process must not be
    the one that forks."""
    from nsview import cli

    encoding = locale.getpreferredencoding(False)  # what a child's pipes and text=True use
    main_py = str(Path(cli.__file__).with_name("__main__.py"))

    def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        out, err = io.BytesIO(), io.BytesIO()
        stdout = io.TextIOWrapper(out, encoding=encoding, errors="strict", write_through=True)
        stderr = io.TextIOWrapper(err, encoding=encoding, errors="backslashreplace", write_through=True)
        main = types.ModuleType("__main__")
        main.__package__ = "nsview"  # click names the program from it: "python -m nsview"
        with monkeypatch.context() as m:
            for name, value in {"COLUMNS": "200", **(env or {})}.items():
                m.setenv(name, value)
            m.setattr(sys, "argv", [main_py, *args])
            m.setitem(sys.modules, "__main__", main)
            m.setattr(sys, "stdout", stdout)
            m.setattr(sys, "stderr", stderr)
            try:
                cli.main()
                code = 0
            except SystemExit as exit_:
                code = _exit_status(exit_.code, stderr)
            except Exception:  # what the interpreter does with an uncaught exception
                traceback.print_exc(file=stderr)
                code = 1
        return subprocess.CompletedProcess(
            ["python", "-m", "nsview", *args], code, _as_text(out.getvalue()), _as_text(err.getvalue())
        )

    def _as_text(data: bytes) -> str:  # as subprocess.run(text=True) decodes a pipe
        return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")

    return _run


def _exit_status(code, stderr) -> int:
    """The status a process ending in SystemExit(code) exits with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=stderr)
    return 1


@pytest.fixture(scope="session")
def busybox_image(tmp_path_factory) -> str:
    """The locally built busybox image, loaded into Docker (no registry: offline)."""
    live.need(live.is_root(), "needs root")
    live.need(live.docker_ok(), "needs a running Docker engine (scripts/engines.sh start)")
    tar = build_image_tar(tmp_path_factory.mktemp("image") / "busybox.tar")
    live.run("docker", "load", "-i", str(tar))
    return IMAGE_REF


@pytest.fixture
def docker_run(busybox_image, tmp_path):
    """Factory: start a detached container with extra `docker run` args; removed by id after,
    even if it never started (docker writes the cidfile when it creates the container)."""
    started: list[str] = []

    def _start(*args: str, cmd: tuple[str, ...] = ("/bin/sleep", "3600"), image: str | None = None) -> dict:
        cidfile = tmp_path / f"docker-{len(started)}-{uuid.uuid4().hex[:8]}.cid"
        r = live.run(
            "docker", "run", "-d", "--cidfile", str(cidfile), *args, image or busybox_image, *cmd, check=False
        )
        if cidfile.exists() and (created := cidfile.read_text().strip()):
            started.append(created)
        if r.returncode != 0:
            raise AssertionError(f"docker run failed ({r.returncode}): {r.stderr.strip()}")
        cid = r.stdout.strip()
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
    refs: set[tuple[str, str]] = set()

    def _start(namespace: str, cid: str, *args: str, image: tuple[str, str] | None = None) -> int:
        """``image``: (a `docker load` tar, its ref) instead of the busybox image."""
        ctr = ["ctr", "--address", live.CONTAINERD_ADDRESS, "-n", namespace]
        tar, ref = image or (containerd_image, IMAGE_REF)
        live.run(*ctr, "image", "import", tar)
        refs.add((namespace, ref))
        started.append((namespace, cid))  # before run: a container whose task failed is removed too
        live.run(*ctr, "run", "-d", *args, f"docker.io/{ref}", cid, "/bin/sleep", "3600")
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
        for ref in sorted({r for ns, r in refs if ns == namespace} | {IMAGE_REF}):
            live.run(*ctr, "image", "rm", f"docker.io/{ref}", check=False)
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


# podman's default rlimits are refused by the sandbox ("error setting rlimit type 7"): every
# container gets these instead (docs/testing.md).
PODMAN_ULIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")


@pytest.fixture(scope="session")
def podman_image(tmp_path_factory) -> str:
    """The locally built busybox image, loaded into rootful podman (tagged localhost/...)."""
    live.need(live.is_root(), "needs root")
    live.need(live.podman_ok(), "needs podman (Debian podman; .ci/run installs it)")
    tar = build_image_tar(tmp_path_factory.mktemp("pmimage") / "busybox.tar")
    live.run("podman", "load", "-i", str(tar))
    return f"localhost/{IMAGE_REF}"


@pytest.fixture
def podman_run(podman_image, tmp_path):
    """Factory: `podman run -d --network none` (plus the sandbox's ulimits and extra args) a
    container; returns its `podman inspect`; removed by id after, even if it never started."""
    started: list[str] = []

    def _start(*args: str, cmd: tuple[str, ...] = ("/bin/sleep", "3600"), image: str | None = None) -> dict:
        # podman writes the id to the cidfile when it creates the container, before it starts
        # it: a container whose start fails is still known, and removed.
        cidfile = tmp_path / f"podman-{len(started)}.cid"
        r = live.run(
            "podman",
            "run",
            "-d",
            "--cidfile",
            str(cidfile),
            "--network",
            "none",
            *PODMAN_ULIMITS,
            *args,
            image or podman_image,
            *cmd,
            check=False,
        )
        if cidfile.exists() and (cid := cidfile.read_text().strip()):
            started.append(cid)
        if r.returncode != 0:
            raise AssertionError(f"podman run failed ({r.returncode}): {r.stderr.strip()}")
        cid = r.stdout.strip()
        return live.wait_for(lambda: (i := live.podman_inspect(cid))["State"]["Pid"] and i)

    yield _start
    for cid in started:
        live.run("podman", "rm", "-f", "-t", "0", cid, check=False)  # -t 0: no 10 s SIGTERM wait
    if started and not live.run("podman", "ps", "-aq", check=False).stdout.strip():
        # podman's parent cgroup (conmon's below it), left behind when the last one goes
        for cgroup in ("libpod_parent/conmon", "libpod_parent"):
            live.remove_empty_cgroups(cgroup)


@pytest.fixture
def lxc_run():
    """Factory: an LXC container from the busybox template (no download), with an empty network
    (only `lo`), started; returns (name, init pid). Stopped and destroyed by name after."""
    live.need(live.is_root(), "needs root")
    live.need(
        live.lxc_ok(),
        "needs LXC and its busybox template (Debian lxc, busybox-static; .ci/run installs them)",
    )
    started: list[str] = []

    def _start(name: str | None = None) -> tuple[str, int]:
        name = name or live.unique_name("nsview-lxc")
        started.append(name)  # before lxc-create: a half-made container is destroyed too
        live.run("lxc-create", "-t", "busybox", "-n", name)
        config = Path("/var/lib/lxc") / name / "config"
        lines = [ln for ln in config.read_text().splitlines() if not ln.strip().startswith("lxc.net.0.")]
        config.write_text("\n".join([*lines, "lxc.net.0.type = empty", ""]))
        live.run("lxc-start", "-n", name)
        pid = live.wait_for(lambda: live.run("lxc-info", "-n", name, "-pH", check=False).stdout.strip())
        return name, int(pid)

    yield _start
    for name in started:
        live.run("lxc-stop", "-k", "-n", name, check=False)
        live.run("lxc-destroy", "-n", name, check=False)
    if started and not live.run("lxc-ls", check=False).stdout.strip():
        live.remove_empty_cgroups("lxc.pivot")  # made by lxc-start for its monitor, left behind


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
        live.kill_tree(p)


@pytest.fixture
def bound_mount_namespace():
    """Factory: a mount namespace no process is in, held by an nsfs bind mount under a private
    directory of /run (as `ip netns` and Docker keep theirs), made by `unshare --mount=FILE`;
    unmounted and removed after."""
    live.need(live.is_root(), "needs root")
    holder = Path("/run") / live.unique_name("nsview-test-netns")
    made: list[Path] = []

    def _make(script: str) -> tuple[Path, int]:
        holder.mkdir()
        made.append(holder)
        live.run("mount", "--bind", str(holder), str(holder))
        live.run("mount", "--make-private", str(holder))
        file = holder / "mnt"
        file.touch()
        live.run("unshare", f"--mount={file}", "--propagation", "private", "sh", "-c", script)
        return file, os.stat(file).st_ino

    yield _make
    for d in made:
        live.run("umount", str(d / "mnt"), check=False)
        live.run("umount", str(d), check=False)
        shutil.rmtree(d, ignore_errors=True)
