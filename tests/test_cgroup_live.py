"""`nsview cgroup` against real cgroups (made by the test, removed by the test) and real Docker and
containerd containers, cross-checked with `docker inspect`, `findmnt -J`, `stat -f` and the
kernel's own files (memory.stat's hierarchical_memory_limit)."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pytest

from nsview.parse.cgroupfs import UNLIMITED_SENTINELS
from tests.support import live

pytestmark = pytest.mark.live

MEMCG = Path("/sys/fs/cgroup/memory")
SENTINEL_RE = re.compile(r"922337203685\d{7}")
MIB = 1 << 20


def cgroup_json(nsview_cmd, pid: int) -> dict:
    out = nsview_cmd("cgroup", str(pid), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


def proc_cgroup_path(pid: int, controller: str) -> str:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        hid, ctrls, path = line.split(":", 2)
        if controller in ctrls.split(",") or (controller == "" and hid == "0"):
            return path
    raise AssertionError(f"{controller} not in /proc/{pid}/cgroup")


def findmnt_cgroup_target(controller: str) -> str:
    """Where the v1 hierarchy holding ``controller`` is mounted, according to findmnt."""
    data = json.loads(live.run("findmnt", "-J", "-t", "cgroup", "-o", "TARGET,VFS-OPTIONS,FS-OPTIONS").stdout)
    for fs in data["filesystems"]:
        opts = (fs.get("fs-options") or "").split(",")
        if controller in opts:
            return fs["target"]
    raise AssertionError(f"no cgroup mount holds {controller}")


def _evacuate_and_rmdir(dirs: list[Path]) -> None:
    """Move any process left in our cgroups to the root cgroup, then remove them, deepest first."""
    for d in dirs:
        procs = d / "cgroup.procs"
        if procs.exists():
            for pid in procs.read_text().split():
                try:
                    (MEMCG / "cgroup.procs").write_text(pid)
                except OSError:
                    pass
    for d in dirs:
        remove_cgroup(d)


@pytest.fixture
def nested_memcg():
    """/sys/fs/cgroup/memory/nsview-test-<id> limited to 100 MiB, with an unlimited child
    named with a ":" in it. Both removed after the test (processes moved out first)."""
    live.need(live.is_root(), "needs root")
    live.need(
        (MEMCG / "memory.limit_in_bytes").exists(),
        "needs the cgroup v1 memory controller at /sys/fs/cgroup/memory",
    )
    parent = MEMCG / f"nsview-test-{uuid.uuid4().hex[:12]}"
    child = parent / "child:1"
    parent.mkdir()
    try:
        child.mkdir()
        (parent / "memory.limit_in_bytes").write_text(str(100 * MIB))
        yield parent, child
    finally:
        _evacuate_and_rmdir([child, parent])


def test_nested_v1_memory_effective_limit_from_parent(nested_memcg, spawn, nsview_cmd):
    parent, child = nested_memcg
    proc = spawn(["sleep", "600"])
    (child / "cgroup.procs").write_text(str(proc.pid))
    assert proc_cgroup_path(proc.pid, "memory") == f"/{parent.name}/child:1"

    data = cgroup_json(nsview_cmd, proc.pid)
    # Kernel's own answer, read independently:
    stat = dict(line.split() for line in (child / "memory.stat").read_text().splitlines())
    kernel_effective = int(stat["hierarchical_memory_limit"])
    assert kernel_effective == 100 * MIB
    assert data["memory"]["limit"] == {"bytes": None, "unlimited": True}  # own cgroup: unlimited
    assert int((child / "memory.limit_in_bytes").read_text()) in UNLIMITED_SENTINELS  # ...raw sentinel
    eff = data["effective"]["memory"]
    assert eff["bytes"] == kernel_effective and eff["unlimited"] is False
    assert eff["cgroup"] == f"/{parent.name}" and eff["own"] is False
    assert data["memory"]["hierarchical_limit"]["bytes"] == kernel_effective
    mem = next(c for c in data["controllers"] if c["resource"] == "memory")
    assert mem["directory"] == str(child)
    assert data["notes"] and any(parent.name in n for n in data["notes"])

    text = nsview_cmd("cgroup", str(proc.pid))
    assert text.returncode == 0, text.stderr
    flat = text.stdout.replace("\n", " ")
    assert "100 MiB" in flat and "set by ancestor" in flat and f"/{parent.name}" in flat
    assert not SENTINEL_RE.search(text.stdout)


def test_host_mode_matches_statfs_and_findmnt(nsview_cmd, spawn):
    live.need(live.is_root(), "needs root")
    proc = spawn(["sleep", "600"])
    data = cgroup_json(nsview_cmd, proc.pid)
    fstype = live.run("stat", "-f", "-c", "%T", "/sys/fs/cgroup").stdout.strip()
    mounts = json.loads(
        live.run("findmnt", "-J", "-t", "cgroup,cgroup2", "-o", "TARGET,FSTYPE,FS-OPTIONS").stdout
    )
    kinds = {fs["fstype"] for fs in mounts["filesystems"]}
    if fstype == "cgroup2fs":
        expected = "v2"
    elif "cgroup" in kinds and "cgroup2" in kinds:
        expected = "hybrid"
    else:
        expected = "v1"
    assert data["mode"] == expected
    # Each v1 placement's directory is findmnt's mount point + the /proc/PID/cgroup path.
    for c in data["controllers"]:
        if c["available"] and c["version"] == 1:
            target = findmnt_cgroup_target(c["controller"])
            path = proc_cgroup_path(proc.pid, c["controller"])
            assert c["directory"] == os.path.normpath(target + path)


def test_docker_limited_container_matches_inspect(docker_run, nsview_cmd):
    info = docker_run("-m", "64m", "--memory-swap", "128m", "--cpus", "0.5", "--pids-limit", "100")
    pid, hc = info["State"]["Pid"], info["HostConfig"]
    data = cgroup_json(nsview_cmd, pid)

    assert data["memory"]["limit"] == {"bytes": hc["Memory"], "unlimited": False}
    assert hc["Memory"] == 64 * MIB
    # v1 memsw is memory+swap, which is what docker's MemorySwap means; v2 derives it the same way.
    assert data["memory"]["memsw"] == {"bytes": hc["MemorySwap"], "unlimited": False}
    assert data["cpu"]["cpus"] == hc["NanoCpus"] / 1e9 == 0.5
    assert data["pids"]["max"] == {"value": hc["PidsLimit"], "unlimited": False}
    assert data["effective"]["memory"]["bytes"] == hc["Memory"] and data["effective"]["memory"]["own"]
    # The cgroup is the container's: docker's id is in it.
    mem = next(c for c in data["controllers"] if c["resource"] == "memory")
    assert info["Id"] in mem["cgroup"]
    # And the number came from that directory's file, read here directly.
    name = "memory.limit_in_bytes" if mem["version"] == 1 else "memory.max"
    assert int(Path(mem["directory"], name).read_text()) == hc["Memory"]

    text = nsview_cmd("cgroup", str(pid))
    assert text.returncode == 0, text.stderr
    for shown in ("64 MiB", "128 MiB", "0.5 CPUs", "100"):
        assert shown in text.stdout
    print(text.stdout)  # for the record: `pytest -s` shows the real output


def test_docker_unlimited_container_shows_no_sentinel(docker_run, nsview_cmd):
    info = docker_run()
    pid, hc = info["State"]["Pid"], info["HostConfig"]
    assert hc["Memory"] == 0 and hc["NanoCpus"] == 0 and not hc.get("PidsLimit")  # docker: unlimited
    js = nsview_cmd("cgroup", str(pid), "--json")
    text = nsview_cmd("cgroup", str(pid))
    assert js.returncode == 0 and text.returncode == 0, js.stderr + text.stderr
    assert not SENTINEL_RE.search(js.stdout), js.stdout
    assert not SENTINEL_RE.search(text.stdout), text.stdout
    data = json.loads(js.stdout)
    assert data["memory"]["limit"] == {"bytes": None, "unlimited": True}
    assert data["pids"]["max"] == {"value": None, "unlimited": True}
    assert data["cpu"]["cpus"] is None
    # Unlimited up to the root, unless the host caps docker's parent cgroup (then it is named).
    eff = data["effective"]["memory"]
    assert eff["unlimited"] or eff["cgroup"] not in (None, data["controllers"][0]["cgroup"])
    assert "unlimited" in text.stdout
    # The kernel's file really holds a sentinel: nsview decoded it.
    mem = next(c for c in data["controllers"] if c["resource"] == "memory")
    raw = (
        Path(mem["directory"], "memory.limit_in_bytes" if mem["version"] == 1 else "memory.max")
        .read_text()
        .strip()
    )
    assert raw == "max" or int(raw) in UNLIMITED_SENTINELS


def test_containerd_memory_limit(ctr_run, nsview_cmd):
    cid = f"nsview-cg-{uuid.uuid4().hex[:8]}"
    pid = ctr_run("nsviewcg", cid, "--memory-limit", str(128 * MIB))
    data = cgroup_json(nsview_cmd, pid)
    assert data["memory"]["limit"] == {"bytes": 128 * MIB, "unlimited": False}
    mem = next(c for c in data["controllers"] if c["resource"] == "memory")
    assert mem["cgroup"] == proc_cgroup_path(pid, "memory") and cid in mem["cgroup"]


def test_process_that_is_gone_is_one_line(nsview_cmd, spawn):
    live.need(live.is_root(), "needs root")
    proc = spawn(["true"])
    proc.wait()
    live.need(not Path(f"/proc/{proc.pid}").exists(), "pid was reused immediately")
    out = nsview_cmd("cgroup", str(proc.pid))
    assert out.returncode == 3 and out.stdout == ""
    assert out.stderr.strip().count("\n") == 0 and str(proc.pid) in out.stderr


def test_v1_memory_swap_equal_to_memory_gives_effective_swap_zero(docker_run, nsview_cmd):
    info = docker_run("--name", live.unique_name("fix1"), "-m", "64m", "--memory-swap", "64m")
    pid, hc = info["State"]["Pid"], info["HostConfig"]
    data = cgroup_json(nsview_cmd, pid)
    mem = next(c for c in data["controllers"] if c["resource"] == "memory")
    if mem["version"] == 1:
        live.need(Path(mem["directory"], "memory.memsw.limit_in_bytes").exists(), "needs v1 swap accounting")
        memsw = int(Path(mem["directory"], "memory.memsw.limit_in_bytes").read_text())
        limit = int(Path(mem["directory"], "memory.limit_in_bytes").read_text())
    else:
        live.need(Path(mem["directory"], "memory.swap.max").exists(), "needs swap accounting")
        limit = int(Path(mem["directory"], "memory.max").read_text())
        memsw = limit + int(Path(mem["directory"], "memory.swap.max").read_text())
    assert memsw == hc["MemorySwap"] == limit == hc["Memory"] == 64 * MIB
    assert data["memory"]["swap"] == {"bytes": 0, "unlimited": False}
    assert data["effective"]["swap"]["bytes"] == memsw - limit == 0 and data["effective"]["swap"]["own"]
    assert data["effective"]["memsw"]["bytes"] == memsw and data["effective"]["memsw"]["own"]


def test_cpus_are_written_one_way(docker_run, nsview_cmd):
    info = docker_run("--name", live.unique_name("fix1"), "--cpu-period", "30000", "--cpu-quota", "10000")
    pid, hc = info["State"]["Pid"], info["HostConfig"]
    assert (hc["CpuPeriod"], hc["CpuQuota"]) == (30000, 10000)
    data = cgroup_json(nsview_cmd, pid)
    cpu = next(c for c in data["controllers"] if c["resource"] == "cpu")
    if cpu["version"] == 1:
        quota = int(Path(cpu["directory"], "cpu.cfs_quota_us").read_text())
        period = int(Path(cpu["directory"], "cpu.cfs_period_us").read_text())
    else:
        quota, period = map(int, Path(cpu["directory"], "cpu.max").read_text().split())
    assert (quota, period) == (10000, 30000)
    text = nsview_cmd("cgroup", str(pid)).stdout
    shown = re.findall(r"([0-9.]+) CPUs", text)
    assert shown == [f"{quota / period:.3f}"] * 2, text  # quota and effective quota alike
    diff = nsview_cmd("diff", str(pid)).stdout
    assert re.search(r"cpus\s+unlimited\s+0\.333 CPUs\s+differs", diff), diff


def _cgroup_v1(controller: str) -> Path:
    return Path(findmnt_cgroup_target(controller))


@pytest.fixture
def v1_cpu_pids_parents():
    """fix1-<id> parents under the v1 cpu and pids hierarchies (quota 0.25 CPU, pids.max 50),
    each with an unlimited child; removed after (processes moved to the root first)."""
    live.need(live.is_root(), "needs root")
    try:
        roots = {c: _cgroup_v1(c) for c in ("cpu", "pids")}
    except AssertionError:
        live.need(False, "needs the cgroup v1 cpu and pids controllers")
    name = live.unique_name("fix1")
    made: list[Path] = []
    try:
        for root in roots.values():
            parent, child = root / name, root / name / "child"
            parent.mkdir()
            made.append(parent)
            child.mkdir()
            made.append(child)
        (roots["cpu"] / name / "cpu.cfs_quota_us").write_text("25000")
        (roots["pids"] / name / "pids.max").write_text("50")
        yield name, roots
    finally:
        for d in reversed(made):
            procs = d / "cgroup.procs"
            for pid in procs.read_text().split() if procs.exists() else ():
                try:
                    (_root_of(d, roots) / "cgroup.procs").write_text(pid)
                except OSError:
                    pass
            remove_cgroup(d)


def _root_of(d: Path, roots: dict[str, Path]) -> Path:
    return next(r for r in roots.values() if d.is_relative_to(r))


def test_ancestor_note_for_cpu_and_pids(v1_cpu_pids_parents, spawn, nsview_cmd):
    name, roots = v1_cpu_pids_parents
    proc = spawn(["sleep", "600"])
    for root in roots.values():
        (root / name / "child" / "cgroup.procs").write_text(str(proc.pid))
    assert proc_cgroup_path(proc.pid, "cpu") == proc_cgroup_path(proc.pid, "pids") == f"/{name}/child"
    data = cgroup_json(nsview_cmd, proc.pid)
    quota = int((roots["cpu"] / name / "cpu.cfs_quota_us").read_text())
    period = int((roots["cpu"] / name / "cpu.cfs_period_us").read_text())
    assert int((roots["cpu"] / name / "child" / "cpu.cfs_quota_us").read_text()) == -1  # child: unlimited
    assert (
        data["effective"]["cpu"]["cpus"] == quota / period
        and data["effective"]["cpu"]["cgroup"] == f"/{name}"
    )
    assert data["effective"]["pids"]["value"] == int((roots["pids"] / name / "pids.max").read_text()) == 50
    assert data["effective"]["pids"]["own"] is False and data["pids"]["max"]["unlimited"] is True
    for resource in ("cpu", "pids"):
        assert (
            f"{resource} is limited by ancestor cgroup /{name}, not by the process's own cgroup"
            in data["notes"]
        )
    text = nsview_cmd("cgroup", str(proc.pid)).stdout
    assert text.count(f"set by ancestor /{name}") == 2, text
    assert text.count(f"limited by ancestor cgroup /{name}") == 2, text


def test_root_cgroup_is_unlimited(spawn, nsview_cmd):
    live.need(live.is_root(), "needs root")
    try:
        root = _cgroup_v1("pids")
    except AssertionError:
        live.need(False, "needs the cgroup v1 pids controller")
    proc = spawn(["sleep", "600"])
    (root / "cgroup.procs").write_text(str(proc.pid))  # the root cgroup: nothing to remove after
    assert proc_cgroup_path(proc.pid, "pids") == "/"
    assert not (root / "pids.max").exists()  # the kernel gives the root no limit file
    data = cgroup_json(nsview_cmd, proc.pid)
    assert data["pids"]["max"] == {"value": None, "unlimited": True}
    assert data["effective"]["pids"] == {
        "value": None,
        "unlimited": True,
        "cgroup": None,
        "own": False,
        "highest_visible": "/",
    }
    text = nsview_cmd("cgroup", str(proc.pid)).stdout
    assert re.search(r"effective max\s+unlimited", text), text


def test_zombie_is_one_line_exit_3(spawn, nsview_cmd):
    _, zombie = live.zombie(spawn)
    # why nsview refuses: on v1 the kernel has moved the zombie to the root cgroups
    v1_paths = [
        line.split(":", 2)[2]
        for line in Path(f"/proc/{zombie}/cgroup").read_text().splitlines()
        if not line.startswith("0::")
    ]
    assert all(p == "/" for p in v1_paths)
    out = nsview_cmd("cgroup", str(zombie))
    assert out.returncode == 3 and out.stdout == ""
    assert out.stderr.strip().count("\n") == 0 and "zombie" in out.stderr
    js = nsview_cmd("cgroup", str(zombie), "--json")
    assert js.returncode == 3 and json.loads(js.stdout)["error"]["exit_code"] == 3


def remove_cgroup(d: Path) -> None:
    """rmdir a test's cgroup; the kernel refuses (EBUSY) until its last task has left."""
    import time

    for _ in range(50):
        try:
            d.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)


