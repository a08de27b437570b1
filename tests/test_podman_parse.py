"""The parsers of what podman and Docker keep on disk about a container: containers/storage's
containers.json and storage.conf, podman's db.sql rows, Docker's config.v2.json State; conmon's
argv; and the one-line account of a stopped container. Table cases, then a fuzzer."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nsview.errors import ParseError
from nsview.model.container import ExitState, StoppedContainer, match_stopped, short_time
from nsview.model.supervisor import boundary_from_parent, conmon_graph_root
from nsview.parse.docker_config import docker_config_state
from nsview.parse.podman_db import podman_records
from nsview.parse.podman_storage import expand_rootless_path, parse_storage_conf, parse_storage_containers

ID = "2f72010859f9408bd7048d910a1af2ff8f3443c9cc4de9fa844d3825aa5feb5e"

# conmon's argv as podman 4.3 wrote it on this machine for `podman run --name pm-web` (trimmed)
CONMON = (
    f"/usr/bin/conmon --api-version 1 -c {ID} -u {ID} -r /usr/bin/runc -b "
    f"/var/lib/containers/storage/overlay-containers/{ID}/userdata -n pm-web --exit-dir /run/libpod/exits "
    "--exit-command /usr/bin/podman --exit-command-arg --root --exit-command-arg /var/lib/containers/storage "
    "--exit-command-arg --runroot --exit-command-arg /run/containers/storage --exit-command-arg container "
    f"--exit-command-arg cleanup --exit-command-arg {ID}"
)


def test_conmon_argv_names_the_container_and_its_graph_root():
    args = tuple(CONMON.split())
    b = boundary_from_parent("conmon", args)
    assert b is not None and (b.runtime, b.id, b.name) == ("podman", ID, "pm-web")
    assert conmon_graph_root(args) == "/var/lib/containers/storage"
    assert conmon_graph_root(("conmon", "-c", ID)) is None
    # a --root that is no absolute path is not a graph root
    assert conmon_graph_root(("conmon", "--exit-command-arg", "--root", "--exit-command-arg", "rel")) is None


def test_containers_json_as_podman_writes_it():
    data = json.dumps(
        [
            {
                "id": ID,
                "names": ["pm-web"],
                "image": "6f71b6d6e967ab79e563889a2e59d7081de45ddd87513301c2c8e754ff839b01",
                "metadata": '{"image-name":"localhost/nsview-test/busybox:1","name":"pm-web"}',
                "created": "2026-12-02T20:36:09.289182178Z",
            },
            {"id": "short", "names": ["no"]},
            {"id": "a" * 64, "names": [1, "", "x" * 254, "ok"]},
            None,
        ]
    ).encode()
    got = parse_storage_containers(data)
    assert [(c.id, c.names) for c in got] == [(ID, ("pm-web",)), ("a" * 64, ("ok",))]
    assert got[0].created == "2026-12-02T20:36:09.289182178Z"


@pytest.mark.parametrize("data", [b"", b"{}", b"[", b"\xff", b'"x"'])
def test_containers_json_that_is_no_array_is_a_parse_error(data):
    with pytest.raises(ParseError):
        parse_storage_containers(data)


def test_storage_conf_keys_of_the_storage_table():
    text = """
