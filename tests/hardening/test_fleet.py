"""Rows 52-54 of docs/hardening.md: a hostile or odd host tree given to --host-root, the checks
that decide nsview runs in a container, and hostile text in --jsonl and --npd output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nsview.hostview import OWN_PID_NS, holds_host_tree
from tests.hardening import util
from tests.support import live
from tests.support.paths import FIXTURES

PRIV = FIXTURES / "privileges-shapes"
PRIV_ARGS = ("--proc-root", str(PRIV / "proc"), "--sys-root", str(PRIV / "sys"))
PRIVILEGED_ID = "0001" * 16  # the privileged container of privileges-shapes (pid 4100)
HOSTILE = "web\n\x1b[31mred\u202e;$(touch /tmp/x)" + util.CONTROLS


def _config(host: Path, cid: str) -> Path:
    d = host / "var" / "lib" / "docker" / "containers" / cid
    d.mkdir(parents=True, exist_ok=True)
    return d / "config.v2.json"


def test_row52_hostile_host_tree_never_hangs_or_tracebacks(nsview_cmd, tmp_path):
    host = tmp_path / "host"
    (host / "dev").mkdir(parents=True)
    os.mkfifo(host / "dev" / "kmsg")  # a FIFO where the kernel log is: must not block
    os.mkfifo(_config(host, PRIVILEGED_ID))  # and where an engine file is
    other = _config(host, "0002" * 16)
    other.symlink_to("/etc/passwd")  # a link out of the tree: read, but not JSON, not believed
    r = nsview_cmd("ps", "--json", *PRIV_ARGS, "--host-root", str(host), timeout=60)
    util.no_traceback(r)
    assert r.returncode in util.DOCUMENTED
    names = {c["id"]: c["name"] for c in json.loads(r.stdout)["containers"]}
    assert names[PRIVILEGED_ID] is None and names["0002" * 16] is None
    r = nsview_cmd("oom", "--json", "--host-root", str(host), timeout=60)
    util.no_traceback(r)
    assert r.returncode in util.DOCUMENTED
    assert json.loads(r.stdout)["source"] == "/dev/kmsg"
    # DIR that is a file, or not there: a usage error in one line
    for bad in (host / "dev" / "kmsg", tmp_path / "nowhere"):
        r = nsview_cmd("ps", "--host-root", str(bad))
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not a directory" in r.stderr


def test_row53_what_makes_a_host_tree(tmp_path):
    assert not holds_host_tree(tmp_path / "missing")
    assert not holds_host_tree(tmp_path)  # empty
    (tmp_path / "file").write_text("")
    assert not holds_host_tree(tmp_path / "file")
    for d in ("etc", "proc"):
        (tmp_path / d).mkdir()
    assert not holds_host_tree(tmp_path)  # no sys
    (tmp_path / "sys").mkdir()
    assert holds_host_tree(tmp_path)
    assert holds_host_tree(Path("/"))


@pytest.mark.live
def test_row53_a_marker_alone_changes_nothing(nsview_cmd):
    """Some sandboxes and VMs have /.dockerenv at their root (this machine may): without a host
    tree at /host, nsview reads as on the host, and says nothing about containers."""
    live.need(not Path("/host").exists(), "this machine has a /host")
    r = nsview_cmd("ps", "--json")
    assert "runs in a container" not in r.stderr and "pid namespace" not in r.stderr
    assert json.loads(r.stdout)["host_reference"]["source"].startswith(("pid 1", "nsview itself"))


@pytest.mark.live
def test_row53_own_pid_namespace_is_said_once(tmp_path):
    live.need(live.is_root(), "needs root (unshare --pid)")
    live.need(shutil.which("unshare") is not None, "needs unshare")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    r = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-m", "nsview", "ps", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    util.no_traceback(r)
    assert r.returncode == 0
    assert r.stderr.splitlines() == [f"nsview: {OWN_PID_NS}"]
    assert json.loads(r.stdout)["containers"] == []


def test_row54_hostile_names_in_jsonl_and_npd(nsview_cmd, tmp_path):
    host = tmp_path / "host"
    _config(host, PRIVILEGED_ID).write_text(json.dumps({"ID": PRIVILEGED_ID, "Name": "/" + HOSTILE}))
    args = (*PRIV_ARGS, "--host-root", str(host))
    doc = json.loads(nsview_cmd("ps", "--json", *args).stdout)["containers"]
    r = nsview_cmd("ps", "--jsonl", *args)
    util.no_traceback(r)
    lines = r.stdout.splitlines()
    assert len(lines) == len(doc)  # a newline in a name never splits a record
    assert all(line.isascii() and not util.raw_controls(line) for line in lines)
    records = {x["container"]["id"]: x["container"] for x in map(json.loads, lines)}
    assert records[PRIVILEGED_ID]["name"] == HOSTILE  # raw in JSON, as --json has it
    r = nsview_cmd("ps", "--npd", *args)
    assert r.returncode == 1 and len(r.stdout.splitlines()) == 1
    util.assert_inert(r.stdout, forced=False)
    assert "privileged container found: docker 000100010001 (web\\x0a" in r.stdout


def test_row53_pid_namespace_told_from_kthreadd_only(tmp_path):
    """A pid 2 that is no kernel thread (a container's second process) is not the host's; pid 2
    unreadable (hidepid=1) or everything hidden (hidepid=2) cannot be told, and says nothing."""
    from nsview.hostview import shares_host_pids
    from nsview.procfs import ProcFS

    assert shares_host_pids(ProcFS("/proc")) is True  # this machine's own: kthreadd is pid 2
    for pid, status in (("1", "Name:\tsh\nPPid:\t0\n"), ("2", "Name:\tsleep\nPPid:\t1\n")):
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "status").write_text(status)
    assert shares_host_pids(ProcFS(tmp_path)) is False
    (tmp_path / "2" / "status").write_text("Name:\tkthreadd\nUmask:\t0000\nState:\tS\nTgid:\t2\nPPid:\t0\n")
    assert shares_host_pids(ProcFS(tmp_path)) is True
    empty = tmp_path / "empty"
    empty.mkdir()
    assert shares_host_pids(ProcFS(empty)) is None
    if os.geteuid() != 0:
        return
    # hidepid=1 as a non-root reader would see it: the directory there, its file refused
    (tmp_path / "2" / "status").chmod(0)
    r = subprocess.run(
        ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", sys.executable, "-c",
         f"from nsview.hostview import shares_host_pids; from nsview.procfs import ProcFS; "
         f"print(shares_host_pids(ProcFS({str(tmp_path)!r})))"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )  # fmt: skip
    live.need(r.returncode == 0 or "Permission denied" not in r.stderr, r.stderr)
    assert r.stdout.strip() == "None", r.stderr
