"""`nsview cgroup` on the hand-made v1, v2 and hybrid trees (fixtures/cgroup-*): each value is
compared with the fixture's own file, read directly here, and no sentinel ever reaches output."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from nsview.collect.cgroup import collect_cgroup
from nsview.errors import ExitCode, NoSuchProcess
from nsview.parse.cgroupfs import UNLIMITED_SENTINELS
from nsview.procfs import ProcFS, SysFS
from nsview.render.json.cgroup import cgroup_to_dict
from tests.support.paths import FIXTURES, tree_roots

V1, V2, HYBRID = FIXTURES / "cgroup-v1", FIXTURES / "cgroup-v2", FIXTURES / "cgroup-hybrid"
SENTINEL_RE = re.compile(r"922337203685\d{7}|\b18446744073709551615\b")
MIB = 1 << 20


def report(tree: Path, pid: int):
    return collect_cgroup(ProcFS(tree / "proc"), SysFS(tree / "sys"), pid)


def run(nsview, tree: Path, pid: int, *extra: str):
    return nsview("cgroup", str(pid), *tree_roots(tree), *extra)


def file_int(path: Path) -> int:
    return int(path.read_text().split()[0])


def test_fixture_trees_hold_every_quirk():
    texts = {p.read_text().strip() for t in (V1, V2, HYBRID) for p in t.rglob("*") if p.is_file()}
    for quirk in (
        "max",
        "-1",
        "0",
        "9223372036854771712",
        "9223372036854759424",
        "9223372036854710272",
        "9223372036854775807",
    ):
        assert quirk in texts, quirk
    assert (V2 / "sys/fs/cgroup/limited.slice/app:v1/leaf").is_dir()  # a ":" in a path
    assert not (V2 / "sys/fs/cgroup/limited.slice/app:v1/leaf/memory.peak").exists()  # a missing file


@pytest.mark.parametrize(
    "tree, pid, mode, mem_dir",
    [
        pytest.param(V1, 5000, "v1", "sys/fs/cgroup/memory/docker", id="v1"),
        pytest.param(V2, 4242, "v2", "sys/fs/cgroup/system.slice", id="v2"),
        pytest.param(HYBRID, 6000, "hybrid", "sys/fs/cgroup/memory/docker", id="hybrid"),
    ],
)
def test_docker_limited_container(nsview_run, tree, pid, mode, mem_dir):
    """-m 64m --memory-swap 128m --cpus 0.5 --pids-limit 100 on every kind of host."""
    out = run(nsview_run, tree, pid, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["mode"] == mode
    assert data["memory"]["limit"] == {"bytes": 64 * MIB, "unlimited": False}
    assert data["memory"]["memsw"] == {"bytes": 128 * MIB, "unlimited": False}
    assert data["memory"]["swap"] == {"bytes": 64 * MIB, "unlimited": False}
    assert data["cpu"]["cpus"] == 0.5
    assert data["pids"]["max"] == {"value": 100, "unlimited": False}
    assert data["effective"]["memory"]["bytes"] == 64 * MIB and data["effective"]["memory"]["own"]
    assert data["effective"]["cpu"]["cpus"] == 0.5
    # The directory is where the fixture really holds the limit file.
    memory = next(c for c in data["controllers"] if c["resource"] == "memory")
    (own,) = [p for p in (tree / mem_dir).iterdir() if p.is_dir() and memory["directory"].endswith(p.name)]
    limit_file = own / ("memory.limit_in_bytes" if mode != "v2" else "memory.max")
    assert file_int(limit_file) == data["memory"]["limit"]["bytes"]
    text = run(nsview_run, tree, pid)
    assert text.returncode == 0
    for shown in ("64 MiB", "128 MiB", "0.5 CPUs", "100"):
        assert shown in text.stdout


@pytest.mark.parametrize(
    "tree, pid",
    [
        pytest.param(V1, 5001, id="v1"),
        pytest.param(V2, 4343, id="v2"),
        pytest.param(HYBRID, 6001, id="hybrid"),
    ],
)
def test_unlimited_container_has_no_sentinel_anywhere(nsview_run, tree, pid):
    js = run(nsview_run, tree, pid, "--json")
    text = run(nsview_run, tree, pid)
    assert js.returncode == 0 and text.returncode == 0
    assert not SENTINEL_RE.search(js.stdout), js.stdout
    assert not SENTINEL_RE.search(text.stdout), text.stdout
    data = json.loads(js.stdout)
    assert data["memory"]["limit"] == {"bytes": None, "unlimited": True}
    assert data["effective"]["memory"]["unlimited"] and data["effective"]["memory"]["cgroup"] is None
    assert data["pids"]["max"] == {"value": None, "unlimited": True}
    assert data["cpu"]["cpus"] is None and data["cpu"]["quota_us"]["unlimited"]
    assert "unlimited" in text.stdout
    # Every number in the JSON is a real one: walk it.
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += item.values()
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, int) and not isinstance(item, bool):
            assert item not in UNLIMITED_SENTINELS


@pytest.mark.parametrize(
    "tree, pid, ancestor, memory, cpus",
    [
        pytest.param(V1, 5002, "/parent", 100 * MIB, 1.5, id="v1"),
        pytest.param(V2, 4444, "/limited.slice", 100 * MIB, 2.0, id="v2"),
    ],
)
def test_effective_limit_names_the_ancestor(nsview_run, tree, pid, ancestor, memory, cpus):
    r = report(tree, pid)
    assert r.memory is not None and r.memory.limit is not None and r.memory.limit.unlimited  # own: unlimited
    assert r.memory_limit_bytes == memory
    eff = r.memory_limit
    assert eff is not None and eff.cgroup == ancestor and not eff.own
    assert r.effective["cpu"].cgroup == ancestor and r.effective["cpu"].limit.value == int(cpus * 1_000_000)
    memory_file = "memory.limit_in_bytes" if tree is V1 else "memory.max"
    mount = "sys/fs/cgroup/memory" if tree is V1 else "sys/fs/cgroup"
    assert file_int(tree / mount / ancestor.lstrip("/") / memory_file) == memory
    if tree is V1:  # the kernel's own answer for v1
        stat = (tree / mount / "parent/child:1/memory.stat").read_text()
        assert f"hierarchical_memory_limit {memory}" in stat
    text = run(nsview_run, tree, pid)
    assert "set by ancestor" in text.stdout and ancestor in text.stdout
    assert "100 MiB" in text.stdout


def test_zero_is_a_real_limit():
    r = report(V2, 4444)
    assert r.pids is not None and r.pids.max is not None
    assert r.pids.max.value == 0 and not r.pids.max.unlimited
    assert r.memory is not None and r.memory.high is not None and r.memory.high.value == 0
    assert report(V1, 5002).effective["pids"].limit.value == 0


def test_missing_files_are_not_available_not_errors():
    r = report(V2, 4444)
    assert r.memory is not None and r.memory.peak is None and r.memory.swap is None
    assert r.errors == {}
    v1 = report(V1, 5002)
    assert v1.memory is not None and v1.memory.memsw is None and v1.errors == {}


def test_controller_not_mounted_or_not_enabled(nsview_run):
    r = report(V1, 5000)
    cpuset = r.placement("cpuset")
    assert cpuset is not None and not cpuset.available and "not mounted" in (cpuset.reason or "")
    assert r.cpuset is None
    r2 = report(V2, 4646)
    mem = r2.placement("memory")
    assert mem is not None and not mem.available and "not enabled" in (mem.reason or "")
    assert r2.memory is None and r2.memory_limit is None and r2.pids is not None
    out = run(nsview_run, V2, 4646)
    assert out.returncode == 0 and "not available" in out.stdout


def test_path_climbing_out_of_the_hierarchy_is_contained(nsview_run):
    r = report(V2, 4545)
    assert all(not p.available and p.directory is None for p in r.placements)
    out = run(nsview_run, V2, 4545, "--json")
    assert out.returncode == 0
    assert all(c["directory"] is None for c in json.loads(out.stdout)["controllers"])


def test_controller_mounted_outside_sys_is_read_there():
    r = report(HYBRID, 6000)
    pids = r.placement("pids")
    assert pids is not None and pids.mount_point == "/cgroup/pids"
    assert r.pids is not None and r.pids.max is not None
    assert r.pids.max.value == file_int(HYBRID / "cgroup/pids" / pids.cgroup.lstrip("/") / "pids.max")


def test_dotdot_detour_resolves_inside_the_mount():
    r = report(HYBRID, 6001)
    mem = r.placement("memory")
    assert mem is not None and mem.path is not None and "/../" in mem.path
    assert mem.cgroup is not None and ".." not in mem.cgroup and mem.available


def test_limit_above_physical_memory(nsview_run):
    r = report(V2, 4747)
    assert r.host_memory == 4 * 1024 * MIB and r.memory_limit_bytes == 8 * 1024 * MIB
    assert r.above_physical_memory
    data = json.loads(run(nsview_run, V2, 4747, "--json").stdout)
    assert data["effective"]["memory"]["above_physical_memory"] is True
    assert "above physical memory" in run(nsview_run, V2, 4747).stdout


def test_cgroup_removed_while_read_is_a_clear_message(nsview_run):
    out = run(nsview_run, HYBRID, 6002)
    assert out.returncode == ExitCode.PARTIAL
    assert "is gone" in out.stdout and "removed while being read" in out.stdout
    data = json.loads(run(nsview_run, HYBRID, 6002, "--json").stdout)
    assert data["gone"] and data["memory"] is None


def test_process_gone_with_its_cgroup_is_no_such_process(tmp_path):
    tree = tmp_path / "t"
    shutil.copytree(HYBRID, tree, symlinks=True)
    shutil.rmtree(tree / "proc/6002/stat", ignore_errors=True)
    (tree / "proc/6002/stat").unlink(missing_ok=True)
    with pytest.raises(NoSuchProcess):
        collect_cgroup(ProcFS(tree / "proc"), SysFS(tree / "sys"), 6002)


def test_malformed_value_is_reported_and_the_rest_shown(nsview_run):
    out = run(nsview_run, V1, 5003)
    assert out.returncode == ExitCode.PARTIAL
    assert "negative limit -5" in out.stdout and "memory.limit_in_bytes" in out.stdout
    data = json.loads(run(nsview_run, V1, 5003, "--json").stdout)
    assert data["memory"]["limit"] is None
    assert data["effective"]["memory"] is None  # unknown, not guessed "unlimited"
    assert data["pids"]["max"]["unlimited"] is True


def test_missing_pid_is_one_line_and_nonzero(nsview_run):
    out = run(nsview_run, V2, 31337)
    assert out.returncode == ExitCode.NO_SUCH_PROCESS
    assert out.stdout == "" and out.stderr.count("\n") == 1 and "31337" in out.stderr
    js = run(nsview_run, V2, 31337, "--json")
    assert json.loads(js.stdout)["error"]["exit_code"] == ExitCode.NO_SUCH_PROCESS


def test_hostile_cgroup_name_prints_inert(tmp_path, nsview_run):
    """A cgroup path with ESC, BEL, an OSC hyperlink, markup and a bidi override: text shows
    escapes, JSON keeps the raw name. (Only /proc/PID/cgroup carries it: some filesystems refuse
    such directory names, so the cgroup reads as gone, and the name still reaches the output.)"""
    tree = tmp_path / "t"
    shutil.copytree(V2, tree, symlinks=True)
    name = "evil\x1b]8;;x\x07[red]x[/red]:emoji:\u202e"
    (tree / "proc/4747/cgroup").write_text(f"0::/{name}\n")
    out = run(nsview_run, tree, 4747)
    assert out.returncode == ExitCode.PARTIAL, out.stderr
    flat = out.stdout.replace("\n", "")
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout and "\u202e" not in out.stdout
    assert "\\x1b" in flat and "[red]x[/red]:emoji:" in flat and "\\u{202e}" in flat
    data = json.loads(run(nsview_run, tree, 4747, "--json").stdout)
    assert data["controllers"][0]["cgroup"] == "/" + name


def test_dict_has_stable_keys():
    data = cgroup_to_dict(report(V2, 4242))
    assert list(data) == [
        "pid",
        "mode",
        "mode_evidence",
        "host_memory_bytes",
        "controllers",
        "memory",
        "cpu",
        "cpuset",
        "pids",
        "io",
        "effective",
        "gone",
        "errors",
        "notes",
        "last_oom_kill",
        "pressure",
        "pressure_reason",
        "delegation",
        "not_delegated",
        "delegation_reason",
        "cgroup_namespace",
    ]
    assert data["io"]["limits"] == [
        {
            "device": "8:0",
            "rbps": {"value": None, "unlimited": True},
            "wbps": {"value": None, "unlimited": True},
            "riops": {"value": None, "unlimited": True},
            "wiops": {"value": 120, "unlimited": False},
        }
    ]
    json.dumps(data)  # serialisable as is


def test_root_cgroup_is_unlimited_not_unavailable(nsview_run):
    # The kernel gives the root cgroup no memory.max / cpu.max / pids.max (it cannot be limited):
    # that is "unlimited", not "n/a". The fixture's root really lacks the files:
    root = V2 / "sys/fs/cgroup"
    assert (V2 / "proc/4848/cgroup").read_text().strip() == "0::/"
    for name in ("memory.max", "memory.swap.max", "cpu.max", "pids.max"):
        assert not (root / name).exists(), name
    data = json.loads(run(nsview_run, V2, 4848, "--json").stdout)
    assert data["memory"]["limit"] == {"bytes": None, "unlimited": True}
    assert data["cpu"]["quota_us"] == {"value": None, "unlimited": True}
    assert data["pids"]["max"] == {"value": None, "unlimited": True}
    for key in ("memory", "memsw", "swap", "pids", "cpu"):
        eff = data["effective"][key]
        assert eff is not None and eff["unlimited"] is True and eff["cgroup"] is None, key
    text = run(nsview_run, V2, 4848).stdout
    assert re.search(r"effective max\s+unlimited", text) and re.search(r"\bmax\s+unlimited", text)
    # ...while a file missing in a non-root cgroup stays "not available"
    leaf = report(V2, 4444)
    assert leaf.memory is not None and leaf.memory.swap is None
    assert not (V2 / "sys/fs/cgroup/limited.slice/app:v1/leaf/memory.swap.max").exists()


def test_zombie_is_refused_not_shown_with_the_root_cgroup_numbers(nsview_run):
    # A zombie's v1 memberships all read "/" (the kernel moved it): those are the host's numbers.
    assert {line.rsplit(":", 1)[1] for line in (V1 / "proc/5004/cgroup").read_text().split()} == {"/"}
    assert (V1 / "proc/5004/stat").read_text().split()[2] == "Z"
    from nsview.errors import ZombieProcess

    with pytest.raises(ZombieProcess):
        report(V1, 5004)
    out = run(nsview_run, V1, 5004)
    assert out.returncode == ExitCode.NO_SUCH_PROCESS and out.stdout == ""
    assert out.stderr.strip().count("\n") == 0 and "zombie" in out.stderr
    js = run(nsview_run, V1, 5004, "--json")
    assert js.returncode == ExitCode.NO_SUCH_PROCESS and json.loads(js.stdout)["error"]["exit_code"] == 3


@pytest.mark.parametrize("tree, pid", [pytest.param(V1, 5000, id="v1"), pytest.param(V2, 4242, id="v2")])
def test_effective_swap_and_memsw_come_as_a_pair(tree, pid):
    # docker -m 64m --memory-swap 128m: swap alone is 64 MiB, memory+swap 128 MiB, on both versions,
    # in the own cgroup and in the effective view (one read, the other derived).
    r = report(tree, pid)
    d = cgroup_to_dict(r)
    assert r.memory is not None
    assert d["memory"]["memsw"]["bytes"] == 128 * MIB and d["memory"]["swap"]["bytes"] == 64 * MIB
    assert d["effective"]["memsw"]["bytes"] == 128 * MIB and d["effective"]["swap"]["bytes"] == 64 * MIB
    assert d["effective"]["swap"]["own"] and d["effective"]["memsw"]["own"]
    if tree is V1:
        directory = tree / "sys/fs/cgroup/memory" / r.placement("memory").cgroup.lstrip("/")
        assert (
            file_int(directory / "memory.memsw.limit_in_bytes")
            - file_int(directory / "memory.limit_in_bytes")
            == 64 * MIB
        )
    else:
        directory = tree / "sys/fs/cgroup" / r.placement("memory").cgroup.lstrip("/")
        assert file_int(directory / "memory.swap.max") == 64 * MIB


def test_ancestor_note_for_every_resource():
    # fixture 5002: /parent sets memory (100 MiB) and CPU (1.5); the child sets nothing
    r = report(V1, 5002)
    notes = " ".join(r.notes)
    assert "memory is limited by ancestor cgroup /parent" in notes
    assert "cpu is limited by ancestor cgroup /parent" in notes
    assert "pids is limited by ancestor" not in notes  # the child's own pids.max 0 binds
    assert file_int(V1 / "sys/fs/cgroup/pids/parent/child:1/pids.max") == 0


def test_text_names_each_cgroup_once_and_its_directories_compactly(nsview_run):
    """On v1 the same container path sits under every controller's mount: the text shows it
    once, with the directories brace-grouped by the mounts' parent. Expanded, they are exactly
    the directories nsview read, and each is a real directory of the fixture (pids is mounted
    apart, at /cgroup/pids, in the hybrid tree)."""
    placed = [pl for pl in report(HYBRID, 6000).placements if pl.available]
    (cgroup,) = {pl.cgroup for pl in placed}
    r = run(nsview_run, HYBRID, 6000, "--no-color")
    assert r.returncode == 0, r.stderr
    lines = [line.strip() for line in r.stdout.splitlines()]
    assert len([line for line in lines if line.endswith(cgroup) and not line.startswith("/")]) == 1
    shown = [line for line in lines if line.startswith("/") and line.endswith(cgroup)]
    assert shown[0].startswith("/sys/fs/cgroup/{") and len(shown) == 2
    expanded = []
    for line in shown:
        m = re.fullmatch(r"(.*)/\{([^}]*)\}(.*)", line)
        expanded += [f"{m.group(1)}/{leaf}{m.group(3)}" for leaf in m.group(2).split(",")] if m else [line]
    assert sorted(expanded) == sorted(pl.directory for pl in placed)
    for d in expanded:
        on_disk = (
            HYBRID / "sys" / Path(d).relative_to("/sys")
            if d.startswith("/sys/")
            else HYBRID / Path(d).relative_to("/")
        )
        assert on_disk.is_dir(), d


@pytest.mark.parametrize("tree", [V1, V2, HYBRID, FIXTURES / "cgroup-v2-selinux"], ids=lambda t: t.name)
def test_ps_memory_limits_are_the_cgroup_collectors(tree):
    # `nsview ps` reads only the limit files (collect.cgroup.MemoryLimits, one per scan); its
    # answer for every process of the tree must be the one the whole collector gives.
    from nsview.collect.ps import memory_from_report
    from nsview.read.process import read_mountinfo, read_proc_cgroup

    proc, sys_ = ProcFS(tree / "proc"), SysFS(tree / "sys")
    from nsview.collect.cgroup import MemoryLimits

    limits = MemoryLimits(sys_, read_mountinfo(proc, "self"))
    pids = sorted(int(p.name) for p in (tree / "proc").iterdir() if p.name.isdigit())
    assert pids
    for pid in pids:
        try:
            full = memory_from_report(collect_cgroup(proc, sys_, pid, ("memory",), details=False))
        except NoSuchProcess:  # a zombie: ps asks the collector itself for those
            continue
        assert limits.of(read_proc_cgroup(proc, pid)) == full, pid
    assert any(limits.of(read_proc_cgroup(proc, pid))[0] is not None for pid in pids)
