"""`nsview ps` and container targets on the hand-made fixture trees (fixtures/containers-*/).

Expected values are read back from the fixture files themselves (each pid's cgroup file, the
config.v2.json), not from nsview."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nsview.collect.ps import scan_containers
from nsview.errors import AmbiguousTarget, TargetNotFound
from nsview.procfs import ProcFS
from nsview.targets import resolve, resolve_target
from tests.support.paths import FIXTURES


def proc_of(name: str) -> Path:
    return FIXTURES / name / "proc"


def pids_whose_cgroup_mentions(name: str, needle: str) -> set[int]:
    """The independent answer: which fixture pids' /proc/PID/cgroup name this id."""
    out = set()
    for d in proc_of(name).iterdir():
        text = (d / "cgroup").read_text()
        if any(
            line.split(":", 2)[2].rstrip("/").split("/")[-1].find(needle) >= 0 for line in text.splitlines()
        ):
            out.add(int(d.name))
    return out


def scan(name: str):
    return scan_containers(ProcFS(proc_of(name)), None)


def test_systemd_driver_docker_with_moved_data_root():
    result = scan("containers-systemd-driver")
    assert result.host.source == "pid 1"
    by_name = {c.name: c for c in result.containers}
    assert set(by_name) == {"web", "cache"}  # the decoy under /var/lib/docker is not used
    fs = FIXTURES / "containers-systemd-driver" / "host" / "srv" / "docker" / "containers"
    for name, c in by_name.items():
        config = json.loads((fs / c.id / "config.v2.json").read_text())
        assert config["Name"] == "/" + name and config["State"]["Pid"] == c.init_pid
        assert set(c.pids) == pids_whose_cgroup_mentions("containers-systemd-driver", f"docker-{c.id}.scope")
        assert c.runtime == "docker" and c.rootfs_type == "overlay"
        assert any(e.startswith("cgroup /system.slice/docker-") for e in c.evidence)
        assert any("/srv/docker/containers/" in e for e in c.evidence)
    # the `docker exec` shell (a later child of the shim) is counted, but is not the init
    assert by_name["web"].pids == (111, 112, 113) and by_name["web"].init_pid == 111


def test_k8s_containerd_pods():
    result = scan("containers-k8s-containerd")
    rows = {c.id[:8]: c for c in result.containers}
    assert set(rows) == {"5a5a5a5a", "7e57ab1e", "9c0ffee0"}
    for c in result.containers:
        assert c.runtime == "kubernetes"
        assert set(c.pids) == pids_whose_cgroup_mentions("containers-k8s-containerd", c.id)
    app = rows["7e57ab1e"]
    assert app.pod_uid == "1b6f0d52-3a4e-4c2f-9f7a-0123456789ab" and app.engine == "containerd"
    assert app.init_pid == 210 and app.pids == (210, 211)
    # the cgroupfs-driver pod: the path does not name the engine, the parent shim does
    assert rows["9c0ffee0"].engine == "containerd"
    assert rows["9c0ffee0"].pod_uid == "2c7a1e63-4b5f-4d30-8a8b-123456789abc"


def test_k8s_crio_conmon_is_not_a_container():
    result = scan("containers-k8s-crio")
    assert [(c.runtime, c.init_pid, c.engine) for c in result.containers] == [("kubernetes", 401, "cri-o")]
    assert 400 not in result.containers[0].pids  # conmon sits in crio-conmon-<id>.scope


def test_podman_systemd_and_cgroupfs():
    result = scan("containers-podman")
    got = {(c.runtime, c.init_pid) for c in result.containers}
    assert got == {("podman", 501), ("podman", 511)}
    for c in result.containers:
        cmdline = (
            (
                proc_of("containers-podman")
                / str(c.init_pid)
                / ".."
                / str(int((proc_of("containers-podman") / str(c.init_pid) / "stat").read_text().split()[3]))
                / "cmdline"
            )
            .read_bytes()
            .split(b"\0")
        )
        assert cmdline[cmdline.index(b"-c") + 1].decode() == c.id  # conmon -c agrees with the cgroup


def test_lxc_both_generations():
    result = scan("containers-lxc")
    got = {(c.runtime, c.id, c.name, c.init_pid, len(c.pids), c.rootfs_type) for c in result.containers}
    assert got == {("lxc", "web1", "web1", 601, 2, "ext4"), ("lxc", "old1", "old1", 611, 1, "ext4")}


