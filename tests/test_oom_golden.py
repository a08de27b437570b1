"""Golden outputs of `nsview oom` on a saved kernel log (fixtures/kernel-logs/), what a person sees:
every kind of kill, hostile names inert. The host side is a fixture tree, so nothing of this
machine shows. Regenerate with `python -m pytest tests/test_oom_golden.py --regen-golden`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.paths import FIXTURES

GOLDEN = Path(__file__).resolve().parent / "golden"
LOG = FIXTURES / "kernel-logs" / "dmesg-oom.txt"
HOST = [
    "--proc-root",
    str(FIXTURES / "edge-shapes" / "proc"),
    "--sys-root",
    str(FIXTURES / "cgroup-v2" / "sys"),
]


def _check(path: Path, actual: str, regen: bool) -> None:
    if regen or not path.exists():
        path.write_text(actual)
    assert actual == path.read_text(), f"output differs from {path.name} (regenerate with --regen-golden)"


def test_oom_text_golden(nsview_run, regen_golden):
    r = nsview_run("oom", "--log", str(LOG), "--no-color", *HOST, env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout  # the log's escapes stay visible text
    assert "[bold]x\\x1b[2J" in r.stdout  # markup printed literally, not interpreted
    _check(
        GOLDEN / "oom-dmesg.txt",
        r.stdout.replace(str(LOG), "fixtures/kernel-logs/dmesg-oom.txt"),
        regen_golden,
    )


def test_oom_json_golden(nsview_run, regen_golden):
    r = nsview_run("oom", "--log", str(LOG), "--json", *HOST)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    whose = [(k["pid"], k["whose_limit"]) for k in data["kills"]]
    assert whose == [
        (313, "own"),
        (9001, "ancestor"),
        (4242, "host"),
        (77, "cpuset"),
        (555, "own"),
        (600, "own"),
    ]
    assert data["kills"][1]["container"]["pod_uid"] == "5e3f0b5c-1f0e-4c63-9d2b-7a1d1e2f3a4b"
    assert data["kills"][-1]["complete"] is False
    _check(
        GOLDEN / "oom-dmesg.json",
        r.stdout.replace(str(LOG), "fixtures/kernel-logs/dmesg-oom.txt"),
        regen_golden,
    )


def test_counters_from_fixture_trees_without_a_kernel_log(nsview_run):
    """v2 memory.events and v1 memory.oom_control along the path, read from the files the
    fixtures hold (the second source); the trees have no /dev/kmsg, which is said, with exit 6."""
    v2 = FIXTURES / "cgroup-v2"
    r = nsview_run("oom", "4242", "--json", "--proc-root", str(v2 / "proc"), "--sys-root", str(v2 / "sys"))
    assert r.returncode == 6, r.stderr
    data = json.loads(r.stdout)
    assert data["kills"] == [] and "does not exist" in data["log_error"]
    own = data["counters"][0]
    events = dict(
        line.split()
        for line in (v2 / "sys/fs/cgroup" / own["cgroup"].lstrip("/") / "memory.events")
        .read_text()
        .splitlines()
    )
    assert (own["version"], own["oom"], own["oom_kill"], own["max"], own["high"]) == (
        2,
        int(events["oom"]),
        int(events["oom_kill"]),
        int(events["max"]),
        int(events["high"]),
    )
    assert [c["cgroup"] for c in data["counters"]] == [own["cgroup"], "/system.slice", "/"]
    v1 = FIXTURES / "cgroup-v1"
    r = nsview_run("oom", "5002", "--json", "--proc-root", str(v1 / "proc"), "--sys-root", str(v1 / "sys"))
    data = json.loads(r.stdout)
    assert [(c["cgroup"], c["version"], c["oom_kill"]) for c in data["counters"]][:2] == [
        ("/parent/child:1", 1, 0),
        ("/parent", 1, 0),
    ]
