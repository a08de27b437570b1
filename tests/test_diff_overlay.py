"""Overlay roots decoded into layers, from captured and hand-made mountinfo (fixtures/diff-*).

Each fixture carries the GraphDriver data `docker inspect` reported (or, for hand-made ones,
the paths the mount was made from): the decoder must give exactly those values."""

from __future__ import annotations

import json
import os

import pytest

from nsview.parse.mountinfo import parse_mountinfo
from nsview.parse.overlay import split_lowerdir
from nsview.procfs import KernelFS
from nsview.read.overlay import decode_overlay, resolve_short_link
from tests.support.paths import FIXTURES


def _decode(name: str):
    d = FIXTURES / name
    mounts = parse_mountinfo((d / "mountinfo").read_bytes())
    root = [m for m in mounts if m.target == "/"][-1]
    host_mounts = parse_mountinfo((d / "host-mountinfo").read_bytes())
    host = KernelFS(d / "host") if (d / "host").is_dir() else KernelFS(d / "no-such-host-tree")
    expected = json.loads((d / "graphdriver.json").read_text())
    return decode_overlay(root, host=host, host_mounts=host_mounts), expected


@pytest.mark.parametrize(
    "name", ["diff-docker-overlay2", "diff-docker-relative", "diff-containerd", "diff-escaped"]
)
def test_overlay_equals_graphdriver(name):
    overlay, expected = _decode(name)
    data = expected["Data"]
    assert overlay.lower_dir == data["LowerDir"]
    assert overlay.upper == data["UpperDir"]
    assert overlay.work == data["WorkDir"]
    assert overlay.merged == data["MergedDir"]
    assert overlay.driver == expected["Name"]


def test_docker_short_links_resolved_through_the_host_tree():
    overlay, _ = _decode("diff-docker-overlay2")
    assert overlay.data_root == "/var/lib/docker/overlay2"
    links = sorted(os.listdir(FIXTURES / "diff-docker-overlay2/host/var/lib/docker/overlay2/l"))
    assert sorted(layer.spec.rsplit("/", 1)[1] for layer in overlay.lower) == links
    # the first lower of a docker container is its "-init" layer
    assert overlay.lower[0].path.endswith("-init/diff")
    assert all(layer.error is None for layer in overlay.lower)


def test_relative_lowerdir_uses_the_data_root_found_from_the_merged_dir():
    overlay, _ = _decode("diff-docker-relative")
    assert [layer.spec[:2] for layer in overlay.lower] == ["l/", "l/"]
    assert overlay.data_root == "/var/lib/docker/overlay2"
    assert any("relative" in note for note in overlay.notes)


def test_relative_lowerdir_without_merged_mount_is_shown_unresolved():
    d = FIXTURES / "diff-docker-relative"
    root = parse_mountinfo((d / "mountinfo").read_bytes())[0]
    overlay = decode_overlay(root, host=KernelFS(d / "host"), host_mounts=())
    assert overlay.lower_dir is None and overlay.merged is None and overlay.upper is None
    assert all(layer.path is None and "data root unknown" in layer.error for layer in overlay.lower)


def test_containerd_snapshot_numbers():
    overlay, _ = _decode("diff-containerd")
    assert [layer.snapshot for layer in overlay.lower] == ["3", "1"]
    assert overlay.data_root.endswith("io.containerd.snapshotter.v1.overlayfs")


def test_escaped_lowerdir_splits_only_on_unescaped_colons():
    overlay, expected = _decode("diff-escaped")
    assert [layer.path for layer in overlay.lower] == expected["Layers"]


def test_escaped_mount_paths_are_decoded():
    mounts = parse_mountinfo((FIXTURES / "diff-escaped/mountinfo").read_bytes())
    by_target = {m.target: m for m in mounts}
    assert by_target["/mnt/with space"].root == "/srv/data dir"
    assert by_target["/mnt/with space"].read_only
    # a directory literally named "\040x" is written "\134040x" and must stay "\040x"
    assert by_target["/mnt/\\040x"].root == "/srv/\\040x"
    assert by_target["/run/tab\tdir"].source == ""


@pytest.mark.parametrize(
    "value, expected",
    [
        ("/a:/b", [("/a", False), ("/b", False)]),
        ("/a\\:b:/c", [("/a:b", False), ("/c", False)]),
        ("/a\\\\:/b", [("/a\\", False), ("/b", False)]),
        ("/a::/d1::/d2", [("/a", False), ("/d1", True), ("/d2", True)]),
        ("", []),
        ("l/AAA", [("l/AAA", False)]),
    ],
    ids=["plain", "escaped-colon", "escaped-backslash", "data-only-layers", "empty", "relative"],
)
def test_split_lowerdir(value, expected):
    assert split_lowerdir(value) == expected


def test_short_link_pointing_elsewhere_is_reported_not_followed(tmp_path):
    ldir = tmp_path / "overlay2" / "l"
    ldir.mkdir(parents=True)
    os.symlink("/etc", ldir / "EVIL")
    os.symlink("../../../etc/x", ldir / "UP")
    host = KernelFS(tmp_path)
    for name in ("EVIL", "UP"):
        path, error = resolve_short_link(f"/overlay2/l/{name}", host)
        assert path is None and "unexpected" in error
    path, error = resolve_short_link("/overlay2/l/MISSING", host)
    assert path is None and "not readable" in error