def _cpu_stat_of(pid: int) -> dict[str, int]:
    """The cpu.stat of ``pid``'s cpu cgroup, read directly (v1 cpu controller, else v2)."""
    lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    v1 = next((ln.split(":", 2)[2] for ln in lines if "cpu" in ln.split(":")[1].split(",")), None)
    path = (
        Path("/sys/fs/cgroup/cpu" + v1)
        if v1 is not None
        else Path("/sys/fs/cgroup" + lines[-1].split(":", 2)[2])
    )
    words = (path / "cpu.stat").read_text().split()
    return dict(zip(words[::2], map(int, words[1::2]), strict=True))


def test_docker_memory_reservation_and_v1_stat_rows(docker_run, nsview_cmd):
    """`--memory-reservation` is the soft limit on v1 (memory.low on v2: the VM suite checks that);
    cpu.stat and memory.stat rows come from the container's own files; v2-only rows say so."""
    info = docker_run("-m", "64m", "--memory-reservation", "32m", "--cpus", "0.5")
    pid, hc = info["State"]["Pid"], info["HostConfig"]
    before = _cpu_stat_of(pid)
    data = cgroup_json(nsview_cmd, pid)
    mem = next(c for c in data["controllers"] if c["resource"] == "memory")
    cpu = next(c for c in data["controllers"] if c["resource"] == "cpu")
    if mem["version"] == 1:
        assert data["memory"]["soft_limit"] == {"bytes": hc["MemoryReservation"], "unlimited": False}
        assert int(Path(mem["directory"], "memory.soft_limit_in_bytes").read_text()) == 32 * MIB
        assert data["memory"]["low"] is None and data["memory"]["min"] is None
    else:
        assert data["memory"]["low"] == {"bytes": hc["MemoryReservation"], "unlimited": False}
    stat_file = Path(cpu["directory"], "cpu.stat").read_text().split()
    raw = dict(zip(stat_file[::2], map(int, stat_file[1::2]), strict=True))
    st = data["cpu"]["stat"]
    # counters only grow (a just-started container still runs a period or two): nsview's read
    # lies between the file read before it and the one after
    for key in ("nr_throttled", "nr_periods"):
        assert before[key] <= st[key] <= raw[key], key
    assert data["memory"]["stat"]["anon_bytes"] is not None
    if data["mode"] != "v2" and mem["version"] == 1:
        assert data["pressure"] == [] and data["pressure_reason"].startswith("not on v1")
        assert data["memory"]["stat"]["kernel_bytes"] is None
    own = os.readlink(f"/proc/{pid}/ns/cgroup")
    assert data["cgroup_namespace"]["id"] == own
    try:  # the host reference: pid 1's, else nsview's own (a sandbox may refuse /proc/1/ns)
        host = os.readlink("/proc/1/ns/cgroup")
    except PermissionError:
        host = os.readlink("/proc/self/ns/cgroup")
    assert data["cgroup_namespace"]["private"] is (own != host)
    assert hc["CgroupnsMode"] in ("host", "private", "")
    if hc["CgroupnsMode"] == "host":
        assert data["cgroup_namespace"]["private"] is False
    text = nsview_cmd("cgroup", str(pid), "--no-color")
    assert text.returncode == 0, text.stderr
    flat = " ".join(text.stdout.split())
    assert "throttled (cpu.stat)" in flat and "breakdown (memory.stat)" in flat
    if mem["version"] == 1:
        assert "soft limit 32 MiB" in flat and "pressure not on v1" in flat
