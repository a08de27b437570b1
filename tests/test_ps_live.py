"""`nsview ps` against real containers, checked with docker inspect, ctr task ls, lsns."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from nsview.collect.containers import scan_containers
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
        if row is None and not os.path.exists(f"/proc/{inspect['State']['Pid']}"):
            continue  # stopped by someone else meanwhile
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
    live.wait_for(lambda: open(f"/proc/{kid}/comm").read().strip() == "sleep")
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
    proc = subprocess.Popen(["docker", "kill", info["Id"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = nsview_cmd("ps", "--json")
    proc.wait()
    assert r.returncode == 0 and "Traceback" not in r.stderr
    json.loads(r.stdout)