# containers-storage.conf(5)
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/srv/containers"   # moved
rootless_storage_path = '$HOME/.local/share/containers/storage-$UID'
[storage.options]
graphroot = "/not/this/one"
"""
    conf = parse_storage_conf(text)
    assert conf["graphroot"] == "/srv/containers" and conf["driver"] == "overlay"
    assert expand_rootless_path(conf["rootless_storage_path"], "/home/al", 1000, "al") == (
        "/home/al/.local/share/containers/storage-1000"
    )
    assert expand_rootless_path("relative/$HOME", "/home/al", 1000, "al") is None
    assert expand_rootless_path("$HOME/../../etc", "/home/al", 1000, "al") is None
    assert expand_rootless_path("$XDG_DATA_HOME/x", "/home/al", 1000, "al") is None
    assert parse_storage_conf("graphroot = '/outside/a/table'") == {}


def test_db_sql_rows_to_records():
    pod = "e" * 64
    state = json.dumps(
        {
            "state": 6,
            "exitCode": 137,
            "oomKilled": True,
            "startedTime": "2026-12-01T21:35:50.1Z",
            "finishedTime": "2026-12-01T21:35:58.2+01:00",
        }
    )
    rows = {
        "containers": [(ID, "pm-web", pod), ("b" * 64, "infra", pod), ("c" * 64, 7, None)],
        "states": [(ID, 6, 137, state), ("b" * 64, 3, None, "not json"), ("c" * 64, 99, 300, "{}")],
        "pods": [(pod, "shop")],
        "infra": [(pod, "b" * 64)],
    }
    got = podman_records(rows, "/db.sql")
    assert got[ID].name == "pm-web" and got[ID].pod_name == "shop" and not got[ID].infra
    assert got[ID].state == ExitState(
        "exited", 137, True, "2026-12-01T21:35:50.1Z", "2026-12-01T21:35:58.2+01:00", "/db.sql"
    )
    assert got["b" * 64].infra and got["b" * 64].state is not None and got["b" * 64].state.status == "running"
    # a name that is not text, a state podman does not define, an exit code out of range
    assert got["c" * 64].name is None and got["c" * 64].state == ExitState(
        "unknown", None, False, None, None, "/db.sql"
    )
    assert podman_records({"containers": None, "states": None, "pods": None, "infra": None}, "x") == {}


def _config(state: dict) -> bytes:
    return json.dumps({"ID": ID, "Name": "/web", "State": state}).encode()


@pytest.mark.parametrize(
    "state, status",
    [
        (
            {"Running": False, "StartedAt": "2026-12-01T21:35:50Z", "ExitCode": 137, "OOMKilled": True},
            "exited",
        ),
        ({"Running": False, "StartedAt": "0001-01-01T00:00:00Z", "ExitCode": 0}, "created"),
        ({"Running": False, "Dead": True, "StartedAt": "2026-12-01T21:35:50Z"}, "dead"),
        ({"Running": False, "RemovalInProgress": True}, "removing"),
        ({"Running": True, "Paused": True}, "paused"),
        ({"Running": True, "Restarting": True}, "restarting"),
        ({"Running": True}, "running"),
        ({"Running": "yes", "ExitCode": "1", "StartedAt": 5}, "created"),  # wrong types count for nothing
    ],
)
def test_docker_state_words_as_moby_gives_them(state, status):
    name, got = docker_config_state(_config(state), ID, "/c.json")
    assert name == "web" and got is not None and got.status == status


def test_docker_state_facts_and_another_id():
    state = {
        "Running": False,
        "OOMKilled": True,
        "ExitCode": 137,
        "StartedAt": "2026-12-02T20:40:52.62001883Z",
        "FinishedAt": "2026-12-02T20:40:52.741163969Z",
    }
    _, got = docker_config_state(_config(state), ID, "/c.json")
    assert got == ExitState(
        "exited", 137, True, "2026-12-02T20:40:52.62001883Z", "2026-12-02T20:40:52.741163969Z", "/c.json"
    )
    assert docker_config_state(_config(state), "f" * 64, "/c.json") == (None, None)
    assert docker_config_state(json.dumps({"ID": ID, "Name": "/x"}).encode(), ID, "/c.json") == ("x", None)


def test_a_stopped_container_in_one_line():
    oom = ExitState("exited", 137, True, None, "2026-12-01T21:35:58.123456Z", "f")
    web = StoppedContainer("docker", ID, "web", oom, "f")
    assert web.describe() == (
        "container web is not running: exited 137 at 2026-12-01T21:35:58Z, killed by the kernel OOM killer"
    )
    created = StoppedContainer("docker", ID, None, ExitState("created", 0, False, None, None, "f"), "f")
    assert created.describe() == "container 2f72010859f9 is not running: created"
    unknown = StoppedContainer("podman", ID, "pm", None, "f", errors={"exit": "a Bolt database"})
    assert unknown.describe() == "container pm is not running (a Bolt database)"
    assert short_time("2026-12-01T21:35:58+01:00") == "2026-12-01T21:35:58+01:00"
    both = [web, StoppedContainer("podman", "2f7" + "0" * 61, "db", None, "f")]
    assert match_stopped(both, "web") == [web] and match_stopped(both, "/web") == [web]
    assert match_stopped(both, ID) == [web] and len(match_stopped(both, "2f7")) == 2
    assert match_stopped(both, "pod:a/b") == [] and match_stopped(both, "zz") == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_fuzz_store_and_config_parsers(data):
    for parse in (
        parse_storage_containers,
        lambda d: docker_config_state(d, ID, "f"),
        lambda d: parse_storage_conf(d.decode("utf-8", "replace")),
    ):
        try:
            parse(data)
        except ParseError:
            pass


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.text(max_size=70), st.integers(), st.none()),
            st.one_of(st.text(max_size=20), st.integers(), st.none(), st.booleans()),
            st.one_of(st.integers(-1000, 1000), st.none(), st.text(max_size=5)),
            st.one_of(st.text(max_size=80), st.none(), st.integers()),
        ),
        max_size=5,
    )
)
def test_fuzz_db_rows(rows):
    podman_records(
        {
            "containers": [r[:3] for r in rows],
            "states": rows,
            "pods": [r[:2] for r in rows],
            "infra": [r[:2] for r in rows],
        },
        "f",
    )


def test_podman_bundle_annotations_give_the_pod_id():
    from nsview.parse.oci_bundle import podman_bundle_pod

    pod = "64fd3d4aa1b18645b0a79b3ab3f6f704b4d7abdc1669780661ebf84fbd222345"
    # as podman 4.3 wrote them here for `podman run --pod` (trimmed)
    notes = {
        "io.container.manager": "libpod",
        "io.kubernetes.cri-o.ContainerType": "container",
        "io.kubernetes.cri-o.SandboxID": pod,
        "io.podman.annotations.autoremove": "FALSE",
    }
    got = podman_bundle_pod(json.dumps({"annotations": notes}).encode(), "/b/config.json")
    assert got is not None and (got.uid, got.engine, got.name, got.sandbox) == (pod, "podman", None, None)
    assert got.label() == "pod 64fd3d4aa1b1"
    alone = {"io.container.manager": "libpod"}  # not in a pod
    assert podman_bundle_pod(json.dumps({"annotations": alone}).encode(), "f") is None
    crio = dict(notes, **{"io.container.manager": "cri-o"})  # CRI-O's SandboxID is a CRI sandbox
    assert podman_bundle_pod(json.dumps({"annotations": crio}).encode(), "f") is None
    with pytest.raises(ParseError):
        podman_bundle_pod(b"{", "f")
