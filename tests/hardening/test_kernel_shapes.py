"""docs/hardening.md, rows about what the kernel (or a snapshot) can show: zombies, kernel threads, TIDs,
per-thread namespaces, mountinfo shapes, overlay options, cgroup layouts and values, big numbers,
no /proc at all. Live where this machine can make the shape, fixture where it cannot."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from nsview.model.process import PF_KTHREAD
from tests.hardening import util
from tests.support import live
from tests.support.mounts import assert_same_as_findmnt
from tests.support.output import tree_nodes
from tests.support.paths import FIXTURES, tree_roots

# ---- row 2: zombies --------------------------------------------------------------------------


def test_row02_zombie_shows_defunct_and_na_namespaces(nsview_cmd, spawn):
    p, zombie = live.zombie(spawn)
    assert Path(f"/proc/{zombie}/cmdline").read_bytes() == b""  # empty, like a kernel thread's
    with pytest.raises(OSError):
        Path(f"/proc/{zombie}/mountinfo").read_bytes()  # EINVAL for a zombie

    data = util.load_json(nsview_cmd("tree", str(p.pid), "--json"))
    (kid,) = [n for n in tree_nodes(data["tree"]) if n["pid"] == zombie]
    assert kid["zombie"] is True and kid["state"] == "Z" and kid["kernel_thread"] is False
    assert kid["namespaces"] == {} and "zombie" in kid["errors"]["namespaces"]
    text = nsview_cmd("tree", str(p.pid), "--no-color")
    assert text.returncode == 0 and f",{zombie} <defunct>" in text.stdout

    # as a target: every command answers what it can, nothing crashes
    t = nsview_cmd("tree", str(zombie), "--json")
    assert t.returncode == 0 and util.target_node(util.load_json(t)["tree"])["zombie"] is True
    d = nsview_cmd("diff", str(zombie), "--json")
    util.no_traceback(d)
    assert d.returncode == 6
    sections = util.load_json(d)["sections"]
    assert "zombie" in sections["uts"]["errors"]["target"]
    assert "zombie" in sections["mounts"]["errors"]["target"]
    c = nsview_cmd("cgroup", str(zombie), "--json")
    util.no_traceback(c)
    assert c.returncode in (0, 3, 6), c.stderr
    m = nsview_cmd("mounts", str(zombie))  # a zombie has no mount table left: one line, exit 3
    assert m.returncode == 3 and m.stderr == f"nsview: process {zombie} is a zombie (<defunct>)\n"
    held = nsview_cmd("mounts", "--holding", "/", "--json")  # and a scan passes over it
    util.no_traceback(held)
    assert held.returncode in (0, 6) and zombie not in [h["pid"] for h in util.load_json(held)["holders"]]
    util.no_traceback(nsview_cmd("ps"))


# ---- row 3: kernel threads -------------------------------------------------------------------


@pytest.mark.live
def test_row03_kernel_threads_classified_by_pf_kthread(nsview_cmd):
    stat2 = Path("/proc/2/stat")
    live.need(stat2.exists() and b"(kthreadd)" in stat2.read_bytes(), "needs kthreadd as pid 2")
    r = nsview_cmd("tree", "2", "--depth", "1", "--json")
    assert r.returncode == 0, r.stderr
    nodes = list(tree_nodes(util.load_json(r)["tree"]))
    assert len(nodes) > 1
    checked = 0
    for n in nodes:
        try:
            flags = int(live.stat_fields(n["pid"])[6])
        except FileNotFoundError:
            continue  # a kworker that exited since
        assert n["kernel_thread"] is bool(flags & PF_KTHREAD) is True
        assert n["args"] == []  # empty cmdline...
        checked += 1
    assert checked > 1
    # ...but an empty cmdline alone is not a kernel thread (row 2's zombie has one too)
    text = nsview_cmd("tree", "2", "--depth", "1", "--no-color").stdout
    assert "[kthreadd],2" in text
    assert any(f"[{n['name']}],{n['pid']}" in text for n in nodes[1:])


# ---- row 6: a TID as TARGET ------------------------------------------------------------------

_THREADED = (
    "import threading, time, os\n"
    "ev = threading.Event()\n"
    "def run():\n    print(threading.get_native_id(), flush=True); ev.wait()\n"
    "threading.Thread(target=run, daemon=True).start()\n"
    "time.sleep(3600)\n"
)


@pytest.mark.live
@pytest.mark.parametrize("command", ["tree", "cgroup", "diff"])
def test_row06_tid_given_instead_of_pid(command, nsview_cmd):
    p = util.start_python(_THREADED, ready=False)
    try:
        tid = int(p.stdout.readline())
        assert tid != p.pid and str(tid) not in os.listdir("/proc")  # not listed...
        assert Path(f"/proc/{tid}/status").exists()  # ...but reachable
        status = Path(f"/proc/{tid}/status").read_text()
        assert f"Tgid:\t{p.pid}\n" in status
        for json_flag in ((), ("--json",)):
            r = nsview_cmd(command, str(tid), *json_flag)
            util.no_traceback(r)
            assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
            said = r.stdout if json_flag else r.stderr
            assert f"thread of process {p.pid}" in said
    finally:
        live.kill_tree(p)


# ---- row 7: a thread in other namespaces than its leader -------------------------------------

_UNSHARING_THREAD = (
    "import ctypes, threading, time\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "def run():\n"
    "    assert libc.unshare(0x04000000) == 0, ctypes.get_errno()\n"
    "    print(threading.get_native_id(), flush=True); time.sleep(3600)\n"
    "threading.Thread(target=run, daemon=True).start()\n"
    "time.sleep(3600)\n"
)


@pytest.mark.live
def test_row07_thread_in_other_namespace_than_leader(nsview_cmd):
    live.need(live.is_root(), "needs root to unshare(CLONE_NEWUTS)")
    p = util.start_python(_UNSHARING_THREAD, ready=False)
    try:
        tid = int(p.stdout.readline())
        leader = os.readlink(f"/proc/{p.pid}/ns/uts")
        thread = os.readlink(f"/proc/{p.pid}/task/{tid}/ns/uts")
        assert leader != thread
        node = util.target_node(util.load_json(nsview_cmd("tree", str(p.pid), "--json"))["tree"])
        assert node["namespaces"]["uts"] == leader
        assert node["threads_in_other_namespaces"] == [{"tid": tid, "namespaces": [thread]}]
        text = nsview_cmd("tree", str(p.pid), "--no-color").stdout
        assert f"thread {tid} is elsewhere: {thread}" in text
    finally:
        live.kill_tree(p)


# ---- rows 12-15: mountinfo shapes, made in a private mount namespace -------------------------

_MOUNT_ZOO = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
def mount(src, dst, fstype, flags=0, data=b""):
    assert libc.mount(os.fsencode(src), os.fsencode(dst), fstype, flags, data) == 0, (dst, ctypes.get_errno())
MS_BIND, MS_SHARED, MS_UNBINDABLE, MS_PRIVATE = 4096, 1 << 20, 1 << 17, 1 << 18
base = sys.argv[1]
names = ["\\040x", "a b", "t\tab", "nl\nx", "back\\slash", "shared", "unbind", "empty"]
for n in names:
    os.makedirs(os.path.join(base, n))
src = os.path.join(base, "src"); os.makedirs(src)
mount("nsview-src", src, b"tmpfs")
for n in names[:5]:
    mount(src, os.path.join(base, n), b"", MS_BIND)
mount("zoo", os.path.join(base, "shared"), b"tmpfs"); mount("", os.path.join(base, "shared"), b"", MS_SHARED)
mount("zoo", os.path.join(base, "unbind"), b"tmpfs"); mount("", os.path.join(base, "unbind"), b"", MS_UNBINDABLE)
mount("", os.path.join(base, "empty"), b"tmpfs")          # an empty source: "- tmpfs  rw"
# an overlay with a ":" and a "," escaped in a lower dir, and a docker-style relative one
ov = os.path.join(base, "ov"); os.makedirs(ov)
for d in ("lo:wer,1", "lower2", "up", "work", "merged"):
    os.makedirs(os.path.join(ov, d))
mount("overlay", os.path.join(ov, "merged"), b"overlay", 0,
      ("lowerdir=%s:%s,upperdir=%s,workdir=%s" % (
          os.path.join(ov, "lo\\:wer\\,1"), os.path.join(ov, "lower2"),
          os.path.join(ov, "up"), os.path.join(ov, "work"))).encode())
root = os.path.join(base, "o2")  # <data-root>: l/SHORT -> ../<layer>/diff, as overlay2 lays it out
for layer in ("layer1", "layer2", "cid"):
    os.makedirs(os.path.join(root, layer, "diff"))
os.makedirs(os.path.join(root, "cid", "work")); os.makedirs(os.path.join(root, "cid", "merged")); os.makedirs(os.path.join(root, "l"))
os.symlink("../layer1/diff", os.path.join(root, "l", "AAAAAAAAAAAAAAAAAAAAAAAAA1"))
os.symlink("../layer2/diff", os.path.join(root, "l", "AAAAAAAAAAAAAAAAAAAAAAAAA2"))
os.chdir(root)
mount("overlay", "cid/merged", b"overlay", 0,
      b"lowerdir=l/AAAAAAAAAAAAAAAAAAAAAAAAA1:l/AAAAAAAAAAAAAAAAAAAAAAAAA2,upperdir=cid/diff,workdir=cid/work")
os.chdir("/")
print("ready", flush=True)
time.sleep(3600)
"""


