"""nsview on a pure cgroup v2 kernel: one VM boot per session runs tests/v2vm/guest.sh, which
makes real v2 cgroups, an `unshare` group and a Docker container in them, and writes what it
set, the kernel's files, `docker inspect` and nsview's --json outputs; the tests here check
nsview's outputs against those. The VM tool is found at ``$NSVIEW_V2VM``, else
``../shared/tools/v2vm`` next to the repository (docs/testing.md, "The v2 suite in a VM")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import live
from tests.support.image import build_image_tar

pytestmark = [pytest.mark.v2vm, pytest.mark.live]

REPO = Path(__file__).resolve().parent.parent
GUEST = REPO / "tests" / "v2vm" / "guest.sh"


def tool_dir() -> Path:
    return Path(os.environ.get("NSVIEW_V2VM") or REPO.parent / "shared" / "tools" / "v2vm")


@pytest.fixture(scope="session")
def vm(tmp_path_factory) -> Path:
    """The guest's results directory, from one boot for the whole session."""
    tool = tool_dir()
    runner = tool / "run-in-v2vm.sh"
    missing = f"the v2 VM tool is not at {tool} (set NSVIEW_V2VM to its directory)"
    if not runner.is_file() and os.environ.get("NSVIEW_V2VM_ABSENT"):
        pytest.skip(missing + "; .ci/run said so at its start")  # see .ci/run and docs/testing.md
    live.need(runner.is_file(), missing)
    live.need(
        shutil.which("qemu-system-x86_64") is not None,
        f"qemu-system-x86_64 is not installed (run {tool}/setup.sh)",
    )
    live.need(live.is_root(), "the VM tool runs as root")
    work = tmp_path_factory.mktemp("v2vm")
    tar = build_image_tar(work / "busybox.tar")  # under the host's /tmp, which the guest sees
    results = work / "results"
    results.mkdir()
    env = dict(os.environ, V2VM_RESULTS=str(results), V2VM_TIMEOUT=os.environ.get("V2VM_TIMEOUT", "600"))
    t0 = time.monotonic()
    r = subprocess.run(
        [str(runner), str(GUEST), str(REPO), sys.executable, str(tar)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    (results / "run.log").write_text(r.stdout + r.stderr + f"\nwall {time.monotonic() - t0:.1f}s\n")
    assert r.returncode == 0, f"guest exited {r.returncode}:\n{(r.stdout + r.stderr)[-3000:]}"
    return results


def _json(vm: Path, name: str) -> dict:
    assert (vm / f"{name}.rc").read_text().strip() == "0", (vm / f"{name}.err").read_text()
    assert (vm / f"{name}.err").read_text() == ""
    return json.loads((vm / name).read_text())


def _written(vm: Path) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in (vm / "written.txt").read_text().splitlines())


def _raw(vm: Path, cg: str, name: str) -> str:
    return (vm / "raw" / cg / name).read_text()


def _keyed(text: str) -> dict[str, int]:
    return {k: int(v) for k, v in (line.split() for line in text.splitlines() if line.strip())}


def test_guest_is_pure_v2(vm):
    assert (vm / "fstype").read_text().strip() == "cgroup2fs"
    for name in ("cgroup-limits.json", "cgroup-nested.json", "cgroup-nodeleg.json", "cgroup-docker.json"):
        assert _json(vm, name)["mode"] == "v2"


def test_every_limit_is_the_value_written(vm):
    w, d = _written(vm), _json(vm, "cgroup-limits.json")
    m = d["memory"]
    for key, file in (
        ("limit", "max"),
        ("high", "high"),
        ("low", "low"),
        ("min", "min"),
        ("swap", "swap.max"),
    ):
        assert m[key] == {"bytes": int(w[f"limits.memory.{file}"]), "unlimited": False}, key
        assert m[key]["bytes"] == int(_raw(vm, "nsv-limits", f"memory.{file}"))
    assert m["soft_limit"] is None  # v1 only
    c = d["cpu"]
    assert (c["quota_us"]["value"], c["period_us"]) == (
        int(w["limits.cpu.max.quota"]),
        int(w["limits.cpu.max.period"]),
    )
    assert c["cpus"] == 0.2 and c["weight"] == int(w["limits.cpu.weight"]) and c["shares"] is None
    assert d["cpuset"]["cpus"] == w["limits.cpuset.cpus"] == _raw(vm, "nsv-limits", "cpuset.cpus").strip()
    assert d["pids"]["max"] == {"value": int(w["limits.pids.max"]), "unlimited": False}
    (io,) = d["io"]["limits"]
    assert io["device"] == w["limits.io.device"]
    assert io["rbps"]["value"] == int(w["limits.io.rbps"]) and io["wiops"]["value"] == int(
        w["limits.io.wiops"]
    )
    assert io["wbps"]["unlimited"] and io["riops"]["unlimited"]
    assert d["effective"]["memory"]["cgroup"] == "/nsv-limits" and d["effective"]["memory"]["own"]
    events = _keyed(_raw(vm, "nsv-limits", "memory.events"))
    assert (m["high_events"], m["max_events"], m["oom_kill"]) == (
        events["high"],
        events["max"],
        events["oom_kill"],
    )


def test_throttling_is_cpu_stat(vm):
    """The burner ran at 0.2 CPU and was killed before the files were copied: counters are still."""
    st = _json(vm, "cgroup-limits.json")["cpu"]["stat"]
    raw = _keyed(_raw(vm, "nsv-limits", "cpu.stat"))
    assert (st["nr_periods"], st["nr_throttled"], st["throttled_usec"]) == (
        raw["nr_periods"],
        raw["nr_throttled"],
        raw["throttled_usec"],
    )
    assert raw["nr_throttled"] > 0
    assert st["throttled_percent"] == round(100 * raw["nr_throttled"] / raw["nr_periods"], 1)


def test_pressure_is_read_between_two_copies_of_the_file(vm):
    d = _json(vm, "cgroup-limits.json")
    own = d["pressure"][0]
    assert own["cgroup"] == "/nsv-limits" and own["binds"] == [] and d["pressure_reason"] is None

    def total(name: str) -> int:
        some = _raw(vm, "nsv-limits", name).splitlines()[0]
        return int(some.rsplit("total=", 1)[1])

    assert total("cpu.pressure.before") <= own["cpu"]["some"]["total_usec"] <= total("cpu.pressure.after")
    for r in ("cpu", "memory", "io"):
        for line in ("some", "full"):
            avgs = [own[r][line][k] for k in ("avg10", "avg60", "avg300")]
            assert all(0 <= a <= 100 for a in avgs), (r, line, avgs)


def test_memory_stat_breakdown(vm):
    st = _json(vm, "cgroup-limits.json")["memory"]["stat"]
    raw = _keyed(_raw(vm, "nsv-limits", "memory.stat"))
    for key in ("anon", "file", "kernel", "sock", "shmem"):
        # two idle sleepers: the numbers barely move between the copy and nsview's read
        assert abs(st[f"{key}_bytes"] - raw[key]) <= max(raw[key] // 4, 256 * 1024), key


def test_nested_parent_binds(vm):
    w, d = _written(vm), _json(vm, "cgroup-nested.json")
    eff = d["effective"]
    assert eff["memory"]["bytes"] == int(w["parent.memory.max"]) and eff["memory"]["cgroup"] == "/nsv-parent"
    assert eff["memory"]["own"] is False and d["memory"]["limit"]["unlimited"]
    assert eff["pids"]["value"] == int(w["parent.pids.max"]) and eff["pids"]["cgroup"] == "/nsv-parent"
    binding = {p["cgroup"]: p["binds"] for p in d["pressure"]}
    assert binding == {"/nsv-parent/child": [], "/nsv-parent": ["memory", "pids"]}
    assert any("ancestor cgroup /nsv-parent" in n for n in d["notes"])


def test_undelegated_controller(vm):
    d = _json(vm, "cgroup-nodeleg.json")
    assert _raw(vm, "nsv-nodeleg", "cgroup.subtree_control").split() == ["pids"]
    assert d["delegation"][-1]["cgroup"] == "/nsv-nodeleg/child"
    assert d["delegation"][-1]["controllers"] == _raw(vm, "nsv-nodeleg/child", "cgroup.controllers").split()
    assert d["delegation"][-2]["subtree_control"] == ["pids"]
    gap = {"parent": "/nsv-nodeleg", "cgroup": "/nsv-nodeleg/child"}
    assert d["not_delegated"] == dict.fromkeys(("memory", "cpu", "cpuset", "io"), gap)
    assert "pids" not in d["not_delegated"]
    text = (vm / "cgroup-nodeleg.txt").read_text()
    assert "not delegated below /nsv-nodeleg" in text
    assert "no memory limit can be set on /nsv-nodeleg/child or below" in " ".join(text.split())


def test_unshare_group_init_is_pid_1_of_its_pid_namespace(vm):
    w, d = _written(vm), _json(vm, "ps.json")
    row = next(c for c in d["containers"] if int(w["unshare.pid"]) in c["pids"])
    kid = int(w["unshare.child"])
    assert (vm / "unshare-child-nspid").read_text().split() == ["NSpid:", str(kid), "1"]
    assert row["init_pid"] == kid
    unshare_ns, child_ns = (vm / "unshare-pidns").read_text().split()
    assert unshare_ns == (vm / "host-pidns").read_text().strip() != child_ns
    assert row["namespaces"]["pid"] == child_ns and "pid" in row["isolated"]


def _bpftool_device_programs(vm: Path, name: str) -> int:
    text = (vm / name).read_text()
    assert text.strip() or (vm / name.replace(".json", ".err")).read_text() == "", name
    return sum(
        1
        for p in (json.loads(text) if text.strip() else [])
        if p["attach_type"] in ("cgroup_device", "device")
    )


def test_v2_device_rules_are_the_bpf_programs_bpftool_lists(vm):
    """On v2 the device rules are BPF programs: runc attaches one to the Docker container's
    cgroup (nsview: that many in effect, not "every device"); the bare unshare group's cgroup
    has none (nsview: every device, a high finding). Both counts as bpftool counts them."""
    privileges = _json(vm, "diff-docker.json")["sections"]["privileges"]["target"]
    dev = privileges["devices"]
    assert dev["cgroup_version"] == 2 and dev["rules"] is None
    assert dev["bpf_programs"] == _bpftool_device_programs(vm, "bpftool-docker.json") >= 1
    assert dev["every_device"] is False
    w, ps = _written(vm), _json(vm, "ps.json")
    row = next(c for c in ps["containers"] if int(w["unshare.pid"]) in c["pids"])
    dev = row["privileges"]["devices"]
    assert dev["bpf_programs"] == _bpftool_device_programs(vm, "bpftool-limits.json") == 0
    assert dev["every_device"] is True
    assert any(f["item"] == "devices" and f["severity"] == "high" for f in row["privileges"]["findings"])


def test_docker_container_against_inspect(vm):
    info = json.loads((vm / "inspect.json").read_text())[0]
    hc, w, d = info["HostConfig"], _written(vm), _json(vm, "cgroup-docker.json")
    assert d["pid"] == info["State"]["Pid"]
    assert d["memory"]["limit"]["bytes"] == hc["Memory"] == int(w["docker.memory"])
    # --memory-reservation is memory.low on v2
    assert d["memory"]["low"]["bytes"] == hc["MemoryReservation"] == int(w["docker.reservation"])
    assert d["memory"]["low"]["bytes"] == int((vm / "raw/docker/memory.low").read_text())
    assert d["cpu"]["cpus"] == hc["NanoCpus"] / 1e9 == float(w["docker.cpus"])
    assert d["pids"]["max"]["value"] == hc["PidsLimit"] == int(w["docker.pids"])
    assert d["memory"]["high"]["unlimited"] and (vm / "raw/docker/memory.high").read_text().strip() == "max"
    # a busy loop ran 3 s at 0.5 CPU: throttled, and its cgroup's cpu pressure shows it
    assert d["cpu"]["stat"]["nr_throttled"] > 0
    assert d["pressure"][0]["cgroup"] == (vm / "docker-cgroup").read_text().strip()
    assert d["pressure"][0]["cpu"]["some"]["total_usec"] > 0
    # Docker's default on v2: a private cgroup namespace
    assert hc["CgroupnsMode"] == "private"
    assert d["cgroup_namespace"] == {"id": (vm / "docker-cgroupns").read_text().strip(), "private": True}
    assert d["cgroup_namespace"]["id"] != (vm / "host-cgroupns").read_text().strip()
    text = " ".join((vm / "cgroup-docker.txt").read_text().split())
    for shown in ("low (protection) 48 MiB", "high (throttle) unlimited", "throttled (cpu.stat)", "pressure"):
        assert shown in text, shown
    assert "cgroup namespace " + d["cgroup_namespace"]["id"] + " private" in text


def test_diff_docker_same_path_other_instance(vm):
    m = _json(vm, "diff-docker.json")["sections"]["mounts"]
    inst = {x["target"] for x in m["target"]["other_instance"]}
    only = {x["target"] for side in ("target", "reference") for x in m[side]["only_here"]}
    for path in ("/proc", "/sys", "/dev/pts", "/dev/mqueue", "/sys/fs/cgroup"):
        assert path in inst and path not in only, path
    assert "same path, different filesystem instance" in (vm / "diff-docker.txt").read_text()


def test_v2_json_keys_are_documented(vm):
    """The keys only a v2 host writes (pressure lines, delegation, other_instance) are in
    docs/json.md too: the offline docs test sees only this machine's hybrid output."""
    from tests.test_docs import DATA_KEYED, _documented_keys, _keys

    for name, command in (
        ("cgroup-docker.json", "cgroup"),
        ("cgroup-nodeleg.json", "cgroup"),
        ("cgroup-nested.json", "cgroup"),
        ("diff-docker.json", "diff"),
        ("ps.json", "ps"),
    ):
        missing = _keys(_json(vm, name), DATA_KEYED[command]) - _documented_keys(command)
        assert not missing, (name, sorted(missing))
