"""docs/hardening.md, rows 1 and 23, rule 4, and the churn test: processes that vanish or are replaced at
any step give a correct partial answer or "gone", never a wrong one and never a crash."""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from nsview.errors import NoSuchProcess
from nsview.procfs import MAX_READ, ProcFS
from tests.hardening import util
from tests.support import live
from tests.support.paths import FIXTURES


@pytest.mark.live  # the last part scans the live /proc
def test_row01_pid_vanishes_mid_scan(tmp_path, nsview_cmd):
    """Dir present but files gone (the state between exit and reaping of /proc/PID)."""
    proc = tmp_path / "proc"
    shutil.copytree(FIXTURES / "docker-hybrid" / "proc", proc, symlinks=True)
    gone = proc / "9403"
    shutil.rmtree(gone)
    gone.mkdir()  # listed by /proc, but nothing inside
    assert "9403" in (proc / "9391" / "task" / "9391" / "children").read_text().split()
    r = nsview_cmd("tree", "9391", "--proc-root", str(proc), "--json")
    assert r.returncode == 0, r.stderr
    data = util.load_json(r)
    assert [c["pid"] for c in data["tree"]["children"][0]["children"][0]["children"]] == []
    assert any("exited while being read" in n for n in data["notes"])
    ps = nsview_cmd("ps", "--proc-root", str(proc), "--json")
    assert ps.returncode == 0, ps.stderr
    assert util.load_json(ps)["vanished"] == 1
    # and injected at the reader, live: one pid of the scan disappears between list and read
    from nsview.collect.ps import scan_containers

    victim = os.getpid()

    class Vanishing(ProcFS):
        def pid_stat_and_links(self, pid, links):
            if pid == victim:
                raise NoSuchProcess(pid)
            return super().pid_stat_and_links(pid, links)

    scan = scan_containers(Vanishing("/proc"), details=False)
    assert scan.vanished >= 1 and all(victim not in c.pids for c in scan.containers)


def test_row23_pid_reuse_between_lookup_and_setns(spawn):
    from nsview.enter import run_in_namespace
    from nsview.read.hostname import read_uts

    live.need(live.is_root(), "needs root to enter namespaces")
    p = spawn(["unshare", "--uts", "sleep", "3600"])
    live.wait_for(lambda: os.readlink(f"/proc/{p.pid}/ns/uts") != os.readlink("/proc/self/ns/uts"))
    start = util.starttime_of(p.pid)
    assert read_uts(ProcFS("/proc"), p.pid, starttime=start).hostname  # the pinned identity holds
    # the pid now names another process (an older start time stands for the one we looked up)
    with pytest.raises(NoSuchProcess, match="another process"):
        run_in_namespace(ProcFS("/proc"), p.pid, "uts", lambda: b"", starttime=start - 1)

    class KillAfterOpen(ProcFS):
        """The target dies right after its namespace was pinned, before it is entered."""

        def pid_open_ns(self, pid, ns_type):
            fd = super().pid_open_ns(pid, ns_type)
            os.kill(pid, signal.SIGKILL)
            p.wait()
            return fd

    with pytest.raises(NoSuchProcess):
        read_uts(KillAfterOpen("/proc"), p.pid, starttime=start)


def test_rule4_identity_is_pinned_by_start_time(tmp_path, nsview_run):
    from nsview.read.process import read_process

    # a pid whose start time changes between the first and the last read: reused, so "gone"
    class Reused(ProcFS):
        reads = 0

        def pid_read(self, pid, name, limit=1 << 22):
            data = super().pid_read(pid, name, limit)
            if name == "stat":
                Reused.reads += 1
                if Reused.reads > 1:
                    head, rest = data.rsplit(b")", 1)
                    fields = rest.split(b" ")
                    fields[20] = str(int(fields[20]) + 1).encode()  # field 22, starttime
                    data = head + b")" + b" ".join(fields)
            return data

    with pytest.raises(NoSuchProcess, match="reused"):
        read_process(Reused("/proc"), os.getpid())

    # a "parent" that started after its child: the real parent exited and its pid was reused
    proc = tmp_path / "proc"
    shutil.copytree(FIXTURES / "docker-hybrid" / "proc", proc, symlinks=True)
    stat = (proc / "9370" / "stat").read_bytes()
    head, rest = stat.rsplit(b")", 1)
    fields = rest.split(b" ")
    fields[20] = b"99999999999"
    (proc / "9370" / "stat").write_bytes(head + b")" + b" ".join(fields))
    data = util.load_json(nsview_run("tree", "9391", "--proc-root", str(proc), "--json"))
    assert data["lineage"] == [9391]
    assert any("exited while being read" in n for n in data["notes"])


