"""Containers that exist but do not run: `nsview ps --all` lists them from the engines' files,
and a TARGET naming one answers in one line with exit 9 (NOT_RUNNING). Checked against
`docker inspect` / `docker ps -a` and `podman inspect` / `podman ps -a`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nsview.errors import ExitCode
from tests.support import live

# Runs long enough for the fixture to see its pid, then ends (0), or is OOM-killed: 64 MiB
# through a pipe into `tail`, which holds it all, in a 16 MiB cgroup with no swap.
EXITS_ZERO = ("sh", "-c", "sleep 0.5; exit 0")
OOM_HOG = ("sh", "-c", "sleep 0.5; head -c 64m /dev/zero | tail")


def _exited(inspect, cid: str) -> dict:
    return live.wait_for(lambda: (i := inspect(cid))["State"]["Status"] == "exited" and i, timeout=30)


def _rows(nsview_cmd, *args: str) -> list[dict]:
    r = nsview_cmd("ps", "--all", "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["containers"]


def _short(stamp: str) -> str:
    return stamp.split(".")[0].rstrip("Z") + "Z"


@pytest.mark.docker
def test_ps_all_lists_exited_and_oom_killed_docker_containers(nsview_cmd, docker_run):
    ok_name, oom_name = live.unique_name("nsview-ok"), live.unique_name("nsview-oom")
    ok = _exited(live.docker_inspect, docker_run("--name", ok_name, cmd=EXITS_ZERO)["Id"])
    oom = _exited(
        live.docker_inspect,
        docker_run("--name", oom_name, "-m", "16m", "--memory-swap", "16m", cmd=OOM_HOG)["Id"],
    )
    assert ok["State"]["ExitCode"] == 0 and not ok["State"]["OOMKilled"]
    assert oom["State"]["ExitCode"] == 137 and oom["State"]["OOMKilled"]  # the kernel killed it here
    listed = live.run("docker", "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.Status}}").stdout
    assert f"{oom['Id']} {oom_name} Exited (137)" in listed and f"{ok['Id']} {ok_name} Exited (0)" in listed

    rows = {c["id"]: c for c in _rows(nsview_cmd) if c["runtime"] == "docker"}
    for info, name in ((ok, ok_name), (oom, oom_name)):
        row = rows[info["Id"]]
        assert row["name"] == name == info["Name"].lstrip("/")
        assert row["running"] is False and row["init_pid"] is None and row["processes"] == 0
        assert row["state"] == info["State"]["Status"] == "exited"
        assert row["exit"]["exit_code"] == info["State"]["ExitCode"]
        assert row["exit"]["oom_killed"] == info["State"]["OOMKilled"]
        assert row["exit"]["finished_at"] == info["State"]["FinishedAt"]
        assert row["exit"]["started_at"] == info["State"]["StartedAt"]
    # without --all: not listed
    plain = json.loads(nsview_cmd("ps", "--json").stdout)["containers"]
    assert not {ok["Id"], oom["Id"]} & {c["id"] for c in plain}

    text = nsview_cmd("ps", "--all", "--runtime", "docker").stdout
    line = next(ln for ln in text.splitlines() if oom_name in ln)
    assert "137 oom-killed" in line and _short(oom["State"]["FinishedAt"]) in line


@pytest.mark.docker
@pytest.mark.parametrize("command", ["tree", "cgroup", "diff", "mounts"])
def test_a_stopped_docker_target_is_one_line_exit_9(nsview_cmd, docker_run, command):
    name = live.unique_name("nsview-oom")
    info = _exited(
        live.docker_inspect,
        docker_run("--name", name, "-m", "16m", "--memory-swap", "16m", cmd=OOM_HOG)["Id"],
    )
    r = nsview_cmd(command, name)
    assert r.returncode == ExitCode.NOT_RUNNING == 9, r.stderr
    assert r.stdout == "" and r.stderr.count("\n") == 1
    assert r.stderr == (
        f"nsview: container {name} is not running: exited {info['State']['ExitCode']} at "
        f"{_short(info['State']['FinishedAt'])}, killed by the kernel OOM killer\n"
    )
    j = nsview_cmd(command, info["Id"][:12], "--json")  # by id prefix too
    assert j.returncode == 9
    err = json.loads(j.stdout)["error"]
    assert err["type"] == "NotRunning" and err["exit_code"] == 9
    assert err["container"]["id"] == info["Id"] and err["container"]["name"] == name
    assert err["container"]["exit"]["exit_code"] == 137 and err["container"]["exit"]["oom_killed"] is True
    assert err["container"]["exit"]["finished_at"] == info["State"]["FinishedAt"]


@pytest.mark.podman
def test_ps_all_lists_a_stopped_podman_container(nsview_cmd, podman_run):
    name = live.unique_name("nsview-pmx")
    info = _exited(
        live.podman_inspect, podman_run("--name", name, cmd=("sh", "-c", "sleep 0.5; exit 3"))["Id"]
    )
    assert info["State"]["ExitCode"] == 3
    listed = live.run("podman", "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}").stdout.split("\n")
    assert f"{info['Id']} {name}" in listed

    row = next(c for c in _rows(nsview_cmd) if c["id"] == info["Id"])
    assert row["runtime"] == "podman" and row["name"] == name and row["running"] is False
    graph_root = live.run("podman", "info", "--format", "{{.Store.GraphRoot}}").stdout.strip()
    if Path(graph_root, "libpod", "db.sql").exists():
        assert row["exit"]["exit_code"] == 3 and row["state"] == "exited"
    else:  # podman < 4.8 keeps state in Bolt: the name is known, how it ended is not (and why)
        assert Path(graph_root, "libpod", "bolt_state.db").exists()
        assert row["exit"] is None and "Bolt" in row["errors"]["exit"]
    r = nsview_cmd("tree", name)
    assert r.returncode == 9 and r.stderr.startswith(f"nsview: container {name} is not running")


@pytest.mark.podman
def test_an_oom_killed_podman_container_is_named_after_it_stopped(nsview_cmd, podman_run):
    """`nsview oom NAME` for a podman container that is gone: its kill, named from podman's
    store (containers.json), as `podman inspect` names it."""
    name = live.unique_name("nsview-pmoom")
    info = _exited(
        live.podman_inspect,
        podman_run("--name", name, "-m", "16m", "--memory-swap", "16m", cmd=OOM_HOG)["Id"],
    )
    assert info["State"]["ExitCode"] == 137  # SIGKILL: the OOM killer's
    r = nsview_cmd("oom", name, "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["kills"], data
    for kill in data["kills"]:
        victim = kill["container"]
        assert (victim["runtime"], victim["id"], victim["name"]) == ("podman", info["Id"], name)
    # The kernel kills the hog (tail) and may then kill the shell too, in a second OOM of the
    # same cgroup a few ms later (dmesg shows both): the hog is among the kills, not always last.
    assert "tail" in [k["comm"] for k in data["kills"]]
    assert any(f"({name}) is not running" in n for n in data["notes"])
