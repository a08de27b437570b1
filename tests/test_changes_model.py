"""model/changes.py on layers held in dicts: docker's and podman's rules case by case, the order,
the summary and --limit (no I/O: the live checks against the engines are in
test_changes_live.py, the kernel's own answer in tests/hardening/test_layer_files.py)."""

from __future__ import annotations

import stat

import pytest

from nsview.errors import AccessDenied
from nsview.model.changes import ChangeReport, ChangeWalk, LayerInfo, Node, differences, summarize

S = 10**9
T = 1_700_000_000 * S  # whole seconds, as in a layer unpacked from a tar


def f(data: int = 1, *, mode: int = 0o644, mtime: int = T, uid: int = 0, **kw) -> Node:
    return Node(b"", stat.S_IFREG | mode, uid, 0, 0, data, mtime, **kw)


def d(children: dict | None = None, *, mode: int = 0o755, mtime: int = T, opaque: bytes | None = None, **kw):
    return (Node(b"", stat.S_IFDIR | mode, 0, 0, 0, 4096, mtime, opaque=opaque, **kw), children or {})


WH = Node(b"", stat.S_IFCHR, 0, 0, 0, 0, T)  # a whiteout: char device 0:0
LINK = Node(b"", stat.S_IFLNK | 0o777, 0, 0, 0, 11, T + 5 * S)


class Layers:
    """A LayerSource over dicts: name -> Node (a leaf) or (Node, {children}) (a directory)."""

    def __init__(self, upper: dict, *lowers: dict, caps: dict | None = None, denied: tuple = ()) -> None:
        self.upper, self.lowers, self.caps, self.denied = upper, lowers, caps or {}, denied

    @property
    def lower_count(self) -> int:
        return len(self.lowers)

    @staticmethod
    def _dir(tree: dict, path: tuple) -> dict | None:
        for name in path:
            entry = tree.get(name.decode())
            if not isinstance(entry, tuple):
                return None
            tree = entry[1]
        return tree

    @staticmethod
    def _nodes(tree: dict | None) -> list[Node]:
        out = []
        for name, entry in (tree or {}).items():
            node = entry[0] if isinstance(entry, tuple) else entry
            fields = [getattr(node, s) for s in Node.__slots__]
            fields[0] = name.encode()
            out.append(Node(*fields))
        return out

    def upper_nodes(self, path):
        if path in self.denied:
            raise AccessDenied("/".join(p.decode() for p in path))
        return self._nodes(self._dir(self.upper, path))

    def lower_nodes(self, layer, path):
        return self._nodes(self._dir(self.lowers[layer], path))

    def lower_node(self, layer, path, name):
        return next((n for n in self.lower_nodes(layer, path) if n.name == name), None)

    def capability(self, layer, path, name):
        return self.caps.get((layer, b"/".join((*path, name)).decode()))


def run(layers: Layers, style: str = "docker") -> list[str]:
    return [f"{c.kind} {c.path}" for c in ChangeWalk(layers, style)]


IMAGE = {
    "etc": d({"motd": f(6), "app": d({"a.conf": f(), "sub": d({"b.conf": f()})}), "keep": f()}),
    "bin": d({"sh": f(100)}),
}


def test_added_dirs_list_their_contents_parents_first():
    up = {"srv": d({"new": d({"file": f()})})}
    assert run(Layers(up, IMAGE)) == ["A /srv", "A /srv/new", "A /srv/new/file"]


def test_a_changed_file_lists_its_parent_first_even_when_the_parent_is_unchanged():
    up = {"etc": d({"motd": f(7, mtime=T + 1)})}
    assert run(Layers(up, IMAGE)) == ["C /etc", "C /etc/motd"]


def test_a_copy_up_that_changed_nothing_is_no_change_for_docker_but_c_for_podman():
    up = {"etc": d({"keep": f()})}
    assert run(Layers(up, IMAGE)) == []
    assert run(Layers(up, IMAGE), "podman") == ["C /etc/keep"]  # the directory is unchanged: skipped


