"""Stopped Docker containers from fixtures/dockerd-stopped (config.v2.json as moby writes it):
`nsview ps --all` and a TARGET naming one (exit 9). The values are the generator's."""

from __future__ import annotations

import json

import pytest

from nsview.errors import ExitCode, NotRunning
from nsview.targets import resolve
from tests.support.paths import FIXTURES

PROC = FIXTURES / "dockerd-stopped" / "proc"
DATA = FIXTURES / "dockerd-stopped" / "host/var/lib/docker/containers"


def _state(name: str) -> dict:
    for f in DATA.glob("*/config.v2.json"):
        doc = json.loads(f.read_text())
        if doc["Name"] == "/" + name:
            return doc
    raise AssertionError(name)


def test_ps_all_gives_each_state_as_the_file_does(nsview_run):
    r = nsview_run("ps", "--all", "--json", "--proc-root", str(PROC))
    assert r.returncode == 0, r.stderr
    rows = {c["name"]: c for c in json.loads(r.stdout)["containers"]}
    assert rows["api"]["running"] is True and rows["api"]["exit"] is None and rows["api"]["init_pid"] == 111
    for name, status in (("batch-ok", "exited"), ("web", "exited"), ("never-started", "created")):
        doc, row = _state(name), rows[name]
        assert row["running"] is False and row["state"] == status and row["id"] == doc["ID"]
        assert row["exit"]["exit_code"] == doc["State"]["ExitCode"]
        assert row["exit"]["oom_killed"] is doc["State"]["OOMKilled"]
        assert row["exit"]["finished_at"] == (None if name == "never-started" else doc["State"]["FinishedAt"])
        assert row["exit"]["started_at"] == (None if name == "never-started" else doc["State"]["StartedAt"])
    assert rows["racy"]["exit"] is None and "says running" in rows["racy"]["errors"]["exit"]
    plain = json.loads(nsview_run("ps", "--json", "--proc-root", str(PROC)).stdout)["containers"]
    assert [c["name"] for c in plain] == ["api"]


@pytest.mark.parametrize(
    "target, message",
    [
        (
            "web",
            "container web is not running: exited 137 at 2026-12-01T21:35:58Z, killed by the kernel OOM killer",
        ),
        ("/batch-ok", "container batch-ok is not running: exited 0 at 2026-12-01T21:30:04Z"),
        ("6e6577", "container never-started is not running: created"),
    ],
)
def test_a_stopped_target_says_how_it_ended(target, message, nsview_run):
    with pytest.raises(NotRunning) as err:
        resolve(PROC, target)
    assert err.value.message == message and err.value.exit_code == ExitCode.NOT_RUNNING
    r = nsview_run("diff", target, "--proc-root", str(PROC), "--json")
    assert r.returncode == 9
    assert json.loads(r.stdout)["error"]["container"]["name"] == message.split()[1]


def test_a_running_one_still_resolves_and_an_unknown_one_is_not_found():
    assert resolve(PROC, "api").pid == 111
    with pytest.raises(Exception) as err:
        resolve(PROC, "nothing-like-it")
    assert err.value.exit_code == ExitCode.NOT_FOUND  # type: ignore[attr-defined]
