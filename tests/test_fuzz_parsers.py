"""docs/hardening.md: parsers are fuzzed. Whatever bytes the kernel (or a hostile snapshot) hands them,
a parser returns records or raises the project's ParseError, never anything else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nsview.errors import ParseError
from nsview.parse.cgroupfs import (
    decode_limit,
    parse_blkio_throttle,
    parse_count,
    parse_cpu_max,
    parse_io_max,
    parse_keyed,
    parse_weight,
)
from nsview.parse.cmdline import parse_cmdline
from nsview.parse.id_map import parse_id_map
from nsview.parse.meminfo import parse_memtotal
from nsview.parse.mountinfo import parse_mountinfo
from nsview.parse.ns_link import parse_ns_link
from nsview.parse.overlay import split_lowerdir
from nsview.parse.proc_cgroup import parse_proc_cgroup
from nsview.parse.rtnetlink import parse_rtnetlink
from nsview.parse.stat import parse_stat
from nsview.parse.status import parse_status
from nsview.parse.utsname import parse_utsname

# Bytes biased towards the separators the parsers care about, so the fuzzer reaches deep.
_ALPHABET = b" ()\n\t:,-\\/0123456789SZabc\x00\x1b\xff"
kernelish = st.lists(st.sampled_from(list(_ALPHABET)), max_size=300).map(bytes) | st.binary(max_size=300)


def _only_parse_errors(parser, data):
    try:
        parser(data)
    except ParseError:
        pass


@settings(max_examples=400, deadline=None)
@given(kernelish)
def test_fuzz_stat(data):
    _only_parse_errors(parse_stat, data)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 2**32), st.binary(max_size=40), st.lists(st.integers(-5, 2**40), min_size=0, max_size=60)
)
def test_fuzz_stat_structured(pid, comm, fields):
    data = b"%d (%s) S " % (pid, comm) + b" ".join(b"%d" % f for f in fields)
    try:
        stat = parse_stat(data)
    except ParseError:
        return
    assert stat.pid == pid
    # whatever comm holds (even ") S 1 ("), the last ")" ends it
    assert stat.comm == comm.decode("utf-8", "backslashreplace")
    assert stat.state == "S"


@settings(max_examples=400, deadline=None)
@given(kernelish)
def test_fuzz_status(data):
    _only_parse_errors(parse_status, data)


@settings(max_examples=400, deadline=None)
@given(kernelish)
def test_fuzz_cmdline(data):
    args = parse_cmdline(data)  # never raises: every byte string is some argv
    assert all(isinstance(a, str) for a in args)
    assert all("\x00" not in a for a in args)


@settings(max_examples=400, deadline=None)
@given(kernelish)
def test_fuzz_mountinfo(data):
    _only_parse_errors(parse_mountinfo, data)


@settings(max_examples=400, deadline=None)
@given(kernelish)
def test_fuzz_proc_cgroup(data):
    _only_parse_errors(parse_proc_cgroup, data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_ns_link(text):
    _only_parse_errors(parse_ns_link, text)


# ---- cgroup value files, overlay options, id maps, utsname, rtnetlink ------------------------

_VALUE_ALPHABET = "max -0123456789:=\n\t rbpswioefault922337203685477"
cgroup_text = st.text(alphabet=_VALUE_ALPHABET, max_size=120) | st.text(max_size=80)
_VALUE_PARSERS = [
    decode_limit,
    parse_count,
    parse_keyed,
    parse_cpu_max,
    parse_io_max,
    parse_blkio_throttle,
    parse_weight,
    parse_memtotal,
    parse_id_map,
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_VALUE_PARSERS), cgroup_text)
def test_fuzz_cgroup_value_files(parser, text):
    _only_parse_errors(parser, text)


@settings(max_examples=300, deadline=None)
@given(cgroup_text)
def test_fuzz_decode_limit_never_reports_a_sentinel(text):
    try:
        lim = decode_limit(text)
    except ParseError:
        return
    from nsview.parse.cgroupfs import UNLIMITED_SENTINELS

    assert lim.unlimited or (
        lim.value is not None and lim.value >= 0 and lim.value not in UNLIMITED_SENTINELS
    )


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab/\\:,l", max_size=60))
def test_fuzz_split_lowerdir(value):
    layers = split_lowerdir(value)  # never raises: every option string is some list of layers
    assert all(path for path, _ in layers)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=400) | st.binary(min_size=390, max_size=390))
def test_fuzz_utsname(raw):
    _only_parse_errors(parse_utsname, raw)


@settings(max_examples=300, deadline=None)
@given(kernelish | st.binary(min_size=16, max_size=200))
def test_fuzz_rtnetlink(data):
    _only_parse_errors(parse_rtnetlink, data)


@settings(max_examples=300, deadline=None)
@given(kernelish)
def test_fuzz_security_status(data):
    from nsview.parse.status import parse_security_status

    _only_parse_errors(parse_security_status, data)


@settings(max_examples=300, deadline=None)
@given(kernelish)
def test_fuzz_attr_current(data):
    from nsview.parse.lsm import parse_attr_current

    _only_parse_errors(parse_attr_current, data)


@settings(max_examples=300, deadline=None)
@given(kernelish)
def test_fuzz_devices_list(data):
    from nsview.parse.devices_list import parse_devices_list

    _only_parse_errors(parse_devices_list, data.decode("utf-8", "replace"))
