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


def test_podman_names_from_disk_reach_tree_cgroup_and_diff(nsview_cmd, podman_run):
    """A podman container by name, as `podman inspect` and `podman ps -a` name it: nsview reads
    conmon's -n and containers/storage's containers.json, never podman itself."""
    name = live.unique_name("pm-web")
    info = podman_run("--name", name)
    cid, pid = info["Id"], info["State"]["Pid"]
    assert info["Name"] == name
    assert (
        f"{cid} {name}"
        in live.run("podman", "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}").stdout
    )
    store = json.loads(
        Path(
            live.run("podman", "info", "--format", "{{.Store.GraphRoot}}").stdout.strip(),
            "overlay-containers",
            "containers.json",
        ).read_text()
    )
    assert [e["names"] for e in store if e["id"] == cid] == [[name]]  # the file nsview reads, too

    row = next(c for c in ps_rows(nsview_cmd) if c["id"] == cid)
    assert row["name"] == name and row["init_pid"] == pid
    assert "name from conmon -n" in row["evidence"]

    tree = json.loads(nsview_cmd("tree", name, "--json").stdout)
    assert tree["target"] == pid and tree["container"]["id"] == cid
    assert tree["container"]["name"] == name
    cg = nsview_cmd("cgroup", name, "--json")
    assert cg.returncode in (0, 6) and json.loads(cg.stdout)["pid"] == pid
    diff = nsview_cmd("diff", name, "--json")
    assert diff.returncode in (0, 6) and json.loads(diff.stdout)["target"]["pid"] == pid
    for command in ("tree", "cgroup", "diff"):
        assert nsview_cmd(command, name).returncode in (0, 6)
    # the tree's node of the container names it too, from its conmon's -n
    node = tree["tree"]
    while not node["target"]:
        (node,) = [c for c in node["children"] if _holds_target(c)]
    assert node["container"]["name"] == name and node["container"]["id"] == cid
    assert f"container {cid[:12]} (podman {name})" in nsview_cmd("tree", name, "--no-color").stdout


def _holds_target(node: dict) -> bool:
    return node["target"] or any(_holds_target(c) for c in node["children"])


def test_lxc_names_in_ps_match_lxc_info(nsview_cmd, lxc_run):
    name, pid = lxc_run()
    assert live.run("lxc-info", "-n", name, "-pH").stdout.strip() == str(pid)
    row = next(c for c in ps_rows(nsview_cmd) if c["runtime"] == "lxc" and c["init_pid"] == pid)
    assert row["name"] == name
    r = nsview_cmd("tree", name)
    assert r.returncode == 0 and str(pid) in r.stdout


def test_podman_pod_id_from_the_bundle(nsview_cmd, podman_run):
    """A container in a podman pod (no infra container: its image would need a registry): the
    pod's id, from the annotations podman writes into the bundle, as `podman inspect` gives it;
    the pod's name needs podman's db.sql (podman >= 4.8), which this podman may not write."""
    pod_name = live.unique_name("nsview-pod")
    pod_id = live.run("podman", "pod", "create", "--name", pod_name, "--infra=false").stdout.strip()
    try:
        info = podman_run("--pod", pod_id, "--name", live.unique_name("nsview-inpod"))
        assert info["Pod"] == pod_id
        assert pod_id in live.run("podman", "pod", "ps", "-q", "--no-trunc").stdout.split()
        row = next(c for c in ps_rows(nsview_cmd) if c["id"] == info["Id"])
        assert row["name"] == info["Name"]
        assert row["pod"]["uid"] == pod_id and row["pod"]["engine"] == "podman"
        graph_root = live.run("podman", "info", "--format", "{{.Store.GraphRoot}}").stdout.strip()
        if Path(graph_root, "libpod", "db.sql").exists():
            assert row["pod"]["name"] == pod_name
        text = nsview_cmd("ps", "--runtime", "podman").stdout
        line = next(ln for ln in text.splitlines() if info["Id"][:12] in ln)
        assert (pod_name if row["pod"]["name"] else f"pod {pod_id[:12]}") in line
    finally:
        for cid in live.run(
            "podman", "ps", "-aq", "--no-trunc", "--filter", f"pod={pod_id}", check=False
        ).stdout.split():
            live.run("podman", "rm", "-f", "-t", "0", cid, check=False)
        live.run("podman", "pod", "rm", "-f", pod_id, check=False)
