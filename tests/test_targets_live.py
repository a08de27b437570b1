"""Container targets on real engines' containers: Docker names, ids and prefixes, containerd
namespace/id, compared with what `docker inspect` and `ctr task ls` say. No daemon is asked by
nsview (the tests ask the engines, as the second source)."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = [pytest.mark.live]


def target_pid(nsview_cmd, target: str) -> int:
    r = nsview_cmd("tree", target, "--json", "--depth", "0")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["target"]


@pytest.mark.docker
def test_docker_name_id_prefix(nsview_cmd, docker_run):
    name = f"nsview-t-{uuid.uuid4().hex[:8]}"
    info = docker_run("--name", name)
    pid, cid = info["State"]["Pid"], info["Id"]
    assert target_pid(nsview_cmd, name) == pid
    assert target_pid(nsview_cmd, "/" + name) == pid
    assert target_pid(nsview_cmd, cid) == pid
    assert target_pid(nsview_cmd, cid[:12]) == pid
    # `nsview tree NAME` shows the container's lineage: the shim carrying its id is the parent
    r = nsview_cmd("tree", name, "--json")
    data = json.loads(r.stdout)
    assert data["lineage"][-1] == pid and data["lineage"][-2] == int(
        open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1]
    )


@pytest.mark.docker
def test_docker_ambiguous_prefix_lists_candidates(nsview_cmd, docker_run):
    # Start containers until two of ours share a first character that is not a digit (digits
    # are pids, and "0" alone is no target): six letters, so seven such ids force a pair.
    by_first: dict[str, list[dict]] = {}
    first = None
    for _ in range(60):
        info = docker_run()
        key = info["Id"][0]
        by_first.setdefault(key, []).append(info)
        if len(by_first[key]) == 2 and not key.isdigit():
            first = key
            break
    assert first is not None
    pair = by_first[first]
    r = nsview_cmd("tree", first)
    assert r.returncode == 8, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    for info in pair:
        assert info["Id"][:12] in r.stderr
    r = nsview_cmd("tree", first, "--json")
    assert r.returncode == 8 and json.loads(r.stdout)["error"]["type"] == "AmbiguousTarget"


@pytest.mark.docker
def test_unknown_name_is_one_line(nsview_cmd, busybox_image):
    r = nsview_cmd("tree", f"no-such-container-{uuid.uuid4().hex[:6]}")
    assert r.returncode == 7
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


@pytest.mark.containerd
def test_containerd_namespace_slash_id(nsview_cmd, ctr_run):
    ns = "nsview-targets"  # fixed: the image import is reused, nothing accumulates per run
    cid = f"web-{uuid.uuid4().hex[:6]}"
    pid = ctr_run(ns, cid)
    assert target_pid(nsview_cmd, f"{ns}/{cid}") == pid
    assert target_pid(nsview_cmd, cid) == pid  # unique bare id
    r = nsview_cmd("tree", f"{ns}/nope")
    assert r.returncode == 7
