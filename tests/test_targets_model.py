"""Pure logic: cgroup path -> container, and TARGET -> candidates. One case per engine shape."""

from __future__ import annotations

import pytest

from nsview.model.attribution import classify_cgroup_path, containerd_path
from nsview.model.container import Container, match_target

H = "0ac949292b65" + "a1b2c3d4" * 6 + "a1b2"  # 64 hex
assert len(H) == 64
UID = "1b6f0d52-3a4e-4c2f-9f7a-0123456789ab"
STATIC = "1864dd0546310be9937c37cf88024cb8"  # a static pod's uid (kubelet: hash of the manifest)
OUT = "5eed9175" + "63583925" * 7  # an outer container


@pytest.mark.parametrize(
    "path, runtime, cid, engine, pod",
    [
        (f"/docker/{H}", "docker", H, None, None),  # cgroupfs driver
        (f"/docker/{H}/init.scope", "docker", H, None, None),  # systemd inside a docker container
        (f"/system.slice/docker-{H}.scope", "docker", H, None, None),  # systemd driver
        (f"/machine.slice/libpod-{H}.scope", "podman", H, None, None),
        (f"/machine.slice/libpod-{H}.scope/container", "podman", H, None, None),  # podman --cgroupns
        (
            f"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{H}.scope",
            "podman",
            H,
            None,
            None,
        ),
        (f"/libpod_parent/libpod-{H}", "podman", H, None, None),
        (f"/machine.slice/crio-{H}.scope", "cri-o", H, None, None),
        (
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
            + UID.replace("-", "_")
            + f".slice/cri-containerd-{H}.scope",
            "kubernetes",
            H,
            "containerd",
            UID,
        ),
        (
            "/kubepods.slice/kubepods-pod" + UID.replace("-", "_") + f".slice/crio-{H}.scope",
            "kubernetes",
            H,
            "cri-o",
            UID,
        ),
        (f"/kubepods/burstable/pod{UID}/{H}", "kubernetes", H, None, UID),
        (f"/kubepods/pod{UID}/{H}", "kubernetes", H, None, UID),  # guaranteed QoS: no class dir
        # a static pod: the kubelet's 32-hex hash of the manifest, not a UUID
        (f"/kubepods/burstable/pod{STATIC}/{H}", "kubernetes", H, None, STATIC),
        (
            f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{STATIC}.slice/crio-{H}.scope",
            "kubernetes",
            H,
            "cri-o",
            STATIC,
        ),
        # CRI-O on the cgroupfs driver: crio-<id>, no .scope (guaranteed and burstable pods)
        (f"/kubepods/pod{UID}/crio-{H}", "kubernetes", H, "cri-o", UID),
        (f"/kubepods/burstable/pod{UID}/crio-{H}", "kubernetes", H, "cri-o", UID),
        # containerd 1.4 era: runc's "slice:prefix:id" taken literally, at the root or under
        # containerd's own service cgroup
        (
            "/kubepods-besteffort-pod" + UID.replace("-", "_") + f".slice:cri-containerd:{H}",
            "kubernetes",
            H,
            "containerd",
            UID,
        ),
        (
            "/system.slice/containerd.service/kubepods-burstable-pod"
            + UID.replace("-", "_")
            + f".slice:cri-containerd:{H}",
            "kubernetes",
            H,
            "containerd",
            UID,
        ),
        # kind's kubelet cgroup root ("kubelet-" prefix), here at the top
        (
            "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
            "kubelet-kubepods-besteffort-pod" + UID.replace("-", "_") + f".slice/cri-containerd-{H}.scope",
            "kubernetes",
            H,
            "containerd",
            UID,
        ),
        ("/lxc.payload.web1", "lxc", "web1", None, None),
        ("/lxc.payload.web1/system.slice/ssh.service", "lxc", "web1", None, None),
        ("/lxc.payload/web1", "lxc", "web1", None, None),
        ("/lxc/old1", "lxc", "old1", None, None),
    ],
)
def test_engine_cgroup_shapes(path, runtime, cid, engine, pod):
    m = classify_cgroup_path(path)
    assert m is not None, path
    assert (m.runtime, m.id, m.engine, m.pod_uid) == (runtime, cid, engine, pod)
    assert path in m.evidence


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/user.slice/user-1000.slice/session-2.scope",
        f"/system.slice/crio-conmon-{H}.scope",  # the monitor, not the container
        f"/machine.slice/libpod-conmon-{H}.scope",
        f"/docker/{H[:12]}",  # cgroupfs ids are always the full 64
        f"/mydocker/{H}",  # whole components only
        f"/x/docker/{H}",  # /docker is a top-level parent
        f"/../../docker/{H}",  # outside the reader's cgroup namespace: not trusted
        f"/system.slice/cri-containerd-{H}.scope",  # CRI scope outside kubepods
        f"/system.slice/docker-{H.upper()}.scope",
        "/acme/web1",  # plain containerd needs a shim to confirm it
        f"/kubepods/pod{STATIC[:31]}/{H}",  # neither a UUID nor 32 hex digits
        f"/kubepods/pod{UID}/crio-conmon-{H}",  # CRI-O's monitor on the cgroupfs driver
        f"/pod{UID}/{H}",  # a pod directory outside kubepods says nothing
        f"/kubepods-pod{UID.replace('-', '_')}.slice:podman:{H}",  # not a CRI prefix
        f"/system.slice/containerd.service/kubepods-pod{UID.replace('-', '_')}.slice:cri-containerd:{H[:12]}",
        # near misses of the cheap guards in front of each pattern
        f"/system.slice/docker-{H}.scopes",
        f"/system.slice/docker-{H}x.scope",
        f"/kubepods/pod{UID}/crio-{H}0",
        f"/kubepods/pod{UID}/{H}0",
        f"/kubepods/xpod{UID}/{H}",
        "/lxc.payload.",
        f"/docker/{H}0",
    ],
)
def test_not_a_container(path):
    assert classify_cgroup_path(path) is None


