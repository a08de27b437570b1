"""Reaping the child that asked a question inside a namespace (nsview/enter.py, _reap): by its
pidfd as soon as it exits, killed at the deadline if it does not."""

from __future__ import annotations

import os
import subprocess
import time

from nsview.enter import _reap, _wait_exit


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # already reaped: it is no longer our child
    return False


def test_a_child_that_exits_is_reaped_before_the_deadline():
    child = subprocess.Popen(["sleep", "0.2"])
    assert _wait_exit(child.pid, time.monotonic() + 30)
    assert _gone(child.pid)


def test_a_child_still_running_at_the_deadline_is_not_reaped_by_the_wait():
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert not _wait_exit(child.pid, time.monotonic() + 0.1)
        assert not _gone(child.pid)  # still ours, still running
    finally:
        _reap(child.pid, time.monotonic())  # past its deadline: killed and reaped
    assert _gone(child.pid)
