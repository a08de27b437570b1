"""The nsview image, built here from local parts (scripts/build_image.sh: mmdebstrap, `docker
import`, the wheels of this checkout), run as a fleet runs it (`docker run --pid host -v
/:/host:ro`), answers as nsview on the host does: the same containers, names, limits and
namespaces in `ps`, the same `tree`, `cgroup`, the container's side of `diff`, and the same OOM
kills. Without `--pid host` it says in one line what it cannot see. docs/fleet.md.

The image takes about 50 s to build on a 2-core machine (the Debian root, ~35 s of it, is cached
in /var/cache/nsview-image under the hash of the command that makes it); it is removed by id at
the end, with its untagged base."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from nsview.hostview import OWN_PID_NS
from tests.support import live

pytestmark = [pytest.mark.docker, pytest.mark.live]

ROOT = Path(__file__).resolve().parent.parent
# what it needs instead of --privileged, which this machine's sandbox cannot start (it withholds
# CAP_SYS_RESOURCE): every other capability, no seccomp or AppArmor profile, the kernel log
PRIVILEGES = (
    "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--device", "/dev/kmsg",
)  # fmt: skip
HOG = "head -c 64m /dev/zero | tail"  # as tests/test_oom_live.py


@pytest.fixture(scope="module")
def nsview_image():
    live.need(live.is_root(), "needs root")
    live.need(live.docker_ok(), "needs a running Docker engine (scripts/engines.sh start)")
    live.need(shutil.which("mmdebstrap") is not None, "needs mmdebstrap (.ci/run installs it)")
    r = live.run("bash", str(ROOT / "scripts" / "build_image.sh"), check=False, timeout=1200)
    assert r.returncode == 0, f"image build failed: {r.stderr[-2000:]}"
    image = r.stdout.strip().splitlines()[-1]
    assert image.startswith("sha256:")
    yield image
    live.run("docker", "rmi", "-f", image, check=False)


@pytest.fixture
def in_container(nsview_image, tmp_path):
    """Run nsview in its image; each container removed by id after (--rm, and rm -f by id)."""
    started: list[str] = []

    def _run(*args: str, pid_host: bool = True, extra: tuple[str, ...] = ()) -> tuple[object, str]:
        cidfile = tmp_path / f"nsview-{uuid.uuid4().hex[:8]}.cid"
        host = ("--pid", "host") if pid_host else ()
        r = live.run(
            "docker", "run", "--rm", "--cidfile", str(cidfile), *host, "-v", "/:/host:ro",
            *PRIVILEGES, *extra, nsview_image, *args, check=False, timeout=300,
        )  # fmt: skip
        cid = cidfile.read_text().strip() if cidfile.exists() else ""
        if cid:
            started.append(cid)
        return r, cid

    yield _run
    for cid in started:
        live.run("docker", "rm", "-f", cid, check=False)


KEYS = ("runtime", "id", "name", "init_pid", "pids", "namespaces", "isolated", "memory_limit", "hostname")
STABLE = ("runtime", "id", "name", "init_pid", "namespaces", "isolated")


def _by_id(doc: dict) -> dict[str, dict]:
    return {c["id"]: c for c in doc["containers"] if c.get("id")}


def test_ps_from_the_image_is_the_hosts(docker_run, in_container, nsview_cmd):
    name = live.unique_name("nsv-fleet")
    info = docker_run("--name", name, "-m", "48m")
    cid = info["Id"]
    on_host = _by_id(json.loads(nsview_cmd("ps", "--json").stdout))
    r, own = in_container("ps", "--json")
    assert r.returncode == 0, r.stderr
    assert "nsview runs in a container" in r.stderr and "--host-root /host" in r.stderr
    inside = _by_id(json.loads(r.stdout))
    assert own in inside and inside[own]["init_pid"] != info["State"]["Pid"]  # nsview's own container
    inside.pop(own)
    # other work on the machine may start or stop containers between the two runs: ours is in
    # both, and every container both saw is seen alike
    assert cid in on_host and cid in inside
    common = set(on_host) & set(inside)
    assert len(common) >= 1
    for each in sorted(common):  # what cannot change while a container runs (its pids can)
        assert {k: inside[each][k] for k in STABLE} == {k: on_host[each][k] for k in STABLE}, each
    assert {k: inside[cid][k] for k in KEYS} == {k: on_host[cid][k] for k in KEYS}
    mine = inside[cid]
    assert mine["name"] == name and mine["init_pid"] == info["State"]["Pid"]
    assert mine["memory_limit"]["bytes"] == 48 * 1024 * 1024 == info["HostConfig"]["Memory"]
    assert mine["namespaces"] == live.ns_links(info["State"]["Pid"])
    assert mine["privileges"]["summary"] == on_host[cid]["privileges"]["summary"]
    # --jsonl from the container: the host's name and boot, not the container's
    r, _ = in_container("ps", "--jsonl")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert {x["node"] for x in lines} == {live.run("hostname").stdout.strip()}
    assert {x["boot_id"] for x in lines} == {Path("/proc/sys/kernel/random/boot_id").read_text().strip()}
    assert cid in {x["container"]["id"] for x in lines}


def test_tree_cgroup_and_diff_from_the_image_are_the_hosts(docker_run, in_container, nsview_cmd):
    name = live.unique_name("nsv-fleet")
    info = docker_run("--name", name, "-m", "40m", cmd=("/bin/sh", "-c", "sleep 3600 & sleep 3600"))
    pid = info["State"]["Pid"]
    live.wait_for(lambda: len(live.children_of(pid)) == 1)

    host_tree = json.loads(nsview_cmd("tree", name, "--json").stdout)
    r, _ = in_container("tree", name, "--json")
    tree = json.loads(r.stdout)
    assert tree["tree"] == host_tree["tree"] and tree["container"] == host_tree["container"]
    assert tree["target"] == host_tree["target"] == pid

    host_cg = json.loads(nsview_cmd("cgroup", name, "--json").stdout)
    r, _ = in_container("cgroup", name, "--json")
    cg = json.loads(r.stdout)
    for key in ("pid", "mode", "effective", "controllers", "cgroup_namespace"):
        assert cg[key] == host_cg[key], key
    assert cg["effective"]["memory"]["bytes"] == 40 * 1024 * 1024
    # in a cgroup namespace of its own, nsview enters the host's: the same paths, no "/.."
    r, _ = in_container("cgroup", name, "--json", extra=("--cgroupns", "private"))
    assert r.returncode == 0, r.stderr
    private = json.loads(r.stdout)
    for key in ("effective", "controllers", "cgroup_namespace"):
        assert private[key] == host_cg[key], key
    assert "/.." not in r.stdout

    host_diff = json.loads(nsview_cmd("diff", name, "--json").stdout)["sections"]
    r, _ = in_container("diff", name, "--json")
    diff = json.loads(r.stdout)["sections"]
    assert [row["target"] for row in diff["namespaces"]["rows"]] == [
        row["target"] for row in host_diff["namespaces"]["rows"]
    ]
    assert (
        diff["uts"]["target"]
        == host_diff["uts"]["target"]
        == {"hostname": info["Config"]["Hostname"], "domainname": "(none)"}
    )
    assert diff["limits"]["target"] == host_diff["limits"]["target"]
    assert diff["mounts"]["target"]["root"] == host_diff["mounts"]["target"]["root"]
    # the host side is the host's, not the nsview container's: its hostname is the host's
    assert diff["uts"]["reference"]["hostname"] == live.run("hostname").stdout.strip()


def test_oom_from_the_image_is_the_hosts(docker_run, in_container, nsview_cmd):
    name = live.unique_name("nsv-fleet-oom")
    info = docker_run(
        "--name", name, "-m", "16m", "--memory-swap", "16m", cmd=("sh", "-c", f"{HOG}; sleep 3600")
    )
    cid = info["Id"]

    def kills(out: str) -> list[tuple]:
        return [(k["pid"], k["comm"], k["epoch"], k["whose_limit"]) for k in json.loads(out)["kills"]]

    host = live.wait_for(lambda: kills(nsview_cmd("oom", cid, "--json").stdout), timeout=30)
    r, _ = in_container("oom", cid, "--json")
    assert r.returncode == 0, r.stderr
    assert kills(r.stdout) == host
    found = json.loads(r.stdout)["kills"]
    assert found and all(k["container"]["id"] == cid and k["container"]["name"] == name for k in found)
    assert "Killed process" in live.run("dmesg").stdout  # the host's own log has it too
    r, _ = in_container("oom", "--npd", "--npd-minutes", "60")
    assert r.returncode == 1 and r.stdout.startswith("OOM kill in the last 60 minutes:")


def test_without_the_host_pid_namespace_it_says_what_it_cannot_see(docker_run, in_container):
    info = docker_run("--name", live.unique_name("nsv-fleet"))
    r, own = in_container("ps", "--json", pid_host=False)
    assert r.returncode == 0
    assert [line for line in r.stderr.splitlines() if "pid namespace" in line] == [f"nsview: {OWN_PID_NS}"]
    ids = {c["id"] for c in json.loads(r.stdout)["containers"]}
    assert info["Id"] not in ids and own not in ids
