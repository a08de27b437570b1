"""docs/hardening.md, rows 8-11 and rule 5: what nsview does when the kernel refuses, hides or relativises
what it reads, and that cgroup paths never leave the cgroup mount."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.hardening import util
from tests.hardening.util import DOCUMENTED
from tests.support import live
from tests.support.paths import FIXTURES, tree_roots


def _nobody_can_readlink(path: str, prefix: list[str]) -> bool:
    setpriv = prefix[: prefix.index("--clear-groups") + 1]
    return subprocess.run([*setpriv, "readlink", path], capture_output=True).returncode == 0


@pytest.mark.parametrize("command", sorted(util.COMMANDS))
def test_row08_non_root_user(command, spawn, run_as_nobody, unprivileged):
    p = spawn(["sleep", "3600"])  # root's process: nobody may not read its ns links
    assert not _nobody_can_readlink(f"/proc/{p.pid}/ns/net", unprivileged[0])  # second source
    argv = util.argv_for(command, p.pid)
    r = run_as_nobody(*argv, "--no-color")
    util.no_traceback(r)
    assert r.returncode in DOCUMENTED
    j = run_as_nobody(*argv, "--json")
    util.no_traceback(j)
    assert j.returncode == r.returncode
    data = util.load_json(j)
    if command == "tree":
        assert r.returncode == 0
        assert "namespaces: permission denied" in r.stdout
        assert (
            sum(
                "note:" in ln and "permission denied" in ln and "run as root" in ln
                for ln in util.squash_lines(r.stdout)
            )
            == 1
        )  # one footer with the fix
    elif command == "diff":
        assert r.returncode == 6  # partial: what could be read is shown
        rows = data["sections"]["namespaces"]["rows"]
        assert any(row["errors"]["target"] == "permission denied" for row in rows)
        assert "permission denied" in r.stdout
    elif command == "mounts":
        # mountinfo is world-readable, the ns/mnt link is not: the tree, and the link's reason
        setpriv = unprivileged[0][: unprivileged[0].index("--clear-groups") + 1]
        cat = subprocess.run([*setpriv, "cat", f"/proc/{p.pid}/mountinfo"], capture_output=True, text=True)
        assert r.returncode == 6 and data["count"] == len(cat.stdout.splitlines()) > 0
        assert data["namespace"] is None and data["errors"]["namespace"] == "permission denied"
        assert "could not read namespace: permission denied" in r.stdout
    elif command == "ps":
        assert r.returncode == 0
        assert data["unreadable"] > 0 and any("permission denied" in w for w in data["unreadable_reasons"])
        assert "could not be read" in r.stdout and "run as root" in r.stdout
    elif command == "changes":
        # a host process: its root is no overlay (exit 5), said in one line, as JSON too
        assert r.returncode in (4, 5) and r.stderr.count("\n") == 1
        assert data["error"]["exit_code"] == r.returncode
    else:
        assert r.returncode in (0, 6)
        assert data["pid"] == p.pid  # /proc/PID/cgroup and the limit files are world-readable


@pytest.mark.live
def test_row09_root_still_gets_eacces(nsview_cmd):
    live.need(live.is_root(), "needs root")
    try:
        os.readlink("/proc/1/ns/net")
    except PermissionError:
        pass
    else:
        pytest.skip("root can read /proc/1/ns here: no LSM/sandbox refusal to show on this machine")
    tree = nsview_cmd("tree", "1", "--depth", "0", "--json")
    assert tree.returncode == 0, tree.stderr
    data = util.load_json(tree)
    assert data["tree"]["errors"]["namespaces"] == "permission denied"
    assert any("permission denied" in n and "even to root" in n for n in data["notes"])
    diff = util.load_json(nsview_cmd("diff", str(os.getpid()), "--json"))
    assert (
        diff["reference"]["pid"] != 1 and "pid 1 unreadable: permission denied" in diff["reference"]["note"]
    )
    ps = util.load_json(nsview_cmd("ps", "--json"))
    assert ps["host_reference"]["pid"] != 1 and "permission denied" in ps["host_reference"]["source"]
    for args in (("tree", "1"), ("cgroup", "1"), ("diff", "1")):
        r = nsview_cmd(*args)
        util.no_traceback(r)
        assert r.returncode in (0, 6), (args, r.stderr)


@pytest.fixture
def hidepid_proc():
    live.need(live.is_root(), "needs root to mount a second procfs")
    where = Path(tempfile.mkdtemp(prefix="nsview-hidepid-"))
    where.chmod(0o755)
    subprocess.run(["mount", "-t", "proc", "-o", "hidepid=2", "proc", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
        where.rmdir()


def test_row10_hidepid_is_detected_and_reported(hidepid_proc, spawn, run_as_nobody, unprivileged, nsview_cmd):
    p = spawn(["sleep", "3600"])
    # second source: as nobody, root's pid is simply absent from that procfs
    ls = subprocess.run([*unprivileged[0][:4], "ls", str(hidepid_proc)], capture_output=True, text=True)
    assert str(p.pid) not in ls.stdout.split() and str(p.pid) in os.listdir(hidepid_proc)
    r = run_as_nobody("ps", "--proc-root", str(hidepid_proc), "--json")
    util.no_traceback(r)
    assert r.returncode == 0, r.stderr
    notes = util.load_json(r)["notes"]
    assert any("hidepid=" in n and "incomplete" in n for n in notes)
    text = run_as_nobody("ps", "--proc-root", str(hidepid_proc), "--no-color")
    assert "may be incomplete" in "".join(util.squash_lines(text.stdout, keep_spaces=True))
    # a target hidden by hidepid is "no such process", in one line
    gone = run_as_nobody("tree", str(p.pid), "--proc-root", str(hidepid_proc))
    util.no_traceback(gone)
    assert gone.returncode == 3 and gone.stderr.count("\n") == 1
    # root sees everything through the same mount: no warning
    assert not any(
        "hidepid" in n
        for n in util.load_json(nsview_cmd("ps", "--proc-root", str(hidepid_proc), "--json"))["notes"]
    )


def test_row11_nsview_inside_a_cgroup_namespace(spawn):
    base = util.cgroup_base("pids")
    live.need(live.is_root() and base is not None, "needs root and a pids cgroup hierarchy")
    tag = uuid.uuid4().hex[:6]
    mine, other = base / f"nsview-cgns-{tag}", base / f"nsview-other-{tag}"
    mine.mkdir()
    other.mkdir()
    try:
        p = spawn(["sleep", "3600"])
        (other / "cgroup.procs").write_text(str(p.pid))
        script = f'echo $$ > "{mine}/cgroup.procs"; exec unshare --cgroup "$@"'
        r = subprocess.run(
            ["sh", "-c", script, "sh", *_python(), "-m", "nsview", "cgroup", str(p.pid), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        util.no_traceback(r)
        assert r.returncode in (0, 6), r.stderr
        data = util.load_json(r)
        (pids,) = [c for c in data["controllers"] if c["resource"] == "pids"]
        assert pids["path"] == f"/../{other.name}"  # relative to nsview's own cgroup namespace
        assert pids["directory"] == str(other)  # ...and still found on the host's mount
        assert data["pids"]["current"] == int((other / "pids.current").read_text())
        assert any("cgroup namespace" in n for n in data["notes"])  # and it says so
    finally:
        for cg in (mine, other):
            live.kill_and_rmdir_cgroup(cg)


def _python() -> list[str]:
    import sys

    return [sys.executable]


def test_rule5_cgroup_paths_stay_inside_the_mount(tmp_path, nsview_run):
    root = tmp_path / "cg"
    shutil.copytree(FIXTURES / "cgroup-v2", root, symlinks=True)
    assert "/../../escape" in (root / "proc" / "4545" / "cgroup").read_text()
    # plant limit files wherever "/../../escape" could reach if joined with host semantics
    for base in (
        root / "escape",
        root / "sys" / "escape",
        root / "sys" / "fs" / "escape",
        tmp_path / "escape",
    ):
        base.mkdir(parents=True, exist_ok=True)
        (base / "memory.max").write_text("31337\n")
        (base / "pids.max").write_text("31337\n")
    r = nsview_run("cgroup", "4545", *tree_roots(root), "--json")
    util.no_traceback(r)
    assert r.returncode in (0, 6)
    data = util.load_json(r)
    assert "31337" not in r.stdout
    for c in data["controllers"]:
        assert c["directory"] is None or c["directory"].startswith("/sys/fs/cgroup")
        if c["path"] and "escape" in c["path"]:
            assert c["available"] is False and c["reason"]
    # the path resolver itself: whole components, never a climb out
    from nsview.errors import NotAvailable
    from nsview.model.cgroup_placement import cgroup_components
    from nsview.procfs import SysFS
    from nsview.read.cgroupfs import host_location

    assert cgroup_components("/a/../../b/./c") == ("..", "b", "c")
    assert cgroup_components("/a/b/../c") == ("a", "c")
    with pytest.raises(NotAvailable):
        host_location("/../../etc", SysFS(root / "sys"))


def test_row08_non_root_mounts_holding(run_as_nobody, bound_mount_namespace, tmp_path):
    """As nobody, --holding reads what it may (its own namespace, mountinfo is world-readable)
    and says what it may not: root's ns/mnt links, and the bound namespace it cannot join."""
    held = tmp_path / "held"
    held.mkdir()
    _file, inode = bound_mount_namespace(f"mkdir -p /mnt/in; mount --bind '{held}' /mnt/in")
    r = run_as_nobody("mounts", "--holding", str(held), "--no-color")
    util.no_traceback(r)
    assert r.returncode == 6, r.stderr
    j = run_as_nobody("mounts", "--holding", str(held), "--json")
    data = util.load_json(j)
    assert j.returncode == 6 and data["holders"] == []  # nothing it could read holds it
    errors = data["errors"]
    assert any(k.startswith("ns/mnt of") and v == "permission denied" for k, v in errors.items())
    (why,) = [v for k, v in errors.items() if f"mnt:[{inode}]" in k]
    assert "permission denied" in why
    assert "could not read" in r.stdout and "permission denied" in r.stdout


