"""`nsview changes` on real containers of each engine whose root is an overlay, after the same
script of changes: equal to `docker diff` and `podman diff`, and for containerd (no engine
diff) to an independent naive diff of the mounted trees (tests/support/naive_diff.py)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.support import live
from tests.support.image import CHANGES_IMAGE_REF, build_image_tar
from tests.support.naive_diff import naive_changes, parents_first

pytestmark = pytest.mark.live

# The same operations in every container (the image has only a few applets as links: the rest
# are called through /bin/busybox).
SCRIPT = """
b=/bin/busybox
$b mkdir -p /srv/new/deep && echo n > /srv/new/deep/file && echo added > /etc/added.conf
echo more >> /etc/motd
$b chmod 600 /etc/group
$b touch /etc/profile
$b chmod 644 /usr/share/doc/keep
$b rm /usr/share/doc/readme
$b rm -rf /etc/app && $b mkdir /etc/app && echo new > /etc/app/new.conf
$b rm /etc/passwd && $b ln -s /etc/shadow /etc/passwd
$b mkfifo /tmp/fifo
"""

# What the script changed, as docker's rules list it (the engines' extra paths aside).
EXPECTED_DOCKER = {
    "C /etc",
    "A /etc/added.conf",
    "C /etc/app",
    "A /etc/app/new.conf",
    "D /etc/app/a.conf",
    "D /etc/app/sub",
    "C /etc/group",
    "C /etc/motd",
    "C /etc/passwd",
    "C /etc/profile",
    "A /srv",
    "A /srv/new",
    "A /srv/new/deep",
    "A /srv/new/deep/file",
    "C /tmp",
    "A /tmp/fifo",
    "C /usr",
    "C /usr/share",
    "C /usr/share/doc",
    "D /usr/share/doc/readme",
}


def _lines(r: subprocess.CompletedProcess) -> list[str]:
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.splitlines()


@pytest.fixture(scope="module")
def image_tar(tmp_path_factory):
    return build_image_tar(tmp_path_factory.mktemp("files") / "files.tar", CHANGES_IMAGE_REF)


@pytest.fixture(scope="module")
def docker_files(busybox_image, image_tar):
    live.run("docker", "load", "-i", str(image_tar))
    yield CHANGES_IMAGE_REF
    live.run("docker", "rmi", CHANGES_IMAGE_REF, check=False)


@pytest.fixture(scope="module")
def podman_files(podman_image, image_tar):
    live.run("podman", "load", "-i", str(image_tar))
    yield f"localhost/{CHANGES_IMAGE_REF}"
    live.run("podman", "rmi", f"localhost/{CHANGES_IMAGE_REF}", check=False)


def test_docker_changes_equal_docker_diff(docker_run, docker_files, nsview_cmd):
    cid = docker_run("--network", "none", image=docker_files)["Id"]
    live.run("docker", "exec", "-i", cid, "/bin/sh", input=SCRIPT)
    engine = live.run("docker", "diff", cid).stdout.splitlines()
    mine = _lines(nsview_cmd("changes", cid[:12]))
    # docker diff's order is Go's map order (it changes from run to run): the same lines, and
    # both orders list a directory before anything in it
    assert sorted(mine) == sorted(engine)
    assert set(mine) == EXPECTED_DOCKER  # the chmod to the same mode copied a file up: no change
    assert parents_first(mine) == [] and parents_first(engine) == []

    data = json.loads(nsview_cmd("changes", cid, "--json").stdout)
    assert [f"{c['kind']} {c['path']}" for c in data["changes"]] == mine
    by_path = {c["path"]: c for c in data["changes"]}
    assert by_path["/etc/group"]["differs"] == ["mode"]
    assert by_path["/etc/profile"]["differs"] == ["mtime"]
    assert "type" in by_path["/etc/passwd"]["differs"] and by_path["/etc/passwd"]["type"] == "symlink"
    assert by_path["/tmp/fifo"]["type"] == "fifo" and by_path["/etc"]["parent_only"]
    graph = live.docker_inspect(cid)["GraphDriver"]["Data"]
    assert data["layers"]["upper"] == graph["UpperDir"]
    assert ":".join(data["layers"]["lower"]) == graph["LowerDir"]


def test_podman_changes_equal_podman_diff_line_for_line(podman_run, podman_files, nsview_cmd):
    cid = podman_run(image=podman_files)["Id"]
    live.run("podman", "exec", "-i", cid, "/bin/sh", input=SCRIPT)
    engine = live.run("podman", "diff", cid).stdout.splitlines()
    mine = _lines(nsview_cmd("changes", cid[:12]))
    assert mine == engine  # podman's order is the upper layer's walk: equal line for line
    # podman's own rules: the recreated directory is D and its contents A; the copy-up is C
    assert {"D /etc/app", "A /etc/app/new.conf", "C /usr/share/doc/keep"} <= set(mine)
    # docker's rules on the same container: the script's changes, plus what podman adds to
    # every container (its mount points and files) that `podman diff` leaves out
    as_docker = set(_lines(nsview_cmd("changes", cid, "--like", "docker")))
    extra = as_docker - EXPECTED_DOCKER
    assert as_docker >= EXPECTED_DOCKER
    assert {line[2:] for line in extra} <= {
        "/etc/hostname",
        "/etc/hosts",
        "/etc/mtab",
        "/run",
        "/run/.containerenv",
    }


def test_containerd_changes_equal_an_independent_naive_diff(ctr_run, image_tar, nsview_cmd, tmp_path):
    namespace, cid = live.unique_name("nsview-chg"), "changes1"
    pid = ctr_run(namespace, cid, image=(str(image_tar), CHANGES_IMAGE_REF))
    ctr = ["ctr", "--address", live.CONTAINERD_ADDRESS, "-n", namespace]
    live.run(*ctr, "task", "exec", "--exec-id", "script", cid, "/bin/sh", "-c", SCRIPT)
    mine = _lines(nsview_cmd("changes", f"{namespace}/{cid}"))
    assert mine == _lines(nsview_cmd("changes", str(pid)))

    # The other side, without nsview: the layers from containerd's snapshotter, the merged tree
    # from the bundle's rootfs, the old tree as a read-only overlay of the lower layers alone
    mount = live.run(*ctr, "snapshots", "mounts", str(tmp_path / "m"), cid).stdout
    options = next(part for part in mount.split() if "lowerdir=" in part).split(",")
    lowers = next(o for o in options if o.startswith("lowerdir=")).removeprefix("lowerdir=")
    rootfs = f"/run/nsview-test/containerd/state/io.containerd.runtime.v2.task/{namespace}/{cid}/rootfs"
    old = tmp_path / "old"
    old.mkdir()
    live.run("mount", "-t", "overlay", "overlay", "-o", f"ro,lowerdir={lowers}", str(old))
    try:
        expected = naive_changes(rootfs, str(old))
    finally:
        live.run("umount", str(old))
    assert sorted(mine) == sorted(expected)
    # runc makes the mount point of ctr's /run tmpfs in the rootfs: the one change not scripted
    assert set(mine) - EXPECTED_DOCKER == {"A /run"} and set(mine) >= EXPECTED_DOCKER
    assert parents_first(mine) == []
    assert os.path.isdir(rootfs)
