"""docs/hardening.md, row 28 and row 8 for `nsview exec`: a process replaced between resolving
TARGET and entering it is refused and nothing runs; without root, one line; odd input, one line."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import replace

import pytest

from nsview.collect.exec import plan_exec, run_exec
from nsview.errors import NoSuchProcess
from nsview.procfs import ProcFS, SysFS
from nsview.read.process import read_stat
from tests.hardening import util
from tests.support import live


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "namespace-fds"])
def test_row28_target_killed_between_resolution_and_entry_runs_nothing(spawn, tmp_path, pidfd):
    live.need(live.is_root(), "needs root")
    p = spawn(["unshare", "--uts", "sleep", "600"])
    live.wait_comm(p.pid, "sleep")
    proc = ProcFS("/proc")
    marker = tmp_path / "ran"
    plan = plan_exec(proc, p.pid, f"pid {p.pid}", ("touch", str(marker)), wanted=("uts",))
    os.kill(p.pid, signal.SIGKILL)  # the injected pause: between resolution and entry
    p.wait()
    with pytest.raises(NoSuchProcess):
        run_exec(proc, SysFS("/sys"), plan, pidfd=pidfd)
    assert not marker.exists()


def test_row28_a_reused_pid_is_refused(spawn, tmp_path):
    """A pid whose start time is not the one resolved is another process: never entered. (The
    same check guards both methods; the pid is made 'reused' by resolving an older start time.)"""
    live.need(live.is_root(), "needs root")
    p = spawn(["unshare", "--uts", "sleep", "600"])
    live.wait_comm(p.pid, "sleep")
    proc = ProcFS("/proc")
    marker = tmp_path / "ran"
    plan = plan_exec(proc, p.pid, f"pid {p.pid}", ("touch", str(marker)), wanted=("uts",))
    older = replace(plan, starttime=read_stat(proc, p.pid).starttime - 1)
    for pidfd in (True, False):
        with pytest.raises(NoSuchProcess, match="another process"):
            run_exec(proc, SysFS("/sys"), older, pidfd=pidfd)
    assert not marker.exists()
    assert run_exec(proc, SysFS("/sys"), plan) == 0 and marker.exists()  # the real one still works


def test_row08_non_root_is_one_line_permission_denied(spawn, run_as_nobody):
    p = spawn(["unshare", "--uts", "sleep", "600"])
    live.wait_comm(p.pid, "sleep")
    r = run_as_nobody("exec", str(p.pid), "--uts", "--", "hostname")
    util.no_traceback(r)
    assert r.returncode == 4, r.stderr  # ExitCode.ACCESS_DENIED
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1 and "permission denied" in r.stderr


@pytest.mark.parametrize(
    "argv, code",
    [
        (["exec", "{pid}", "--uts"], 2),  # no command
        (["exec", "{pid}", "--uts", "--json", "--", "true"], 2),  # --json without --dry-run
        (["exec", "no-such-container-xyz", "--", "true"], 7),
        (["exec", "4194301", "--", "true"], 3),
        (["exec", "{pid}", "--cgroup", "--", "true"], 2),  # shares nsview's cgroup ns: nothing to enter
    ],
    ids=["no-command", "json-without-dry-run", "unknown-name", "no-such-pid", "nothing-to-enter"],
)
def test_odd_exec_input_is_one_line(spawn, nsview_cmd, argv, code):
    live.need(live.is_root(), "needs root")
    p = spawn(["unshare", "--uts", "sleep", "600"])
    live.wait_comm(p.pid, "sleep")
    r = nsview_cmd(*(a.format(pid=p.pid) for a in argv))
    util.no_traceback(r)
    assert r.returncode == code, r.stderr
    if "--json" in argv:  # errors are JSON too, with the same code
        assert json.loads(r.stdout)["error"]["exit_code"] == code
    else:
        assert len(r.stderr.strip().splitlines()) == 1
