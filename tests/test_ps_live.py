"""`nsview ps` against real containers, checked with docker inspect, ctr task ls, lsns."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from nsview.collect.ps import scan_containers
from nsview.procfs import MAX_READ, ProcFS, SysFS
from tests.support import live

pytestmark = [pytest.mark.live]


def ps_json(nsview_cmd, *args: str) -> dict:
    r = nsview_cmd("ps", "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def children(pid: int) -> list[int]:
    return live.children_of(pid)


@pytest.mark.docker
@pytest.mark.containerd
def test_ps_agrees_with_engines(nsview_cmd, docker_run, ctr_run):
    name = f"nsview-ps-{uuid.uuid4().hex[:8]}"
    info = docker_run("--name", name, "--memory", "64m", "--hostname", "psbox")
    ns, cid = "nsview-ps", f"app-{uuid.uuid4().hex[:6]}"  # fixed ns: nothing accumulates
    ctr_pid = ctr_run(ns, cid)
    data = ps_json(nsview_cmd)
    rows = {(c["runtime"], c["namespace"], c["id"]): c for c in data["containers"]}

    # every running Docker container, with docker's own pid, id and name
    ids = live.run("docker", "ps", "-q", "--no-trunc").stdout.split()
    for full in ids:
        inspect = live.docker_inspect(full)
        row = rows.get(("docker", None, full))
        pid = inspect["State"]["Pid"]
        if not pid or (row is None and not os.path.exists(f"/proc/{pid}")):
            continue  # stopped by someone else between `docker ps`, nsview's scan and the inspect
        assert row is not None, full
        assert row["init_pid"] == inspect["State"]["Pid"]
        assert row["name"] == inspect["Name"].lstrip("/")
    mine = rows[("docker", None, info["Id"])]
    assert mine["short_id"] == info["Id"][:12]
    assert mine["hostname"] == "psbox"
    assert mine["rootfs_type"] == "overlay"
    assert any(e.startswith("cgroup /docker/") for e in mine["evidence"])
    assert mine["processes"] == 1 + len(children(mine["init_pid"]))
    # isolated namespaces, from the kernel's links (readlink of host vs container, via lsns too)
    lsns = json.loads(live.run("lsns", "-J", "-p", str(mine["init_pid"])).stdout)["namespaces"]
    own = {n["type"]: n["ns"] for n in lsns}
    ref = {t: int(v.split("[")[1].rstrip("]")) for t, v in data["host_reference"]["namespaces"].items()}
    assert mine["isolated"] == sorted(t for t in own if t in ref and own[t] != ref[t])
    if mine["memory_limit"] is not None:
        assert mine["memory_limit"]["bytes"] == info["HostConfig"]["Memory"] == 64 * 1024 * 1024

    # the containerd container, with ctr's pid
    row = rows[("containerd", ns, cid)]
    assert row["init_pid"] == ctr_pid
    tasks = live.run("ctr", "--address", live.CONTAINERD_ADDRESS, "-n", ns, "task", "ls").stdout
    assert f"{cid}" in tasks and str(ctr_pid) in tasks

    # --runtime filters
    only = ps_json(nsview_cmd, "--runtime", "containerd")
    assert {c["runtime"] for c in only["containers"]} == {"containerd"}


def test_bare_unshare_group_is_namespaces_only(nsview_cmd, spawn):
    live.need(live.is_root(), "needs root for unshare")
    p = spawn(["unshare", "--uts", "--net", "--fork", "sleep", "600"])
    kid = live.wait_for(lambda: children(p.pid))[0]
    # wait until the child exec'd sleep (its comm), so the group is stable
    live.wait_comm(kid, "sleep")
    data = ps_json(nsview_cmd, "--runtime", "namespaces")
    row = next(c for c in data["containers"] if p.pid in c["pids"])
    assert row["runtime"] == "namespaces only" and row["id"] is None
    assert row["init_pid"] == p.pid and kid in row["pids"]
    assert row["isolated"] == ["net", "uts"]
    # the namespace ids agree with lsns
    lsns = json.loads(live.run("lsns", "-J", "-t", "net", "-p", str(kid)).stdout)["namespaces"][0]
    assert row["namespaces"]["net"] == f"net:[{lsns['ns']}]"


class KillOnRead(ProcFS):
    """A ProcFS that stops a container the moment the scan first touches ``pid`` in ``hook``:
    deterministic "the container stopped while ps scanned" (no sleeps, no timing)."""

    def __init__(self, root, pid: int, cid: str, hook: str) -> None:
        super().__init__(root)
        self.victim, self.cid, self.hook, self.fired = pid, cid, hook, False

    def _stop(self, pid: int, what: str) -> None:
        if pid == self.victim and what == self.hook and not self.fired:
            self.fired = True
            live.run("docker", "kill", self.cid)
            live.wait_for(lambda: not os.path.exists(f"/proc/{pid}/stat"))

    def pid_stat_and_links(self, pid, links):
        self._stop(pid, "ns")
        return super().pid_stat_and_links(pid, links)

    def pid_read(self, pid, name, limit=MAX_READ):
        self._stop(pid, name)
        return super().pid_read(pid, name, limit)


@pytest.mark.docker
@pytest.mark.parametrize("hook", ["ns", "mountinfo"])
def test_container_stopped_during_scan(docker_run, hook):
    info = docker_run()
    pid, cid = info["State"]["Pid"], info["Id"]
    proc = KillOnRead("/proc", pid, cid, hook)
    result = scan_containers(proc, SysFS("/sys"))
    assert proc.fired
    assert all(c.id != cid for c in result.containers)  # no phantom row
    assert result.vanished >= 1


@pytest.mark.docker
def test_ps_cli_while_containers_stop(nsview_cmd, docker_run):
    """End to end: stop a container while `nsview ps` runs; whatever the interleaving, no
    traceback and no row for a pid that is gone by the time the row is printed."""
    info = docker_run()
    proc = subprocess.Popen(
        ["docker", "kill", info["Id"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    r = nsview_cmd("ps", "--json")
    proc.wait()
    assert r.returncode == 0 and "Traceback" not in r.stderr
    json.loads(r.stdout)


def test_unshare_with_pid_and_mount_is_one_row(nsview_cmd, spawn):
    """`unshare --uts --net --pid --mount --fork sleep`: unshare itself sits in the new mnt, net
    and uts namespaces, its child also in the new pid namespace. One group, one row."""
    import psutil

    live.need(live.is_root(), "needs root for unshare")
    p = spawn(["unshare", "--uts", "--net", "--pid", "--mount", "--fork", "sleep", "600"])
    kid = live.wait_for(lambda: children(p.pid))[0]
    live.wait_comm(kid, "sleep")
    data = ps_json(nsview_cmd, "--runtime", "namespaces")
    rows = [c for c in data["containers"] if {p.pid, kid} & set(c["pids"])]
    assert len(rows) == 1, rows
    row = rows[0]
    family = {p.pid} | {c.pid for c in psutil.Process(p.pid).children(recursive=True)}
    # the init is the child that is pid 1 of the new pid namespace (its status's NSpid), not
    # the unshare process, which stays in the host's pid namespace
    nspid = next(ln for ln in open(f"/proc/{kid}/status") if ln.startswith("NSpid:")).split()[1:]
    assert nspid == [str(kid), "1"]
    assert row["init_pid"] == kid and set(row["pids"]) == family == {p.pid, kid}
    # what differs, from the kernel's links against the host reference nsview used
    # (that reference is this test's own namespaces too: check, then compare)
    ref = data["host_reference"]["namespaces"]
    assert ref == {t: v for t, v in live.ns_links(os.getpid()).items() if t in ref}
    own, child = live.ns_links(p.pid), live.ns_links(kid)
    assert sorted(t for t in own if own[t] != ref.get(t)) == ["mnt", "net", "uts"]
    assert sorted(t for t in child if child[t] != ref.get(t)) == ["mnt", "net", "pid", "uts"]
    assert row["isolated"] == ["mnt", "net", "pid", "uts"]
    # the namespaces shown are the init's: its pid namespace is the new one, never the host's
    # next to "pid" in isolated
    assert row["namespaces"] == {t: v for t, v in child.items() if t in row["namespaces"]}
    assert row["namespaces"]["pid"] == child["pid"] != ref["pid"]
    assert row["state"] == psutil.Process(kid).status()  # "sleeping": sleep 600


@pytest.mark.docker
def test_docker_pause_shows_paused(nsview_cmd, docker_run):
    """`docker pause` freezes the container's cgroup: STATE says paused, checked against
    docker inspect and the freezer file itself; after `docker unpause`, the process state."""
    import psutil

    info = docker_run("--name", f"fix2-pause-{uuid.uuid4().hex[:8]}")
    cid, pid = info["Id"], info["State"]["Pid"]

    def row() -> dict:
        return next(c for c in ps_json(nsview_cmd, "--runtime", "docker")["containers"] if c["id"] == cid)

    def kernel_frozen() -> bool:
        # the second source: the freezer file of the cgroup /proc/PID/cgroup names
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            hid, ctrls, path = line.split(":", 2)
            if "freezer" in ctrls.split(","):
                state = Path(f"/sys/fs/cgroup/freezer{path}/freezer.state").read_text().strip()
                return state != "THAWED"
            if hid == "0" and os.path.exists(f"/sys/fs/cgroup{path}/cgroup.events"):
                return "frozen 1" in Path(f"/sys/fs/cgroup{path}/cgroup.events").read_text()
        raise AssertionError("no freezer for the container")

    live.run("docker", "pause", cid)
    try:
        assert live.docker_inspect(cid)["State"]["Paused"] is True
        assert kernel_frozen()
        paused = row()
        assert (paused["state"], paused["frozen"]) == ("paused", True)
        r = nsview_cmd("ps", "--runtime", "docker")
        line = next(line for line in r.stdout.splitlines() if cid[:12] in line)
        assert "paused" in line.split()
    finally:
        live.run("docker", "unpause", cid, check=False)
    assert live.docker_inspect(cid)["State"]["Paused"] is False and not kernel_frozen()
    thawed = row()
    assert thawed["frozen"] is False
    assert thawed["state"] == psutil.Process(pid).status() == "sleeping"


def cgroup2_mount() -> str | None:
    """Where cgroup2 is mounted, from findmnt (a source independent of nsview's mountinfo)."""
    r = live.run("findmnt", "-J", "-t", "cgroup2", check=False)
    if r.returncode != 0 or not r.stdout.strip():
        return None
    found = json.loads(r.stdout)["filesystems"]
    return found[0]["target"] if found else None


@pytest.fixture
def cgroup2_dir():
    """A fresh cgroup2 directory (fix2-<random>); its processes are killed and it is removed."""
    live.need(live.is_root(), "needs root to make cgroups")
    mount = cgroup2_mount()
    live.need(mount is not None, "needs a cgroup2 mount")
    path = os.path.join(mount, f"fix2-{uuid.uuid4().hex[:8]}")
    os.mkdir(path)
    live.need(os.path.exists(os.path.join(path, "cgroup.freeze")), "needs cgroup.freeze (Linux 5.2+)")
    try:
        yield path
    finally:
        Path(os.path.join(path, "cgroup.freeze")).write_text("0")
        live.kill_and_rmdir_cgroup(Path(path))


def test_cgroup2_freeze_shows_paused(nsview_cmd, spawn, cgroup2_dir):
    """cgroup v2's freezer (what runc uses on a v2 host): cgroup.freeze=1 on the group's cgroup."""
    live.need(live.is_root(), "needs root for unshare")
    p = spawn(["unshare", "--uts", "--net", "--fork", "sleep", "600"])
    kid = live.wait_for(lambda: children(p.pid))[0]
    live.wait_comm(kid, "sleep")
    for pid in (p.pid, kid):
        Path(os.path.join(cgroup2_dir, "cgroup.procs")).write_text(str(pid))
    Path(os.path.join(cgroup2_dir, "cgroup.freeze")).write_text("1")
    live.wait_for(lambda: "frozen 1" in Path(os.path.join(cgroup2_dir, "cgroup.events")).read_text())
    row = next(
        c for c in ps_json(nsview_cmd, "--runtime", "namespaces")["containers"] if c["init_pid"] == p.pid
    )
    assert (row["state"], row["frozen"]) == ("paused", True)
    Path(os.path.join(cgroup2_dir, "cgroup.freeze")).write_text("0")
    live.wait_for(lambda: "frozen 0" in Path(os.path.join(cgroup2_dir, "cgroup.events")).read_text())
    row = next(
        c for c in ps_json(nsview_cmd, "--runtime", "namespaces")["containers"] if c["init_pid"] == p.pid
    )
    assert (row["state"], row["frozen"]) == ("sleeping", False)
