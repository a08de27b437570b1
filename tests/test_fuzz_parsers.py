"""HARDENING: parsers are fuzzed. Whatever bytes the kernel (or a hostile snapshot) hands them,
a parser returns records or raises the project's ParseError, never anything else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nsview.collect.cgroup_membership import parse_proc_cgroup
from nsview.collect.cmdline import parse_cmdline
from nsview.collect.mountinfo import parse_mountinfo
from nsview.collect.ns import parse_ns_link
from nsview.collect.stat import parse_stat
from nsview.collect.status import parse_status
from nsview.errors import ParseError

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
@given(st.integers(0, 2**32), st.binary(max_size=40), st.lists(st.integers(-5, 2**40), min_size=0, max_size=60))
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
