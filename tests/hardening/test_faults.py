"""Faults of nsview's own resources (docs/hardening.md, rule 3): when the helper process cannot
be forked, every answer says why, no fd leaks and no raw OSError escapes; one answer too large
to keep costs only that answer."""

from __future__ import annotations

import errno
import os

import pytest

from nsview.errors import NotAvailable
from nsview.procfs import ProcFS
from nsview.read.hostname import read_uts, read_uts_each
from tests.support import live


def test_fork_failure_is_an_answer_not_a_crash(monkeypatch):
    def no_fork() -> int:
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    from nsview import enter

    before = sorted(os.listdir("/proc/self/fd"))
    # nsview's own namespace is asked without a child (enter._is_own): the helper's path, as
    # for any other namespace, is the one under test
    monkeypatch.setattr(enter, "_is_own", lambda fd, ns_type: False)
    monkeypatch.setattr(os, "fork", no_fork)
    answers = read_uts_each(ProcFS("/proc"), [(os.getpid(), None), (os.getpid(), None)])
    assert len(answers) == 2
    assert all(isinstance(a, NotAvailable) and "cannot fork" in a.why for a in answers)
    try:
        read_uts(ProcFS("/proc"), os.getpid())
    except NotAvailable as err:
        assert "cannot fork" in err.why
    else:
        raise AssertionError("read_uts answered without a helper process")
    monkeypatch.undo()
    assert sorted(os.listdir("/proc/self/fd")) == before  # the pipe and the pinned fds are closed


@pytest.mark.live
def test_one_oversized_answer_is_dropped_alone(monkeypatch):
    """A runaway answer (a huge table from one namespace) is dropped as it streams past: the
    answers before and after it in the same batch still arrive."""
    from nsview import enter

    live.need(live.is_root(), "needs root to enter a namespace, even its own")
    monkeypatch.setattr(enter, "MAX_REPLY", 1000)
    monkeypatch.setattr(enter, "_is_own", lambda fd, ns_type: False)  # through the child
    calls = [0]

    def question() -> bytes:  # runs in the one child, once per target, in order
        calls[0] += 1
        return b"%d" % calls[0] * (70_000 if calls[0] == 2 else 3)  # the 2nd spans several reads

    me = (os.getpid(), None)
    answers = enter.run_in_each_namespace(ProcFS("/proc"), [me, me, me], "uts", question)
    assert answers[0] == b"111" and answers[2] == b"333"
    assert isinstance(answers[1], NotAvailable) and "too large" in answers[1].why