_CHURN = r"""
while :; do
  for i in 1 2 3 4 5 6 7 8; do true & done
  unshare --uts true & unshare --uts true &
  wait
done
"""


def test_churn_scans_while_hundreds_of_processes_come_and_go(nsview_cmd, spawn):
    live.need(live.is_root(), "needs root (the churn unshares UTS namespaces)")
    forks_before = _forks_since_boot()
    parent = spawn(["sh", "-c", _CHURN])
    for _ in range(15):
        r = nsview_cmd("tree", str(parent.pid), "--json")
        util.no_traceback(r)
        assert r.returncode == 0, r.stderr
        data = util.load_json(r)
        pids: list[int] = []
        stack = [(data["tree"], None)]
        while stack:
            node, up = stack.pop()
            pids.append(node["pid"])
            if up is not None:
                assert node["ppid"] == up  # a child shown is a child of the node above it
            stack.extend((c, node["pid"]) for c in node["children"])
        assert len(pids) == len(set(pids)) and parent.pid in pids
        t = nsview_cmd("tree", str(parent.pid), "--no-color")
        util.no_traceback(t)
        assert t.returncode == 0
    for _ in range(3):
        r = nsview_cmd("ps", "--json")
        util.no_traceback(r)
        assert r.returncode == 0, r.stderr
        data = util.load_json(r)
        all_pids = [p for c in data["containers"] for p in c["pids"]]
        assert len(all_pids) == len(set(all_pids))  # no process in two rows
        for c in data["containers"]:
            assert c["init_pid"] in c["pids"] and c["processes"] == len(c["pids"]) >= 1
        util.no_traceback(nsview_cmd("ps", "--no-color"))
    # the churn really churned: hundreds of processes came and went during the scans
    assert parent.poll() is None
    assert _forks_since_boot() - forks_before >= 300


def _forks_since_boot() -> int:
    for line in open("/proc/stat"):
        if line.startswith("processes "):
            return int(line.split()[1])
    return 0


def test_row35_a_mount_namespace_vanishes_while_holding_scans(tmp_path):
    """The only process of a namespace exits between the scan's list and its mountinfo read: the
    namespace is skipped and counted, never an error; an explicit TARGET that exits is "gone"."""
    from nsview.collect.holding import collect_holding
    from nsview.collect.mounts import collect_mounts
    from nsview.procfs import SysFS

    fixture = FIXTURES / "mounts-shapes" / "proc"

    class Vanishing(ProcFS):
        def pid_read(self, pid, name, limit=MAX_READ):
            if pid == 4242 and name == "mountinfo":
                raise NoSuchProcess(pid)
            return super().pid_read(pid, name, limit)

    sys_ = SysFS(tmp_path / "sys")
    report = collect_holding(Vanishing(fixture), sys_, "/var/lib/docker")
    assert [h.pid for h in report.holders] == [1]  # the host still holds it; 4242 is gone
    assert any("1 mount namespace(s) vanished" in n for n in report.notes)
    assert not any("4026532900" in k for k in (report.errors or {}))
    whole = collect_holding(ProcFS(fixture), sys_, "/var/lib/docker")
    assert [h.pid for h in whole.holders] == [1, 4242]  # the same scan, nothing vanishing
    with pytest.raises(NoSuchProcess):
        collect_mounts(Vanishing(fixture), 4242)


@pytest.mark.live
def test_row35_holding_during_namespace_churn(nsview_cmd, spawn, tmp_path):
    """Hundreds of short-lived mount namespaces come and go while --holding scans."""
    live.need(live.is_root(), "needs root (unshare --mount)")
    churn = spawn(
        ["sh", "-c", "while :; do for i in 1 2 3 4 5 6 7 8; do unshare --mount true & done; wait; done"]
    )
    try:
        for _ in range(5):
            for argv in (("mounts", "--holding", str(tmp_path)), ("mounts", "--holding", "/", "--json")):
                r = nsview_cmd(*argv)
                util.no_traceback(r)
                assert r.returncode in (0, 6), r.stderr
    finally:
        live.kill_tree(churn)
