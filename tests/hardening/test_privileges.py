"""docs/hardening.md, rows 40-42: the Privileges section of `nsview diff` and the PRIVILEGES
column of `nsview ps` against hostile LSM labels, a process that exits (or is replaced) between
the files they read, and a reader who is not root."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nsview.errors import NoSuchProcess
from nsview.procfs import MAX_READ, ProcFS, SysFS
from tests.hardening import util
from tests.support import live
from tests.support.paths import FIXTURES

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import make_privileges_fixture as gen

TREE = FIXTURES / "privileges-shapes"
HOSTILE_LABEL = "evil\x1b]0;pwned\x07[/bold][link=http://x]\u202e\x1b[2J"


def _roots(tree: Path) -> tuple[str, ...]:
    return ("--proc-root", str(tree / "proc"), "--sys-root", str(tree / "sys"))


@pytest.mark.parametrize("command", ["diff", "ps"])
def test_row40_hostile_lsm_label_prints_inert(nsview_cmd, command):
    argv = [command, *([str(gen.HOSTILE)] if command == "diff" else []), *_roots(TREE)]
    for mode, r in util.run_modes(nsview_cmd, argv):
        util.no_traceback(r)
        assert r.returncode in (0, 6), r.stderr
        util.assert_inert(r.stdout, forced=mode == "forced")
        if command == "diff":
            assert "\\x1b]0;pwned\\x07" in r.stdout and "\\u{202e}" in r.stdout
            util.assert_literal(r.stdout, ("[/bold][link=http://x]",))
    j = nsview_cmd(*argv, "--json")
    data = json.loads(j.stdout)
    if command == "diff":
        assert data["sections"]["privileges"]["target"]["lsm"]["label"] == HOSTILE_LABEL  # JSON: raw
    else:
        [row] = [c for c in data["containers"] if c["init_pid"] == gen.HOSTILE]
        assert row["privileges"]["lsm"]["label"] == HOSTILE_LABEL


@pytest.mark.parametrize(
    "attr, why",
    [
        (b"first\nsecond\n", "more than one line"),
        (b"x" * 10000, None),  # longer than a page: capped, read, never more than 4096 bytes
        (b"", None),
        (b"\xff\xfe (enforce)\n", None),  # invalid UTF-8: backslash-escaped
    ],
    ids=["two-lines", "huge", "empty", "invalid-utf8"],
)
def test_row40_odd_attr_current_is_one_item(tmp_path, nsview_cmd, attr, why):
    tree = tmp_path / "t"
    gen.write(tree)
    (tree / "proc" / str(gen.HOSTILE) / "attr" / "current").write_bytes(attr)
    r = nsview_cmd("diff", str(gen.HOSTILE), "--json", *_roots(tree))
    util.no_traceback(r)
    priv = json.loads(r.stdout)["sections"]["privileges"]["target"]
    if why:
        assert priv["lsm"] is None and why in priv["errors"]["lsm"]
        assert priv["summary"].endswith("partial")
    else:
        assert priv["lsm"] is not None and "lsm" not in priv["errors"]
        assert len(priv["lsm"]["label"] or "") <= 4096 * 4  # at most a page, escaped
    assert priv["capabilities"] is not None  # the other items still show
    t = nsview_cmd("diff", str(gen.HOSTILE), "--no-color", *_roots(tree))
    util.no_traceback(t)
    util.assert_inert(t.stdout, forced=False)


def test_row41_process_exits_between_status_and_attr():
    """status read, then the process is gone: the whole Privileges reading is "process exited",
    never status of one process and the label of none (or of the next owner of the pid)."""
    from nsview.collect.diff import collect_diff
    from nsview.collect.privileges import collect_privileges, host_context

    class Vanishing(ProcFS):
        """The target exits right after its LSM label is read (status was read before it)."""

        gone = False

        def pid_read_attr(self, pid, name, limit=4096):
            data = super().pid_read_attr(pid, name, limit)
            if pid == gen.HOSTILE:
                self.gone = True
            return data

        def pid_read(self, pid, name, limit=MAX_READ):
            if pid == gen.HOSTILE and self.gone:
                raise NoSuchProcess(pid)
            return super().pid_read(pid, name, limit)

        def pid_readlink(self, pid, name):
            if pid == gen.HOSTILE and self.gone:
                raise NoSuchProcess(pid)
            return super().pid_readlink(pid, name)

        def pid_exists(self, pid):
            return not (pid == gen.HOSTILE and self.gone) and super().pid_exists(pid)

    proc, sys_ = Vanishing(TREE / "proc"), SysFS(TREE / "sys")
    with pytest.raises(NoSuchProcess, match="exited while its privileges were read"):
        collect_privileges(proc, sys_, gen.HOSTILE, host_context(proc))
    # in a diff the section says so, the others still show
    proc = Vanishing(TREE / "proc")
    c = collect_diff(proc, sys_, gen.HOSTILE)
    assert c.privileges is not None and c.privileges.target.error == "process exited"
    assert c.partial


def test_row41_pid_reused_between_reads():
    """The start time changes between the first and the last read: another process now has the
    pid, and nothing read meanwhile is reported as the target's."""
    from nsview.collect.privileges import collect_privileges, host_context

    class Reused(ProcFS):
        stats = 0

        def pid_read(self, pid, name, limit=MAX_READ):
            data = super().pid_read(pid, name, limit)
            if pid == gen.HOSTILE and name == "stat":
                self.stats += 1
                if self.stats > 1:  # the second look: a new process with a later start time
                    data = data.replace(b" %d " % (gen.HOSTILE * 10), b" %d " % (gen.HOSTILE * 10 + 1))
            return data

    proc = Reused(TREE / "proc")
    with pytest.raises(NoSuchProcess, match="pid was reused"):
        collect_privileges(proc, SysFS(TREE / "sys"), gen.HOSTILE, host_context(ProcFS(TREE / "proc")))


