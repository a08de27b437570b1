"""`nsview tree` on the live kernel, compared with second sources: pstree -spa, psutil,
os.readlink of /proc/PID/ns/*, lsns -J, NSpid in status, docker inspect, ctr.

Every process, namespace and container here is made by the test and removed by its fixture.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.support import live
from tests.support.output import tree_nodes

pytestmark = pytest.mark.live


# ---- helpers ------------------------------------------------------------------------------
def node_of(data: dict, pid: int) -> dict:
    return next(n for n in tree_nodes(data["tree"]) if n["pid"] == pid)


def tree_json(nsview_cmd, pid: int, *args: str) -> dict:
    r = nsview_cmd("tree", str(pid), "--json", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def nspid(pid: int) -> list[int]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("NSpid:"):
            return [int(x) for x in line.split()[1:]]
    raise AssertionError("no NSpid line")


def pstree_lineage(pid: int) -> list[tuple[str, int]]:
    """(name, pid) of every line pstree -spa prints for pid: its ancestors, itself, and below."""
    out = live.run("pstree", "-spa", str(pid)).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"^[\s|`-]*(.+?),(\d+)(?:\s|$)", line)
        if m:
            rows.append((m.group(1).strip("()"), int(m.group(2))))
    return rows


def only_child(pid: int) -> int:
    kids = live.wait_for(lambda: live.children_of(pid))
    assert len(kids) == 1, kids
    return kids[0]


@pytest.fixture
def unshare_chain(spawn):
    """unshare (new uts+net ns) -> sh (new pid ns, pid 1 there) -> sleep (another uts ns)."""
    live.need(live.is_root(), "unshare needs root")
    top = spawn(["unshare", "--uts", "--net", "--pid", "--fork", "sh", "-c", "unshare --uts sleep 600; true"])
    sh = only_child(top.pid)
    live.wait_comm(sh, "sh")
    sleeper = only_child(sh)
    live.wait_comm(sleeper, "sleep")
    return top.pid, sh, sleeper


# ---- a nested namespace chain made with unshare ------------------------------------------
def test_unshare_chain_lineage_matches_pstree_and_psutil(nsview_cmd, unshare_chain):
    top, sh, sleeper = unshare_chain
    data = tree_json(nsview_cmd, sleeper)

    expected = [p.pid for p in reversed(psutil.Process(sleeper).parents())] + [sleeper]
    assert data["lineage"] == expected
    assert [pid for _, pid in pstree_lineage(sleeper)] == expected
    for name, pid in pstree_lineage(sleeper):
        assert node_of(data, pid)["name"] == name
    for pid in (os.getpid(), top, sh, sleeper):
        node = node_of(data, pid)
        proc = psutil.Process(pid)
        assert node["args"] == proc.cmdline()
        assert node["name"] == Path(f"/proc/{pid}/comm").read_text().rstrip("\n")
        assert node["ppid"] == proc.ppid()
    assert node_of(data, sleeper)["args"] == ["sleep", "600"]
    assert node_of(data, sleeper)["target"] is True


def test_unshare_chain_entered_namespaces_match_readlink_and_lsns(nsview_cmd, unshare_chain):
    top, sh, sleeper = unshare_chain
    data = tree_json(nsview_cmd, sleeper)
    chain = [top, sh, sleeper]
    links = {pid: live.ns_links(pid) for pid in [os.getpid(), *chain]}

    parent = os.getpid()
    for pid in chain:
        want = sorted(v for t, v in links[pid].items() if links[parent].get(t) not in (None, v))
        assert sorted(node_of(data, pid)["entered"]) == want, pid
        assert node_of(data, pid)["namespaces"] == links[pid]
        parent = pid
    # the kernel facts the chain was built to have: unshare(1) itself enters the new uts and
    # net namespaces; a new pid namespace only takes effect for the child it forks
    assert {r.split(":")[0] for r in node_of(data, top)["entered"]} == {"net", "uts"}
    assert [r.split(":")[0] for r in node_of(data, sh)["entered"]] == ["pid"]
    assert [r.split(":")[0] for r in node_of(data, sleeper)["entered"]] == ["uts"]

    # lsns, a second reader of the same kernel objects
    lsns = json.loads(live.run("lsns", "-J", "-p", str(sleeper), "-o", "NS,TYPE").stdout)["namespaces"]
    by_type = {row["type"]: int(row["ns"]) for row in lsns}
    for ref in node_of(data, sleeper)["namespaces"].values():
        ns_type, inode = ref.split(":[")
        if ns_type in by_type:
            assert by_type[ns_type] == int(inode.rstrip("]"))

    text = nsview_cmd("tree", str(sleeper), "--no-color").stdout
    for pid in chain:
        for ref in node_of(data, pid)["entered"]:
            assert ref in text


def test_unshare_chain_pid_in_namespace_matches_nspid(nsview_cmd, unshare_chain):
    top, sh, sleeper = unshare_chain
    data = tree_json(nsview_cmd, sleeper)
    for pid in (top, sh, sleeper):
        assert node_of(data, pid)["nspid"] == nspid(pid)
    assert node_of(data, top)["pid_in_namespace"] is None
    assert node_of(data, sh)["pid_in_namespace"] == 1  # the first process of a new pid ns
    assert node_of(data, sleeper)["pid_in_namespace"] == nspid(sleeper)[-1] == 2
    text = nsview_cmd("tree", str(sleeper), "--no-color").stdout
    assert "pid 1 in its namespace" in text and "pid 2 in its namespace" in text
    # and nothing false: no engine supervises this chain
    assert all(n["container"] is None for n in tree_nodes(data["tree"]))


# ---- real engines ---------------------------------------------------------------------------
def test_docker_container_shows_shim_namespace_and_id(nsview_cmd, docker_run):
    info = docker_run(cmd=("sh", "-c", "sleep 3600 & sleep 3600"))
    pid, cid = info["State"]["Pid"], info["Id"]
    live.wait_for(lambda: live.children_of(pid))
    data = tree_json(nsview_cmd, pid)

    init = node_of(data, pid)
    shim = node_of(data, data["lineage"][-2])
    assert shim["name"].startswith("containerd-shim")
    assert shim["args"] == psutil.Process(shim["pid"]).cmdline()
    assert shim["args"][shim["args"].index("-id") + 1] == cid
    assert shim["args"][shim["args"].index("-namespace") + 1] == "moby"
    assert init["container"]["id"] == cid
    assert init["container"]["namespace"] == "moby"
    assert init["container"]["runtime"] == "containerd"
    assert init["pid_in_namespace"] == 1 == nspid(pid)[-1]
    want = sorted(v for t, v in live.ns_links(pid).items() if live.ns_links(shim["pid"]).get(t) != v)
    assert sorted(init["entered"]) == want
    assert {"mnt", "net", "pid", "uts", "ipc"} <= {r.split(":")[0] for r in init["entered"]}

    shown = [n["pid"] for n in tree_nodes(init)][1:]
    assert sorted(shown) == sorted(c.pid for c in psutil.Process(pid).children(recursive=True))
    assert shown  # the background sleep

    text = nsview_cmd("tree", str(pid), "--no-color", "--wide").stdout
    assert f"container {cid[:12]} (containerd namespace moby)" in text
    assert f"-id {cid}" in text
    folded = nsview_cmd("tree", str(pid), "--no-color", env={"COLUMNS": "80"}).stdout
    assert f"-id {cid[:12]}…" in folded and cid not in folded  # a terminal's width: the id cut


def test_containerd_container_shows_namespace_and_id(nsview_cmd, ctr_run):
    namespace, cid = "nsview-tree", f"tree-{os.getpid()}"
    pid = ctr_run(namespace, cid)
    data = tree_json(nsview_cmd, pid)
    init = node_of(data, pid)
    assert init["container"]["namespace"] == namespace
    assert init["container"]["id"] == cid
    shim = node_of(data, init["ppid"])
    assert shim["args"] == psutil.Process(shim["pid"]).cmdline()
    assert (
        f"container {cid[:12]} (containerd namespace {namespace})"
        in nsview_cmd("tree", str(pid), "--no-color").stdout
    )


# ---- kernel threads, zombies, missing pids, threads -------------------------------------
def test_pid_2_is_shown_as_kernel_thread(nsview_cmd):
    live.need(os.path.exists("/proc/2/stat"), "no pid 2 visible (pid namespace?)")
    data = tree_json(nsview_cmd, 2, "--depth", "1")
    assert data["lineage"] == [2]
    root = data["tree"]
    assert root["name"] == psutil.Process(2).name() == "kthreadd"
    assert root["kernel_thread"] is True and root["args"] == []
    for kid in root["children"]:
        assert kid["kernel_thread"] is True and kid["ppid"] == 2
        assert kid["children"] == []  # --depth 1
    text = nsview_cmd("tree", "2", "--depth", "0", "--no-color")
    assert text.returncode == 0
    assert text.stdout.startswith("[kthreadd],2")


def test_zombie_is_shown_as_defunct(nsview_cmd, spawn):
    code = "import os,time\nif os.fork() == 0:\n    os._exit(0)\ntime.sleep(600)\n"
    parent = spawn([sys.executable, "-c", code])
    zombie = only_child(parent.pid)
    live.wait_for(lambda: psutil.Process(zombie).status() == psutil.STATUS_ZOMBIE)

    r = nsview_cmd("tree", str(zombie), "--no-color")
    assert r.returncode == 0, r.stderr
    assert f",{zombie} <defunct>" in r.stdout
    data = tree_json(nsview_cmd, zombie)
    z = node_of(data, zombie)
    assert z["zombie"] is True and z["state"] == "Z" and z["args"] == []
    # and under its parent
    data = tree_json(nsview_cmd, parent.pid)
    assert node_of(data, zombie)["zombie"] is True


def test_missing_pid_exit_3_one_line(nsview_cmd):
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    for pid in (pid_max + 1, 2**31 - 1):
        assert not os.path.exists(f"/proc/{pid}")
        r = nsview_cmd("tree", str(pid))
        assert r.returncode == 3
        assert r.stdout == ""
        assert r.stderr.count("\n") == 1 and str(pid) in r.stderr
        assert "Traceback" not in r.stderr


def test_process_that_just_exited_exit_3(nsview_cmd):
    p = subprocess.Popen(["true"])
    p.wait()
    live.need(not os.path.exists(f"/proc/{p.pid}"), "pid reused at once")
    r = nsview_cmd("tree", str(p.pid))
    assert r.returncode == 3 and "Traceback" not in r.stderr


@pytest.mark.parametrize("target", ["-5", "", "0"])
def test_bad_target_is_a_usage_error(nsview_cmd, target):
    r = nsview_cmd("tree", "--", target)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_non_numeric_depth_is_a_usage_error(nsview_cmd):
    r = nsview_cmd("tree", str(os.getpid()), "--depth", "abc")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = nsview_cmd("tree", str(os.getpid()), "--depth", "-1")
    assert r.returncode == 2


def test_unknown_name_is_not_found_not_a_traceback(nsview_cmd):
    # "abc" is a valid container name, so it is "not found" (7), not a usage error
    r = nsview_cmd("tree", "abc-no-such-container-xyz")
    assert r.returncode == 7 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


THREADED = """
import ctypes, os, threading, time
libc = ctypes.CDLL(None, use_errno=True)
def worker():
    libc.unshare(0x04000000)  # CLONE_NEWUTS, this thread only
    time.sleep(600)
