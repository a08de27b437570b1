"""`nsview mounts` against real mount namespaces: Docker, containerd, podman and bare `unshare`
containers, each mount compared field by field with `findmnt -J -N PID`; host paths with
`docker inspect .Mounts`; hidden mounts with `findmnt --shadowed` and with the kernel's own
path walk (stat through /proc/PID/root); `--holding` with the namespaces the test made."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support import live
from tests.support.mounts import assert_same_as_findmnt, findmnt, flat, mounts_json

pytestmark = pytest.mark.live


def test_docker_volume_and_spaced_bind_match_findmnt_and_docker_inspect(nsview_cmd, docker_run, tmp_path):
    src = tmp_path / "a dir with spaces"
    src.mkdir()
    volume = live.unique_name("nsview-vol")
    info = docker_run("-v", f"{volume}:/vol", "-v", f"{src}:/data")
    try:
        pid = info["State"]["Pid"]
        mine = assert_same_as_findmnt(nsview_cmd, pid)
        by_target = {m["target"]: m for m in mine.values()}
        assert {m["Type"] for m in info["Mounts"]} == {"volume", "bind"}
        for m in info["Mounts"]:
            assert by_target[m["Destination"]]["host"]["path"] == m["Source"], m
        root = by_target["/"]
        assert root["overlay"]["graphdriver"]["UpperDir"] == info["GraphDriver"]["Data"]["UpperDir"]
        assert root["host"]["path"] == info["GraphDriver"]["Data"]["MergedDir"]
        assert by_target["/proc"]["host"]["path"] is None
        assert "not visible from the host" in by_target["/proc"]["host"]["note"]
        # the text names the same host paths
        r = nsview_cmd("mounts", info["Id"][:12], env={"COLUMNS": "1000"})
        assert r.returncode in (0, 6), r.stderr
        assert str(src) in r.stdout and f"/volumes/{volume}/_data" in r.stdout
    finally:
        live.run("docker", "rm", "-f", info["Id"], check=False)
        live.run("docker", "volume", "rm", volume, check=False)


def test_containerd_container_matches_findmnt(nsview_cmd, ctr_run):
    pid = ctr_run(live.unique_name("nsview-mnt"), live.unique_name("c"))
    mine = assert_same_as_findmnt(nsview_cmd, pid)
    root = next(m for m in mine.values() if m["target"] == "/")
    assert root["fstype"] == "overlay" and root["overlay"]["driver"] == "containerd-overlayfs"


def test_podman_container_matches_findmnt(nsview_cmd, podman_run, tmp_path):
    (tmp_path / "x").mkdir()
    info = podman_run("-v", f"{tmp_path / 'x'}:/x")
    mine = assert_same_as_findmnt(nsview_cmd, info["State"]["Pid"])
    by_target = {m["target"]: m for m in mine.values()}
    assert by_target["/x"]["host"]["path"] == str(tmp_path / "x")


def _unshare(spawn, script: str) -> int:
    """A process in a new, private mount namespace, after ``script`` ran there."""
    live.need(live.is_root(), "needs root")
    p = spawn(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            f"{script}\necho ready; exec sleep 600",
        ],
        stdout=subprocess.PIPE,
    )
    assert p.stdout.readline().strip() == b"ready"
    return p.pid


def test_unshare_namespace_with_odd_mounts_matches_findmnt(nsview_cmd, spawn, tmp_path):
    odd = tmp_path / "sp ace\ttab\\back"
    odd.mkdir()
    (tmp_path / "empty").mkdir()
    (tmp_path / "shared").mkdir()
    pid = _unshare(
        spawn,
        f"mount -t tmpfs 'src with space' '{odd}'\n"
        f"mount -t tmpfs '' '{tmp_path / 'empty'}'\n"
        f"mount --bind '{odd}' '{tmp_path / 'shared'}'; mount --make-shared '{tmp_path / 'shared'}'\n"
        f"mount --make-unbindable '{tmp_path / 'empty'}'",
    )
    mine = assert_same_as_findmnt(nsview_cmd, pid)
    by_target = {m["target"]: m for m in mine.values()}
    assert by_target[str(odd)]["mount_source"] == "src with space"
    assert by_target[str(tmp_path / "empty")]["mount_source"] == ""
    assert by_target[str(tmp_path / "empty")]["unbindable"] is True
    assert by_target[str(tmp_path / "shared")]["peer_group"] is not None


def test_shadowed_matches_findmnt_and_the_kernels_path_walk(nsview_cmd, spawn, tmp_path):
    a = tmp_path / "mnt" / "a"
    a.mkdir(parents=True)
    pid = _unshare(
        spawn,
        f"mount -t tmpfs first '{a}'; mkdir '{a}/b'; mount -t tmpfs inner '{a}/b'; mount -t tmpfs second '{a}'",
    )
    doc = mounts_json(nsview_cmd, str(pid), "--shadowed")
    hidden = {m["mount_source"]: m for m in doc["mounts"] if m["target"].startswith(str(a))}
    assert sorted(hidden) == ["first", "inner"]
    assert hidden["first"]["hidden"]["how"] == "overmounted"
    assert hidden["inner"]["hidden"]["how"] == "covered"
    second = [m for m in mounts_json(nsview_cmd, str(pid))["mounts"] if m["mount_source"] == "second"]
    assert hidden["first"]["hidden"]["by_id"] == hidden["inner"]["hidden"]["by_id"] == second[0]["id"]
    assert second[0]["hidden"] is None
    # findmnt --shadowed lists exactly the over-mounted ones (not what is below them). In tree
    # mode: util-linux 2.38 ignores --shadowed together with --list.
    overmounted = sorted(m["id"] for m in doc["mounts"] if m["hidden"]["how"] == "overmounted")
    assert overmounted == sorted(
        f["id"] for f in flat(findmnt("--shadowed", "-N", str(pid), "-o", "ID,TARGET"))
    )
    # the kernel's walk: a tmpfs is reachable when its path, looked up in that namespace, is on its device
    for m in mounts_json(nsview_cmd, str(pid))["mounts"]:
        if m["fstype"] != "tmpfs" or not m["target"].startswith(str(tmp_path)):
            continue
        major, minor = (int(x) for x in m["maj_min"].split(":"))
        try:
            reachable = os.stat(f"/proc/{pid}/root{m['target']}").st_dev == os.makedev(major, minor)
        except FileNotFoundError:
            reachable = False
        assert reachable is (m["hidden"] is None), m


def test_holding_finds_two_containers_and_a_bound_namespace_and_nothing_else(
    nsview_cmd, docker_run, bound_mount_namespace, tmp_path
):
    shared = tmp_path / "shared dir"
    (shared / "sub").mkdir(parents=True)
    one = docker_run("--name", live.unique_name("nsview-hold"), "-v", f"{shared}:/one")
    two = docker_run("--name", live.unique_name("nsview-hold"), "-v", f"{shared / 'sub'}:/two")
    file, inode = bound_mount_namespace(f"mkdir -p /mnt/held; mount --bind '{shared}' /mnt/held")
    doc = mounts_json(nsview_cmd, "--holding", str(shared))
    by_ns = {h["namespace"]: h for h in doc["holders"]}
    ns_one = os.readlink(f"/proc/{one['State']['Pid']}/ns/mnt")
    ns_two = os.readlink(f"/proc/{two['State']['Pid']}/ns/mnt")
    assert set(by_ns) == {ns_one, ns_two, f"mnt:[{inode}]"}
    assert one["Name"].lstrip("/") in by_ns[ns_one]["container"]
    assert two["Name"].lstrip("/") in by_ns[ns_two]["container"]
    assert [(m["target"], m["host_path"]) for m in by_ns[ns_one]["mounts"]] == [("/one", str(shared))]
    assert [(m["target"], m["host_path"]) for m in by_ns[ns_two]["mounts"]] == [("/two", str(shared / "sub"))]
    bound = by_ns[f"mnt:[{inode}]"]
    assert bound["kind"] == "bind mount" and bound["bind_mounts"] == [str(file)] and bound["pid"] is None
    assert [m["target"] for m in bound["mounts"]] == ["/mnt/held"]
    # findmnt agrees where it can look: each container's table has the mount, the host's has not
    for info, target in ((one, "/one"), (two, "/two")):
        assert findmnt("--list", "-N", str(info["State"]["Pid"]), "-o", "TARGET", target)
    assert not [f for f in findmnt("--list", "-o", "TARGET,FSROOT") if str(shared) in (f["fsroot"] or "")]
    r = nsview_cmd("mounts", "--holding", str(shared), env={"COLUMNS": "1000"})
    assert r.returncode in (0, 6), r.stderr
    assert str(file) in r.stdout and "/mnt/held" in r.stdout
