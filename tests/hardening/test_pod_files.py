"""docs/hardening.md, rows 31-33: what the engines' files say about pods, compose projects and
nesting is written by whoever created the container. Hostile annotations and labels print inert,
a bundle config.json is never followed through a symlink, never read past its cap, never waited
on; a container cannot pass for a top-level one by naming a sub-cgroup after another engine's.

Fixture copies (fixtures/cri-containerd-systemd, fixtures/dockerd-roots) are changed in a
temporary directory: no machine runs a kubelet on demand, and the bytes must be exact."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from nsview.model.attribution import classify_cgroup_path
from tests.hardening import util
from tests.support.paths import FIXTURES

HOSTILE = "web\x1b[31m-\x07[red]x[/red]\u202e:smile:"  # escapes, BEL, markup, bidi override
TASKS = "host/run/containerd/io.containerd.runtime.v2.task/k8s.io"


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest, symlinks=True)
    return dest


def _web_bundle(tree: Path) -> Path:
    for f in (tree / TASKS).glob("*/config.json"):
        if json.loads(f.read_text())["annotations"].get("io.kubernetes.cri.container-name") == "web":
            return f
    raise AssertionError("no bundle of the web container")


def _ps(nsview_run, tree: Path, *args: str) -> dict:
    r = nsview_run("ps", "--proc-root", str(tree / "proc"), "--json", *args)
    util.no_traceback(r)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _row(data: dict, cid: str) -> dict:
    return next(c for c in data["containers"] if c["id"] == cid)


def test_row31_hostile_annotations_and_labels_print_inert(tmp_path, nsview_run):
    tree = _copy("cri-containerd-systemd", tmp_path)
    bundle = _web_bundle(tree)
    doc = json.loads(bundle.read_text())
    doc["annotations"]["io.kubernetes.cri.container-name"] = HOSTILE
    bundle.write_text(json.dumps(doc))
    cid = bundle.parent.name
    docker = _copy("dockerd-roots", tmp_path)
    config = next((docker / "host/srv/dock/containers").glob("*/config.v2.json"))
    cfg = json.loads(config.read_text())
    cfg["Config"]["Labels"]["com.docker.compose.project"] = HOSTILE
    cfg["Config"]["Labels"]["com.docker.compose.service"] = {"nested": "object"}
    config.write_text(json.dumps(cfg))

    for tree_, args in ((tree, ("ps",)), (tree, ("ps", "--pods")), (docker, ("ps",))):
        for mode, r in util.run_modes(
            lambda *a, **kw: nsview_run(*a, **kw), [*args, "--proc-root", str(tree_ / "proc")]
        ):
            util.no_traceback(r)
            assert r.returncode == 0, (mode, r.stderr)
            util.assert_inert(r.stdout + r.stderr, forced=(mode == "forced"))
            util.assert_literal(r.stdout, ("[red]x[/red]", ":smile:"))
            assert "\\x1b" in r.stdout, mode  # the escape is there, made visible
    # the JSON keeps the raw value
    assert _row(_ps(nsview_run, tree), cid)["pod"]["container"] == HOSTILE
    # what is not a short string is not shown at all; then the pod no longer agrees with the
    # kubelet's log directory, and the bundle is not believed (errors.pod says why)
    doc["annotations"]["io.kubernetes.cri.sandbox-name"] = "x" * 254  # longer than any name
    doc["annotations"]["io.kubernetes.cri.sandbox-namespace"] = ["not", "a", "string"]
    bundle.write_text(json.dumps(doc))
    row = _row(_ps(nsview_run, tree), cid)
    assert row["pod"]["source"].startswith("/var/log/pods/") and row["pod"]["container"] is None
    assert "names pod ?/?" in row["errors"]["pod"]
    assert not util.json_contains(row, "x" * 254)
    compose = _row(_ps(nsview_run, docker), cfg["ID"])["compose"]
    assert compose == {"project": HOSTILE, "service": None}


def test_row32_huge_symlinked_or_fifo_bundle_config(tmp_path, nsview_run):
    tree = _copy("cri-containerd-systemd", tmp_path)
    bundle = _web_bundle(tree)
    cid = bundle.parent.name
    good = bundle.read_text()

    # bigger than the cap: not parsed, and errors.pod says why (the kubelet's logs still name it)
    bundle.write_text(good[:-1] + ', "pad": "' + "x" * (2 << 20) + '"}')
    row = _row(_ps(nsview_run, tree), cid)
    assert row["pod"]["source"].startswith("/var/log/pods/") and row["pod"]["container"] is None
    assert row["errors"]["pod"].endswith("larger than 1024 KiB, not read")

    # a symlink to a well-formed file elsewhere: refused, never followed
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(good.replace('"web"', '"followed"'))
    bundle.unlink()
    os.symlink(elsewhere, bundle)
    row = _row(_ps(nsview_run, tree), cid)
    assert row["pod"]["container"] != "followed" and not util.json_contains(row, "followed")

    # a FIFO: the scan does not wait on it
    bundle.unlink()
    os.mkfifo(bundle)
    row = _row(_ps(nsview_run, tree), cid)
    assert row["pod"]["source"].startswith("/var/log/pods/")

    # a shim cwd that climbs out (`..`): that bundle path is not used, the default one is
    bundle.unlink()
    bundle.write_text(good)
    shim_cwd = tree / "proc" / "200" / "cwd"
    shim_cwd.unlink()
    os.symlink("/run/containerd/io.containerd.runtime.v2.task/k8s.io/../../../../etc/x", shim_cwd)
    row = _row(_ps(nsview_run, tree), cid)
    assert row["pod"]["container"] == "web"  # found at containerd's default place instead


@pytest.mark.parametrize(
    "path, inner, outer",
    [
        # a container that makes /docker/<self>/docker/<someone else's id> inside its own cgroup
        (f"/docker/{'a' * 64}/docker/{'b' * 64}", "b" * 64, (("docker", "a" * 64),)),
        # ... or a kubepods tree: still inside the container that made it
        (
            f"/system.slice/docker-{'a' * 64}.scope/kubepods/burstable/pod{'1' * 32}/{'c' * 64}",
            "c" * 64,
            (("docker", "a" * 64),),
        ),
    ],
)
def test_row33_a_container_cannot_pass_for_a_top_level_one(path, inner, outer, tmp_path, nsview_run):
    m = classify_cgroup_path(path)
    assert m is not None and m.id == inner and m.outer == outer
    # on the fixture: the inner dind container always carries its real outer in `nested_in`
    data = _ps(nsview_run, FIXTURES / "nested-dind")
    inner_row = next(c for c in data["containers"] if c["nested_in"])
    outer_row = next(c for c in data["containers"] if not c["nested_in"])
    assert [o["id"] for o in inner_row["nested_in"]] == [outer_row["id"]]
    # and a dockerd inside the container is not asked where the host's Docker keeps its files
    assert data["containers"] and all("/var/lib/docker" not in e for e in inner_row["evidence"])
