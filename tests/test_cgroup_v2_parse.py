"""The v2 files `nsview cgroup` reads beyond limits (pressure, cpu.stat, memory.stat,
cgroup.controllers) and their v1 equivalents: one case per shape a kernel writes, named after it."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nsview.errors import ParseError
from nsview.model.cgroup import CpuStat, DelegationStep, PressureLine, undelegated
from nsview.parse.cgroup_controllers import parse_controller_list
from nsview.parse.cpu_stat import parse_cpu_stat
from nsview.parse.memory_stat import parse_memory_stat
from nsview.parse.pressure import parse_pressure

SOME = "some avg10=1.25 avg60=0.40 avg300=0.10 total=1824365\n"
FULL = "full avg10=0.00 avg60=0.80 avg300=0.21 total=1103817\n"


def test_pressure_some_and_full():
    p = parse_pressure(SOME + FULL, "memory")
    assert p.resource == "memory"
    assert p.some == PressureLine(1.25, 0.40, 0.10, 1824365)
    assert p.full == PressureLine(0.0, 0.80, 0.21, 1103817)


def test_pressure_cpu_before_5_13_has_no_full_line():
    assert parse_pressure(SOME, "cpu").full is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param(FULL, id="full-without-some"),
        pytest.param("some avg10=1.25 avg60=0.40 avg300=0.10\n", id="truncated-no-total"),
        pytest.param("some avg10=1.25 avg60=0.40 avg300=0.10 total=18243", id="ok-no-newline"),
        pytest.param("some avg10=abc avg60=0.40 avg300=0.10 total=1\n", id="not-a-number"),
        pytest.param("some avg10=101.00 avg60=0.40 avg300=0.10 total=1\n", id="above-100-percent"),
        pytest.param(SOME + SOME, id="some-twice"),
        pytest.param("none avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", id="unknown-line"),
        pytest.param("some avg10=0.00 avg10=0.00 avg300=0.00 total=0\n", id="key-twice"),
    ],
)
def test_pressure_bad_shapes(text):
    if text.endswith("18243"):  # the one good line without a newline: a short read still parses
        assert parse_pressure(text, "io").some.total_usec == 18243
        return
    with pytest.raises(ParseError):
        parse_pressure(text, "io")


def test_cpu_stat_v2_throttling():
    text = "usage_usec 2203457\nuser_usec 1541010\nsystem_usec 662447\nnr_periods 32\nnr_throttled 12\nthrottled_usec 1204231\n"
    st_ = parse_cpu_stat(text, 2)
    assert st_ == CpuStat(32, 12, 1204231, 2203457)
    assert st_.throttled_percent == 37.5


def test_cpu_stat_v2_without_cpu_controller_has_usage_only():
    # cpu.stat exists in every v2 cgroup; the throttling lines only where cpu is enabled
    st_ = parse_cpu_stat("usage_usec 10\nuser_usec 5\nsystem_usec 5\n", 2)
    assert (st_.nr_periods, st_.throttled_percent, st_.usage_usec) == (None, None, 10)


def test_cpu_stat_v1_throttled_time_is_nanoseconds():
    st_ = parse_cpu_stat("nr_periods 4\nnr_throttled 1\nthrottled_time 2500000\n", 1)
    assert (st_.throttled_usec, st_.throttled_percent, st_.usage_usec) == (2500, 25.0, None)


def test_cpu_stat_no_periods_yet():
    assert parse_cpu_stat("nr_periods 0\nnr_throttled 0\nthrottled_time 0\n", 1).throttled_percent is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("nr_periods 3\nnr_throttled 4\n", id="more-throttled-than-periods"),
        pytest.param("nr_periods -1\n", id="negative"),
        pytest.param("nr_periods 3\nnr_thr", id="truncated-line"),
    ],
)
def test_cpu_stat_bad(text):
    with pytest.raises(ParseError):
        parse_cpu_stat(text, 2)


def test_memory_stat_v2_breakdown():
    text = "anon 10915840\nfile 3268608\nkernel 1236992\nkernel_stack 65536\nsock 4096\nshmem 8192\ninactive_file 2158592\n"
    m = parse_memory_stat(text, 2)
    assert (m.anon, m.file, m.kernel, m.sock, m.shmem, m.inactive_file) == (
        10915840,
        3268608,
        1236992,
        4096,
        8192,
        2158592,
    )


def test_memory_stat_v2_before_5_18_sums_kernel_parts():
    text = "anon 1\nfile 2\nkernel_stack 16384\npagetables 4096\npercpu 512\nslab 8192\nsock 0\nshmem 0\n"
    assert parse_memory_stat(text, 2).kernel == 16384 + 4096 + 512 + 8192


def test_memory_stat_v1_totals_and_no_kernel_or_sock():
    text = "cache 1\nrss 2\nshmem 3\ntotal_cache 3268608\ntotal_rss 10915840\ntotal_shmem 0\ntotal_inactive_file 7\nhierarchical_memory_limit 9223372036854771712\n"
    m = parse_memory_stat(text, 1)
    assert (m.anon, m.file, m.shmem, m.inactive_file) == (10915840, 3268608, 0, 7)
    assert (m.kernel, m.sock) == (None, None)
    assert m.hierarchical_limit == 9223372036854771712


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("anon 1\nfile", id="truncated-mid-line"),
        pytest.param("anon -5\n", id="negative"),
        pytest.param("anon 1 2\n", id="three-fields"),
        pytest.param("anon 0x10\n", id="hex"),
    ],
)
def test_memory_stat_hostile(text):
    with pytest.raises(ParseError):
        parse_memory_stat(text, 2)


def test_controller_lists():
    assert parse_controller_list("cpuset cpu io memory hugetlb pids rdma misc\n") == (
        "cpuset",
        "cpu",
        "io",
        "memory",
        "hugetlb",
        "pids",
        "rdma",
        "misc",
    )
    assert parse_controller_list("\n") == ()  # a cgroup that hands nothing on
    for bad in ("memory\npids\n", "mem;ory", "Memory", "a" * 40):
        with pytest.raises(ParseError):
            parse_controller_list(bad)


def _steps(*rows: tuple[str, str, str]) -> tuple[DelegationStep, ...]:
    return tuple(DelegationStep(cg, tuple(c.split()), tuple(s.split())) for cg, c, s in rows)


def test_undelegated_finds_the_first_gap_top_down():
    steps = _steps(
        ("/", "cpu memory pids", "cpu memory pids"),
        ("/user.slice", "cpu memory pids", "pids"),
        ("/user.slice/user@1000.service", "pids", "pids"),
        ("/user.slice/user@1000.service/app", "pids", ""),
    )
    assert undelegated(steps, "memory") == ("/user.slice", "/user.slice/user@1000.service")
    assert undelegated(steps, "pids") is None
    assert undelegated(steps, "io") is None  # not in the root at all: not a delegation question


def test_undelegated_unknown_when_a_subtree_control_is_unreadable():
    steps = (
        DelegationStep("/", ("memory",), None),
        DelegationStep("/a", None, ()),
    )
    assert undelegated(steps, "memory") is None
    # the child's own cgroup.controllers answers first; its parent's list only when it is unreadable
    assert undelegated((steps[0], DelegationStep("/a", (), ())), "memory") == ("/", "/a")
    ok = (DelegationStep("/", ("memory",), ("memory",)), DelegationStep("/a", None, ()))
    assert undelegated(ok, "memory") is None


_ALPHABET = "someful avg1036=.0123456789total\n -"
_texts = st.text(alphabet=_ALPHABET, max_size=160) | st.text(max_size=80)
_PARSERS = [
    functools.partial(parse_pressure, resource="cpu"),
    functools.partial(parse_cpu_stat, version=2),
    functools.partial(parse_cpu_stat, version=1),
    functools.partial(parse_memory_stat, version=2),
    functools.partial(parse_memory_stat, version=1),
    parse_controller_list,
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_PARSERS), _texts)
def test_fuzz_v2_files_only_raise_parse_error(parser, text):
    try:
        parser(text)
    except ParseError:
        pass