@pytest.mark.docker
def test_row39_non_root_ps_never_claims_what_it_could_not_read(nsview_cmd, docker_run, run_as_nobody):
    """As nobody: a Docker container's namespaces and name are root's to read. ISOLATED is `?`
    (JSON null, with the reason), never `none`/[]; the name's absence is explained; a TARGET by
    name fails with that reason (exit 4), not "no match". Root's view is the second source."""
    name = live.unique_name("nsview-nr")
    info = docker_run("--name", name)
    cid, pid = info["Id"], info["State"]["Pid"]
    root_rows = {c["id"]: c for c in json.loads(nsview_cmd("ps", "--json").stdout)["containers"]}
    assert root_rows[cid]["name"] == name and "net" in root_rows[cid]["isolated"]  # root reads both
    data_root = live.run("docker", "info", "--format", "{{.DockerRootDir}}").stdout.strip()
    setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    assert subprocess.run([*setpriv, "ls", f"{data_root}/containers"], capture_output=True).returncode != 0

    j = run_as_nobody("ps", "--json")
    util.no_traceback(j)
    data = util.load_json(j)
    row = next(c for c in data["containers"] if c["id"] == cid)
    assert row["init_pid"] == pid  # found all the same, by its world-readable cgroup path
    assert row["isolated"] is None and row["errors"]["isolated"] == "namespaces: permission denied"
    assert row["name"] is None
    assert f"names need root: {data_root} is not readable" in data["notes"]
    for c in data["containers"]:
        assert c["isolated"] != [] or c["errors"].get("isolated") is None

    t = run_as_nobody("ps", "--no-color")
    line = next(ln for ln in t.stdout.splitlines() if ln.startswith("docker") and cid[:12] in ln)
    assert " none " not in line and " ? " in line
    assert f"names need root: {data_root} is not readable" in t.stdout

    r = run_as_nobody("tree", name)
    util.no_traceback(r)
    assert r.returncode == 4 and r.stderr.count("\n") == 1
    assert f"names need root: {data_root} is not readable" in r.stderr and "no process" not in r.stderr
    j = run_as_nobody("cgroup", name, "--json")
    assert j.returncode == 4 and util.load_json(j)["error"]["type"] == "NamesNeedRoot"
    # by id it still works: the id is in the cgroup path, which nobody may read
    assert run_as_nobody("cgroup", cid[:12], "--json").returncode in (0, 6)
