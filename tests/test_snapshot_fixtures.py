"""A snapshot made from a fixture tree (a host of another kind: pure v2, a Kubernetes node on
containerd or CRI-O, podman, LXC, nested kind, stopped Docker containers) and read with
`--from` answers every command exactly as running on the tree itself: the second source is
nsview on the tree, whose answers the fixture tests check against the values the generators
wrote. Nothing is excepted: a tree has no "now"."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.paths import FIXTURES

# kinds of host this machine is not: pure v2, hybrid with a cgroup mount outside /sys, a
# Kubernetes node (containerd, systemd driver), podman, stopped Docker containers
TREES = ["cgroup-v2", "cgroup-hybrid", "cri-containerd-systemd", "containers-podman", "dockerd-stopped"]


def _json(*args: str) -> tuple[int, dict]:
    r = subprocess.run([sys.executable, "-m", "nsview", *args, "--json"], capture_output=True, text=True)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout)


@pytest.mark.parametrize("tree", TREES)
def test_a_snapshot_of_a_tree_answers_as_the_tree(tree, tmp_path):
    roots = ("--proc-root", str(FIXTURES / tree / "proc"), "--sys-root", str(FIXTURES / tree / "sys"))
    _, ps = _json("ps", "--all", *roots)
    pids = sorted(p.name for p in (FIXTURES / tree / "proc").iterdir() if p.name.isdigit())
    targets = [c["id"] for c in ps["containers"] if c["id"]][:3] + pids[:2]
    assert pids, "the tree has processes to compare"
    archive = tmp_path / f"{tree}.tar.xz"
    code, written = _json("snapshot", "--all", *pids, *roots, "-o", str(archive))
    assert code == 0, written
    assert written["manifest"]["source"] == "tree" and written["manifest"]["host_name"] is None
    cmds = [("ps",), ("ps", "--all"), ("ps", "--pods"), ("oom",)]
    for t in targets:
        cmds += [("tree", t), ("cgroup", t), ("diff", t), ("mounts", t), ("oom", t)]
    for cmd in cmds:
        on_tree = _json(*cmd, *roots)
        on_snapshot = _json(*cmd, "--from", str(archive))
        assert on_snapshot == on_tree, cmd


def test_nsview_from_env_exec_and_roots(tmp_path):
    """NSVIEW_FROM is --from; a snapshot runs no command (exec only with --dry-run); --from
    with --proc-root contradicts itself: each one line, exit 2."""
    import os

    tree = FIXTURES / "cri-containerd-systemd"
    roots = ("--proc-root", str(tree / "proc"), "--sys-root", str(tree / "sys"))
    archive = tmp_path / "n.tar.gz"
    assert _json("snapshot", "--all", "410", *roots, "-o", str(archive))[0] == 0
    env = {**os.environ, "NSVIEW_FROM": str(archive)}
    r = subprocess.run(
        [sys.executable, "-m", "nsview", "ps", "--json"], capture_output=True, text=True, env=env
    )
    assert r.returncode == 0 and json.loads(r.stdout) == _json("ps", *roots)[1]
    for argv, words in (
        (["exec", "410", "--from", str(archive), "--", "true"], "runs no command"),
        (["ps", "--from", str(archive), *roots], "not with --proc-root"),
    ):
        r = subprocess.run([sys.executable, "-m", "nsview", *argv], capture_output=True, text=True)
        assert r.returncode == 2 and words in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr


def test_a_snapshot_scans_the_hosts_containers_a_fixed_number_of_times(tmp_path, monkeypatch):
    """`snapshot --all` resolves every container and asks `oom` for each: with one host-wide
    scan per target, 100 containers at 3000 processes took 44 s (bench/README.md). The scans
    must not grow with the targets."""
    import nsview.collect.ps as ps
    from nsview.snapshot import take_snapshot

    tree = FIXTURES / "cri-containerd-systemd"
    calls: list[bool] = []
    real = ps.scan_containers

    def counted(*args, **kwargs):
        calls.append(kwargs.get("details", True))
        return real(*args, **kwargs)

    monkeypatch.setattr(ps, "scan_containers", counted)
    pids = sorted(p.name for p in (tree / "proc").iterdir() if p.name.isdigit())
    result = take_snapshot(tree / "proc", tree / "sys", pids, tmp_path / "s.tar.gz", every=True)
    assert result.members > len(pids)  # it captured the targets
    targets = sum(1 for line in result.manifest["commands"] if line["command"].startswith("resolve "))
    assert targets > 5, "enough targets that a scan per target would show"
    assert len(calls) <= 3, calls  # ps --all, ps, and the one the targets share
