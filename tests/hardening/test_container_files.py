"""docs/hardening.md, row 22 and rules 2 and 3: files inside a container are never read with host path
semantics, never block, never run away; namespaces are entered only in a throw-away child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from nsview.errors import NotAvailable
from nsview.procfs import KernelFS, ProcFS
from tests.hardening import util
from tests.support import live
from tests.support.paths import REPO

_CHROOTED = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
name = b"inside-the-chroot"
assert libc.sethostname(name, len(name)) == 0
os.chroot(sys.argv[1]); os.chdir("/")
print("ready", flush=True)
time.sleep(3600)
"""


@pytest.mark.live
def test_row22_symlink_fifo_and_huge_files_in_a_container(nsview_cmd, tmp_path):
    live.need(live.is_root(), "needs root (chroot, unshare)")
    root = Path(tempfile.mkdtemp(prefix="nsview-chroot-"))
    (root / "etc").mkdir()
    os.symlink("/etc/shadow", root / "etc" / "hostname")  # absolute: resolves on the host
    os.mkfifo(root / "etc" / "hosts")  # a reader without O_NONBLOCK hangs here
    (root / "etc" / "os-release").write_bytes(b"x" * (8 << 20))
    p = util.start_python(_CHROOTED, str(root), prefix=("unshare", "--uts"))
    try:
        assert os.readlink(f"/proc/{p.pid}/root") == str(root)
        for args in (("diff", str(p.pid), "--json"), ("ps", "--json"), ("tree", str(p.pid), "--json")):
            r = nsview_cmd(*args, timeout=300)  # a hang guard only: a FIFO read would block forever
            util.no_traceback(r)
            assert r.returncode in (0, 6), r.stderr
            assert "root:" not in r.stdout  # /etc/shadow's first line never leaks
        data = util.load_json(nsview_cmd("diff", str(p.pid), "--json"))
        # the hostname is the kernel's (uname in the UTS ns), not etc/hostname; nsenter agrees
        nsenter = subprocess.run(
            ["nsenter", "-t", str(p.pid), "-u", "hostname"], capture_output=True, text=True
        )
        assert data["sections"]["uts"]["target"]["hostname"] == nsenter.stdout.strip() == "inside-the-chroot"
    finally:
        live.kill_tree(p)
        subprocess.run(["rm", "-rf", "--one-file-system", str(root)], check=False)
    # the reader underneath: a FIFO returns at once, a huge file is capped
    os.mkfifo(tmp_path / "fifo")
    fs = KernelFS(tmp_path)
    assert fs.read_bytes("fifo") == b""
    (tmp_path / "big").write_bytes(b"y" * (1 << 20))
    assert len(fs.read_bytes("big", limit=4096)) == 4096
    assert len(KernelFS("/dev").read_bytes("zero", limit=10000)) == 10000


def test_rule2_container_paths_never_resolved_with_host_semantics(tmp_path):
    from nsview.model.mount import Mount
    from nsview.read.overlay import decode_overlay, resolve_short_link

    root = tmp_path / "overlay2"
    (root / "l").mkdir(parents=True)
    (root / "good" / "diff").mkdir(parents=True)
    os.symlink("../good/diff", root / "l" / "GOOD")
    os.symlink("/etc", root / "l" / "ABS")  # absolute: would leave the data root
    os.symlink("../../../../etc/diff", root / "l" / "UP")  # climbs out
    host = KernelFS("/")
    assert resolve_short_link(str(root / "l" / "GOOD"), host) == (str(root / "good" / "diff"), None)
    for evil in ("ABS", "UP"):
        path, error = resolve_short_link(str(root / "l" / evil), host)
        assert path is None and "unexpected place" in error
    m = Mount(
        1,
        0,
        0,
        99,
        "/",
        "/",
        ("rw",),
        (),
        "overlay",
        "overlay",
        (f"lowerdir={root}/l/ABS:{root}/l/GOOD", f"upperdir={root}/up", f"workdir={root}/work"),
    )
    o = decode_overlay(m, host=host)
    assert [layer.path for layer in o.lower] == [None, str(root / "good" / "diff")]
    # nothing in nsview opens a path below /proc/PID/root (the container's root, with its links)
    source = "\n".join(p.read_text() for p in Path(REPO, "nsview").rglob("*.py"))
    for needle in ("/root/", '"/root"', "'root/", '"root/'):
        assert needle not in source, needle


# ---- rule 3 ----------------------------------------------------------------------------------

_RECORD_IMPORTS = r"""
import os, sys
class Recorder:
    def find_spec(self, name, path=None, target=None):
        with open(os.environ["NSVIEW_IMPORT_LOG"], "a") as f:
            f.write(f"{os.getpid()} {name}\n")
        return None
sys.meta_path.insert(0, Recorder())
"""


def test_rule3_namespace_entry_in_forked_child(spawn, tmp_path):
    from nsview.enter import run_in_namespace
    from nsview.read.hostname import read_uts

    live.need(live.is_root(), "needs root to enter namespaces")
    p = spawn(["unshare", "--uts", "sh", "-c", "hostname rule3-target; exec sleep 3600"])
    live.wait_for(lambda: os.readlink(f"/proc/{p.pid}/ns/uts") != os.readlink("/proc/self/ns/uts"))
    live.wait_for(
        lambda: (
            subprocess.run(
                ["nsenter", "-t", str(p.pid), "-u", "hostname"], capture_output=True, text=True
            ).stdout.strip()
            == "rule3-target"
        )
    )
    proc = ProcFS("/proc")
    mine = {t: os.readlink(f"/proc/self/ns/{t}") for t in ("uts", "net", "mnt")}

    # the question runs in a child (another pid) that is inside the target's UTS ns, and only it
    getpid, readlink = os.getpid, os.readlink
    reply = run_in_namespace(
        proc,
        p.pid,
        "uts",
        lambda: f"{getpid()} {readlink('/proc/self/ns/uts')} {readlink('/proc/self/ns/mnt')}".encode(),
    )
    child, uts, mnt = reply.decode().split()
    assert int(child) != os.getpid()
    assert uts == os.readlink(f"/proc/{p.pid}/ns/uts") and mnt == mine["mnt"]  # never the mount ns
    assert {t: os.readlink(f"/proc/self/ns/{t}") for t in mine} == mine  # nsview itself never moved
    assert set(live.children_of(os.getpid())) <= {p.pid}  # the helper was reaped
    with pytest.raises(NotAvailable):
        run_in_namespace(proc, p.pid, "mnt", lambda: b"")  # refused outright

    # a timeout: a question that never answers is killed and reaped
    import time

    sleep = time.sleep
    with pytest.raises(NotAvailable, match="no answer"):
        run_in_namespace(proc, p.pid, "uts", lambda: sleep(3600) or b"", timeout=0.5)
    assert set(live.children_of(os.getpid())) <= {p.pid}  # killed and reaped, no zombie left

    # no imports after entry: a recorder on sys.meta_path (inherited by the fork) logs every
    # import attempt with the pid that made it; the child must make none
    log = tmp_path / "imports.log"
    code = _RECORD_IMPORTS + (
        "from nsview.read.hostname import read_uts\nfrom nsview.procfs import ProcFS\n"
        f"print(read_uts(ProcFS('/proc'), {p.pid}).hostname)\nprint(os.getpid())\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, NSVIEW_IMPORT_LOG=str(log)),
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    hostname, parent = r.stdout.split()
    assert hostname == "rule3-target"
    pids = {ln.split()[0] for ln in log.read_text().splitlines()}
    assert parent in pids  # the recorder works...
    assert pids <= {parent}, f"imports from the child: {log.read_text()}"  # ...and saw no child
    assert read_uts(proc, p.pid).hostname == "rule3-target"


# ---- row 36: a mount namespace no process is in ----------------------------------------------


def test_row36_a_namespace_file_that_is_not_the_one_listed_is_refused(tmp_path):
    """The host's table named mnt:[N] at a path; the file there now is something else: refused
    before any child is made (the inode names the namespace)."""
    from nsview.read.namespaces import read_bound_mountinfo

    other = tmp_path / "netns"
    other.write_text("")
    with pytest.raises(NotAvailable, match="now holds namespace"):
        read_bound_mountinfo(ProcFS("/proc"), KernelFS(tmp_path), "/netns", os.stat(other).st_ino + 1)
    with pytest.raises(NotAvailable):  # gone since the table was read
        read_bound_mountinfo(ProcFS("/proc"), KernelFS(tmp_path), "/missing", 1)


def test_row36_bound_namespace_read_from_outside_agrees_with_nsenter(
    nsview_cmd, bound_mount_namespace, tmp_path
):
    """No process is in it: nsview reads its table through a child that only joins it (rule 3);
    `nsenter --mount=FILE findmnt` inside it is the second source. Nothing of it shows on the host."""
    held = tmp_path / "held dir"
    held.mkdir()
    file, inode = bound_mount_namespace(f"mkdir -p /mnt/in; mount --bind '{held}' /mnt/in")
    before = os.readlink("/proc/self/ns/mnt")
    r = nsview_cmd("mounts", "--holding", str(held), "--json")
    util.no_traceback(r)
    assert r.returncode in (0, 6), r.stderr
    (holder,) = util.load_json(r)["holders"]
    assert (holder["namespace"], holder["kind"], holder["bind_mounts"]) == (
        f"mnt:[{inode}]",
        "bind mount",
        [str(file)],
    )
    inside = live.run(
        "nsenter", f"--mount={file}", "findmnt", "-J", "--list", "-o", "ID,TARGET,FSROOT"
    ).stdout
    fm = {f["id"]: f for f in json.loads(inside)["filesystems"]}
    (m,) = holder["mounts"]
    assert fm[m["id"]]["target"] == m["target"] == "/mnt/in" and fm[m["id"]]["fsroot"] == str(held)
    # nothing leaked out: the same namespace here, and the host's table does not have its mount
    # (the rest of the host's table is the machine's: engines and other tests change it)
    assert os.readlink("/proc/self/ns/mnt") == before
    assert b" /mnt/in " not in Path("/proc/self/mountinfo").read_bytes()


def test_row36_the_child_that_joins_a_bound_namespace_imports_nothing(bound_mount_namespace, tmp_path):
    """Rule 3's import recorder, for read_mount_table: the child joins the namespace and runs
    nothing (no import attempt from its pid), and the table it lets the parent read is that
    namespace's (the bind made inside it is there, and nsview's own namespace has none)."""
    file, inode = bound_mount_namespace("mkdir -p /mnt/rule3; mount -t tmpfs rule3-inside /mnt/rule3")
    log = tmp_path / "imports.log"
    code = _RECORD_IMPORTS + (
        "from nsview.read.namespaces import read_bound_mountinfo\nfrom nsview.procfs import KernelFS, ProcFS\n"
        f"data = read_bound_mountinfo(ProcFS('/proc'), KernelFS('/'), {str(file)!r}, {inode})\n"
        "print(int(b' /mnt/rule3 ' in data and b'rule3-inside' in data), os.getpid())\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, NSVIEW_IMPORT_LOG=str(log)),
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    found, parent = r.stdout.split()
    assert found == "1"
    assert b"rule3-inside" not in Path("/proc/self/mountinfo").read_bytes()
    pids = {ln.split()[0] for ln in log.read_text().splitlines()}
    assert parent in pids  # the recorder works...
    assert pids <= {parent}, f"imports from the child: {log.read_text()}"  # ...and saw no child
