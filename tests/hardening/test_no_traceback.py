"""HARDENING "no traceback reaches a user": odd inputs to every command end in one clear line (or
JSON error) with a documented exit code, never a Python traceback."""

from __future__ import annotations

import json

import pytest

from tests.hardening import util

DOCUMENTED = {0, 1, 2, 3, 4, 5, 6, 7, 8}
ODD_TARGETS = [
    "",
    " ",
    "0",
    "-1",
    "--",
    "abc",
    "99999999999999999999999",
    "4194305",
    "../../etc",
    "/",
    "//",
    "1/2/3",
    "a" * 5000,
    "\x1b[31m[red]x",
    "[/bold]",
    ":smile:",
    "\u202e1",
    "１２３",
    "0x10",
    "1e3",
    "acme/",
    "/web",
    "ns/id/extra",
    "\t1",
]


@pytest.mark.parametrize("command", ["tree", "cgroup", "diff"])
@pytest.mark.parametrize("target", ODD_TARGETS, ids=lambda t: repr(t)[:20])
def test_odd_targets_never_traceback(command, target, nsview_cmd):
    r = nsview_cmd(command, "--", target)
    util.no_traceback(r)
    assert r.returncode in DOCUMENTED, (r.returncode, r.stderr)
    if r.returncode not in (0, 6):
        assert r.stdout == "" and r.stderr.count("\n") == 1 and r.stderr.startswith("nsview: ")
        util.assert_inert(r.stderr, forced=False)
    j = nsview_cmd(command, "--json", "--", target)
    util.no_traceback(j)
    assert j.returncode == r.returncode
    if j.returncode not in (0, 6):
        assert json.loads(j.stdout)["error"]["exit_code"] == j.returncode


@pytest.mark.parametrize(
    "argv",
    [
        ("ps", "--runtime", "bogus"),
        ("ps", "--runtime", ""),
        ("ps", "--proc-root", "/nonexistent"),
        ("ps", "--proc-root", "/etc/hostname"),
        ("ps", "--sys-root", "/nonexistent"),
        ("tree", "1", "--depth", "-1"),
        ("tree", "1", "--depth", "x"),
        ("tree", "1", "--proc-root", "/dev/null"),
        ("cgroup", "1", "--sys-root", "/nonexistent"),
        ("cgroup", "1", "--sys-root", "/etc"),
        ("diff", "1", "--against", "abc"),
        ("diff", "1", "--against", "-5"),
        ("diff", "1", "--against", "99999999"),
        ("diff", "1", "--sys-root", "/nonexistent"),
        ("nope",),
        ("tree",),
    ],
    ids=lambda a: " ".join(a),
)
def test_odd_options_never_traceback(argv, nsview_cmd):
    r = nsview_cmd(*argv)
    util.no_traceback(r)
    assert r.returncode in DOCUMENTED, (r.returncode, r.stderr)