@pytest.mark.parametrize(
    ("new", "why"),
    [
        (f(mode=0o600), ("mode",)),
        (f(uid=1000), ("owner",)),
        (f(2), ("size",)),
        (f(mtime=T + S), ("mtime",)),
        (LINK, ("type", "size", "mtime")),
    ],
)
def test_what_differs(new, why):
    assert differences(new, f()) == why


def test_whole_second_mtimes_match_any_nanoseconds_like_moby():
    assert differences(f(mtime=T + 123), f()) == ()  # a tar layer has no nanoseconds
    assert differences(f(mtime=T + S), f()) == ("mtime",)
    assert differences(f(mtime=T + S + 1), f(mtime=T + 2)) == ("mtime",)


def test_directories_compare_mode_and_owner_not_size_or_mtime():
    node, _ = d(mtime=T + 99)
    assert differences(node, d()[0]) == ()
    assert differences(d(mode=0o700)[0], d()[0]) == ("mode",)


def test_capability_alone_is_a_change():
    up = {"bin": d({"sh": f(100)})}
    assert run(Layers(up, IMAGE, caps={(None, "bin/sh"): b"\x01"})) == ["C /bin", "C /bin/sh"]
    assert run(Layers(up, IMAGE)) == []


def test_whiteout_is_d_only_where_the_lowers_have_the_name():
    up = {"etc": d({"motd": WH, "never-was": WH})}
    assert run(Layers(up, IMAGE)) == ["C /etc", "D /etc/motd"]
    assert run(Layers(up, IMAGE), "podman") == ["C /etc", "D /etc/motd", "D /etc/never-was"]


def test_opaque_dir_docker_lists_what_it_hides_podman_deletes_the_dir():
    up = {"etc": d({"app": d({"new.conf": f(), "sub": d({"b.conf": f()})}, opaque=b"y")})}
    assert run(Layers(up, IMAGE)) == ["C /etc", "C /etc/app", "A /etc/app/new.conf", "D /etc/app/a.conf"]
    assert run(Layers(up, IMAGE), "podman") == [
        "C /etc",
        "D /etc/app",
        "A /etc/app/new.conf",
        "C /etc/app/sub/b.conf",  # podman looks in the lowers layer by layer, opaque or not
    ]


def test_below_an_opaque_dir_a_recreated_subdir_hides_its_old_contents_too():
    up = {"etc": d({"app": d({"sub": d({"c.conf": f()})}, opaque=b"y")})}
    assert run(Layers(up, IMAGE)) == [
        "C /etc",
        "C /etc/app",
        "C /etc/app/sub",
        "A /etc/app/sub/c.conf",
        "D /etc/app/sub/b.conf",
        "D /etc/app/a.conf",
    ]


def test_a_whiteout_in_a_higher_lower_layer_hides_the_name_below():
    top = {"etc": d({"motd": WH})}
    up = {"etc": d({"motd": f(9)})}
    assert run(Layers(up, top, IMAGE)) == ["C /etc", "A /etc/motd"]
    assert run(Layers(up, top, IMAGE), "podman") == ["C /etc", "A /etc/motd"]


def test_an_opaque_dir_in_a_lower_layer_ends_the_merge():
    top = {"etc": d({"app": d({}, opaque=b"y")})}
    up = {"etc": d({"app": d({"a.conf": f()})})}
    assert run(Layers(up, top, IMAGE)) == ["C /etc", "C /etc/app", "A /etc/app/a.conf"]


def test_xattr_whiteouts_of_a_lower_layer_hide_names():
    top = {"etc": d({"motd": f(0, xwhiteout=True)}, opaque=b"x")}
    up = {"etc": d({"motd": f(6)})}
    assert run(Layers(up, top, IMAGE)) == ["C /etc", "A /etc/motd"]


