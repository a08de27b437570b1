"""cgroup value parsers, path containment, mount discovery and mode detection: one case per
kernel quirk, named after it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nsview.errors import NotAvailable, ParseError
from nsview.model.cgroup import CpuInfo, Limit, MemoryInfo
from nsview.model.cgroup_placement import (
    CGROUP2_SUPER_MAGIC,
    TMPFS_MAGIC,
    cgroup_components,
    cgroup_mounts,
    detect_mode,
    place,
)
from nsview.parse.cgroupfs import (
    UNLIMITED_SENTINELS,
    decode_limit,
    parse_blkio_throttle,
    parse_count,
    parse_cpu_max,
    parse_io_max,
    parse_keyed,
    parse_weight,
)
from nsview.parse.meminfo import parse_memtotal
from nsview.parse.mountinfo import parse_mountinfo
from nsview.parse.proc_cgroup import parse_proc_cgroup
from nsview.procfs import SysFS
from nsview.read.cgroupfs import host_location
from nsview.render.units import human_bytes

UNL = Limit(None, True)


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("max\n", UNL, id="v2-max"),
        pytest.param("-1\n", UNL, id="v1-cfs-quota-minus-one"),
        pytest.param("9223372036854771712\n", UNL, id="page-counter-max-4k-pages"),
        pytest.param("9223372036854759424", UNL, id="page-counter-max-16k-pages"),
        pytest.param("9223372036854710272", UNL, id="page-counter-max-64k-pages"),
        pytest.param("9223372036854775807", UNL, id="long-max-old-kernels"),
        pytest.param("0\n", Limit(0), id="zero-is-a-real-limit"),
        pytest.param("67108864\n", Limit(67108864), id="plain-bytes-trailing-newline"),
        pytest.param("  100  ", Limit(100), id="surrounding-blanks"),
        pytest.param("9223372036854771711", Limit(9223372036854771711), id="one-below-sentinel-is-a-limit"),
        pytest.param("9223372036854771713", Limit(9223372036854771713), id="one-above-sentinel-is-a-limit"),
    ],
)
def test_decode_limit(text, expected):
    assert decode_limit(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("-5", id="negative-other-than-minus-one"),
        pytest.param("", id="empty"),
        pytest.param("1_000", id="python-underscore-digits"),
        pytest.param("١٢", id="unicode-digits"),
        pytest.param("12k", id="unit-suffix"),
        pytest.param("max 100000", id="two-words"),
    ],
)
def test_decode_limit_rejects(text):
    with pytest.raises(ParseError):
        decode_limit(text)


def test_sentinels_are_page_counter_max_times_page_size():
    long_max = 2**63 - 1
    for page in (4096, 16384, 65536):
        assert (long_max // page) * page in UNLIMITED_SENTINELS
    assert long_max in UNLIMITED_SENTINELS
    assert 0 not in UNLIMITED_SENTINELS


@pytest.mark.parametrize(
    "text, quota, period",
    [
        pytest.param("max 100000\n", UNL, 100000, id="unlimited"),
        pytest.param("50000 100000\n", Limit(50000), 100000, id="half-a-cpu"),
        pytest.param("0 100000", Limit(0), 100000, id="zero-quota"),
    ],
)
def test_parse_cpu_max(text, quota, period):
    assert parse_cpu_max(text) == (quota, period)


@pytest.mark.parametrize("text", ["max", "50000 100000 7", "50000 x", ""])
def test_parse_cpu_max_rejects(text):
    with pytest.raises(ParseError):
        parse_cpu_max(text)


@pytest.mark.parametrize(
    "quota, period, cpus",
    [(Limit(50000), 100000, 0.5), (Limit(150000), 100000, 1.5), (UNL, 100000, None), (Limit(50000), 0, None)],
)
def test_cpus_from_quota_and_period(quota, period, cpus):
    assert CpuInfo(quota_us=quota, period_us=period).cpus == cpus


def test_parse_io_max_keeps_each_device_and_decodes_max():
    (dev,) = parse_io_max("8:16 rbps=2097152 wbps=max riops=max wiops=120\n")
    assert dev.device == "8:16"
    assert dev.rbps == Limit(2097152) and dev.wiops == Limit(120)
    assert dev.wbps.unlimited and dev.riops.unlimited


@pytest.mark.parametrize("text", ["sda rbps=1", "8:0 rbps", "8:0 rbps=-7"])
def test_parse_io_max_rejects(text):
    with pytest.raises(ParseError):
        parse_io_max(text)


def test_parse_blkio_throttle():
    assert parse_blkio_throttle("8:0 1048576\n253:1 0\n") == {"8:0": Limit(1048576), "253:1": Limit(0)}
    assert parse_blkio_throttle("") == {}
    with pytest.raises(ParseError):
        parse_blkio_throttle("8:0\n")


def test_parse_keyed_memory_stat_and_oom_control():
    assert parse_keyed(
        "cache 0\ntotal_inactive_file 4096\nhierarchical_memory_limit 9223372036854771712\n"
    ) == {
        "cache": 0,
        "total_inactive_file": 4096,
        "hierarchical_memory_limit": 9223372036854771712,
    }
    assert parse_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")["oom_kill"] == 3
    with pytest.raises(ParseError):
        parse_keyed("key\n")


@pytest.mark.parametrize("text, value", [("default 100\n8:0 200\n", 100), ("500\n", 500)])
def test_parse_weight(text, value):
    assert parse_weight(text) == value


def test_parse_count_and_memtotal():
    assert parse_count("17\n") == 17
    with pytest.raises(ParseError):
        parse_count("-1")
    assert parse_memtotal("MemTotal:       16303412 kB\nMemFree: 1 kB\n") == 16303412 * 1024
    with pytest.raises(ParseError):
        parse_memtotal("MemFree: 1 kB\n")


def test_usage_minus_inactive_file_like_docker_stats():
    assert MemoryInfo(usage=10 << 20, inactive_file=4 << 20).usage_minus_inactive_file == 6 << 20
    assert MemoryInfo(usage=1, inactive_file=5).usage_minus_inactive_file == 0
    assert MemoryInfo(usage=7).usage_minus_inactive_file == 7


@pytest.mark.parametrize(
    "path, parts",
    [
        pytest.param("/", (), id="root"),
        pytest.param("/docker/abc", ("docker", "abc"), id="plain"),
        pytest.param("/docker/../docker/abc", ("docker", "abc"), id="detour"),
        pytest.param("/a/./b//c", ("a", "b", "c"), id="dot-and-double-slash"),
        pytest.param("/../../x", ("..", "..", "x"), id="above-the-cgroupns-root-is-kept"),
        pytest.param("/slice/app:v1", ("slice", "app:v1"), id="colon-in-name"),
    ],
)
def test_cgroup_components(path, parts):
    assert cgroup_components(path) == parts


MOUNTINFO_HYBRID = b"""31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/x,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 31 0:32 /docker /mnt/mem rw,relatime - cgroup cgroup rw,memory
"""


def test_cgroup_mounts_read_controllers_from_super_options():
    mounts = cgroup_mounts(parse_mountinfo(MOUNTINFO_HYBRID))
    assert [(m.version, m.target, m.controllers) for m in mounts] == [
        (1, "/sys/fs/cgroup/cpu,cpuacct", ("cpu", "cpuacct")),
        (1, "/sys/fs/cgroup/memory", ("memory",)),
        (1, "/sys/fs/cgroup/systemd", ("name=systemd",)),
        (2, "/sys/fs/cgroup/unified", ()),
        (1, "/mnt/mem", ("memory",)),
    ]
    assert mounts[-1].root == "/docker"


@pytest.mark.parametrize(
    "lines, magic, mode",
    [
        pytest.param(MOUNTINFO_HYBRID, TMPFS_MAGIC, "hybrid", id="hybrid"),
        pytest.param(
            b"26 25 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", CGROUP2_SUPER_MAGIC, "v2", id="v2"
        ),
        pytest.param(
            b"26 25 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", None, "v2", id="v2-fixture-no-statfs"
        ),
        pytest.param(
            b"35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", TMPFS_MAGIC, "v1", id="v1"
        ),
        pytest.param(
            b"40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
            b"41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
            CGROUP2_SUPER_MAGIC,
            "v2",
            id="named-v1-only-is-not-hybrid",
        ),
        pytest.param(
            # RHEL/Fedora: SELinux adds "seclabel" to every labelled mount, a name-only v1
            # hierarchy too; it is no controller, so this pure v2 host is not hybrid
            b"40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,seclabel,name=systemd\n"
            b"41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,seclabel,nsdelegate\n",
            None,
            "v2",
            id="seclabel-is-not-a-controller",
        ),
        pytest.param(
            b"35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,seclabel,memory\n"
            b"41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,seclabel\n",
            TMPFS_MAGIC,
            "hybrid",
            id="seclabel-beside-a-real-controller-still-hybrid",
        ),
        pytest.param(b"", None, "none", id="no-cgroup-mounts"),
    ],
)
def test_detect_mode(lines, magic, mode):
    assert detect_mode(cgroup_mounts(parse_mountinfo(lines)), magic)[0] == mode


def _never(_d, _c):
    return None


def test_place_joins_path_relative_to_the_mount_root():
    mounts = cgroup_mounts(parse_mountinfo(MOUNTINFO_HYBRID))
    members = parse_proc_cgroup(b"4:memory:/docker/../docker/abc\n2:cpu,cpuacct:/x\n0::/docker/abc\n")
    mem = place("memory", members, mounts, _never)
    assert mem.available and mem.version == 1 and mem.hierarchy_id == 4
    assert mem.cgroup == "/docker/abc"
    assert mem.directory == "/sys/fs/cgroup/memory/docker/abc"  # /sys/fs/cgroup preferred over /mnt/mem
    cpu = place("cpu", members, mounts, _never)
    assert cpu.directory == "/sys/fs/cgroup/cpu,cpuacct/x" and cpu.controller == "cpu"


def test_place_uses_a_sub_tree_mount_by_its_root():
    mounts = cgroup_mounts(parse_mountinfo(b"50 31 0:32 /docker /mnt/mem rw - cgroup cgroup rw,memory\n"))
    p = place("memory", parse_proc_cgroup(b"4:memory:/docker/abc\n"), mounts, _never)
    assert p.directory == "/mnt/mem/abc"
    outside = place("memory", parse_proc_cgroup(b"4:memory:/system.slice/x\n"), mounts, _never)
    assert not outside.available and "outside" in (outside.reason or "")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/../../etc", id="climbs-above-root"),
        pytest.param("/..", id="just-dotdot"),
        pytest.param("/a/../../../sys/kernel", id="climbs-after-a-component"),
    ],
)
def test_place_never_leaves_the_mount(path):
    mounts = cgroup_mounts(parse_mountinfo(b"26 25 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"))
    p = place("memory", parse_proc_cgroup(f"0::{path}\n".encode()), mounts, _never)
    assert not p.available and p.directory is None


def test_place_not_mounted_and_not_enabled():
    members = parse_proc_cgroup(b"3:cpuset:/docker/x\n0::/docker/x\n")
    v2 = cgroup_mounts(parse_mountinfo(b"41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"))
    cpuset = place("cpuset", members, v2, _never)
    assert not cpuset.available and "not mounted" in (cpuset.reason or "")
    mem = place("memory", members, v2, lambda d, c: "memory not enabled")
    assert not mem.available and mem.reason == "memory not enabled" and mem.version == 2


def test_host_location_maps_mount_points_below_the_sys_root(tmp_path):
    sys = SysFS(tmp_path / "sys")
    fs, rel = host_location("/sys/fs/cgroup/memory/docker/x", sys)
    assert fs is sys and rel == "fs/cgroup/memory/docker/x"
    fs, rel = host_location("/cgroup/pids/docker", sys)
    assert Path(fs.root) == tmp_path and rel == "cgroup/pids/docker"
    live, rel = host_location("/cgroup/pids", SysFS("/sys"))
    assert Path(live.root) == Path("/") and rel == "cgroup/pids"
    with pytest.raises(NotAvailable):
        host_location("/../etc", sys)


@pytest.mark.parametrize(
    "n, text",
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KiB"),
        (67108864, "64 MiB"),
        (70778880, "67.5 MiB"),
        (8 << 30, "8 GiB"),
    ],
)
def test_human_bytes(n, text):
    assert human_bytes(n) == text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_decode_limit_fuzz_returns_limit_or_parse_error(text):
    try:
        lim = decode_limit(text)
    except ParseError:
        return
    assert (lim.value is None) == lim.unlimited
    assert lim.value is None or (lim.value >= 0 and lim.value not in UNLIMITED_SENTINELS)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_value_parsers_fuzz(text):
    for parser in (parse_cpu_max, parse_io_max, parse_blkio_throttle, parse_keyed, parse_weight):
        try:
            parser(text)
        except ParseError:
            pass


def test_model_imports_no_rich():
    code = "import sys, nsview.model.cgroup, nsview.collect.cgroup; assert 'rich' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_seclabel_is_not_listed_as_a_controller():
    line = b"40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,seclabel,xattr,name=systemd\n"
    assert cgroup_mounts(parse_mountinfo(line))[0].controllers == ("name=systemd",)
