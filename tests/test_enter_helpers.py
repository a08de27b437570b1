"""The helpers around a question asked in a namespace (nsview/enter.py): the child is reaped by
its pidfd as soon as it exits and killed at the deadline if it does not; a question about
nsview's own namespace is asked in this process, capped as a child's answer is."""

from __future__ import annotations

import os
import subprocess
import time

from nsview import enter
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


def test_an_answer_asked_here_is_capped_and_a_failure_is_an_answer():
    assert enter._ask_here(lambda: b"x" * 10) == (enter._OK, b"x" * 10)
    assert enter._ask_here(lambda: b"x" * (enter.MAX_REPLY + 1)) == (enter._TOO_LARGE, b"")

    def broken() -> bytes:
        raise OSError("no netlink")

    assert enter._ask_here(broken) == (enter._RAISED, b"")


def test_only_nsview_s_own_namespace_is_its_own(tmp_path):
    own = os.open("/proc/self/ns/uts", os.O_RDONLY)
    init = os.open("/proc/1/ns/uts", os.O_RDONLY) if os.access("/proc/1/ns/uts", os.R_OK) else None
    fake = tmp_path / "uts"
    fake.write_text("")  # a captured tree's file is never a namespace
    other = os.open(fake, os.O_RDONLY)
    try:
        assert enter._is_own(own, "uts")
        assert not enter._is_own(own, "net")  # another type: another inode
        assert not enter._is_own(other, "uts")
        if init is not None:
            same = os.readlink("/proc/1/ns/uts") == os.readlink("/proc/self/ns/uts")
            assert enter._is_own(init, "uts") == same
    finally:
        for fd in (own, other, init):
            if fd is not None:
                os.close(fd)
