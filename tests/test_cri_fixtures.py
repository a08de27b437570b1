"""Kubernetes pods and nested containers on the hand-made trees of scripts/make_cri_fixtures.py
(fixtures/cri-*/, fixtures/nested-*/, and dockerd-roots for compose in the table): names from the bundles' CRI annotations, the kubelet's
/var/log/pods as the second source, each cgroup shape of a real cluster, the chain of a
container inside a container, pod targets, and `ps --pods` as a person sees it (golden).

Expected values are read back from the fixture files themselves (config.json, the log
directories' names, each pid's cgroup file), not from nsview."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nsview.collect.ps import scan_containers
from nsview.errors import AmbiguousTarget, TargetNotFound, UsageError
from nsview.procfs import ProcFS
from nsview.targets import resolve, resolve_target
from tests.support.paths import FIXTURES

GOLDEN = Path(__file__).resolve().parent / "golden"
CRI = ("cri-containerd-systemd", "cri-containerd-cgroupfs", "cri-crio-systemd", "cri-crio-cgroupfs")


def scan(name: str):
    return scan_containers(ProcFS(FIXTURES / name / "proc"), None)


def bundles(name: str) -> dict[str, dict]:
    """container id -> the annotations of its config.json, wherever the fixture keeps it."""
    out = {}
    for f in (FIXTURES / name / "host").rglob("config.json"):
        out[f.parent.name if f.parent.name != "userdata" else f.parent.parent.name] = json.loads(
            f.read_text()
        )["annotations"]
    return out


def expected_pod(notes: dict) -> tuple:
    if "io.kubernetes.cri.sandbox-name" in notes:  # containerd
        sandbox = notes["io.kubernetes.cri.container-type"] == "sandbox"
        return (
            notes["io.kubernetes.cri.sandbox-namespace"],
            notes["io.kubernetes.cri.sandbox-name"],
            notes["io.kubernetes.cri.sandbox-uid"],
            None if sandbox else notes["io.kubernetes.cri.container-name"],
            sandbox,
        )
    sandbox = notes["io.kubernetes.cri-o.ContainerType"] == "sandbox"
    return (
        notes["io.kubernetes.pod.namespace"],
        notes["io.kubernetes.pod.name"],
        notes["io.kubernetes.pod.uid"],
        None if sandbox else notes["io.kubernetes.container.name"],
        sandbox,
    )


def cgroup_ids(name: str) -> set[str]:
    """The 64-hex ids that end some pid's cgroup path (the last component, minus the engines'
    prefixes and suffixes): the independent list of containers the tree holds."""
    ids = set()
    for d in (FIXTURES / name / "proc").iterdir():
        for line in (d / "cgroup").read_text().splitlines():
            last = line.split(":", 2)[2].rstrip("/").split("/")[-1]
            last = last.rsplit(":", 1)[-1].removesuffix(".scope").rsplit("-", 1)[-1]
            if len(last) == 64 and "conmon" not in line:
                ids.add(last)
    return ids


@pytest.mark.parametrize("name", CRI)
def test_every_cgroup_shape_is_found_and_its_pod_named_from_the_bundle(name):
    result = scan(name)
    by_id = {c.id: c for c in result.containers}
    assert set(by_id) == cgroup_ids(name)
    notes = bundles(name)
    assert notes  # the fixture has bundles
    for cid, c in by_id.items():
        assert c.runtime == "kubernetes"
        if cid in notes:
            p = c.pod
            assert p is not None, cid
            assert (p.namespace, p.name, p.uid, p.container, p.sandbox) == expected_pod(notes[cid])
            assert c.pod_uid == p.uid  # the cgroup path's pod uid agrees with the bundle's
            assert any(e.startswith("pod from /") and e.endswith("/config.json") for e in c.evidence)


def test_static_pod_uid_of_32_hex_digits_both_drivers():
    for name, uid in (
        ("cri-containerd-systemd", "1864dd0546310be9937c37cf88024cb8"),
        ("cri-containerd-cgroupfs", "9a0b1c2d3e4f50617283940a1b2c3d4e"),
    ):
        static = [c for c in scan(name).containers if c.pod_uid == uid]
        assert len(static) == 2 and {c.pod.namespace for c in static} == {"kube-system"}
        assert uid in (FIXTURES / name / "proc" / str(static[0].init_pid) / "cgroup").read_text()


def test_crio_cgroupfs_driver_crio_dir_without_scope_and_conmon_kept_out():
    result = scan("cri-crio-cgroupfs")
    assert sorted((c.pod.label(), c.engine, c.init_pid) for c in result.containers) == [
        ("data/pg-0/POD", "cri-o", 501),
        ("data/pg-0/postgres", "cri-o", 511),
    ]
    assert all(500 not in c.pids and 510 not in c.pids for c in result.containers)


def test_containerd_14_literal_slice_path():
    old = [c for c in scan("cri-containerd-cgroupfs").containers if c.pod and c.pod.namespace == "legacy"]
    assert len(old) == 1
    text = (FIXTURES / "cri-containerd-cgroupfs" / "proc" / str(old[0].init_pid) / "cgroup").read_text()
    assert f".slice:cri-containerd:{old[0].id}" in text
    assert old[0].engine == "containerd" and old[0].pod.sandbox is True


def test_pod_logs_are_the_second_source():
    result = scan("cri-containerd-systemd")
    logs = FIXTURES / "cri-containerd-systemd" / "host" / "var" / "log" / "pods"
    dirs = {d.name.split("_")[2]: d for d in logs.iterdir()}
    for c in result.containers:
        ns, pod, _uid = dirs[c.pod_uid].name.split("_")
        assert (c.pod.namespace, c.pod.name) == (ns, pod)
        if c.pod.container is not None:
            assert (dirs[c.pod_uid] / c.pod.container).is_dir()  # the kubelet's log dir agrees
    # the pod whose bundles are gone: named from the log directory alone, sandbox by its shim id
    batch = sorted((c for c in result.containers if c.pod.namespace == "batch"), key=lambda c: c.init_pid)
    assert [(c.pod.name, c.pod.container, c.pod.sandbox) for c in batch] == [
        ("report-28391", None, True),
        ("report-28391", None, None),
    ]
    assert all(c.pod.source == f"/var/log/pods/{dirs[c.pod_uid].name}" for c in batch)


def test_nested_docker_in_docker_belongs_to_the_innermost():
    result = scan("nested-dind")
    config = json.loads(next((FIXTURES / "nested-dind" / "host").rglob("config.v2.json")).read_text())
    outer = next(c for c in result.containers if c.id == config["ID"])
    inner = next(c for c in result.containers if c.id != config["ID"])
    assert outer.name == config["Name"].lstrip("/") and outer.nested_in == ()
    assert [(o.runtime, o.id, o.name) for o in inner.nested_in] == [("docker", outer.id, "dind")]
    assert inner.nesting() == f"in docker {outer.id[:12]} (dind)"
    assert inner.pids == (114,) and 113 in outer.pids  # the inner shim runs in the outer


def test_nested_kind_node_pods_and_their_unreadable_bundles():
    result = scan("nested-kind")
    node = next(c for c in result.containers if c.runtime == "docker")
    assert node.name == "kind-control-plane"
    pods = [c for c in result.containers if c.runtime == "kubernetes"]
    assert len(pods) == 2
    for c in pods:
        assert [(o.runtime, o.id) for o in c.nested_in] == [("docker", node.id)]
        assert "another mount namespace" in c.errors.get("pod", "") or c.pod.sandbox
    sandbox = next(c for c in pods if c.pod is not None)
    assert sandbox.pod.sandbox and sandbox.init_pid == 121


@pytest.mark.parametrize(
    "target, pid",
    [
        ("pod:default/web-0/web", 210),
        ("pod:default/web-0/log-shipper", 220),
        ("pod:default/web-0/POD", 201),
        ("pod:kube-system/kube-apiserver-node1", 310),  # one container: the pod names it
        ("pod:batch/report-28391", 410),
    ],
)
def test_pod_targets(target, pid):
    assert resolve_target(FIXTURES / "cri-containerd-systemd" / "proc", target) == pid


def test_pod_target_errors():
    proc = FIXTURES / "cri-containerd-systemd" / "proc"
    with pytest.raises(AmbiguousTarget) as err:
        resolve(proc, "pod:default/web-0")
    assert (
        "pod:default/web-0/web" in err.value.message and "pod:default/web-0/log-shipper" in err.value.message
    )
    with pytest.raises(TargetNotFound):
        resolve(proc, "pod:default/web-1")
    for bad in ("pod:default", "pod:a/b/c/d", "pod:/web-0"):
        with pytest.raises(UsageError):
            resolve(proc, bad)
    # a containerd namespace/id is still that, never a pod
    with pytest.raises(TargetNotFound):
        resolve(proc, "default/web-0")


def _check(path: Path, actual: str, regen: bool) -> None:
    if regen or not path.exists():
        path.write_text(actual)
        if not regen:
            pytest.fail(f"{path.name} did not exist; written now: review it and run again")
    assert actual == path.read_text(), f"output differs from {path.name} (regenerate with --regen-golden)"


GOLDEN_CASES = {
    "ps-pods-cri-containerd-systemd": ("cri-containerd-systemd", ["ps", "--pods"]),
    "ps-cri-crio-cgroupfs": ("cri-crio-cgroupfs", ["ps"]),
    "ps-nested-kind": ("nested-kind", ["ps"]),
    "ps-pods-nested-kind": ("nested-kind", ["ps", "--pods"]),
    "ps-nested-dind": ("nested-dind", ["ps"]),
    "tree-nested-dind": ("nested-dind", ["tree", "114"]),
    "ps-dockerd-roots": ("dockerd-roots", ["ps"]),
    "ps-all-dockerd-stopped": ("dockerd-stopped", ["ps", "--all"]),
}


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_golden(case, nsview_run, regen_golden):
    fixture, args = GOLDEN_CASES[case]
    proc = str(FIXTURES / fixture / "proc")
    r = nsview_run(*args, "--proc-root", proc, "--no-color", env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert r.returncode == 0 and r.stderr == "", r.stderr
    _check(GOLDEN / f"{case}.txt", r.stdout, regen_golden)
    j = nsview_run(*args, "--proc-root", proc, "--json")
    assert j.returncode == 0
    _check(GOLDEN / f"{case}.json", j.stdout, regen_golden)
