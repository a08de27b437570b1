"""docs/hardening.md: the engines' files are fuzzed like the kernel's. Whatever a bundle
config.json, a config.v2.json, a daemon.json, /etc/passwd or a /var/log/pods name holds, the
parser returns a record (or None) or raises ParseError, never anything else."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from nsview.errors import ParseError
from nsview.parse.docker_config import docker_config_facts
from nsview.parse.docker_daemon import daemon_data_root
from nsview.parse.kubelet_logs import parse_pod_log_dir
from nsview.parse.oci_bundle import bundle_pod
from nsview.parse.passwd import home_of

KEYS = [
    "annotations",
    "io.kubernetes.cri.sandbox-name",
    "io.kubernetes.cri.sandbox-namespace",
    "io.kubernetes.cri.container-type",
    "io.kubernetes.pod.name",
    "io.kubernetes.container.name",
    "Config",
    "Labels",
    "ID",
    "Name",
    "com.docker.compose.project",
    "data-root",
    "graph",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.sampled_from(["sandbox", "POD", "/x"]),
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), kids, max_size=5)
    ),
    max_leaves=25,
)
documents = json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200)


def _only_parse_errors(parser, *args):
    try:
        parser(*args)
    except ParseError:
        pass


@settings(max_examples=100, deadline=None)
@given(documents)
def test_fuzz_bundle_config(data):
    _only_parse_errors(bundle_pod, data, "/x/config.json")


@settings(max_examples=120, deadline=None)
@given(documents)
def test_fuzz_docker_config_and_daemon_json(data):
    _only_parse_errors(docker_config_facts, data, "a" * 64)
    _only_parse_errors(daemon_data_root, data)


@settings(max_examples=120, deadline=None)
@given(st.binary(max_size=200), st.integers(-1, 70000))
def test_fuzz_passwd(data, uid):
    home_of(data, uid)  # never raises


@settings(max_examples=120, deadline=None)
@given(st.text(alphabet="ab-_.0123456789f/", max_size=80))
def test_fuzz_pod_log_dir(name):
    found = parse_pod_log_dir(name)
    if found is not None:
        assert "_" not in found.namespace + found.name + found.uid
