"""The mount tree, hidden mounts and host paths (nsview/model/mount_tree.py), table by table:
each case is a mountinfo shape and what the tree must make of it."""

from __future__ import annotations

import pytest

from nsview.model.mount_tree import (
    COVERED,
    OVERMOUNTED,
    build_tree,
    findmnt_options,
    host_source,
    is_within,
    propagation,
)
from nsview.model.mounts import MountFilter, holds, select
from nsview.parse.mountinfo import parse_mountinfo


def table(*lines: str):
    return parse_mountinfo("\n".join(lines).encode())


def by_target(tree):
    return {n.mount.target: n for n in tree.nodes}


def test_children_before_parents_and_a_missing_parent_for_the_root():
    tree = build_tree(
        table(
            "12 11 0:3 / /proc/sys ro - proc proc rw",
            "11 10 0:3 / /proc rw - proc proc rw",
            "10 1 254:0 / / rw - ext4 /dev/vda rw",
        )
    )
    assert [n.mount.target for n in tree.walk] == ["/", "/proc", "/proc/sys"]
    assert [n.depth for n in tree.walk] == [0, 1, 2]
    root = by_target(tree)["/"]
    assert root.parent is None and root.orphan is None  # the namespace's root: not an orphan
    assert by_target(tree)["/proc/sys"].parent == by_target(tree)["/proc"].index


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("20 20 0:9 / /self rw - tmpfs x rw", "its own parent"),
        ("21 999 0:9 / /orphan rw - tmpfs x rw", "parent 999 is not in this table"),
    ],
)
def test_self_parents_and_orphans_are_roots_with_a_reason(line, why):
    tree = build_tree(table("10 1 254:0 / / rw - ext4 /dev/vda rw", line))
    node = tree.nodes[1]
    assert node.parent is None and node.orphan == why
    assert tree.order[0] == 0  # the namespace's root comes first


def test_a_cycle_of_parent_ids_terminates_and_is_noted():
    tree = build_tree(
        table(
            "10 1 254:0 / / rw - ext4 /dev/vda rw",
            "30 31 0:9 / /a rw - tmpfs x rw",
            "31 30 0:9 / /b rw - tmpfs x rw",
        )
    )
    assert sorted(tree.order) == [0, 1, 2]  # each line once
    assert tree.nodes[1].orphan == "on a cycle of parent ids" and tree.nodes[2].parent == 1
    assert any("cycle" in n for n in tree.notes)


def test_a_reused_id_keeps_both_lines_and_children_go_to_the_first():
    tree = build_tree(
        table(
            "10 1 254:0 / / rw - ext4 /dev/vda rw",
            "15 10 0:9 / /dup rw - tmpfs first rw",
            "15 10 0:9 / /dup2 rw - tmpfs second rw",
            "16 15 0:9 / /dup/kid rw - tmpfs kid rw",
        )
    )
    assert len(tree.nodes) == len(tree.order) == 4
    assert tree.nodes[3].parent == 1


def test_the_issue_case_first_and_inner_hidden_by_the_second():
    # tmpfs on /mnt/a, one on /mnt/a/b, then another over /mnt/a
    tree = build_tree(
        table(
            "10 1 254:0 / / rw - ext4 /dev/vda rw",
            "20 10 0:20 / /mnt/a rw - tmpfs first rw",
            "21 20 0:21 / /mnt/a/b rw - tmpfs inner rw",
            "22 20 0:22 / /mnt/a rw - tmpfs second rw",
        )
    )
    first, inner, second = tree.nodes[1], tree.nodes[2], tree.nodes[3]
    assert (first.hidden.how, first.hidden.by_id) == (OVERMOUNTED, 22)
    assert (inner.hidden.how, inner.hidden.by_id) == (COVERED, 22)
    assert second.hidden is None and tree.nodes[0].hidden is None


def test_a_stack_of_three_and_a_sibling_on_a_path_above():
    tree = build_tree(
        table(
            "10 1 254:0 / / rw - ext4 /dev/vda rw",
            "20 10 0:20 / /m rw - tmpfs one rw",
            "21 20 0:21 / /m rw - tmpfs two rw",
            "22 21 0:22 / /m rw - tmpfs three rw",
            "30 10 0:30 / /opt/x/y rw - tmpfs early rw",
            "31 10 0:31 / /opt/x rw - tmpfs later rw",
            "32 10 0:32 / /opt/xy rw - tmpfs neighbour rw",  # not below /opt/x: whole components
        )
    )
    n = {x.mount.source: x for x in tree.nodes}
    assert n["one"].hidden.by_id == 21 and n["two"].hidden.by_id == 22 and n["three"].hidden is None
    assert (n["early"].hidden.how, n["early"].hidden.by_id) == (COVERED, 31)
    assert n["later"].hidden is None and n["neighbour"].hidden is None


def test_everything_below_a_hidden_mount_is_hidden_by_the_same_mount():
    tree = build_tree(
        table(
            "10 1 254:0 / / rw - ext4 /dev/vda rw",
            "20 10 0:20 / /a rw - tmpfs a rw",
            "21 20 0:21 / /a/b rw - tmpfs b rw",
            "22 21 0:22 / /a/b rw - tmpfs b2 rw",  # over b, itself already covered
            "23 20 0:23 / /a rw - tmpfs top rw",
        )
    )
    n = {x.mount.source: x for x in tree.nodes}
    assert n["b"].hidden.by_id == 23 and n["b2"].hidden.by_id == 23  # not "visible on top of b"
    assert n["top"].hidden is None


def test_is_within_compares_whole_components():
    assert is_within("/a/b", "/a") and is_within("/a", "/a") and is_within("/x", "/")
    assert not is_within("/ab", "/a") and not is_within("/a", "/a/b")


HOST = table(
    "21 1 254:1 / / rw - ext4 /dev/vda1 rw",
    "24 21 254:1 /var/lib/docker /var/lib/docker rw - ext4 /dev/vda1 rw",
    "25 21 254:17 / /srv rw - xfs /dev/vdb rw",
    "26 21 0:30 / /dev/shm rw - tmpfs tmpfs rw",
    "27 26 0:31 / /dev/shm rw - tmpfs tmpfs rw",
    "28 21 0:4 net:[4026532402] /run/netns/x rw - nsfs nsfs rw",
)


@pytest.mark.parametrize(
    ("line", "path", "via"),
    [
        # a Docker volume: the most specific host mount of the disk wins
        (
            "301 300 254:1 /var/lib/docker/volumes/pg/_data /data rw - ext4 /dev/vda1 rw",
            "/var/lib/docker/volumes/pg/_data",
            "/var/lib/docker",
        ),
        # -v "/srv/a b:/data": a bind of a directory of another disk, with a space
        ("302 300 254:17 /a\\040b /data rw - xfs /dev/vdb rw", "/srv/a b", "/srv"),
        ("303 300 254:1 /etc/hosts /etc/hosts rw - ext4 /dev/vda1 rw", "/etc/hosts", "/"),
        ("304 300 0:4 net:[4026532402] /run/x rw - nsfs nsfs rw", "/run/netns/x", "/run/netns/x"),
    ],
)
def test_host_paths(line, path, via):
    (m,) = table(line)
    src = host_source(m, build_tree(HOST))
    assert (src.path, src.via_target) == (path, via)


def test_a_filesystem_the_host_has_not_mounted_says_so():
    (m,) = table("305 300 0:77 / /proc rw - proc proc rw")
    src = host_source(m, build_tree(HOST))
    assert src.path is None and src.note.startswith("not visible from the host: its own proc (0:77)")
    (m,) = table("306 300 8:33 / /disk rw - ext4 /dev/sdc1 rw")
    assert "device 8:33 is not mounted on the host" in host_source(m, build_tree(HOST)).note


def test_a_host_path_hidden_on_the_host_is_given_with_a_caveat():
    (m,) = table("307 300 0:30 / /dev/shm rw - tmpfs tmpfs rw")
    src = host_source(m, build_tree(HOST))
    assert src.path == "/dev/shm" and src.note == "hidden on the host: over-mounted by /dev/shm (#27)"


@pytest.mark.parametrize(
    ("line", "options", "words"),
    [
        ("1 0 0:1 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard", "rw,relatime,discard", "shared"),
        ("1 0 0:1 / / ro,nosuid master:3 - tmpfs t rw,size=4k", "ro,nosuid,size=4k", "private,slave"),
        ("1 0 0:1 / / rw shared:2 master:3 - tmpfs t rw", "rw", "shared,slave"),
        ("1 0 0:1 / / rw unbindable - tmpfs t ro", "ro", "private,unbindable"),
        ("1 0 0:1 / / rw - proc proc rw", "rw", "private"),
    ],
)
def test_findmnt_options_and_propagation(line, options, words):
    (m,) = table(line)
    assert (findmnt_options(m), propagation(m)) == (options, words)


def test_overlay_options_with_escaped_colon_and_comma_survive_leaving_out_the_layers():
    (m,) = table(
        "1 0 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/l/a\\134:b\\134\\054c:/l/d,upperdir=/u,workdir=/w,uuid=on"
    )
    assert m.super_option("lowerdir") == "/l/a\\:b\\,c:/l/d"
    assert findmnt_options(m, leave_out=("lowerdir=", "upperdir=", "workdir=")) == "rw,relatime,uuid=on"


def test_filters_and_what_holds_a_path():
    host = build_tree(HOST)
    mounts = table(
        "300 1 254:1 / / rw - ext4 /dev/vda1 rw",
        "301 300 254:17 /exports /data rw - xfs /dev/vdb rw",
        "302 300 0:9 / /tmp rw - tmpfs tmpfs rw",
    )
    tree = build_tree(mounts)
    from dataclasses import replace

    tree = replace(tree, nodes=tuple(replace(n, host=host_source(n.mount, host)) for n in tree.nodes))
    assert select(tree, MountFilter(types=("tmpfs",))) == (2,)
    assert select(tree, MountFilter(source="/srv/exports")) == (1,)  # by host path
    assert select(tree, MountFilter(source="/dev/vdb[/exports]")) == (1,)  # as findmnt prints it
    assert select(tree, MountFilter(mountpoint="/data")) == (1,)
    assert select(tree, MountFilter(shadowed=True)) == ()
    assert [holds(n, "/srv") for n in tree.nodes] == [None, "mounted from inside", None]
    assert holds(tree.nodes[1], "/srv/exports") == "mounted from here"
    assert holds(tree.nodes[1], "/srv/export") is None  # whole components


def _hidden_by_pairs(mounts, parent_id):
    """The rule, said the slow way: a sibling on a path above (or on the same path, listed
    later) covers a mount; of several, the highest (shortest path), the later on a tie."""
    kids = [i for i, m in enumerate(mounts) if m.parent_id == parent_id and m.mount_id != parent_id]
    out = {}
    for k in kids:
        found = None
        for s in kids:
            t, o = mounts[k].target, mounts[s].target
            above = s != k and is_within(t, o) and (o != t or s > k)
            if above and (found is None or len(o) <= len(mounts[found].target)):
                found = s
        out[mounts[k].mount_id] = None if found is None else mounts[found].mount_id
    return out


def test_many_siblings_are_covered_exactly_as_by_comparing_every_pair():
    # 1000 tmpfs side by side used to cost a million comparisons; the index must change
    # nothing, also for paths written oddly (trailing and doubled slashes, prefixes of names)
    import random

    rng = random.Random(20)
    # (a child on its parent's own path is a stack, a rule of its own: not drawn here)
    paths = ["/m/a", "/m/a/", "/m/a/b", "/m/a/b/c", "/m/ab", "/m/a//b", "/m//a", "/m/b", "/m/a/bc", "/m/x/y"]
    paths += ["/m/a/b/", "/m/x", "/m/x/"]
    for _ in range(200):
        lines = ["1 1 254:0 / / rw - ext4 /dev/vda rw", "2 1 0:2 / /m rw - tmpfs top rw"]
        for i in range(rng.randint(9, 30)):  # more than 8: the indexed path
            lines.append(f"{100 + i} 2 0:{100 + i} / {rng.choice(paths)} rw - tmpfs t{i} rw")
        mounts = table(*lines)
        tree = build_tree(mounts)
        want = _hidden_by_pairs(mounts, 2)
        got = {
            n.mount.mount_id: (n.hidden.by_id if n.hidden is not None else None)
            for n in tree.nodes
            if n.mount.mount_id in want
        }
        assert got == want, lines


def test_a_thousand_siblings_build_in_one_pass():
    lines = ["1 1 254:0 / / rw - ext4 /dev/vda rw", "2 1 0:2 / /m rw - tmpfs top rw"]
    lines += [f"{10 + i} 2 0:{10 + i} / /m/{i} rw - tmpfs t{i} rw" for i in range(1000)]
    lines.append("5000 2 0:5000 / /m/7 rw - tmpfs over rw")  # covers /m/7, listed later
    tree = build_tree(table(*lines))
    hidden = {n.mount.source: n.hidden for n in tree.nodes if n.hidden is not None}
    assert list(hidden) == ["t7"] and hidden["t7"].by_id == 5000 and hidden["t7"].how == OVERMOUNTED
