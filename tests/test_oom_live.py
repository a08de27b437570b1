"""`nsview oom` on real OOM kills made by the test, checked against `dmesg` and the counters on
disk (docs/design.md: a second source for every live value)."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support import live

pytestmark = pytest.mark.live

CGROUP = Path("/sys/fs/cgroup")
HOG = "head -c 64m /dev/zero | tail"  # tail keeps the whole newline-free stream in memory
# In a container whose init must outlive the kill: the hog's tail raises its own
# oom_score_adj (any process may raise it), so the kernel picks it, never the init sh; seen in CI
# once as the init killed (exit 137) when the whole container was the candidate set.
HOG_SPARING_INIT = "head -c 64m /dev/zero | (echo 1000 > /proc/self/oom_score_adj; exec tail)"
MIB = 1024 * 1024


def _dmesg_kill(task_memcg: str) -> int:
    """The pid `dmesg` says the OOM killer killed in ``task_memcg`` (the newest such kill)."""
    out = live.run("dmesg").stdout
    pids = re.findall(rf"oom-kill:.*,task_memcg={re.escape(task_memcg)},task=.*,pid=([0-9]+),uid=", out)
    assert pids, f"dmesg shows no kill in {task_memcg}"
    return int(pids[-1])


def _oom(nsview_cmd, *args: str) -> tuple[int, dict]:
    r = nsview_cmd("oom", "--json", *args)
    return r.returncode, json.loads(r.stdout)


@pytest.fixture
def parent_limited():
    """A memory cgroup limited to 16 MiB (memory and memory+swap) with an unlimited child; the
    kernel's own paths for both (as the log writes them). Removed after the test."""
    live.need(live.is_root(), "needs root")
    v1 = CGROUP / "memory"
    base = v1 if (v1 / "memory.limit_in_bytes").exists() else CGROUP
    live.need((base / "cgroup.procs").exists(), "needs a memory cgroup hierarchy")
    name = f"nsview-oom-{uuid.uuid4().hex[:10]}"
    parent, child = base / name, base / name / "child"
    parent.mkdir()
    try:
        if base is CGROUP:
            (parent / "cgroup.subtree_control").write_text("+memory")
        child.mkdir()
        if base is v1:
            (parent / "memory.limit_in_bytes").write_text(str(16 * MIB))
            if (parent / "memory.memsw.limit_in_bytes").exists():
                (parent / "memory.memsw.limit_in_bytes").write_text(str(16 * MIB))
        else:
            (parent / "memory.max").write_text(str(16 * MIB))
            (parent / "memory.swap.max").write_text("0")
        yield parent, child, f"/{name}", f"/{name}/child"
    finally:
        for d in (child, parent):
            if d.exists():
                live.kill_and_rmdir_cgroup(d)


def test_parent_limit_kill_says_whose_limit_it_was(parent_limited, nsview_cmd):
    _parent, child, parent_path, child_path = parent_limited
    script = f"echo $$ > {child}/cgroup.procs; exec sh -c '{HOG}'"
    r = subprocess.run(["sh", "-c", script], capture_output=True, timeout=60)
    assert r.returncode != 0  # the pipeline was killed
    victim = _dmesg_kill(child_path)
    code, out = _oom(nsview_cmd)
    assert code == 0
    kill = next(k for k in out["kills"] if k["pid"] == victim)
    assert kill["task_memcg"] == child_path and kill["oom_memcg"] == parent_path
    assert kill["constraint"] == "cgroup" and kill["whose_limit"] == "ancestor"
    assert kill["limit_now"] == {"bytes": 16 * MIB, "unlimited": False}
    assert kill["container"] is None  # a bare cgroup is nobody's container
    text = nsview_cmd("oom", env={"COLUMNS": "250"}).stdout
    assert f"the limit of ancestor {parent_path} (16 MiB now)" in text
    # the counter on disk counts it too, in the victim's cgroup (v1 memory.oom_control, v2 memory.events)
    counter = child / ("memory.oom_control" if (child / "memory.oom_control").exists() else "memory.events")
    assert re.search(r"^oom_kill [1-9]", counter.read_text(), re.M)


def test_docker_container_kill_named_counted_and_still_there_after_it_stops(docker_run, nsview_cmd):
    name = live.unique_name("nsv-oom")
    info = docker_run(
        "--name",
        name,
        "-m",
        "16m",
        "--memory-swap",
        "16m",
        cmd=("sh", "-c", f"{HOG_SPARING_INIT}; sleep 3600"),
    )
    cid = info["Id"]
    pid = info["State"]["Pid"]
    cgroup = next(
        line.split(":", 2)[2]
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        if ":memory:" in line or line.startswith("0::")
    )
    victim = live.wait_for(lambda: _try_dmesg_kill(cgroup), timeout=30)
    code, out = _oom(nsview_cmd, name)
    assert code == 0 and out["target"] == name
    (kill,) = [k for k in out["kills"] if k["pid"] == victim]
    assert kill["container"]["runtime"] == "docker" and kill["container"]["id"] == cid
    assert kill["container"]["name"] == name and kill["whose_limit"] == "own"
    if not out["counters"]:  # seen once under heavy load: ask again, then say what nsview said
        first_notes = out["notes"]
        try:
            out = live.wait_for(lambda: (lambda o: o if o["counters"] else None)(_oom(nsview_cmd, name)[1]))
        except AssertionError:
            state = live.run("docker", "inspect", "-f", "{{json .State}}", cid).stdout
            raise AssertionError(f"no counters; nsview said {first_notes}; docker says {state}") from None
    own = out["counters"][0]
    assert own["cgroup"] == cgroup and own["oom_kill"] >= 1
    # the other containers' kills are not this one's
    assert all(k["container"] and k["container"]["id"] == cid for k in out["kills"])
    # ps and cgroup show the container's last kill
    ps = json.loads(nsview_cmd("ps", "--json").stdout)
    (row,) = [c for c in ps["containers"] if c["id"] == cid]
    assert row["last_oom_kill"]["pid"] == victim and row["last_oom_kill"]["whose_limit"] == "own"
    cg = json.loads(nsview_cmd("cgroup", name, "--json").stdout)
    assert cg["last_oom_kill"]["pid"] == victim and cg["memory"]["oom_kill"] >= 1
    assert "LAST OOM" in nsview_cmd("ps", env={"COLUMNS": "250"}).stdout
    live.run("docker", "stop", "-t", "0", cid)
    code, out = _oom(nsview_cmd, name)
    assert code == 0 and [k["pid"] for k in out["kills"]] == [victim]
    assert out["counters"] == [] and "not running" in " ".join(out["notes"])
    assert nsview_cmd("oom", cid[:12], "--json").returncode == 0


def _try_dmesg_kill(task_memcg: str) -> int | None:
    try:
        return _dmesg_kill(task_memcg)
    except AssertionError:
        return None


def test_saved_dmesg_log_gives_the_same_kills(nsview_cmd, tmp_path):
    live.need(live.is_root(), "needs root (dmesg)")
    for flags, name in (([], "dmesg.txt"), (["-T"], "dmesg-T.txt")):
        saved = tmp_path / name
        saved.write_text(live.run("dmesg", *flags).stdout)
        _, live_out = _oom(nsview_cmd)
        code, from_file = _oom(nsview_cmd, "--log", str(saved))
        assert code == 0 and from_file["source"] == str(saved)
        assert [k["pid"] for k in from_file["kills"]][: len(live_out["kills"])] == [
            k["pid"] for k in live_out["kills"]
        ][: len(from_file["kills"])]
