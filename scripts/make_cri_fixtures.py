#!/usr/bin/env python3
"""Write the hand-made Kubernetes (CRI), nesting and Docker data-root fixture trees
``fixtures/cri-*/``, ``fixtures/nested-*/`` and ``fixtures/dockerd-*/``.

Each tree is a ``proc/`` (stat, cgroup, cmdline, ns/* and, for shims, the ``cwd`` symlink) and
a ``host/`` holding what the runtimes keep on the host's disk: OCI bundle ``config.json`` files
with the CRI annotations, the kubelet's ``/var/log/pods``, Docker's ``config.v2.json`` and ``daemon.json``, ``/etc/passwd``. The
shapes follow the runtimes' documented formats (see fixtures/README.md); nothing was captured.

Run from anywhere: ``python scripts/make_cri_fixtures.py`` (rewrites the trees in place under
fixtures/), or ``--out DIR`` (tests/test_fixture_generators.py compares that with the
committed trees).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_container_fixtures import (  # a sibling script, not a package
    HOST_NS,
    cgroup_hybrid,
    cgroup_v2,
    container_ns,
    host_procs,
    ns_of,
    proc,
    write,
)

HERE = Path(__file__).resolve().parent.parent / "fixtures"


def hexid(word: str) -> str:
    """A 64-hex container id that reads as its role in a test failure."""
    return (word.encode().hex() + "0" * 64)[:64]


# containerd, systemd driver (cgroup v2)
SB_A, WEB_A, SIDE_A = hexid("sbxA"), hexid("webA"), hexid("sideA")
UID_A = "1b6f0d52-3a4e-4c2f-9f7a-0123456789ab"
SB_B, API_B = hexid("sbxB"), hexid("apiB")
STATIC_B = "1864dd0546310be9937c37cf88024cb8"  # a static pod: the kubelet's hash of its manifest
SB_C, APP_C = hexid("sbxC"), hexid("appC")
UID_C = "3d8b2f74-5c60-4e41-9b9c-23456789abcd"
# containerd, cgroupfs driver (hybrid)
SB_D, APP_D = hexid("sbxD"), hexid("appD")
UID_D = "4e9c3085-6d71-4f52-8cad-3456789abcde"
SB_E, ETCD_E = hexid("sbxE"), hexid("etcdE")
STATIC_E = "9a0b1c2d3e4f50617283940a1b2c3d4e"
OLD_F = hexid("oldF")
UID_F = "5fad4196-7e82-4063-9dbe-456789abcdef"
# CRI-O, both drivers
SB_G, API_G = hexid("sbxG"), hexid("apiG")
UID_G = "60be52a7-8f93-4174-aecf-56789abcdef0"
SB_H, DB_H = hexid("sbxH"), hexid("dbH")
UID_H = "71cf63b8-90a4-4285-bfd0-6789abcdef01"
# nesting
OUTER, INNER = hexid("dind"), hexid("inner")
NODE, SB_K, DNS_K = hexid("kindnode"), hexid("sbxK"), hexid("dnsK")
# stopped Docker containers
OK_S, OOM_S, NEW_S, RACE_S, RUN_S = hexid("okS"), hexid("oomS"), hexid("newS"), hexid("raceS"), hexid("runS")
UID_K = "82d074c9-a1b5-4396-80e1-789abcdef012"

TASKS = "run/containerd/io.containerd.runtime.v2.task/k8s.io"
CRIO_RUN = "run/containers/storage/overlay-containers"


def shim(pid: int, sandbox: str, cg: str, ns: dict[str, int] = HOST_NS, namespace: str = "k8s.io") -> dict:
    p = proc(
        pid,
        1,
        "containerd-shim",
        [
            "/usr/bin/containerd-shim-runc-v2",
            "-namespace",
            namespace,
            "-id",
            sandbox,
            "-address",
            "/run/containerd/containerd.sock",
        ],
        cg,
        ns,
    )
    p["cwd"] = (
        f"/{TASKS}/{sandbox}"
        if namespace == "k8s.io"
        else f"/run/containerd/io.containerd.runtime.v2.task/{namespace}/{sandbox}"
    )
    return p


def bundle_containerd(
    cid: str, ns: str, pod: str, uid: str, sandbox: str, name: str | None, path: str
) -> str:
    """config.json as containerd's CRI plugin writes it (annotations.go, DefaultCRIAnnotations)."""
    notes = {
        "io.kubernetes.cri.sandbox-id": sandbox,
        "io.kubernetes.cri.sandbox-namespace": ns,
        "io.kubernetes.cri.sandbox-uid": uid,
        "io.kubernetes.cri.sandbox-name": pod,
    }
    if name is None:
        notes["io.kubernetes.cri.sandbox-log-directory"] = f"/var/log/pods/{ns}_{pod}_{uid}"
        notes["io.kubernetes.cri.podsandbox.image-name"] = "registry.k8s.io/pause:3.9"
        notes["io.kubernetes.cri.container-type"] = "sandbox"
    else:
        notes["io.kubernetes.cri.container-name"] = name
        notes["io.kubernetes.cri.image-name"] = f"example.org/{name}:1"
        notes["io.kubernetes.cri.container-type"] = "container"
    doc = {
        "ociVersion": "1.1.0",
        "process": {"args": ["/pause"] if name is None else [f"/{name}"], "cwd": "/"},
        "root": {"path": "rootfs"},
        "annotations": notes,
        "linux": {"cgroupsPath": path},
    }
    return json.dumps(doc, indent=2)