def test_a_file_replacing_a_dir_is_c_and_its_old_contents_are_not_listed():
    up = {"etc": d({"app": f(3)})}
    assert run(Layers(up, IMAGE)) == ["C /etc", "C /etc/app"]


def test_a_dir_replacing_a_file_is_c_and_all_below_it_a():
    up = {"etc": d({"motd": d({"x": f()}, opaque=b"y")})}
    assert run(Layers(up, IMAGE)) == ["C /etc", "C /etc/motd", "A /etc/motd/x"]


def test_deletions_come_after_the_directorys_other_changes_sorted():
    up = {"etc": d({"app": WH, "keep": WH, "new": f()})}
    assert run(Layers(up, IMAGE)) == ["C /etc", "A /etc/new", "D /etc/app", "D /etc/keep"]


def test_podman_adds_missing_parents_before_the_entry_after_changed_dirs():
    up = {"etc": d({"app": d({"sub": d({"b.conf": WH}, mtime=T + 2 * S)})})}
    # /etc and /etc/app are unchanged (skipped), /etc/app/sub changed: podman's own order
    assert run(Layers(up, IMAGE), "podman") == [
        "C /etc/app/sub",
        "C /etc",
        "C /etc/app",
        "D /etc/app/sub/b.conf",
    ]


def test_podman_leaves_out_its_own_files():
    up = {"etc": d({"hosts": f(), "hostname": f(), "x": f()}), "run": d({".containerenv": f()})}
    assert run(Layers(up, IMAGE), "podman") == ["C /etc", "A /etc/x"]
    assert "A /etc/hosts" in run(Layers(up, IMAGE))


def test_a_renamed_dir_is_reported_as_not_decoded():
    up = {"moved": d({}, redirect=b"/etc/app")}
    walk = ChangeWalk(Layers(up, IMAGE))
    assert [c.path for c in walk] == ["/moved"]
    assert [p.path for p in walk.problems] == ["/moved"]
    assert "renamed directory" in walk.problems[0].reason


def test_an_unreadable_directory_is_a_problem_and_the_rest_is_listed():
    up = {"etc": d({"motd": f(7)}), "srv": d({"x": f()})}
    walk = ChangeWalk(Layers(up, IMAGE, denied=((b"srv",),)))
    assert [f"{c.kind} {c.path}" for c in walk] == ["C /etc", "C /etc/motd", "A /srv"]
    assert [(p.path, p.reason) for p in walk.problems] == [("/srv", "permission denied")]


def test_podman_mtimes_a_second_apart_in_whole_seconds_are_the_same():
    # containers/storage's sameFSTimePair: a tar writer may have rounded either way
    up = {"etc": d({"app": d({"sub": d({"b.conf": WH}, mtime=T + S)})})}
    assert run(Layers(up, IMAGE), "podman")[0] == "C /etc"  # /etc/app/sub counts as unchanged


def test_summary_counts_and_bytes_per_top_level_dir():
    up = {"etc": d({"motd": f(7, mtime=T + 1), "new": f(10), "app": WH}), "x": f(5)}
    s = summarize(ChangeWalk(Layers(up, IMAGE)))
    assert (s.added, s.changed, s.deleted, s.bytes_added) == (2, 2, 1, 22)
    assert [(t.top, t.added, t.changed, t.deleted, t.bytes_added) for t in s.tops] == [
        ("/etc", 1, 2, 1, 17),
        ("/x", 1, 0, 0, 5),
    ]


def test_limit_stops_the_walk_and_says_so():
    up = {"srv": d({str(i): f() for i in range(10)})}
    closed = []
    report = ChangeReport(
        pid=1,
        container=None,
        runtime=None,
        style="docker",
        layers=LayerInfo("/u", ("/l",), "overlay"),
        walk=ChangeWalk(Layers(up, IMAGE)),
        limit=3,
        close=lambda: closed.append(True),
    )
    assert [c.path for c in report.changes()] == ["/srv", "/srv/0", "/srv/1"]
    assert report.truncated and closed == [True]
