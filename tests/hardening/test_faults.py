"""Faults of nsview's own resources (docs/hardening.md, rule 3): when the helper process cannot
be forked, every answer says why, no fd leaks and no raw OSError escapes."""

from __future__ import annotations

import errno
import os

from nsview.errors import NotAvailable
from nsview.procfs import ProcFS
from nsview.read.hostname import read_uts, read_uts_each


def test_fork_failure_is_an_answer_not_a_crash(monkeypatch):
    def no_fork() -> int:
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    before = sorted(os.listdir("/proc/self/fd"))
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