@pytest.mark.parametrize(
    "path, runtime, cid, outer",
    [
        (f"/docker/{OUT}/docker/{H}", "docker", H, (("docker", OUT),)),  # docker-in-docker
        (f"/docker/{OUT}/docker/{H}/init.scope", "docker", H, (("docker", OUT),)),
        (f"/docker/{OUT}/init", "docker", OUT, ()),  # dind moves its own processes to /init
        (f"/system.slice/docker-{OUT}.scope/docker/{H}", "docker", H, (("docker", OUT),)),
        # a kind node (a Docker container) and the pods its kubelet runs, both drivers
        (
            f"/system.slice/docker-{OUT}.scope/kubelet.slice/kubelet-kubepods.slice/"
            "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod"
            + UID.replace("-", "_")
            + f".slice/cri-containerd-{H}.scope",
            "kubernetes",
            H,
            (("docker", OUT),),
        ),
        (f"/docker/{OUT}/kubepods/besteffort/pod{UID}/{H}", "kubernetes", H, (("docker", OUT),)),
        # Docker inside an LXC container
        (f"/lxc.payload.web1/system.slice/docker-{H}.scope", "docker", H, (("lxc", "web1"),)),
        # three deep: dind inside a dind
        (f"/docker/{OUT}/docker/{H}/docker/{OUT}", "docker", OUT, (("docker", OUT), ("docker", H))),
    ],
)
def test_nested_containers_belong_to_the_innermost(path, runtime, cid, outer):
    m = classify_cgroup_path(path)
    assert m is not None, path
    assert (m.runtime, m.id, m.outer) == (runtime, cid, outer)


def test_containerd_path_shape():
    assert containerd_path("/acme/web1") == ("acme", "web1")
    assert containerd_path("/acme/web1/sub") == ("acme", "web1")
    assert containerd_path("/acme") is None
    assert containerd_path("/../acme/web1") is None


def _c(runtime, cid, name=None, ns=None, pid=1):
    return Container(runtime=runtime, id=cid, name=name, init_pid=pid, pids=(pid,), namespace=ns)


ONE = "3f4e9a1c" + "0" * 56
TWO = "3f4e77aa" + "1" * 56
BOX = [
    _c("docker", ONE, "web", pid=10),
    _c("docker", TWO, "cache", pid=20),
    _c("containerd", "web1", ns="acme", pid=30),
    _c("containerd", "web1", ns="other", pid=40),
    _c("containerd", "solo", ns="acme", pid=50),
    _c("docker", "ab" * 32, ONE[:12], pid=60),  # a name that looks like another's id prefix
    _c("namespaces only", None, pid=70),
]


@pytest.mark.parametrize(
    "target, pids",
    [
        ("web", [10]),
        ("/web", [10]),
        ("/cache", [20]),
        (ONE, [10]),
        ("3f4e9", [10]),
        ("3F4E9", [10]),  # ids are hex: case does not matter for a prefix
        ("3f4e", [10, 20]),  # ambiguous prefix
        ("acme/web1", [30]),
        ("other/web1", [40]),
        ("web1", [30, 40]),  # the bare id is in two namespaces
        ("solo", [50]),
        ("acme/solo", [50]),
        ("acme/nope", []),
        (ONE[:12], [60]),  # an exact name wins over an id prefix, as in docker
        ("/3f4e9", []),  # "/" means name only
        ("zz", []),
        ("", []),
    ],
)
def test_match_target(target, pids):
    assert sorted(c.init_pid for c in match_target(BOX, target)) == pids


def test_short_id_and_label():
    assert _c("docker", ONE, "web").short_id == ONE[:12]
    assert _c("containerd", "web1", ns="acme").short_id == "web1"
    assert _c("containerd", "web1", ns="acme").label() == "containerd acme/web1"
    assert _c("docker", ONE, "web").label() == f"docker {ONE[:12]} (web)"