threading.Thread(target=worker, daemon=True).start()
time.sleep(600)
"""


def test_thread_in_other_namespace_and_tid_target(nsview_cmd, spawn):
    live.need(live.is_root(), "unshare(CLONE_NEWUTS) needs root")
    p = spawn([sys.executable, "-c", THREADED])
    tids = live.wait_for(lambda: [int(t) for t in os.listdir(f"/proc/{p.pid}/task") if int(t) != p.pid])
    tid = tids[0]
    live.wait_for(
        lambda: os.readlink(f"/proc/{p.pid}/task/{tid}/ns/uts") != os.readlink(f"/proc/{p.pid}/ns/uts")
    )

    data = tree_json(nsview_cmd, p.pid)
    node = node_of(data, p.pid)
    assert node["threads_in_other_namespaces"] == [
        {"tid": tid, "namespaces": [os.readlink(f"/proc/{p.pid}/task/{tid}/ns/uts")]}
    ]
    assert node["namespaces"]["uts"] == os.readlink(f"/proc/{p.pid}/ns/uts")
    text = nsview_cmd("tree", str(p.pid), "--no-color").stdout
    assert f"thread {tid} is elsewhere: {os.readlink(f'/proc/{p.pid}/task/{tid}/ns/uts')}" in text

    # a TID is not a process: /proc/TID exists (unlisted), Tgid says whose thread it is
    assert str(tid) not in os.listdir("/proc")
    r = nsview_cmd("tree", str(tid))
    assert r.returncode == 2
    assert f"thread of process {p.pid}" in r.stderr and r.stderr.count("\n") == 1


# ---- descendants and --depth ------------------------------------------------------------
def test_descendants_all_levels_and_depth(nsview_cmd, spawn):
    top = spawn(["sh", "-c", 'sh -c "sh -c \\"sleep 600; true\\"; true" & sleep 600; true'])
    live.wait_for(lambda: len(psutil.Process(top.pid).children(recursive=True)) == 4)
    want = {c.pid for c in psutil.Process(top.pid).children(recursive=True)}

    data = tree_json(nsview_cmd, top.pid)
    target = node_of(data, top.pid)
    assert {n["pid"] for n in tree_nodes(target)} - {top.pid} == want
    for n in tree_nodes(target):
        for c in n["children"]:
            assert psutil.Process(c["pid"]).ppid() == n["pid"]

    d1 = node_of(tree_json(nsview_cmd, top.pid, "--depth", "1"), top.pid)
    assert {c["pid"] for c in d1["children"]} == {c.pid for c in psutil.Process(top.pid).children()}
    assert all(c["children"] == [] for c in d1["children"])
    assert sum(c["children_elided"] for c in d1["children"]) == 1  # the nested sh

    d0 = node_of(tree_json(nsview_cmd, top.pid, "--depth", "0"), top.pid)
    assert d0["children"] == [] and d0["children_elided"] == 2
    assert (
        "2 child(ren) not shown (--depth)" in nsview_cmd("tree", str(top.pid), "-d", "0", "--no-color").stdout
    )


# ---- hostile names (docs/hardening.md, rule 1, row 21) ---------------------------------------------
HOSTILE_COMM = "\x1b[2J[red]x"
HOSTILE_ARGS = ["[/bold]", "[link=http://x]", "\x1b]0;t\x07", "bell\x07", ":smile:", "\u202eevil"]
HOSTILE = f"""
import ctypes, time
ctypes.CDLL(None).prctl(15, {HOSTILE_COMM.encode()!r}, 0, 0, 0)  # PR_SET_NAME
time.sleep(600)
"""


@pytest.fixture
def hostile(spawn):
    p = spawn([sys.executable, "-c", HOSTILE, *HOSTILE_ARGS])
    live.wait_comm(p.pid, HOSTILE_COMM)
    return p.pid


@pytest.mark.parametrize("env", [{}, {"FORCE_COLOR": "1", "TERM": "xterm-256color"}], ids=["plain", "colour"])
def test_hostile_names_render_inert(nsview_cmd, hostile, env):
    args = ["tree", str(hostile), "--wide"] + ([] if env else ["--no-color"])
    r = nsview_cmd(*args, env=env)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "\x07" not in out and "\x9b" not in out and "\u202e" not in out
    assert "\x1b[2J" not in out and "\x1b]" not in out
    if not env:
        assert "\x1b" not in out
    assert "\\x1b[2J[red]x" in out  # the comm, literal and visible
    for literal in ("[/bold]", "[link=http://x]", "\\x1b]0;t\\x07", "bell\\x07", ":smile:", "\\u{202e}evil"):
        assert literal in out


def test_hostile_names_json_keeps_raw_values(nsview_cmd, hostile):
    r = nsview_cmd("tree", str(hostile), "--json")
    assert r.returncode == 0
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout  # JSON-escaped on the wire
    node = node_of(json.loads(r.stdout), hostile)
    assert node["name"] == HOSTILE_COMM
    assert node["args"][-len(HOSTILE_ARGS) :] == HOSTILE_ARGS
    assert node["args"] == psutil.Process(hostile).cmdline()


def test_unshare_below_an_unreadable_root_still_shows_what_it_entered(nsview_cmd):
    """An `unshare` reparented to pid 1: when pid 1's namespaces cannot be read (as on hosts
    whose sandbox refuses even root), the change is measured against nsview's own namespaces
    (the host reference), never silently dropped."""
    live.need(live.is_root(), "needs root")
    marker = str(5000 + os.getpid() % 1000)  # a sleep length nothing else uses
    subprocess.run(["setsid", "-f", "unshare", "--uts", "--net", "--fork", "sleep", marker], check=True)
    top = live.wait_for(
        lambda: next(
            (
                p.pid
                for p in psutil.process_iter(["cmdline"])
                if p.info["cmdline"] == ["unshare", "--uts", "--net", "--fork", "sleep", marker]
            ),
            None,
        )
    )
    try:
        data = tree_json(nsview_cmd, top)
        assert data["lineage"][-2] == psutil.Process(top).ppid()
        mine, theirs = live.ns_links(os.getpid()), live.ns_links(top)
        want = sorted(v for t, v in theirs.items() if mine.get(t) != v)
        assert sorted(node_of(data, top)["entered"]) == want
        assert {r.split(":")[0] for r in want} == {"net", "uts"}
    finally:
        procs = [psutil.Process(top), *psutil.Process(top).children(recursive=True)]
        for p in procs:
            p.kill()
        psutil.wait_procs(procs, timeout=5)
