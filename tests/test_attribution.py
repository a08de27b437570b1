"""attribute(): processes to containers as a pure function, no fixture tree (docs/design.md)."""

from __future__ import annotations

from nsview.model.attribution import ContainerKey, ProcessEvidence, attribute, boundary_key
from nsview.model.supervisor import ContainerBoundary, boundary_from_parent

DOCKER_ID = "0ac949292b65" + "a" * 52
POD_UID = "5e3f0b5c-1f0e-4c63-9d2b-7a1d1e2f3a4b"
CRIO_ID = "c" * 64


def ev(pid: int, ppid: int, *paths: str, differs: bool = True) -> ProcessEvidence:
    return ProcessEvidence(pid, ppid, differs, paths)


def test_docker_cgroup_path_claims_and_children_inherit():
    procs = {p.pid: p for p in (ev(10, 1, f"/docker/{DOCKER_ID}"), ev(11, 10), ev(12, 11))}
    got = attribute(procs, {})
    key = ContainerKey("docker", DOCKER_ID)
    assert got.keys == {10: key, 11: key, 12: key}
    assert got.evidence[key] == (f"cgroup /docker/{DOCKER_ID}",)


def test_a_child_back_in_the_host_namespaces_does_not_inherit():
    procs = {p.pid: p for p in (ev(10, 1, f"/docker/{DOCKER_ID}"), ev(11, 10, differs=False))}
    assert attribute(procs, {}).keys == {10: ContainerKey("docker", DOCKER_ID)}


def test_plain_containerd_path_needs_the_shim_to_confirm_it():
    shim = boundary_from_parent(
        "containerd-shim", ("containerd-shim-runc-v2", "-namespace", "acme", "-id", "web1")
    )
    assert shim is not None
    procs = {p.pid: p for p in (ev(20, 5, "/acme/web1"), ev(21, 20))}
    confirmed = attribute(procs, {5: shim})
    key = ContainerKey("containerd", "web1", "acme")
    assert confirmed.keys == {20: key, 21: key}
    assert any("containerd-shim -namespace acme -id web1" in e for e in confirmed.evidence[key])
    # the same two-level path with no shim says nothing: any cgroup /a/b has that shape
    assert attribute(procs, {}).keys == {}


def test_containerd_namespace_moby_is_docker():
    assert boundary_key(ContainerBoundary("containerd", DOCKER_ID, "moby", "shim")) == ContainerKey(
        "docker", DOCKER_ID
    )


def test_kubernetes_pod_uid_and_engine_from_the_conmon_parent():
    path = f"/kubepods/burstable/pod{POD_UID}/{CRIO_ID}"
    conmon = ContainerBoundary("conmon", CRIO_ID, None, "conmon -c")
    got = attribute({30: ev(30, 29, path)}, {29: conmon})
    key = ContainerKey("kubernetes", CRIO_ID)
    assert got.keys == {30: key}
    assert got.pod_uid[key] == POD_UID
    assert got.engine[key] == "cri-o"
    assert got.evidence[key] == (f"cgroup {path}", "conmon -c")


def test_parent_supervisor_alone_claims_a_child_in_other_namespaces():
    lxc = ContainerBoundary("lxc", "web1", None, "[lxc monitor] argv")
    got = attribute({41: ev(41, 40), 42: ev(42, 40, differs=False)}, {40: lxc})
    assert got.keys == {41: ContainerKey("lxc", "web1")}
    assert got.evidence[ContainerKey("lxc", "web1")] == ("parent 40 is [lxc monitor] argv",)


def test_a_supervisor_inside_a_container_does_not_inherit_its_parents_container():
    shim = ContainerBoundary("containerd", "inner", "k8s.io", "shim")
    procs = {p.pid: p for p in (ev(50, 1, f"/docker/{DOCKER_ID}"), ev(51, 50), ev(52, 51))}
    got = attribute(procs, {51: shim})
    assert got.keys[50] == ContainerKey("docker", DOCKER_ID)
    assert 51 not in got.keys
    assert got.keys[52] == ContainerKey("containerd", "inner", "k8s.io")


def test_a_chain_thousands_deep_and_a_ppid_cycle_terminate():
    procs = {1000: ev(1000, 1, f"/docker/{DOCKER_ID}")}
    procs.update({pid: ev(pid, pid - 1) for pid in range(1001, 6000)})
    procs[7000] = ev(7000, 7001)
    procs[7001] = ev(7001, 7000)  # a reused pid can make two processes each other's parent
    got = attribute(procs, {})
    assert len([p for p, k in got.keys.items() if k.runtime == "docker"]) == 5000
    assert 7000 not in got.keys and 7001 not in got.keys
