"""The pod parsers table by table: a bundle config.json's CRI annotations (containerd, CRI-O),
the kubelet's log directory names, and the pod target syntax."""

from __future__ import annotations

import json

import pytest

from nsview.errors import ParseError, UsageError
from nsview.model.pod import PodTarget, parse_pod_target
from nsview.parse.kubelet_logs import container_log_names, parse_pod_log_dir
from nsview.parse.oci_bundle import bundle_pod

UID = "1b6f0d52-3a4e-4c2f-9f7a-0123456789ab"


def _bundle(**notes: object) -> bytes:
    return json.dumps({"ociVersion": "1.1.0", "annotations": notes}).encode()


@pytest.mark.parametrize(
    "notes, expected",
    [
        (  # containerd, a container
            {
                "io.kubernetes.cri.sandbox-namespace": "default",
                "io.kubernetes.cri.sandbox-name": "web-0",
                "io.kubernetes.cri.sandbox-uid": UID,
                "io.kubernetes.cri.container-name": "web",
                "io.kubernetes.cri.container-type": "container",
            },
            ("default", "web-0", UID, "web", False, "containerd"),
        ),
        (  # containerd, the sandbox: no container-name at all
            {
                "io.kubernetes.cri.sandbox-namespace": "default",
                "io.kubernetes.cri.sandbox-name": "web-0",
                "io.kubernetes.cri.container-type": "sandbox",
            },
            ("default", "web-0", None, None, True, "containerd"),
        ),
        (  # CRI-O: the kubelet's labels; the sandbox is the container named "POD"
            {
                "io.kubernetes.pod.namespace": "data",
                "io.kubernetes.pod.name": "pg-0",
                "io.kubernetes.pod.uid": UID,
                "io.kubernetes.container.name": "POD",
            },
            ("data", "pg-0", UID, None, True, "cri-o"),
        ),
        (  # an older containerd without container-type: sandbox unknown
            {"io.kubernetes.cri.sandbox-name": "x", "io.kubernetes.cri.container-name": "c"},
            (None, "x", None, "c", None, "containerd"),
        ),
    ],
)
def test_bundle_annotations(notes, expected):
    p = bundle_pod(_bundle(**notes), "/b/config.json")
    assert p is not None
    assert (p.namespace, p.name, p.uid, p.container, p.sandbox, p.engine) == expected
    assert p.source == "/b/config.json"


def test_bundle_without_cri_annotations_and_bad_shapes():
    assert bundle_pod(b'{"ociVersion": "1.1.0"}', "x") is None  # plain ctr run
    assert bundle_pod(_bundle(**{"org.opencontainers.image.title": "x"}), "x") is None
    for bad in (b"", b"[]", b'{"annotations": []}', b"{" * 100000):
        with pytest.raises(ParseError):
            bundle_pod(bad, "x")


@pytest.mark.parametrize(
    "name, expected",
    [
        (f"default_web-0_{UID}", ("default", "web-0", UID)),
        (
            "kube-system_etcd-node1_9a0b1c2d3e4f50617283940a1b2c3d4e",
            ("kube-system", "etcd-node1", "9a0b1c2d3e4f50617283940a1b2c3d4e"),
        ),
        ("default_a.b.c_" + UID, ("default", "a.b.c", UID)),
        ("default_web_0_" + UID, None),  # four parts: not the kubelet's
        ("Default_web-0_" + UID, None),  # namespaces are lowercase
        ("default_web-0_not-a-uid", None),
        ("..__", None),
    ],
)
def test_pod_log_dir_names(name, expected):
    found = parse_pod_log_dir(name)
    assert (None if found is None else (found.namespace, found.name, found.uid)) == expected


def test_container_log_names():
    assert container_log_names(["web", "log-shipper", ".tmp", "UPPER", "0.log"]) == ("log-shipper", "web")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("pod:default/web-0", PodTarget("default", "web-0", None)),
        ("pod:default/web-0/web", PodTarget("default", "web-0", "web")),
        ("pod:default/web-0/POD", PodTarget("default", "web-0", "POD")),
        ("default/web-0", None),  # a containerd namespace/id
        ("web", None),
    ],
)
def test_pod_target_syntax(text, expected):
    assert parse_pod_target(text) == expected


@pytest.mark.parametrize("text", ["pod:", "pod:default", "pod:default/", "pod:a/b/c/d", "pod://x"])
def test_bad_pod_targets(text):
    with pytest.raises(UsageError):
        parse_pod_target(text)