@pytest.fixture(scope="module")
def mount_zoo():
    live.need(live.is_root(), "needs root (unshare --mount, mount)")
    base = Path(tempfile.mkdtemp(prefix="nsview-zoo-"))
    p = util.start_python(_MOUNT_ZOO, str(base), prefix=("unshare", "--mount", "--propagation", "private"))
    try:
        yield p.pid, base
    finally:
        live.kill_tree(p)
        subprocess.run(["rm", "-rf", "--one-file-system", str(base)], check=False)


def _findmnt(pid: int) -> list[dict]:
    out = subprocess.run(
        ["findmnt", "-J", "-N", str(pid), "-l", "-o", "ID,TARGET,SOURCE,FSTYPE,PROPAGATION"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)["filesystems"]


def _nsview_mounts(pid: int):
    from nsview.procfs import ProcFS
    from nsview.read.process import read_mountinfo

    return read_mountinfo(ProcFS("/proc"), pid)


@pytest.mark.live
def test_row12_mountinfo_octal_escapes_decoded_once(mount_zoo, nsview_cmd):
    pid, base = mount_zoo
    raw = Path(f"/proc/{pid}/mountinfo").read_bytes()
    assert b"\\134040x" in raw and b"a\\040b" in raw and b"t\\011ab" in raw and b"nl\\012x" in raw
    targets = {m.target for m in _nsview_mounts(pid)}
    for name in ("\\040x", "a b", "t\tab", "nl\nx", "back\\slash"):
        assert str(base / name) in targets, name
    by_id = {m.mount_id: m.target for m in _nsview_mounts(pid)}
    # findmnt (libmount) decodes the same escapes: same targets, mount by mount
    for fm in _findmnt(pid):
        if fm["target"].startswith(str(base)):
            assert by_id[int(fm["id"])] == fm["target"]
    data = util.load_json(nsview_cmd("diff", str(pid), "--json"))
    only = {m["target"] for m in data["sections"]["mounts"]["target"]["only_here"]}
    assert str(base / "\\040x") in only and str(base / "nl\nx") in only
    for mode, r in util.run_modes(nsview_cmd, ["diff", str(pid)]):
        util.assert_inert(r.stdout, forced=mode == "forced")


@pytest.mark.live
def test_row13_optional_fields_shared_master_unbindable(mount_zoo):
    pid, base = mount_zoo
    mounts = {m.mount_id: m for m in _nsview_mounts(pid)}
    seen = 0
    for fm in _findmnt(pid):
        m = mounts[int(fm["id"])]
        assert m.target == fm["target"] and m.fstype == fm["fstype"]
        prop = fm["propagation"] or ""
        assert ("shared" in prop) == any(o.startswith("shared:") for o in m.optional)
        assert ("unbindable" in prop) == ("unbindable" in m.optional)
        seen += 1
    assert seen == len(mounts)
    assert any(o.startswith("shared:") for o in mounts_by_target(mounts, base / "shared").optional)
    assert "unbindable" in mounts_by_target(mounts, base / "unbind").optional


def mounts_by_target(mounts, path):
    (m,) = [m for m in mounts.values() if m.target == str(path)]
    return m


@pytest.mark.live
def test_row14_empty_mount_source(mount_zoo, nsview_cmd):
    pid, base = mount_zoo
    line = [
        ln
        for ln in Path(f"/proc/{pid}/mountinfo").read_bytes().split(b"\n")
        if f" {base}/empty ".encode() in ln
    ]
    assert len(line) == 1 and b" - tmpfs  rw" in line[0]  # the kernel's double space
    m = mounts_by_target({m.mount_id: m for m in _nsview_mounts(pid)}, base / "empty")
    assert m.source == "" and m.fstype == "tmpfs" and "rw" in m.super_options
    data = util.load_json(nsview_cmd("diff", str(pid), "--json"))
    (shown,) = [
        x for x in data["sections"]["mounts"]["target"]["only_here"] if x["target"] == str(base / "empty")
    ]
    assert shown["source"] == "" and shown["fstype"] == "tmpfs"


@pytest.mark.live
def test_row15_overlay_escaped_and_relative_lowerdir(mount_zoo):
    from nsview.procfs import KernelFS
    from nsview.read.overlay import decode_overlay

    pid, base = mount_zoo
    mounts = _nsview_mounts(pid)
    by_target = {m.target: m for m in mounts}
    escaped = decode_overlay(by_target[str(base / "ov" / "merged")], host=KernelFS("/"), host_mounts=mounts)
    assert [layer.path for layer in escaped.lower] == [
        str(base / "ov" / "lo:wer,1"),
        str(base / "ov" / "lower2"),
    ]
    assert all(Path(layer.path).is_dir() for layer in escaped.lower)  # the dirs really exist
    o2 = base / "o2"
    relative = decode_overlay(by_target[str(o2 / "cid" / "merged")], host=KernelFS("/"), host_mounts=mounts)
    assert relative.driver == "overlay2" and relative.data_root == str(o2)
    expected = [os.path.realpath(o2 / "l" / f"AAAAAAAAAAAAAAAAAAAAAAAAA{i}") for i in (1, 2)]
    assert [layer.path for layer in relative.lower] == expected
    assert relative.upper == str(o2 / "cid" / "diff")


def test_row15_docker_many_layers_match_docker_inspect(docker_run, nsview_cmd):
    info = docker_run()
    data = util.load_json(nsview_cmd("diff", str(info["State"]["Pid"]), "--json"))
    root = data["sections"]["mounts"]["target"]["root"]
    assert root["fstype"] == "overlay"
    gd = info["GraphDriver"]["Data"]
    assert root["overlay"]["graphdriver"]["LowerDir"] == gd["LowerDir"]
    assert root["overlay"]["graphdriver"]["UpperDir"] == gd["UpperDir"]


@pytest.mark.live
def test_row12_mounts_decodes_escapes_once_like_findmnt(mount_zoo, nsview_cmd):
    pid, base = mount_zoo
    mine = assert_same_as_findmnt(nsview_cmd, pid)  # every column, every mount
    targets = {m["target"] for m in mine.values()}
    for name in ("\\040x", "a b", "t\tab", "nl\nx", "back\\slash"):
        assert str(base / name) in targets, name
    for mode, r in util.run_modes(nsview_cmd, ["mounts", str(pid)]):
        util.assert_inert(r.stdout, forced=mode == "forced")
        assert "nl\\x0ax" in r.stdout, mode


@pytest.mark.live
def test_row13_mounts_propagation_and_peer_groups_like_findmnt(mount_zoo, nsview_cmd):
    pid, base = mount_zoo
    mine = assert_same_as_findmnt(nsview_cmd, pid)
    by_target = {m["target"]: m for m in mine.values()}
    shared, unbind = by_target[str(base / "shared")], by_target[str(base / "unbind")]
    assert shared["peer_group"] is not None and shared["opt_fields"] == f"shared:{shared['peer_group']}"
    assert unbind["unbindable"] is True and unbind["propagation"].endswith(",unbindable")


@pytest.mark.live
def test_row14_mounts_empty_source_like_findmnt(mount_zoo, nsview_cmd):
    pid, base = mount_zoo
    mine = assert_same_as_findmnt(nsview_cmd, pid)
    (empty,) = [m for m in mine.values() if m["target"] == str(base / "empty")]
    assert empty["source"] is None and empty["mount_source"] == ""  # findmnt: null
    r = nsview_cmd("mounts", str(pid), str(base / "empty"), "--no-color")
    assert r.returncode in (0, 6) and " none " in r.stdout


@pytest.mark.live
def test_row15_mounts_overlay_escaped_lowerdir(mount_zoo, nsview_cmd):
    pid, base = mount_zoo
    mine = assert_same_as_findmnt(nsview_cmd, pid)
    (ov,) = [m for m in mine.values() if m["target"] == str(base / "ov" / "merged")]
    assert [layer["path"] for layer in ov["overlay"]["lower"]] == [
        str(base / "ov" / "lo:wer,1"),
        str(base / "ov" / "lower2"),
    ]
    assert "lowerdir=" in ov["fs_options"] and ov["host"]["path"] is None  # the zoo's own overlay


# ---- row 16: messy mountinfo -----------------------------------------------------------------

_MESSY = b"""\
40 35 0:50 / /proc rw,nosuid - proc proc rw
35 35 0:40 / / rw - ext4 /dev/vda rw
41 99 0:51 / /orphan rw - tmpfs orphan rw
42 42 0:52 / /self-parent rw - tmpfs self rw
43 35 0:53 / /stacked rw - tmpfs first rw
43 35 0:54 / /stacked rw - tmpfs reused-id rw
44 35 0:55 / / rw shared:1 master:2 - overlay overlay rw,lowerdir=/a:/b,upperdir=/u,workdir=/w
"""


def test_row16_messy_mountinfo_last_mount_on_a_path_is_visible(tmp_path, nsview_run):
    from nsview.parse.mountinfo import parse_mountinfo

    mounts = parse_mountinfo(_MESSY)
    assert [m.mount_id for m in mounts] == [40, 35, 41, 42, 43, 43, 44]  # order and duplicates kept
    # through the CLI, on snapshots whose container mountinfo is this mess
    pod = tmp_path / "podman"
    shutil.copytree(FIXTURES / "containers-podman", pod, symlinks=True)
    (pod / "proc" / "511" / "mountinfo").write_bytes(_MESSY.replace(b"overlay overlay", b"xfs overlay"))
    ps = nsview_run("ps", "--proc-root", str(pod / "proc"), "--sys-root", str(tmp_path / "nosys"), "--json")
    util.no_traceback(ps)
    assert ps.returncode == 0, ps.stderr
    (row,) = [c for c in util.load_json(ps)["containers"] if c["init_pid"] == 511]
    assert row["rootfs_type"] == "xfs"  # the later mount on "/" hides the ext4 one
    proc = tmp_path / "proc"
    shutil.copytree(FIXTURES / "docker-hybrid" / "proc", proc, symlinks=True)
    (proc / "9391" / "mountinfo").write_bytes(_MESSY)
    d = nsview_run("diff", "9391", "--proc-root", str(proc), "--sys-root", str(tmp_path / "sys"), "--json")
    util.no_traceback(d)
    assert d.returncode in (0, 6)
    root = util.load_json(d)["sections"]["mounts"]["target"]["root"]
    assert root["fstype"] == "overlay" and root["id"] == 44
    # nsview mounts builds a tree of the mess: every line once, each root says why it is one
    m = nsview_run("mounts", "9391", "--proc-root", str(proc), "--sys-root", str(tmp_path / "sys"), "--json")
    util.no_traceback(m)
    assert m.returncode in (0, 6), m.stderr
    shown = util.load_json(m)["mounts"]
    assert [x["id"] for x in shown] == [35, 40, 43, 43, 44, 41, 42]  # tree order: root, children, orphans
    orphan = {x["target"]: x["orphan"] for x in shown}
    assert (
        orphan["/orphan"] == "parent 99 is not in this table" and orphan["/self-parent"] == "its own parent"
    )
    hidden = {(x["target"], x["mount_source"]): x["hidden"] for x in shown}
    assert hidden[("/", "/dev/vda")]["how"] == "overmounted" and hidden[("/", "/dev/vda")]["by_id"] == 44
    assert hidden[("/proc", "proc")]["how"] == "covered"  # below the over-mounted root
    # both /stacked mounts hang below the over-mounted root: covered by it, whichever is on top
    assert {hidden[("/stacked", s)]["by_id"] for s in ("first", "reused-id")} == {44}


# ---- row 17: cgroup v1, v2, hybrid, odd mount places -----------------------------------------


@pytest.mark.parametrize(
    "name,pid,mode", [("cgroup-v1", 5000, "v1"), ("cgroup-v2", 4242, "v2"), ("cgroup-hybrid", 6000, "hybrid")]
)
def test_row17_cgroup_layouts_from_fixtures(name, pid, mode, nsview_run):
    root = FIXTURES / name
    r = nsview_run("cgroup", str(pid), *tree_roots(root), "--json")
    assert r.returncode in (0, 6), r.stderr
    data = util.load_json(r)
    assert data["mode"] == mode
    ctl = {c["resource"]: c for c in data["controllers"]}
    assert data["memory"]["limit"]["bytes"] == 64 * 1024 * 1024  # docker run -m 64m, every layout
    if name == "cgroup-v1":
        assert ctl["cpuset"]["available"] is False and "not mounted" in ctl["cpuset"]["reason"]
    if name == "cgroup-hybrid":
        assert ctl["pids"]["mount_point"] == "/cgroup/pids"  # mounted outside /sys/fs/cgroup
        (line,) = [
            ln for ln in (root / "proc" / "6000" / "cgroup").read_text().splitlines() if ":pids:" in ln
        ]
        pids_max = root / "cgroup" / "pids" / line.split(":", 2)[2].strip("/") / "pids.max"
        assert data["pids"]["max"] == {"value": int(pids_max.read_text()), "unlimited": False}


@pytest.mark.live
def test_row17_live_mode_matches_statfs_and_mountinfo(nsview_cmd):
    fstype = subprocess.run(
        ["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], capture_output=True, text=True
    ).stdout.strip()
    kinds = {
        ln.split(" - ")[1].split()[0]
        for ln in Path("/proc/self/mountinfo").read_text().splitlines()
        if " - cgroup" in ln
    }
    expected = "v2" if fstype == "cgroup2fs" else ("hybrid" if kinds == {"cgroup", "cgroup2"} else "v1")
    data = util.load_json(nsview_cmd("cgroup", str(os.getpid()), "--json"))
    assert data["mode"] == expected


# ---- row 18: ":" in a cgroup path; a malformed /proc/PID/cgroup line -------------------------


def test_row18_cgroup_path_with_colons(spawn, nsview_cmd):
    base = util.cgroup_base("pids")
    live.need(live.is_root() and base is not None, "needs root and a pids cgroup hierarchy")
    cg = base / f"nsview-a:b:{uuid.uuid4().hex[:6]}"
    cg.mkdir()
    try:
        p = spawn(["sleep", "3600"])
        (cg / "cgroup.procs").write_text(str(p.pid))
        line = [ln for ln in Path(f"/proc/{p.pid}/cgroup").read_text().splitlines() if cg.name in ln]
        assert line
        data = util.load_json(nsview_cmd("cgroup", str(p.pid), "--json"))
        (pids,) = [c for c in data["controllers"] if c["resource"] == "pids"]
        assert pids["cgroup"].endswith("/" + cg.name) and pids["directory"] == str(cg)
        assert data["pids"]["current"] == int((cg / "pids.current").read_text())
    finally:
        live.kill_and_rmdir_cgroup(cg)


def test_row18_malformed_proc_cgroup_line_is_reported_and_skipped(tmp_path, nsview_run):
    root = tmp_path / "cg"
    shutil.copytree(FIXTURES / "cgroup-v2", root, symlinks=True)
    f = root / "proc" / "4242" / "cgroup"
    f.write_bytes(b"garbage without separators\n" + f.read_bytes() + b"12:x\n")
    r = nsview_run("cgroup", "4242", *tree_roots(root), "--json")
    util.no_traceback(r)
    assert r.returncode == 6, (r.stdout, r.stderr)
    data = util.load_json(r)
    assert data["memory"]["limit"]["bytes"] == 64 * 1024 * 1024  # the good line still counts
    assert any("garbage" in v or "malformed" in v for v in data["errors"].values())


# ---- row 19: the limit zoo ------------------------------------------------------------------

_ZOO = [
    ("max\n", None),
    ("-1\n", None),
    ("9223372036854771712\n", None),
    ("9223372036854759424", None),
    ("9223372036854710272\n", None),
    ("9223372036854775807\n", None),
    ("0\n", 0),
    ("4096\n", 4096),
    ("9223372036854771711\n", 9223372036854771711),  # one below the sentinel: a real number
]


@pytest.mark.parametrize("text,value", _ZOO)
def test_row19_limit_zoo(text, value, tmp_path, nsview_run):
    from nsview.parse.cgroupfs import decode_limit

    lim = decode_limit(text)
    assert (lim.unlimited, lim.value) == ((value is None), value)
    root = tmp_path / "cg"
    shutil.copytree(FIXTURES / "cgroup-v2", root, symlinks=True)
    cgpath = Path((root / "proc" / "4242" / "cgroup").read_text().split("::", 1)[1].strip())
    memfile = root / "sys" / "fs" / "cgroup" / cgpath.relative_to("/") / "memory.max"
    memfile.write_text(text)
    r = nsview_run("cgroup", "4242", *tree_roots(root), "--json")
    assert r.returncode in (0, 6), r.stderr
    limit = util.load_json(r)["memory"]["limit"]
    assert limit == {"bytes": value, "unlimited": value is None}
    text_out = nsview_run("cgroup", "4242", *tree_roots(root), "--no-color").stdout
    assert "922337203685" not in text_out  # a sentinel never shows as a number


@pytest.mark.parametrize("text", ["-5\n", "12abc\n", "", "  \n", "1e9\n"])
def test_row19_malformed_limits_are_parse_errors(text):
    from nsview.errors import ParseError
    from nsview.parse.cgroupfs import decode_limit

    with pytest.raises(ParseError):
        decode_limit(text)


# ---- row 20: limit files missing --------------------------------------------------------------


def test_row20_root_cgroup_has_no_limit_files(spawn, nsview_cmd):
    base = util.cgroup_base("pids")
    live.need(
        live.is_root() and base is not None and base.name == "pids", "needs root and a v1 pids hierarchy"
    )
    assert not (base / "pids.max").exists()  # the root cgroup has none
    p = spawn(["sleep", "3600"])
    (base / "cgroup.procs").write_text(str(p.pid))
    r = nsview_cmd("cgroup", str(p.pid), "--json")
    assert r.returncode == 0, r.stderr
    data = util.load_json(r)
    (pl,) = [c for c in data["controllers"] if c["resource"] == "pids"]
    assert pl["cgroup"] == "/" and pl["directory"] == str(base)
    # the root cgroup cannot be limited: its missing pids.max means unlimited (never 0); "n/a"
    # stays for a controller that is not there or a file missing in a non-root cgroup
    assert data["pids"]["max"] == {"value": None, "unlimited": True}
    assert data["effective"]["pids"]["unlimited"] is True and data["effective"]["pids"]["cgroup"] is None
    out = nsview_cmd("cgroup", str(p.pid), "--no-color").stdout
    assert re.search(r"effective max\s+unlimited", out), out


def test_row20_cgroup_removed_while_being_read(spawn):
    from nsview.collect.cgroup import collect_cgroup
    from nsview.procfs import ProcFS, SysFS

    base = util.cgroup_base("memory")
    live.need(live.is_root() and base is not None, "needs root and a memory cgroup")
    cg = base / f"nsview-rm-{uuid.uuid4().hex[:6]}"
    cg.mkdir()
    p = spawn(["sleep", "3600"])
    (cg / "cgroup.procs").write_text(str(p.pid))

    class RemovingSysFS(SysFS):
        """The first read inside the cgroup moves the process out and removes the cgroup."""

        def read_bytes(self, rel, limit=1 << 20):
            if cg.exists() and rel.startswith(str(cg.relative_to("/sys"))):
                (base / "cgroup.procs").write_text(str(p.pid))
                cg.rmdir()
            return super().read_bytes(rel, limit)

    try:
        report = collect_cgroup(ProcFS("/proc"), RemovingSysFS("/sys"), p.pid)
        assert not cg.exists()
        assert report.gone and any("gone" in n for n in report.notes)
    finally:
        if cg.exists():
            (base / "cgroup.procs").write_text(str(p.pid))
            cg.rmdir()


# ---- row 24: big pids and inodes --------------------------------------------------------------


@pytest.fixture
def big_pid(spawn):
    live.need(live.is_root(), "needs root to raise kernel.pid_max")
    pid_max = Path("/proc/sys/kernel/pid_max")
    old = pid_max.read_text().strip()
    try:
        pid_max.write_text("4194304")
        Path("/proc/sys/kernel/ns_last_pid").write_text("4194000")
        p = spawn(["unshare", "--uts", "sleep", "3600"])
    finally:
        pid_max.write_text(old)
    live.need(p.pid > 4_000_000, f"the next pid was {p.pid} (another process took the high range)")
    # unshare switches namespaces, then execs sleep: read nothing before it has
    live.wait_comm(p.pid, "sleep")
    return p.pid


def test_row24_large_pids_and_inodes_keep_their_width(big_pid, nsview_cmd):
    pid = big_pid
    uts = os.readlink(f"/proc/{pid}/ns/uts")  # "uts:[4026532xxx]": ~4e9
    data = util.load_json(nsview_cmd("tree", str(pid), "--json"))
    node = util.target_node(data["tree"])
    assert node["pid"] == pid and node["namespaces"]["uts"] == uts
    text = nsview_cmd("tree", str(pid), "--no-color").stdout
    assert f",{pid}" in text and uts in text
    diff = nsview_cmd("diff", str(pid), "--no-color")
    assert str(pid) in diff.stdout and uts in diff.stdout
    ps = nsview_cmd("ps", "--json")
    assert any(c["init_pid"] == pid for c in util.load_json(ps)["containers"])
    ps_text = nsview_cmd("ps", "--no-color", "--runtime", "namespaces").stdout
    assert str(pid) in ps_text.split()  # the whole pid, never cut to "4194…"


# ---- row 25: no /proc ------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(util.COMMANDS))
def test_row25_no_proc_is_one_line_and_exit_unsupported(command, tmp_path, nsview_run):
    argv = util.argv_for(command, 1)
    r = nsview_run(*argv, "--proc-root", str(tmp_path), "--sys-root", str(tmp_path))
    assert r.returncode == 5 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "is this Linux with /proc mounted" in r.stderr
    j = util.load_json(nsview_run(*argv, "--proc-root", str(tmp_path), "--json"))
    assert j["error"]["exit_code"] == 5 and j["error"]["type"] == "Unsupported"


# ---- row 34: SELinux's seclabel on a name-only cgroup v1 hierarchy ---------------------------


def test_row34_seclabel_is_not_a_controller(nsview_run):
    root = FIXTURES / "cgroup-v2-selinux"
    mounts = (root / "proc" / "self" / "mountinfo").read_text()
    v1 = [ln for ln in mounts.splitlines() if " - cgroup cgroup " in ln]
    assert v1 and all("seclabel" in ln and "name=systemd" in ln for ln in v1)  # the shape is there
    data = util.load_json(nsview_run("cgroup", "4242", *tree_roots(root), "--json"))
    assert data["mode"] == "v2"  # a pure unified host, not "hybrid"
    assert data["effective"]["memory"]["bytes"] == 64 * 1024 * 1024  # its podman scope's -m 64m