def bundle_crio(cid: str, ns: str, pod: str, uid: str, sandbox: str, name: str | None) -> str:
    """config.json as CRI-O writes it: the kubelet's labels as annotations, the sandbox "POD"."""
    notes = {
        "io.kubernetes.pod.namespace": ns,
        "io.kubernetes.pod.name": pod,
        "io.kubernetes.pod.uid": uid,
        "io.kubernetes.container.name": name or "POD",
        "io.kubernetes.cri-o.ContainerType": "sandbox" if name is None else "container",
        "io.kubernetes.cri-o.SandboxID": sandbox,
        "io.container.manager": "cri-o",
    }
    return json.dumps(
        {"ociVersion": "1.0.2-dev", "process": {"args": ["/x"]}, "annotations": notes}, indent=2
    )


def log_dir(ns: str, pod: str, uid: str, *containers: str) -> dict[str, str]:
    line = "2026-12-01T21:35:58.000000000Z stdout F started\n"
    return {f"var/log/pods/{ns}_{pod}_{uid}/{c}/0.log": line for c in containers}


def scenarios() -> dict[str, dict]:
    v2, hy = cgroup_v2, cgroup_hybrid
    out: dict[str, dict] = {}

    # containerd with the kubelet's systemd driver: a three-container pod (bundles and logs), a
    # static pod (uid of 32 hex digits), and a pod whose bundles are gone (the logs alone say).
    slice_a = (
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_A.replace("-", "_") + ".slice"
    )
    slice_b = f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{STATIC_B}.slice"
    slice_c = (
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
        + UID_C.replace("-", "_")
        + ".slice"
    )
    pod_a = container_ns(4026532400)
    in_a = ns_of(
        ipc=4026532401, net=4026532403, uts=4026532405, mnt=4026532410, pid=4026532411, cgroup=4026532412
    )
    in_a2 = dict(in_a, mnt=4026532420, pid=4026532421, cgroup=4026532422)
    files = {}
    for cid, name in ((SB_A, None), (WEB_A, "web"), (SIDE_A, "log-shipper")):
        path = "kubepods-burstable-pod" + UID_A.replace("-", "_") + f".slice:cri-containerd:{cid}"
        files[f"{TASKS}/{cid}/config.json"] = bundle_containerd(
            cid, "default", "web-0", UID_A, SB_A, name, path
        )
    for cid, name in ((SB_B, None), (API_B, "kube-apiserver")):
        path = f"kubepods-burstable-pod{STATIC_B}.slice:cri-containerd:{cid}"
        files[f"{TASKS}/{cid}/config.json"] = bundle_containerd(
            cid, "kube-system", "kube-apiserver-node1", STATIC_B, SB_B, name, path
        )
    files.update(log_dir("default", "web-0", UID_A, "web", "log-shipper"))
    files.update(log_dir("kube-system", "kube-apiserver-node1", STATIC_B, "kube-apiserver"))
    files.update(log_dir("batch", "report-28391", UID_C, "report"))
    out["cri-containerd-systemd"] = dict(
        procs=host_procs(v2)
        + [
            shim(200, SB_A, v2("/system.slice/containerd.service")),
            proc(201, 200, "pause", ["/pause"], v2(f"{slice_a}/cri-containerd-{SB_A}.scope"), pod_a),
            proc(
                210,
                200,
                "nginx",
                ["nginx: master process"],
                v2(f"{slice_a}/cri-containerd-{WEB_A}.scope"),
                in_a,
            ),
            proc(
                211,
                210,
                "nginx",
                ["nginx: worker process"],
                v2(f"{slice_a}/cri-containerd-{WEB_A}.scope"),
                in_a,
            ),
            proc(
                220, 200, "fluent-bit", ["/fluent-bit"], v2(f"{slice_a}/cri-containerd-{SIDE_A}.scope"), in_a2
            ),
            shim(300, SB_B, v2("/system.slice/containerd.service")),
            proc(
                301,
                300,
                "pause",
                ["/pause"],
                v2(f"{slice_b}/cri-containerd-{SB_B}.scope"),
                ns_of(ipc=4026532501, uts=4026532502, pid=4026532503, mnt=4026532504),
            ),
            proc(
                310,
                300,
                "kube-apiserver",
                ["kube-apiserver", "--etcd-servers=https://127.0.0.1:2379"],
                v2(f"{slice_b}/cri-containerd-{API_B}.scope"),
                ns_of(ipc=4026532501, uts=4026532502, pid=4026532513, mnt=4026532514),
            ),
            shim(400, SB_C, v2("/system.slice/containerd.service")),
            proc(
                401,
                400,
                "pause",
                ["/pause"],
                v2(f"{slice_c}/cri-containerd-{SB_C}.scope"),
                container_ns(4026532600),
            ),
            proc(
                410,
                400,
                "report",
                ["/report"],
                v2(f"{slice_c}/cri-containerd-{APP_C}.scope"),
                ns_of(ipc=4026532601, net=4026532603, uts=4026532605, mnt=4026532610, pid=4026532611),
            ),
        ],
        files=files,
    )

    # containerd with the cgroupfs driver (hybrid v1 host): a pod, a static pod, and a pod of
    # the containerd 1.4 era whose path is runc's "slice:prefix:id" taken literally.
    fs_d = f"/kubepods/burstable/pod{UID_D}"
    fs_e = f"/kubepods/burstable/pod{STATIC_E}"
    old_f = "/kubepods-besteffort-pod" + UID_F.replace("-", "_") + f".slice:cri-containerd:{OLD_F}"
    files = {}
    for cid, name in ((SB_D, None), (APP_D, "app")):
        files[f"{TASKS}/{cid}/config.json"] = bundle_containerd(
            cid, "shop", "cart-7d9f", UID_D, SB_D, name, f"{fs_d}/{cid}"
        )
    for cid, name in ((SB_E, None), (ETCD_E, "etcd")):
        files[f"{TASKS}/{cid}/config.json"] = bundle_containerd(
            cid, "kube-system", "etcd-node1", STATIC_E, SB_E, name, f"{fs_e}/{cid}"
        )
    files[f"{TASKS}/{OLD_F}/config.json"] = bundle_containerd(
        OLD_F, "legacy", "old-0", UID_F, OLD_F, None, old_f[1:]
    )
    files.update(log_dir("shop", "cart-7d9f", UID_D, "app"))
    files.update(log_dir("kube-system", "etcd-node1", STATIC_E, "etcd"))
    out["cri-containerd-cgroupfs"] = dict(
        procs=host_procs(hy)
        + [
            shim(200, SB_D, hy("/system.slice/containerd.service")),
            proc(201, 200, "pause", ["/pause"], hy(f"{fs_d}/{SB_D}"), container_ns(4026532700)),
            proc(
                210,
                200,
                "app",
                ["/app"],
                hy(f"{fs_d}/{APP_D}"),
                ns_of(ipc=4026532701, net=4026532703, uts=4026532705, mnt=4026532710, pid=4026532711),
            ),
            shim(300, SB_E, hy("/system.slice/containerd.service")),
            proc(
                301,
                300,
                "pause",
                ["/pause"],
                hy(f"{fs_e}/{SB_E}"),
                ns_of(ipc=4026532801, uts=4026532802, pid=4026532803, mnt=4026532804),
            ),
            proc(
                310,
                300,
                "etcd",
                ["etcd", "--data-dir=/var/lib/etcd"],
                hy(f"{fs_e}/{ETCD_E}"),
                ns_of(ipc=4026532801, uts=4026532802, pid=4026532813, mnt=4026532814),
            ),
            shim(400, OLD_F, hy("/system.slice/containerd.service")),
            proc(401, 400, "pause", ["/pause"], hy(old_f), container_ns(4026532900)),
        ],
        files=files,
    )

    # CRI-O, systemd driver: conmon per container, -b names the bundle.
    slice_g = "/kubepods.slice/kubepods-pod" + UID_G.replace("-", "_") + ".slice"
    files = {
        f"{CRIO_RUN}/{SB_G}/userdata/config.json": bundle_crio(
            SB_G, "default", "api-5c6b", UID_G, SB_G, None
        ),
        f"{CRIO_RUN}/{API_G}/userdata/config.json": bundle_crio(
            API_G, "default", "api-5c6b", UID_G, SB_G, "api"
        ),
    }
    files.update(log_dir("default", "api-5c6b", UID_G, "api"))

    def conmon(pid: int, cid: str, cg: str, bundle: bool = True) -> dict:
        args = ["/usr/bin/conmon", "-c", cid, "-n", f"k8s_{cid[:6]}", "-r", "/usr/bin/crun"]
        if bundle:
            args += ["-b", f"/{CRIO_RUN}/{cid}/userdata"]
        args += ["--exit-dir", "/var/run/crio/exits", "--socket-dir-path", "/var/run/crio"]
        return proc(pid, 1, "conmon", args, cg, HOST_NS)

    out["cri-crio-systemd"] = dict(
        procs=host_procs(v2)
        + [
            conmon(500, SB_G, v2(f"{slice_g}/crio-conmon-{SB_G}.scope")),
            proc(501, 500, "pause", ["/pause"], v2(f"{slice_g}/crio-{SB_G}.scope"), container_ns(4026533000)),
            conmon(510, API_G, v2(f"{slice_g}/crio-conmon-{API_G}.scope")),
            proc(
                511,
                510,
                "api",
                ["/api", "--port=8080"],
                v2(f"{slice_g}/crio-{API_G}.scope"),
                ns_of(ipc=4026533001, net=4026533003, uts=4026533005, mnt=4026533010, pid=4026533011),
            ),
        ],
        files=files,
    )

    # CRI-O, cgroupfs driver (hybrid): a guaranteed pod, /kubepods/pod<uid>/crio-<id> with no
    # .scope; conmon beside it in crio-conmon-<id>; no -b (the default run root is looked at).
    fs_h = f"/kubepods/pod{UID_H}"
    files = {
        f"{CRIO_RUN}/{SB_H}/userdata/config.json": bundle_crio(SB_H, "data", "pg-0", UID_H, SB_H, None),
        f"{CRIO_RUN}/{DB_H}/userdata/config.json": bundle_crio(DB_H, "data", "pg-0", UID_H, SB_H, "postgres"),
    }
    files.update(log_dir("data", "pg-0", UID_H, "postgres"))
    out["cri-crio-cgroupfs"] = dict(
        procs=host_procs(hy)
        + [
            conmon(500, SB_H, hy(f"{fs_h}/crio-conmon-{SB_H}"), bundle=False),
            proc(501, 500, "pause", ["/pause"], hy(f"{fs_h}/crio-{SB_H}"), container_ns(4026533100)),
            conmon(510, DB_H, hy(f"{fs_h}/crio-conmon-{DB_H}"), bundle=False),
            proc(
                511,
                510,
                "postgres",
                ["postgres", "-D", "/var/lib/postgresql/data"],
                hy(f"{fs_h}/crio-{DB_H}"),
                ns_of(ipc=4026533101, net=4026533103, uts=4026533105, mnt=4026533110, pid=4026533111),
            ),
        ],
        files=files,
    )

    # docker-in-docker (cgroupfs driver on cgroup v2): the outer container runs dockerd, whose
    # container continues the outer's cgroup path: /docker/<outer>/docker/<inner>.
    outer_ns = container_ns(4026533200)
    inner_ns = dict(
        outer_ns,
        mnt=4026533210,
        pid=4026533211,
        uts=4026533212,
        ipc=4026533213,
        net=4026533214,
        cgroup=4026533215,
    )
    out["nested-dind"] = dict(
        procs=host_procs(v2)
        + [
            proc(100, 1, "dockerd", ["/usr/bin/dockerd"], v2("/system.slice/docker.service"), HOST_NS),
            shim(110, OUTER, v2("/system.slice/docker.service"), namespace="moby"),
            proc(
                111,
                110,
                "dockerd",
                ["dockerd", "--host=unix:///var/run/docker.sock"],
                v2(f"/docker/{OUTER}/init"),
                outer_ns,
            ),
            proc(
                112,
                111,
                "containerd",
                ["containerd", "--config", "/var/run/docker/containerd/containerd.toml"],
                v2(f"/docker/{OUTER}/init"),
                outer_ns,
            ),
            dict(shim(113, INNER, v2(f"/docker/{OUTER}/init"), outer_ns, namespace="moby"), ppid=111),
            proc(
                114, 113, "nginx", ["nginx: master process"], v2(f"/docker/{OUTER}/docker/{INNER}"), inner_ns
            ),
        ],
        files={
            f"var/lib/docker/containers/{OUTER}/config.v2.json": json.dumps(
                {"ID": OUTER, "Name": "/dind", "State": {"Running": True, "Pid": 111}}
            ),
        },
    )

    # a kind node: a Docker container (systemd driver) running systemd, containerd and the
    # kubelet, whose pods continue the node's cgroup path under kind's kubelet.slice root.
    node_ns = container_ns(4026533300)
    node_cg = f"/system.slice/docker-{NODE}.scope"
    slice_k = (
        f"{node_cg}/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
        "kubelet-kubepods-besteffort-pod" + UID_K.replace("-", "_") + ".slice"
    )
    out["nested-kind"] = dict(
        procs=host_procs(v2)
        + [
            proc(100, 1, "dockerd", ["/usr/bin/dockerd"], v2("/system.slice/docker.service"), HOST_NS),
            shim(110, NODE, v2("/system.slice/docker.service"), namespace="moby"),
            proc(111, 110, "systemd", ["/sbin/init"], v2(f"{node_cg}/init.scope"), node_ns),
            proc(
                112,
                111,
                "containerd",
                ["/usr/local/bin/containerd"],
                v2(f"{node_cg}/system.slice/containerd.service"),
                node_ns,
            ),
            dict(shim(120, SB_K, v2(f"{node_cg}/system.slice/containerd.service"), node_ns), ppid=111),
            proc(
                121,
                120,
                "pause",
                ["/pause"],
                v2(f"{slice_k}/cri-containerd-{SB_K}.scope"),
                dict(
                    node_ns,
                    ipc=4026533401,
                    uts=4026533402,
                    pid=4026533403,
                    mnt=4026533404,
                    net=4026533405,
                ),
            ),
            proc(
                130,
                120,
                "coredns",
                ["/coredns", "-conf", "/etc/coredns/Corefile"],
                v2(f"{slice_k}/cri-containerd-{DNS_K}.scope"),
                dict(node_ns, ipc=4026533401, uts=4026533402, net=4026533405, pid=4026533413, mnt=4026533414),
            ),
        ],
        files={
            f"var/lib/docker/containers/{NODE}/config.v2.json": json.dumps(
                {"ID": NODE, "Name": "/kind-control-plane", "State": {"Running": True, "Pid": 111}}
            ),
        },
    )

    # Docker's data root from daemon.json (no --data-root in argv), and a rootless dockerd
    # (uid 1000) whose containers live under ~/.local/share/docker; compose labels on both.
    compose_a = {"com.docker.compose.project": "shop", "com.docker.compose.service": "web"}
    compose_b = {"com.docker.compose.project": "blog", "com.docker.compose.service": "db"}
    rootless = "/user.slice/user-1000.slice/user@1000.service"
    rl_ns = ns_of(user=4026533500, mnt=4026533501, net=4026533502)  # rootlesskit's namespaces
    out["dockerd-roots"] = dict(
        procs=host_procs(v2)
        + [
            dict(
                proc(
                    100,
                    1,
                    "dockerd",
                    ["/usr/bin/dockerd", "-H", "fd://"],
                    v2("/system.slice/docker.service"),
                    HOST_NS,
                ),
                uid=0,
            ),
            shim(110, WEB_A, v2("/system.slice/docker.service"), namespace="moby"),
            proc(
                111,
                110,
                "nginx",
                ["nginx: master process"],
                v2(f"/system.slice/docker-{WEB_A}.scope"),
                container_ns(4026533400),
            ),
            dict(
                proc(150, 140, "dockerd", ["dockerd"], v2(f"{rootless}/docker.service"), rl_ns),
                uid=1000,
            ),
            dict(shim(160, DB_H, v2(f"{rootless}/docker.service"), rl_ns, namespace="moby"), ppid=150),
            proc(
                161,
                160,
                "postgres",
                ["postgres"],
                v2(f"{rootless}/user.slice/docker-{DB_H}.scope"),
                dict(container_ns(4026533600), user=4026533500),
            ),
        ],
        files={
            "etc/docker/daemon.json": json.dumps({"data-root": "/srv/dock", "log-driver": "json-file"}),
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n",
            f"srv/dock/containers/{WEB_A}/config.v2.json": json.dumps(
                {"ID": WEB_A, "Name": "/shop-web-1", "Config": {"Labels": compose_a}, "State": {"Pid": 111}}
            ),
            # a decoy under the default root: daemon.json's data-root must win
            f"var/lib/docker/containers/{WEB_A}/config.v2.json": json.dumps(
                {"ID": WEB_A, "Name": "/stale-decoy"}
            ),
            f"home/alice/.local/share/docker/containers/{DB_H}/config.v2.json": json.dumps(
                {"ID": DB_H, "Name": "/blog-db-1", "Config": {"Labels": compose_b}, "State": {"Pid": 161}}
            ),
        },
    )

    # Containers Docker keeps on disk that do not run (`nsview ps --all`, a stopped TARGET):
    # config.v2.json `State` as moby writes it when a container ends (container/state.go):
    # one that exited 0, one the OOM killer ended (137, OOMKilled), one created and never
    # started (Go's zero StartedAt), and one whose file still says Running (it stopped or
    # started between the process scan and the file read); one running beside them.
    def state(**kw: object) -> dict:
        base: dict = {
            "Running": False,
            "Paused": False,
            "Restarting": False,
            "OOMKilled": False,
            "RemovalInProgress": False,
            "Dead": False,
            "Pid": 0,
            "ExitCode": 0,
            "Error": "",
            "StartedAt": "0001-01-01T00:00:00Z",
            "FinishedAt": "0001-01-01T00:00:00Z",
            "Health": None,
        }
        base.update(kw)
        return base

    stopped = {
        OK_S: (
            "/batch-ok",
            state(StartedAt="2026-12-01T21:30:00.101Z", FinishedAt="2026-12-01T21:30:04.202Z"),
        ),
        OOM_S: (
            "/web",
            state(
                OOMKilled=True,
                ExitCode=137,
                StartedAt="2026-12-01T21:35:50.125340114Z",
                FinishedAt="2026-12-01T21:35:58.741163969Z",
            ),
        ),
        NEW_S: ("/never-started", state()),
        RACE_S: ("/racy", state(Running=True, Pid=4242, StartedAt="2026-12-01T21:40:00Z")),
        RUN_S: ("/api", state(Running=True, Pid=111, StartedAt="2026-12-01T21:00:00Z")),
    }
    out["dockerd-stopped"] = dict(
        procs=host_procs(v2)
        + [
            proc(
                100,
                1,
                "dockerd",
                ["/usr/bin/dockerd", "-H", "fd://"],
                v2("/system.slice/docker.service"),
                HOST_NS,
            ),
            shim(110, RUN_S, v2("/system.slice/docker.service"), namespace="moby"),
            proc(
                111, 110, "api", ["/api"], v2(f"/system.slice/docker-{RUN_S}.scope"), container_ns(4026533700)
            ),
        ],
        files={
            f"var/lib/docker/containers/{cid}/config.v2.json": json.dumps(
                {"ID": cid, "Name": name, "State": st}
            )
            for cid, (name, st) in stopped.items()
        },
    )
    return out


def status_text(p: dict) -> str:
    uid = p["uid"]
    return (
        f"Name:\t{p['comm']}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t{p['pid']}\nPid:\t{p['pid']}\n"
        f"PPid:\t{p['ppid']}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{uid}\t{uid}\t{uid}\t{uid}\n"
        f"NSpid:\t{p['pid']}\n"
    )


def write_tree(name: str, spec: dict, out: Path) -> None:
    write(name, spec, out)
    for p in spec["procs"]:
        if p.get("cwd"):
            (out / name / "proc" / str(p["pid"]) / "cwd").symlink_to(p["cwd"])
        if "uid" in p:
            (out / name / "proc" / str(p["pid"]) / "status").write_text(status_text(p))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out",
        type=Path,
        default=HERE,
        metavar="DIR",
        help="folder to write the cri-*/, nested-*/ and dockerd-*/ trees into (default: fixtures/)",
    )
    out = ap.parse_args(argv).out
    for fixture_name, fixture_spec in scenarios().items():
        write_tree(fixture_name, fixture_spec, out)
        print("wrote", out / fixture_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
