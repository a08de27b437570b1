"""`nsview snapshot` on the live host, read back with `--from`: every command's `--json` on the
snapshot equals its `--json` on the live host, run right before the capture, for each live
scenario the suite runs (Docker running, exited and OOM-killed; containerd; podman; LXC; a bare
`unshare` group). The second source is nsview's own live answer, itself checked against the
engines' tools by the other live tests; the scenario's ids and pids are checked against
`docker inspect` and the fixtures' own values here.

What may differ is about "now", listed once in NOW (docs/testing.md, "Snapshots"): nsview's
own pid where it is the host reference (pid 1's links are unreadable to root on some hosts),
the number of pids scanned (the test's own processes come and go), and cgroup usage counters
that move while a process runs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support import live

# Paths ("a.b[].c") whose values are about the moment of the run, not the host: excepted.
NOW = {
    "host_reference.pid",  # nsview's own pid when pid 1 is unreadable: each run is another process
    "reference.pid",  # diff: the same reference, on its side of the comparison
    "scanned",  # pids looked at: this test's own short-lived processes come and go
    "vanished",  # pids that exited during the scan: the same churn
    "outside_pods",  # ps --pods: containers not in a pod, counted host-wide: other tests' come and go
    # the host's own mount table (diff's reference side): other tests' containers mount and
    # unmount their overlays on this shared machine between two reads
    "sections.mounts.reference",
    # usage counters of a cgroup that running processes charge (a bare unshare group stays in
    # the caller's cgroup, with the test's own processes): they move between two reads
    "memory.usage_bytes",
    "memory.usage_minus_inactive_file_bytes",
    "memory.peak_bytes",
    "memory.stat",
    "memory.failcnt",
    "cpu.stat",
    "pids.current",
    "pressure",
}


def _ours(value, ids: set[str]):
    """Host-wide answers (ps, ps --all, pods, oom) hold other tests' containers too, which come
    and go on a shared machine: only the rows of this scenario's containers are compared."""
    if isinstance(value, dict):
        return {k: _ours(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        kept = []
        for v in value:
            if isinstance(v, dict):
                cid = v.get("id")
                if cid is None and isinstance(v.get("container"), dict):
                    cid = v["container"].get("id")
                if ("id" in v or "container" in v) and not any(str(cid or "").startswith(i) for i in ids):
                    continue
            kept.append(_ours(v, ids))
        return kept
    return value


def _strip(value, path: str = ""):
    """The JSON with the NOW keys (a dotted path, matched at the end of the key's path) left out."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            here = f"{path}.{k}" if path else k
            if not any(here == n or here.endswith("." + n) for n in NOW):
                out[k] = _strip(v, here)
        return out
    if isinstance(value, list):
        return [_strip(v, path + "[]") for v in value]
    return value


def _differences(a, b, path: str = "") -> list[str]:
    """Where two JSON values differ, as paths with both values (for a readable failure)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _differences(a.get(k, "<missing>"), b.get(k, "<missing>"), f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: live {str(a)[:200]} / snapshot {str(b)[:200]}"]


def _run(*args: str) -> tuple[int, dict]:
    r = subprocess.run([sys.executable, "-m", "nsview", *args, "--json"], capture_output=True, text=True)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout)


def _commands(targets: list[str]) -> list[tuple[str, ...]]:
    cmds: list[tuple[str, ...]] = [("ps",), ("ps", "--all"), ("ps", "--pods"), ("oom",)]
    for t in targets:
        cmds += [("tree", t), ("cgroup", t), ("diff", t), ("mounts", t), ("oom", t), ("changes", t)]
    return cmds


def _same_as_live(
    tmp_path, targets: list[str], ids: set[str], *, every: bool = False, changes: bool = True
) -> dict:
    """Live JSON of each command, a snapshot right after, the same commands on it: equal."""
    cmds = _commands(targets)
    before = {c: _run(*c) for c in cmds}
    archive = tmp_path / "s.tar.gz"
    args = ["snapshot", *targets, "-o", str(archive)] + (["--all"] if every else [])
    code, written = _run(*args, *(["--changes"] if changes else []))
    assert code == 0, written
    assert archive.stat().st_mode & 0o777 == 0o600
    for cmd in cmds:
        live_code, live_json = before[cmd]
        code, snap_json = _run(*cmd, "--from", str(archive))
        assert code == live_code, (cmd, live_json, snap_json)
        if len(cmd) == 1 or cmd[1].startswith("--"):
            snap_json, live_json = _ours(snap_json, ids), _ours(live_json, ids)
            if ids and cmd in (("ps",), ("ps", "--all")):  # the scenario's own rows are there
                assert any(i in json.dumps(live_json) for i in ids), cmd
        assert _differences(_strip(live_json), _strip(snap_json)) == [], cmd
    return written["manifest"]


@pytest.mark.docker
def test_docker_running_exited_and_oom_killed(docker_run, tmp_path):
    run = docker_run("--name", live.unique_name("nsview-snap"))
    ok = docker_run("--name", live.unique_name("nsview-snap-ok"), cmd=("sh", "-c", "sleep 0.5; exit 0"))
    oom = docker_run(
        "--name",
        live.unique_name("nsview-snap-oom"),
        "-m",
        "16m",
        "--memory-swap",
        "16m",
        cmd=("sh", "-c", "sleep 0.5; head -c 64m /dev/zero | tail"),
    )
    for info in (ok, oom):
        live.wait_for(lambda i=info: live.docker_inspect(i["Id"])["State"]["Status"] == "exited", timeout=30)
    assert live.docker_inspect(oom["Id"])["State"]["OOMKilled"]
    name = run["Name"].lstrip("/")
    ids = {run["Id"], ok["Id"], oom["Id"]}
    manifest = _same_as_live(tmp_path, [name, ok["Id"][:12], oom["Id"][:12]], ids, every=True)
    assert manifest["source"] == "live" and manifest["format"] == 1
    # the capture knew the container docker inspect names, by its pid
    code, tree = _run("tree", name, "--from", str(tmp_path / "s.tar.gz"))
    assert code == 0 and tree["target"] == run["State"]["Pid"]


@pytest.mark.containerd
def test_containerd(ctr_run, tmp_path):
    ns, cid = live.unique_name("nsview-snap-ns"), live.unique_name("snap")
    pid = ctr_run(ns, cid)
    _same_as_live(tmp_path, [f"{ns}/{cid}", str(pid)], {cid})


@pytest.mark.podman
def test_podman(podman_run, tmp_path):
    info = podman_run("--name", live.unique_name("nsview-snap-pm"))
    _same_as_live(tmp_path, [info["Name"], str(info["State"]["Pid"])], {info["Id"]})


@pytest.mark.lxc
def test_lxc(lxc_run, tmp_path):
    name, pid = lxc_run()
    _same_as_live(tmp_path, [name, str(pid)], {name}, changes=False)


@pytest.mark.live
def test_bare_unshare(spawn, tmp_path):
    live.need(live.is_root(), "needs root")
    p = spawn(["unshare", "--uts", "--net", "--mount", "--pid", "--fork", "sleep", "3600"])
    child = live.wait_for(lambda: live.children_of(p.pid) if hasattr(live, "children_of") else _kids(p.pid))
    _same_as_live(tmp_path, [str(child[0])], set(), changes=False)


def _kids(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []
