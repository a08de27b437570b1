"""`nsview ps`: one row per bare `unshare` group, the STATE word, the freezer parsers.

The grouping is checked on a copy of the containers-unshare fixture reshaped into what
`unshare --uts --net --pid --mount --fork` leaves behind; expected values are computed from the
copy's own ns links, not from nsview."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nsview.collect.ps import scan_containers
from nsview.errors import ParseError
from nsview.model.attribution import bare_groups
from nsview.model.container import process_state
from nsview.parse.cgroupfs import parse_cgroup_events_frozen, parse_freezer_state
from nsview.procfs import ProcFS
from tests.support.paths import FIXTURES


def relink(link: Path, target: str) -> None:
    link.unlink()
    os.symlink(target, link)


@pytest.fixture
def unshare_pid_tree(tmp_path) -> Path:
    """700 = `unshare` (new mnt, net, uts), 701 = its forked child, also in the new pid ns."""
    root = tmp_path / "containers-unshare"
    shutil.copytree(FIXTURES / "containers-unshare", root, symlinks=True)
    proc = root / "proc"
    for pid in ("700", "701"):
        relink(proc / pid / "ns" / "mnt", "mnt:[4026533102]")
    relink(proc / "701" / "ns" / "pid", "pid:[4026533103]")
    return proc


def differing(proc: Path, pid: str) -> set[str]:
    return {
        t
        for t in os.listdir(proc / pid / "ns")
        if os.readlink(proc / pid / "ns" / t) != os.readlink(proc / "1" / "ns" / t)
    }


def test_unshare_with_pid_ns_is_one_group(unshare_pid_tree):
    proc = unshare_pid_tree
    result = scan_containers(ProcFS(proc), None)
    bare = [c for c in result.containers if c.runtime == "namespaces only"]
    assert len(bare) == 1, [(c.init_pid, c.pids) for c in bare]
    c = bare[0]
    assert (c.init_pid, c.pids) == (700, (700, 701))  # the topmost: the unshare process
    # the two processes differ in different sets; the group isolates their union
    assert differing(proc, "700") == {"mnt", "net", "uts"}
    assert differing(proc, "701") == {"mnt", "net", "pid", "uts"}
    assert list(c.isolated) == sorted(differing(proc, "700") | differing(proc, "701"))
    # `namespaces` stays the init's own
    assert str(c.namespaces["pid"]) == os.readlink(proc / "700" / "ns" / "pid")
    assert c.state == "sleeping"  # stat says S


def test_bare_groups_joins_parent_and_same_namespaces():
    # 10 -> 11 -> 12 is one unshare subtree; 20 (parent 1, a host shell) entered 10's
    # namespaces with nsenter; 30 is an unrelated unshare
    parent = {10: 5, 11: 10, 12: 11, 20: 1, 30: 6}
    diff = {
        10: ("mnt:[1]",),
        11: ("mnt:[1]", "pid:[2]"),
        12: ("mnt:[1]", "pid:[2]"),
        20: ("mnt:[1]",),
        30: ("net:[3]",),
    }
    assert bare_groups(parent, diff) == [[10, 11, 12, 20], [30]]


def test_bare_groups_survives_a_ppid_cycle():
    # a reused pid can make a snapshot's ppid chain loop; grouping must still end
    assert bare_groups({1000: 1001, 1001: 1000}, {1000: ("a",), 1001: ("b",)}) == [[1000, 1001]]


@pytest.mark.parametrize(
    "letter, freezer, word",
    [
        ("S", None, "sleeping"),
        ("R", "thawed", "running"),
        ("D", "frozen", "paused"),  # the v1 freezer shows frozen tasks in D
        ("S", "freezing", "pausing"),
        ("T", None, "stopped"),
        ("t", None, "tracing-stop"),
        ("Z", None, "zombie"),
        ("?", None, "?"),  # an unknown letter is shown as is
        (None, None, None),
    ],
)
def test_process_state(letter, freezer, word):
    assert process_state(letter, freezer) == word


@pytest.mark.parametrize(
    "text, state",
    [("FROZEN\n", "frozen"), ("THAWED\n", "thawed"), ("FREEZING", "freezing")],
)
def test_parse_freezer_state(text, state):
    assert parse_freezer_state(text) == state


@pytest.mark.parametrize(
    "text, state",
    [("populated 1\nfrozen 1\n", "frozen"), ("populated 0\nfrozen 0\n", "thawed")],
)
def test_parse_cgroup_events(text, state):
    assert parse_cgroup_events_frozen(text) == state


@pytest.mark.parametrize(
    "parser, text",
    [
        (parse_freezer_state, "frozen\n"),  # the kernel writes upper case only
        (parse_freezer_state, ""),
        (parse_cgroup_events_frozen, "populated 1\n"),  # kernel before 5.2: no frozen line
        (parse_cgroup_events_frozen, "frozen yes\n"),
    ],
)
def test_freezer_parsers_reject_odd_text(parser, text):
    with pytest.raises(ParseError):
        parser(text)
