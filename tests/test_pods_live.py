"""Pods from a real OCI bundle: a containerd container started by ``ctr run --annotation`` with
the CRI plugin's annotations, read by `nsview ps` from the bundle config.json containerd wrote
(found through the shim's cwd, wherever containerd's state directory is), checked against
``ctr container info`` (the spec containerd stores) and the file itself."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from tests.support import live

pytestmark = [pytest.mark.live, pytest.mark.containerd]


def _ctr(ns: str, *args: str) -> str:
    return live.run("ctr", "--address", live.CONTAINERD_ADDRESS, "-n", ns, *args).stdout


def test_cri_annotations_of_a_real_bundle(ctr_run, nsview_cmd):
    ns, cid = "nsview-cri", f"web-{uuid.uuid4().hex[:8]}"
    uid = str(uuid.uuid4())
    notes = {
        "io.kubernetes.cri.container-type": "container",
        "io.kubernetes.cri.container-name": "web",
        "io.kubernetes.cri.sandbox-name": "web-0",
        "io.kubernetes.cri.sandbox-namespace": "shop",
        "io.kubernetes.cri.sandbox-uid": uid,
        "io.kubernetes.cri.sandbox-id": "f" * 64,
    }
    pid = ctr_run(ns, cid, *(a for k, v in notes.items() for a in ("--annotation", f"{k}={v}")))
    # the second source: the spec containerd keeps, and the bundle the shim runs in
    spec = json.loads(_ctr(ns, "container", "info", cid))["Spec"]
    assert {k: spec["annotations"][k] for k in notes} == notes
    shim = int(live.stat_fields(pid)[1])
    bundle = os.readlink(f"/proc/{shim}/cwd")
    assert bundle.endswith(f"/{ns}/{cid}")
    with open(f"{bundle}/config.json") as f:
        on_disk = json.load(f)["annotations"]
    assert {k: on_disk[k] for k in notes} == notes

    r = nsview_cmd("ps", "--json")
    assert r.returncode == 0, r.stderr
    row = next(c for c in json.loads(r.stdout)["containers"] if c["id"] == cid)
    assert (row["runtime"], row["namespace"], row["init_pid"]) == ("containerd", ns, pid)
    assert row["pod"] == {
        "namespace": "shop",
        "name": "web-0",
        "uid": uid,
        "container": "web",
        "sandbox": False,
        "sandbox_id": "f" * 64,
        "engine": "containerd",
        "source": f"{bundle}/config.json",
    }
    assert f"pod from {bundle}/config.json" in row["evidence"]
    # the pod's container as a TARGET, and the grouped view
    t = nsview_cmd("tree", "pod:shop/web-0/web", "--json", "--depth", "0")
    assert t.returncode == 0, t.stderr
    assert json.loads(t.stdout)["target"] == pid
    text = nsview_cmd("ps", "--pods", "--no-color")
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("shop/web-0"))
    assert uid in lines[at] and cid[:12] in lines[at + 1] and "web" in lines[at + 1]
