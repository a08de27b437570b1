"""docs/hardening.md, row 30: kernel log records nsview reads for `nsview oom`: other kernels'
wordings, cut records, bytes the kernel escaped, and a log closed by kernel.dmesg_restrict."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.hardening import util
from tests.support import live
from tests.support.paths import FIXTURES

LOG = FIXTURES / "kernel-logs" / "dmesg-oom.txt"


def test_row30_dmesg_restrict_closes_the_log(run_as_nobody, unprivileged):
    restrict = Path("/proc/sys/kernel/dmesg_restrict").read_text().strip()
    live.need(restrict == "1", "needs kernel.dmesg_restrict=1")
    prefix = unprivileged[0]
    setpriv = prefix[: prefix.index("--clear-groups") + 1]
    assert subprocess.run([*setpriv, "dmesg"], capture_output=True).returncode != 0  # second source
    r = run_as_nobody("oom", "--json")
    util.no_traceback(r)
    assert r.returncode == 6, r.stdout + r.stderr  # a partial answer: the log is unreadable
    out = json.loads(r.stdout)
    assert out["kills"] == [] and "dmesg_restrict=1" in out["log_error"]
    text = run_as_nobody("oom", "--no-color")
    assert text.returncode == 6 and "kernel log not readable: permission denied" in text.stdout


@pytest.mark.parametrize(
    "content",
    [
        b"",  # an empty file
        b"\x00\xff\xfe garbage \x1b[2J\n" * 50,  # not a log at all
        LOG.read_bytes()[: len(LOG.read_bytes()) // 2],  # cut in the middle of a record
        b"6,1,2,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a\n",
    ],
    ids=["empty", "binary", "cut", "truncated-oom-line"],
)
def test_row30_odd_logs_never_traceback(nsview_cmd, tmp_path, content):
    saved = tmp_path / "kern.log"
    saved.write_bytes(content)
    for extra in ((), ("--json",)):
        r = nsview_cmd("oom", "--log", str(saved), "--no-color", *extra)
        util.no_traceback(r)
        assert r.returncode == 0, r.stderr
        assert "\x1b" not in r.stdout


def test_row30_a_log_file_that_is_not_there_is_one_line(nsview_cmd, tmp_path):
    r = nsview_cmd("oom", "--log", str(tmp_path / "missing.txt"))
    util.no_traceback(r)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1  # bad input: a usage error
    assert "cannot read --log" in r.stderr and "missing.txt: does not exist" in r.stderr
