"""Rootful podman and LXC as test engines: the fixtures start real containers, and what
`nsview ps` and `nsview tree` say about them is checked against the engines' own tools
(`podman inspect`, `lxc-info`)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import live


def ps_rows(nsview_cmd) -> list[dict]:
    r = nsview_cmd("ps", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["containers"]


def net_links(pid: int) -> list[str]:
    """The interface names in PID's network namespace, as `ip` sees them from inside it."""
    out = live.run("nsenter", "-t", str(pid), "-n", "ip", "-o", "link").stdout
    return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()]


def test_podman_container_in_ps_and_tree(nsview_cmd, podman_run):
    info = podman_run("--name", live.unique_name("nsview-pm"), "--hostname", "pmhost")
    cid, pid = info["Id"], info["State"]["Pid"]
    assert info["State"]["Running"]
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "sleep"
    assert cid in live.run("podman", "ps", "-q", "--no-trunc").stdout.split()
    assert net_links(pid) == ["lo"]  # --network none

    rows = [c for c in ps_rows(nsview_cmd) if c["runtime"] == "podman" and c["id"] == cid]
    assert len(rows) == 1, rows
    assert rows[0]["init_pid"] == pid

    r = nsview_cmd("tree", cid[:12])
    assert r.returncode == 0, r.stderr
    assert str(pid) in r.stdout


def test_lxc_container_in_ps(nsview_cmd, lxc_run):
    name, pid = lxc_run()
    assert live.run("lxc-info", "-n", name, "-sH").stdout.strip() == "RUNNING"
    assert int(live.run("lxc-info", "-n", name, "-pH").stdout) == pid
    assert name in live.run("lxc-ls", "-1").stdout.split()
    assert net_links(pid) == ["lo"]  # lxc.net.0.type = empty

    rows = [c for c in ps_rows(nsview_cmd) if c["runtime"] == "lxc" and c["id"] == name]
    assert len(rows) == 1, rows
    assert rows[0]["name"] == name
    assert rows[0]["init_pid"] == pid