@pytest.mark.live
def test_row41_live_exits_while_ps_reads(nsview_cmd, spawn):
    """Short-lived user-namespaced groups come and go while ps reads their privileges."""
    live.need(live.is_root() and shutil.which("unshare") is not None, "needs root and unshare")
    churn = spawn(
        [
            "sh",
            "-c",
            "while :; do for i in 1 2 3 4 5 6; do unshare --user --map-root-user true & done; wait; done",
        ]
    )
    try:
        for _ in range(5):
            r = nsview_cmd("ps", "--json")
            util.no_traceback(r)
            assert r.returncode == 0, r.stderr
            for c in json.loads(r.stdout)["containers"]:
                assert c["privileges"] is not None or c["errors"].get("privileges") == "process exited"
    finally:
        live.kill_tree(churn)


def test_row42_unreadable_items_say_why(tmp_path, nsview_cmd):
    """Files a restrictive LSM or a non-root reader cannot open: each item is "not available"
    with its reason, the summary never says "default" for what it could not see."""
    tree = tmp_path / "t"
    gen.write(tree)
    d = tree / "proc" / str(gen.SELINUX)
    for name in ("status", "uid_map"):
        (d / name).unlink()
    shutil.rmtree(d / "attr")
    r = nsview_cmd("diff", str(gen.SELINUX), "--json", *_roots(tree))
    util.no_traceback(r)
    assert r.returncode == 6
    priv = json.loads(r.stdout)["sections"]["privileges"]["target"]
    assert priv["capabilities"] is None and priv["summary"].startswith("caps unknown")
    assert set(priv["errors"]) >= {"status", "lsm", "user"}
    assert priv["devices"] is not None and priv["mounts"] is not None  # what could be read shows
    t = nsview_cmd("diff", str(gen.SELINUX), "--no-color", *_roots(tree))
    assert "not available: does not exist" in t.stdout.split("\nPrivileges")[1]


@pytest.mark.live
def test_row42_non_root_reader(docker_run, run_as_nobody, unprivileged):
    """As nobody: status and attr/current of root's container are world-readable, its ns links
    and uid_map are not (ptrace access): those items say "permission denied", exit 6."""
    info = docker_run("--cap-add", "SYS_ADMIN")
    pid = info["State"]["Pid"]
    setpriv = unprivileged[0][: unprivileged[0].index("--clear-groups") + 1]
    can_ns = (
        subprocess.run([*setpriv, "readlink", f"/proc/{pid}/ns/net"], capture_output=True).returncode == 0
    )
    assert not can_ns  # second source: nobody is refused the link
    r = run_as_nobody("diff", str(pid), "--json")
    util.no_traceback(r)
    assert r.returncode == 6, r.stderr
    priv = json.loads(r.stdout)["sections"]["privileges"]["target"]
    status = open(f"/proc/{pid}/status").read()
    assert priv["capabilities"]["masks"]["CapBnd"] in status  # world-readable: shown
    assert "SYS_ADMIN" in priv["capabilities"]["added"]
    assert priv["errors"]["shared_namespaces"] == "permission denied"
    assert priv["shared_namespaces"] is None and priv["summary"].endswith("partial")
    t = run_as_nobody("diff", str(pid), "--no-color")
    util.no_traceback(t)
    assert "not available: permission denied" in t.stdout.split("\nPrivileges")[1]
    p = run_as_nobody("ps", "--json")
    util.no_traceback(p)
    assert p.returncode == 0