def test_unshare_group_is_namespaces_only():
    result = scan("containers-unshare")
    assert len(result.containers) == 1
    c = result.containers[0]
    assert (c.runtime, c.id, c.init_pid, c.pids) == ("namespaces only", None, 700, (700, 701))
    # isolated types, computed from the fixture's own links against pid 1's
    base = proc_of("containers-unshare")
    differ = sorted(
        t
        for t in os.listdir(base / "700" / "ns")
        if os.readlink(base / "700" / "ns" / t) != os.readlink(base / "1" / "ns" / t)
    )
    assert list(c.isolated) == differ == ["net", "uts"]


@pytest.mark.parametrize(
    "fixture, target, pid",
    [
        ("containers-systemd-driver", "web", 111),
        ("containers-systemd-driver", "/cache", 121),
        ("containers-systemd-driver", "3f4e9", 111),
        ("containers-systemd-driver", "3f4e77aa0c1d", 121),
        ("containers-systemd-driver", "113", 113),  # a pid stays a pid
        ("containers-k8s-containerd", "7e57", 210),
        ("containers-k8s-crio", "7e57ab1e0000", 401),
        ("containers-podman", "3f4e9a1c2b7d", 501),
        ("containers-lxc", "web1", 601),
        ("containers-lxc", "old1", 611),
    ],
)
def test_targets_on_fixtures(fixture, target, pid):
    assert resolve_target(proc_of(fixture), target) == pid


def test_target_evidence_is_kept():
    r = resolve(proc_of("containers-systemd-driver"), "web")
    assert r.container is not None and r.container.name == "web"
    assert r.container.evidence  # says what identified it


def test_ambiguous_and_unknown_targets():
    with pytest.raises(AmbiguousTarget) as err:
        resolve_target(proc_of("containers-systemd-driver"), "3f4e")
    assert len(err.value.candidates) == 2
    assert "web" in err.value.message and "cache" in err.value.message
    with pytest.raises(TargetNotFound):
        resolve_target(proc_of("containers-systemd-driver"), "stale-decoy")
    with pytest.raises(TargetNotFound):
        resolve_target(proc_of("containers-unshare"), "nothing")


def test_cli_exit_codes_and_json_on_fixture(nsview_run):
    proc = str(proc_of("containers-systemd-driver"))
    r = nsview_run("tree", "3f4e", "--proc-root", proc)
    assert r.returncode == 8 and "matches 2 containers" in r.stderr and "Traceback" not in r.stderr
    r = nsview_run("tree", "nope", "--proc-root", proc)
    assert r.returncode == 7 and len(r.stderr.strip().splitlines()) == 1
    r = nsview_run("tree", "nope", "--json", "--proc-root", proc)
    assert r.returncode == 7 and json.loads(r.stdout)["error"]["type"] == "TargetNotFound"
    r = nsview_run("tree", "web", "--json", "--depth", "0", "--proc-root", proc)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["target"] == 111
    r = nsview_run("ps", "--json", "--proc-root", proc)
    data = json.loads(r.stdout)
    assert r.returncode == 0
    assert [(c["runtime"], c["name"], c["init_pid"], c["processes"]) for c in data["containers"]] == [
        ("docker", "cache", 121, 1),
        ("docker", "web", 111, 3),
    ]
    assert data["host_reference"]["source"] == "pid 1"
    r = nsview_run("ps", "--runtime", "lxc", "--json", "--proc-root", str(proc_of("containers-lxc")))
    assert {c["id"] for c in json.loads(r.stdout)["containers"]} == {"web1", "old1"}
    r = nsview_run("ps", "--runtime", "bogus", "--proc-root", proc)
    assert r.returncode == 2


def test_ps_text_is_inert(nsview_run, tmp_path):
    """A container name with markup and ESC prints literally (docs/hardening.md, rule 1)."""
    import shutil

    root = tmp_path / "x"
    shutil.copytree(FIXTURES / "containers-systemd-driver", root, symlinks=True)
    cfg = next((root / "host" / "srv" / "docker" / "containers").glob("3f4e9*")) / "config.v2.json"
    data = json.loads(cfg.read_text())
    data["Name"] = "/[red]evil\x1b]0;x\x07"
    cfg.write_text(json.dumps(data))
    r = nsview_run("ps", "--proc-root", str(root / "proc"))
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "[red]evil\\x1b]0;x\\x07" in r.stdout
