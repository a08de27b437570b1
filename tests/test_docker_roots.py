"""Where Docker keeps its containers (dockerd's argv, its daemon.json, the default; a rootless
dockerd under its user's home) and the compose labels of config.v2.json: on the hand-made
fixtures/dockerd-roots tree, in table cases, and on a real container compared with docker
inspect."""

from __future__ import annotations

import json
import uuid

import pytest

from nsview.collect.ps import scan_containers
from nsview.errors import ParseError
from nsview.model.container import ComposeRef
from nsview.model.supervisor import docker_daemon, docker_data_root
from nsview.parse.docker_config import docker_config_facts
from nsview.parse.docker_daemon import daemon_data_root
from nsview.parse.passwd import home_of
from nsview.procfs import ProcFS
from tests.support import live
from tests.support.paths import FIXTURES

TREE = FIXTURES / "dockerd-roots"


def test_daemon_json_and_rootless_roots_on_the_fixture():
    result = scan_containers(ProcFS(TREE / "proc"), None)
    rows = {c.name: c for c in result.containers if c.runtime == "docker"}
    assert set(rows) == {"shop-web-1", "blog-db-1"}  # the decoy under /var/lib/docker is not used
    daemon = json.loads((TREE / "host/etc/docker/daemon.json").read_text())
    assert daemon["data-root"] + "/" in result.docker_roots[0] + "/"
    for name, c in rows.items():
        found = list((TREE / "host").rglob(f"containers/{c.id}/config.v2.json"))
        config = next(
            json.loads(f.read_text()) for f in found if json.loads(f.read_text())["Name"] == "/" + name
        )
        labels = config["Config"]["Labels"]
        assert c.compose == ComposeRef(
            labels["com.docker.compose.project"], labels["com.docker.compose.service"]
        )
    # the rootless one: found under alice's home (uid 1000 in /proc/150/status and /etc/passwd)
    assert "/home/alice/.local/share/docker" in result.docker_roots
    assert any("/home/alice/.local/share/docker/containers/" in e for e in rows["blog-db-1"].evidence)


@pytest.mark.parametrize(
    "args, config, home, root, source",
    [
        (("dockerd", "--data-root", "/srv/a"), "/srv/b", None, "/srv/a", "dockerd --data-root"),
        (("dockerd", "--data-root=/srv/a"), None, None, "/srv/a", "dockerd --data-root"),
        (("dockerd", "-g", "/old"), None, None, "/old", "dockerd --data-root"),
        (("dockerd",), "/srv/b", None, "/srv/b", "/etc/docker/daemon.json data-root"),
        (("dockerd",), None, None, "/var/lib/docker", "default"),
        (("dockerd",), None, "/home/alice", "/home/alice/.local/share/docker", "rootless default"),
    ],
)
def test_data_root_order(args, config, home, root, source):
    d = docker_daemon(args, config, "/etc/docker/daemon.json", home)
    assert (d.data_root, d.source) == (root, source)


def test_data_root_parsers():
    assert docker_data_root(("dockerd", "-H", "fd://")) is None
    assert daemon_data_root(b'{"data-root": "/srv/dock/"}') == "/srv/dock"
    assert daemon_data_root(b'{"graph": "/old"}') == "/old"  # Docker < 17.05's key
    assert daemon_data_root(b'{"data-root": "relative"}') is None
    assert daemon_data_root(b"{}") is None
    with pytest.raises(ParseError):
        daemon_data_root(b"[1]")
    passwd = b"root:x:0:0:root:/root:/bin/bash\nbad line\nalice:x:1000:1000::/home/alice:/bin/sh\n"
    assert home_of(passwd, 1000) == "/home/alice" and home_of(passwd, 7) is None
    assert home_of(b"eve:x:1001:1001::/home/../etc:/bin/sh\n", 1001) is None


@pytest.mark.parametrize(
    "labels, compose",
    [
        (
            {"com.docker.compose.project": "shop", "com.docker.compose.service": "web"},
            ComposeRef("shop", "web"),
        ),
        ({"com.docker.compose.project": "shop"}, ComposeRef("shop", None)),
        ({"other": "x"}, None),
        ({"com.docker.compose.project": 7}, None),  # not a string: not shown
        ({"com.docker.compose.project": "x" * 254}, None),  # longer than any Compose name
        (None, None),
    ],
)
def test_compose_labels(labels, compose):
    cid = "a" * 64
    data = json.dumps({"ID": cid, "Name": "/n", "Config": {"Labels": labels}}).encode()
    assert docker_config_facts(data, cid) == ("n", compose)


@pytest.mark.docker
def test_compose_labels_of_a_real_container(docker_run, nsview_cmd):
    project, service = f"nsv{uuid.uuid4().hex[:6]}", "web"
    info = docker_run(
        "--label", f"com.docker.compose.project={project}", "--label", f"com.docker.compose.service={service}"
    )
    labels = live.docker_inspect(info["Id"])["Config"]["Labels"]  # the second source
    r = nsview_cmd("ps", "--json")
    assert r.returncode == 0, r.stderr
    row = next(c for c in json.loads(r.stdout)["containers"] if c["id"] == info["Id"])
    assert row["compose"] == {
        "project": labels["com.docker.compose.project"],
        "service": labels["com.docker.compose.service"],
    }
    text = nsview_cmd("ps", "--no-color")
    line = next(x for x in text.stdout.splitlines() if info["Id"][:12] in x)
    assert f"{project}/{service}" in line
