"""docs/hardening.md, "no traceback reaches a user": odd inputs to every command end in one clear line (or
JSON error) with a documented exit code, never a Python traceback."""

from __future__ import annotations

import json

import pytest

from tests.hardening import util
from tests.hardening.util import DOCUMENTED

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


@pytest.mark.live  # a target that is not a pid is looked up in the live /proc (its containers)
@pytest.mark.parametrize("command", ["tree", "cgroup", "diff", "mounts", "changes"])
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


# the live /proc: these read the host's pid 1 or scan its processes
_LIVE = pytest.mark.live


@pytest.mark.parametrize(
    "argv",
    [
        ("ps", "--runtime", "bogus"),
        ("ps", "--runtime", ""),
        ("ps", "--proc-root", "/nonexistent"),
        ("ps", "--proc-root", "/etc/hostname"),
        pytest.param(("ps", "--sys-root", "/nonexistent"), marks=_LIVE),
        ("tree", "1", "--depth", "-1"),
        ("tree", "1", "--depth", "x"),
        ("tree", "1", "--proc-root", "/dev/null"),
        pytest.param(("cgroup", "1", "--sys-root", "/nonexistent"), marks=_LIVE),
        pytest.param(("cgroup", "1", "--sys-root", "/etc"), marks=_LIVE),
        pytest.param(("diff", "1", "--against", "abc"), marks=_LIVE),
        pytest.param(("diff", "1", "--against", "-5"), marks=_LIVE),
        pytest.param(("diff", "1", "--against", "99999999"), marks=_LIVE),
        pytest.param(("diff", "1", "--sys-root", "/nonexistent"), marks=_LIVE),
        pytest.param(("mounts", "1", "-t", ""), marks=_LIVE),
        pytest.param(("mounts", "1", "--source", "\x1b[2J"), marks=_LIVE),
        pytest.param(("mounts", "1", "no/such/point"), marks=_LIVE),
        pytest.param(("mounts", "--holding", "/"), marks=_LIVE),
        pytest.param(("mounts", "--holding", "/../..//x/./"), marks=_LIVE),
        ("mounts", "--holding", ""),
        ("mounts", "--holding", "\x00"),
        ("mounts", "--proc-root", "/dev/null", "1"),
        ("nope",),
        ("tree",),
    ],
    ids=lambda a: " ".join(a),
)
def test_odd_options_never_traceback(argv, request):
    # live ones in a real process (live tests always are), the others in this one
    live = request.node.get_closest_marker("live") is not None
    r = request.getfixturevalue("nsview_cmd" if live else "nsview_run")(*argv)
    util.no_traceback(r)
    assert r.returncode in DOCUMENTED, (r.returncode, r.stderr)
