"""Live makers shared by the hardening tests; each removes what it made, by id, even on failure."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hardening import util
from tests.support import live

# The hostile process: its own UTS and mount namespaces, a hostname, a mount path and a tmpfs
# source full of markup and escapes, a comm set with prctl(PR_SET_NAME), an argv of the same,
# and a cgroup whose name carries ESC and markup. It prints one line when set up, then sleeps.
_HOSTILE = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
host = os.fsencode(sys.argv[1]); mnt = sys.argv[2]; src = os.fsencode(sys.argv[3]); comm = os.fsencode(sys.argv[4])
assert libc.sethostname(host, len(host)) == 0, ctypes.get_errno()
os.makedirs(mnt)
assert libc.mount(src, os.fsencode(mnt), b"tmpfs", 0, b"size=64k") == 0, ctypes.get_errno()
assert libc.prctl(15, comm, 0, 0, 0) == 0
print("ready", flush=True)
time.sleep(3600)
"""


@dataclass(frozen=True)
class Hostile:
    pid: int
    hostname: bytes
    mount_path: str
    mount_source: str
    comm: bytes
    args: tuple[str, ...]
    cgroup_dir: Path
    cgroup_name: str


HOSTNAME = b"h[red]x[/bold][link=http://evil.example]:smile:\x1b]0;t\x07\xc2\x9b\xe2\x80\xae\xff"
COMM = b"[/bold]\x1b[5m\xc2\x9b\x07x"
ARGS = (*util.MARKUP, "\x1b[2J\x1b]0;pwned\x07", "\u202egnp.exe", "a\nb\tc", "\x7f\x1b[31mred")


@pytest.fixture(scope="module")
def hostile():
    live.need(live.is_root(), "needs root (unshare, sethostname, mount, cgroups)")
    base = util.cgroup_base("pids")
    live.need(base is not None, "needs a cgroup hierarchy with the pids controller")
    assert len(HOSTNAME) <= 64
    tag = uuid.uuid4().hex[:8]
    work = Path(tempfile.mkdtemp(prefix="nsview-hostile-"))
    mount_path = str(work / f"m\x1b[31m[red]x[/bold]:smile: \n{tag}")
    source = f"src[link=http://evil.example]\x1b]8;;x\x07{tag}"
    # a cgroup name cannot hold "/" (so no "[/bold]") nor a newline: kernfs refuses them
    cg_name = f"nsview-hard\x1b[31m[red]x[link=evil]:smile:\x07{tag}"
    cg_dir = base / cg_name
    cg_dir.mkdir()
    p = None
    try:
        p = util.start_python(
            _HOSTILE,
            os.fsdecode(HOSTNAME),
            mount_path,
            source,
            os.fsdecode(COMM),
            *ARGS,
            prefix=("unshare", "--uts", "--mount", "--propagation", "private"),
        )
        (cg_dir / "cgroup.procs").write_text(str(p.pid))
        yield Hostile(p.pid, HOSTNAME, mount_path, source, COMM, ARGS, cg_dir, cg_name)
    finally:
        if p is not None:
            live.kill_tree(p)
        live.kill_and_rmdir_cgroup(cg_dir)
        # the mount lived only in the process's private mount namespace: gone with it
        subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False)


@pytest.fixture(scope="session")
def unprivileged():
    """(argv prefix, env) that run a python as uid/gid 65534 via setpriv; skips if impossible."""
    live.need(live.is_root(), "needs root to drop to nobody with setpriv")
    # not under pytest's tmp dir: that is mode 700, and nobody must read the copied packages
    work = Path(tempfile.mkdtemp(prefix="nsview-nobody-"))
    try:
        work.chmod(0o755)
        made = util.unprivileged_python(work)
        live.need(made is not None, "cannot run nsview as nobody (setpriv, or a python nobody can run)")
        yield made
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def run_as_nobody(unprivileged):
    prefix, env = unprivileged

    def _run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*prefix, "-m", "nsview", *args],
            capture_output=True,
            text=True,
            cwd="/",
            env=dict(env, COLUMNS="200"),
            timeout=120,
        )

    return _run


@pytest.fixture
def helper():
    """Factory: util.start_python(...) children, each killed (process group) after the test."""
    procs: list[subprocess.Popen] = []

    def _start(code: str, *args: str, **kw) -> subprocess.Popen:
        p = util.start_python(code, *args, **kw)
        procs.append(p)
        return p

    yield _start
    for p in procs:
        live.kill_tree(p)
