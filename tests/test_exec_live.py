"""`nsview exec` on real containers, against nsenter run on the same pid (a second source)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest

from tests.support import live

pytestmark = pytest.mark.live


def _nsenter(pid: int, *args: str) -> str:
    return live.run("nsenter", "-t", str(pid), *args).stdout


def _exec(nsview_cmd, *args: str) -> subprocess.CompletedProcess:
    return nsview_cmd("exec", *args)


def test_docker_by_name_matches_nsenter(docker_run, nsview_cmd):
    name = live.unique_name("nsv-exec")
    info = docker_run("--name", name, "--hostname", "exhost")
    pid = info["State"]["Pid"]
    r = _exec(nsview_cmd, name, "--uts", "--", "hostname")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout == _nsenter(pid, "-u", "--", "hostname") == "exhost\n"
    r = _exec(nsview_cmd, name, "--net", "--", "ip", "-j", "addr")
    assert json.loads(r.stdout) == json.loads(_nsenter(pid, "-n", "--", "ip", "-j", "addr"))
    # --pid --mount: the container's own pid 1, seen through its own /proc
    r = _exec(nsview_cmd, name, "--pid", "--mount", "--", "cat", "/proc/1/cmdline")
    assert r.stdout == open(f"/proc/{pid}/cmdline").read()
    # the default set keeps the host's filesystem: the host's ip binary runs in the container's net
    r = _exec(nsview_cmd, info["Id"][:12], "--", "ip", "-j", "link")
    assert [i["ifname"] for i in json.loads(r.stdout)] == ["lo"]


@pytest.mark.parametrize("code", [0, 3, 42])
def test_exit_status_passes_through(docker_run, nsview_cmd, code):
    info = docker_run()
    r = _exec(nsview_cmd, info["Id"], "--uts", "--", "sh", "-c", f"exit {code}")
    assert r.returncode == code and r.stdout == r.stderr == ""


def test_a_signal_death_passes_through(docker_run, nsview_cmd):
    info = docker_run()
    r = _exec(nsview_cmd, info["Id"], "--pid", "--", "sh", "-c", "kill -TERM $$")
    assert r.returncode == -signal.SIGTERM  # nsview died of the same signal, as the command did


def test_command_not_found_says_where(docker_run, nsview_cmd):
    info = docker_run()
    host = _exec(nsview_cmd, info["Id"], "--", "no-such-command-x")
    inside = _exec(nsview_cmd, info["Id"], "--mount", "--", "no-such-command-x")
    assert host.returncode == inside.returncode == 127
    assert "on the host" in host.stderr and "in the container's root" in inside.stderr
    assert len(inside.stderr.strip().splitlines()) == 1 and "Traceback" not in inside.stderr


def test_containerd_namespace_id(ctr_run, nsview_cmd):
    cid = f"ex-{uuid.uuid4().hex[:8]}"
    pid = ctr_run("nsvexec", cid)
    r = _exec(nsview_cmd, f"nsvexec/{cid}", "--uts", "--", "hostname")
    assert r.returncode == 0 and r.stdout == _nsenter(pid, "-u", "--", "hostname")


def test_podman_by_id_prefix_matches_nsenter(podman_run, nsview_cmd):
    info = podman_run("--hostname", "pmexec")
    pid = info["State"]["Pid"]
    r = _exec(nsview_cmd, info["Id"][:12], "--uts", "--", "hostname")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout == _nsenter(pid, "-u", "--", "hostname") == "pmexec\n"
    r = _exec(nsview_cmd, info["Id"][:12], "--pid", "--mount", "--", "cat", "/proc/1/cmdline")
    assert r.returncode == 0 and r.stdout == open(f"/proc/{pid}/cmdline").read()


def test_lxc_by_name_matches_nsenter(lxc_run, nsview_cmd):
    name, pid = lxc_run()
    r = _exec(nsview_cmd, name, "--uts", "--", "hostname")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout == _nsenter(pid, "-u", "--", "hostname")
    # LXC's init is busybox init: pid 1 in the container is the pid lxc-info reports
    r = _exec(nsview_cmd, name, "--pid", "--mount", "--", "cat", "/proc/1/cmdline")
    assert r.returncode == 0 and r.stdout == open(f"/proc/{pid}/cmdline").read()
    r = _exec(nsview_cmd, name, "--net", "--", "ip", "-j", "link")
    assert [i["ifname"] for i in json.loads(r.stdout)] == ["lo"]  # lxc.net.0.type = empty


def test_bare_unshare_group(spawn, nsview_cmd):
    live.need(live.is_root(), "unshare needs root")
    top = spawn(
        ["unshare", "--uts", "--net", "--pid", "--fork", "sh", "-c", "hostname bare-ns; exec sleep 600"]
    )
    child = live.wait_for(lambda: live.children_of(top.pid))[0]
    live.wait_comm(child, "sleep")
    r = _exec(nsview_cmd, str(child), "--uts", "--", "hostname")
    assert r.stdout == _nsenter(child, "-u", "--", "hostname") == "bare-ns\n"
    # its pid namespace: the forked command sees the group's sleep as pid 1
    r = _exec(nsview_cmd, str(child), "--pid", "--", "sh", "-c", "echo $$")
    assert r.returncode == 0 and 1 < int(r.stdout) < 50  # a pid of the new namespace (few processes)


def test_cgroup_join_puts_the_command_in_the_targets_cgroups(docker_run, nsview_cmd):
    info = docker_run("-m", "64m")
    pid = info["State"]["Pid"]
    theirs = open(f"/proc/{pid}/cgroup").read()
    r = _exec(nsview_cmd, info["Id"], "--uts", "--cgroup-join", "--", "cat", "/proc/self/cgroup")
    assert r.returncode == 0 and r.stdout == theirs


def test_dry_run_json_names_what_would_be_entered(docker_run, nsview_cmd):
    info = docker_run()
    pid = info["State"]["Pid"]
    r = _exec(nsview_cmd, info["Id"], "--all", "--dry-run", "--json", "--", "ls")
    plan = json.loads(r.stdout)
    assert plan["pid"] == pid and plan["command"] == ["ls"]
    links = live.ns_links(pid)
    own = live.ns_links(os.getpid())
    assert sorted(plan["enter"]) == sorted(t for t in links if links[t] != own.get(t))
    assert all(plan["namespaces"][t] == links[t] for t in plan["enter"])


def _start_in_own_group(args: list[str]) -> subprocess.Popen:
    # a process group of its own in the test's session (a group of a new session would be
    # orphaned, and the kernel drops Ctrl-Z's SIGTSTP for those): the test plays the terminal
    return subprocess.Popen(
        [sys.executable, "-m", "nsview", "exec", *args],
        preexec_fn=os.setpgrp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_ctrl_c_reaches_the_command_and_nsview_dies_the_same_way(docker_run):
    info = docker_run()
    p = _start_in_own_group([info["Id"], "--uts", "--", "sleep", "60"])
    try:
        sleeper = live.wait_for(lambda: [c for c in _descendants(p.pid) if _comm(c) == "sleep"])
        assert sleeper
        os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
        assert p.wait(timeout=10) == -signal.SIGINT
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def test_ctrl_z_stops_and_fg_continues(docker_run):
    info = docker_run()
    p = _start_in_own_group([info["Id"], "--uts", "--", "sh", "-c", "sleep 1; echo done"])
    try:
        os.killpg(p.pid, signal.SIGTSTP)  # Ctrl-Z
        live.wait_for(lambda: live.stat_fields(p.pid)[0] == b"T")
        os.killpg(p.pid, signal.SIGCONT)  # fg
        out, _ = p.communicate(timeout=20)
        assert p.returncode == 0 and out == b"done\n"
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = live.children_of(todo.pop())
        out += kids
        todo += kids
    return out


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""
