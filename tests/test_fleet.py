"""nsview across a cluster (docs/fleet.md): `--jsonl` against its JSON Schema and against the
`--json` document it comes from, `--host-root` on fixture trees, `--npd`'s verdicts, the
`kubectl nsview` plugin with a stub `kubectl` that records its calls and serves canned node
outputs, and the DaemonSet, node-problem-detector and image files checked field by field."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from nsview.collect.fleet import NPD_OK, NPD_PROBLEM, NPD_UNKNOWN, oom_verdict
from nsview.model.oom import OomKill, OomReport, OomVictim

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SCHEMA = json.loads((ROOT / "docs" / "schema" / "nsview-jsonl.schema.json").read_text())
PLUGIN = ROOT / "packaging" / "kubectl-nsview"
PRIV = FIXTURES / "privileges-shapes"
ROOTS = FIXTURES / "dockerd-roots"
OOM_LOG = FIXTURES / "kernel-logs" / "dmesg-oom.txt"


def _fixture_args(fixture: Path) -> list[str]:
    args = ["--proc-root", str(fixture / "proc")]
    if (fixture / "sys").is_dir():
        args += ["--sys-root", str(fixture / "sys")]
    return args


def _lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize(
    "command, args, kind, key",
    [
        ("ps", _fixture_args(PRIV), "container", "containers"),
        ("ps", _fixture_args(ROOTS), "container", "containers"),
        ("oom", ["--log", str(OOM_LOG)], "oom_kill", "kills"),
    ],
    ids=["ps-privileges", "ps-dockerd-roots", "oom-saved-log"],
)
def test_jsonl_lines_validate_and_are_the_json_records(nsview_cmd, command, args, kind, key):
    lines_run = nsview_cmd(command, "--jsonl", *args)
    doc_run = nsview_cmd(command, "--json", *args)
    assert lines_run.returncode == doc_run.returncode
    lines = _lines(lines_run.stdout)
    records = json.loads(doc_run.stdout)[key]
    assert records and len(lines) == len(records)  # one line per record, none dropped or added
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for line, record in zip(lines, records, strict=True):
        validator.validate(line)
        assert line["kind"] == kind and line[kind] == record
        assert line["schema"] == "nsview.jsonl" and line["schema_version"] == 1
    from nsview import __version__

    assert {line["nsview_version"] for line in lines} == {__version__}


def test_jsonl_on_the_live_host_names_this_node_and_boot(nsview_cmd):
    r = nsview_cmd("oom", "--jsonl", "--log", str(OOM_LOG))
    line = _lines(r.stdout)[0]
    assert line["node"] == os.uname().nodename
    assert line["boot_id"] == Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def test_the_schema_refuses_what_it_must():
    validator = jsonschema.Draft202012Validator(SCHEMA)
    good = {
        "schema": "nsview.jsonl",
        "schema_version": 1,
        "kind": "oom_kill",
        "nsview_version": "0.1.0",
        "node": "n1",
        "boot_id": None,
        "time": "2026-12-02T21:24:37+00:00",
        "oom_kill": {
            "time": None,
            "epoch": None,
            "pid": 7,
            "comm": "tail",
            "whose_limit": "own",
            "task_memcg": "/x",
            "container": None,
        },
    }
    validator.validate(good)
    for bad in (
        {**good, "schema_version": 2},
        {**good, "kind": "container"},  # a container line without its container
        {k: v for k, v in good.items() if k != "node"},
        {**good, "time": "yesterday"},
    ):
        assert not validator.is_valid(bad), bad


def test_host_root_names_where_engine_files_are_read(nsview_cmd, tmp_path):
    """dockerd-roots keeps Docker's files in its host/ tree: --host-root at that tree reads the
    same names as the default; an empty tree has none of them; a missing one is a usage error."""
    base = ["ps", "--json", *_fixture_args(ROOTS)]
    default = json.loads(nsview_cmd(*base).stdout)["containers"]
    named = json.loads(nsview_cmd(*base, "--host-root", str(ROOTS / "host")).stdout)["containers"]
    assert [c["name"] for c in named] == [c["name"] for c in default]
    assert any(c["name"] for c in default)
    empty = json.loads(nsview_cmd(*base, "--host-root", str(tmp_path)).stdout)["containers"]
    assert [c["id"] for c in empty] == [c["id"] for c in default]
    assert not any(c["name"] for c in empty if c["runtime"] == "docker")
    env = {"NSVIEW_HOST_ROOT": str(ROOTS / "host")}
    from_env = json.loads(nsview_cmd(*base, env=env).stdout)["containers"]
    assert from_env == named
    missing = nsview_cmd(*base, "--host-root", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "not a directory" in json.loads(missing.stdout)["error"]["message"]


def test_npd_ps_finds_the_privileged_container(nsview_cmd):
    doc = json.loads(nsview_cmd("ps", "--json", *_fixture_args(PRIV)).stdout)
    privileged = [c for c in doc["containers"] if (c["privileges"] or {}).get("privileged")]
    assert privileged
    r = nsview_cmd("ps", "--npd", *_fixture_args(PRIV))
    assert r.returncode == NPD_PROBLEM and len(r.stdout.splitlines()) == 1
    assert r.stdout.startswith("privileged container found: ")
    assert all(c["short_id"] in r.stdout for c in privileged)
    calm = nsview_cmd("ps", "--npd", *_fixture_args(ROOTS))
    roots = json.loads(nsview_cmd("ps", "--json", *_fixture_args(ROOTS)).stdout)["containers"]
    assert not any((c["privileges"] or {}).get("privileged") for c in roots)
    assert calm.returncode == NPD_OK and calm.stdout.startswith("no privileged container")


def test_npd_oom_verdicts():
    def kill(wall):
        return OomVictim(OomKill(pid=9, comm="tail", wall=wall), runtime="docker", id="a" * 64, name="web")

    now = 10_000_000.0
    recent = OomReport((kill(now - 3000), kill(now - 60)), "/dev/kmsg")
    assert oom_verdict(recent, 5, now).code == NPD_PROBLEM
    assert (
        oom_verdict(recent, 5, now).message == "OOM kill in the last 5 minutes: 1, last tail (pid 9) in web"
    )
    assert oom_verdict(recent, 100, now).message.startswith("OOM kill in the last 100 minutes: 2,")
    old = OomReport((kill(now - 3000),), "/dev/kmsg")
    assert oom_verdict(old, 5, now).code == NPD_OK
    unread = OomReport((), "/dev/kmsg", log_error="permission denied")
    assert oom_verdict(unread, 5, now).code == NPD_UNKNOWN


# ---- the kubectl plugin -------------------------------------------------------------------

STUB = r"""#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
with open(os.environ["STUB_CALLS"], "a") as f:
    f.write(json.dumps(args) + "\n")
canned = os.environ["STUB_DIR"]
def serve(name):
    sys.stdout.write(open(os.path.join(canned, name)).read())
if args[:2] == ["get", "nodes"]:
    print(os.environ["STUB_NODES"])
elif args[:2] == ["get", "pods"]:
    serve("pods.json")
elif args[0] == "exec":
    pod = args[args.index("-n") + 2]
    serve(f"{pod}.{args[args.index('--') + 2]}")
elif args[0] == "debug":
    node = args[1].split("/", 1)[1]
    sys.stderr.write(f"Creating debugging pod node-debugger-{node}-abcde with container debugger on node {node}.\n")
    serve(f"{node}.{args[args.index('--') + 2]}")
elif args[0] == "delete":
    pass
else:
    sys.exit(3)
"""


def _stage_node(nsview_cmd, canned: Path, name: str, command: str, args: list[str], node: str) -> list[dict]:
    lines = _lines(nsview_cmd(command, "--jsonl", *args).stdout)
    for line in lines:
        line["node"] = node
    (canned / f"{name}.{command}").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return lines


@pytest.fixture
def stub_kubectl(tmp_path):
    bin_dir, canned = tmp_path / "bin", tmp_path / "canned"
    bin_dir.mkdir()
    canned.mkdir()
    stub = bin_dir / "kubectl"
    stub.write_text(STUB)
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    calls = tmp_path / "calls.jsonl"
    pods = {
        "items": [
            {
                "metadata": {"name": "nsview-aaaaa"},
                "spec": {"nodeName": "node-a"},
                "status": {"phase": "Running"},
            }
        ]
    }
    (canned / "pods.json").write_text(json.dumps(pods))
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "STUB_CALLS": str(calls),
        "STUB_DIR": str(canned),
        "STUB_NODES": "node-a node-b",
    }

    def run(*args: str) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
        r = subprocess.run([sys.executable, str(PLUGIN), *args], capture_output=True, text=True, env=env)
        recorded = [json.loads(x) for x in calls.read_text().splitlines()] if calls.exists() else []
        return r, recorded

    return canned, run


def test_plugin_merges_ps_of_every_node(nsview_cmd, stub_kubectl):
    canned, run = stub_kubectl
    a = _stage_node(nsview_cmd, canned, "nsview-aaaaa", "ps", _fixture_args(PRIV), "node-a")
    b = _stage_node(nsview_cmd, canned, "node-b", "ps", _fixture_args(ROOTS), "node-b")
    r, calls = run("ps", "--jsonl")
    assert r.returncode == 0, r.stderr
    merged = _lines(r.stdout)
    assert len(merged) == len(a) + len(b)
    assert sorted(x["container"]["id"] or "" for x in merged if x["node"] == "node-a") == sorted(
        x["container"]["id"] or "" for x in a
    )
    assert {x["node"] for x in merged} == {"node-a", "node-b"}
    assert [x["node"] for x in merged] == sorted(x["node"] for x in merged)  # grouped by node
    # node-a through the DaemonSet's pod, node-b (no pod) through kubectl debug, then deleted
    assert ["exec", "-n", "nsview", "nsview-aaaaa", "-c", "nsview", "--", "nsview", "ps", "--jsonl"] in calls
    debug = next(c for c in calls if c[0] == "debug")
    assert debug[1] == "node/node-b" and debug[-2:] == ["--host-root", "/host"]
    assert "--profile=sysadmin" in debug and "--image=nsview:local" in debug
    assert ["delete", "pod", "node-debugger-node-b-abcde", "--wait=false"] in calls
    table, _ = run("ps")
    assert table.stdout.splitlines()[0].split() == [
        "NODE",
        "RUNTIME",
        "ID",
        "NAME",
        "PID",
        "PRIVILEGES",
        "MEMORY",
    ]
    assert len(table.stdout.splitlines()) == 1 + len(merged)


def test_plugin_merges_oom_oldest_first_and_names_a_failed_node(nsview_cmd, stub_kubectl):
    canned, run = stub_kubectl
    a = _stage_node(nsview_cmd, canned, "nsview-aaaaa", "oom", ["--log", str(OOM_LOG)], "node-a")
    lines = _lines((canned / "nsview-aaaaa.oom").read_text())
    for line in lines:
        line["schema_version"] = 2  # another nsview on node-b
    (canned / "node-b.oom").write_text("".join(json.dumps(x) + "\n" for x in lines))
    r, _ = run("oom", "--jsonl")
    assert r.returncode == 1
    assert "node-b" in r.stderr and "schema" in r.stderr and "1 of 2 node(s)" in r.stderr
    merged = _lines(r.stdout)
    assert len(merged) == len(a) and {x["node"] for x in merged} == {"node-a"}
    epochs = [x["oom_kill"]["epoch"] or 0 for x in merged]
    assert epochs == sorted(epochs)


def test_plugin_via_daemonset_refuses_a_node_without_its_pod(nsview_cmd, stub_kubectl):
    canned, run = stub_kubectl
    _stage_node(nsview_cmd, canned, "nsview-aaaaa", "ps", _fixture_args(PRIV), "node-a")
    r, calls = run("ps", "--via", "daemonset", "--jsonl")
    assert r.returncode == 1 and "no running nsview pod on node node-b" in r.stderr
    assert not any(c[0] == "debug" for c in calls)


# ---- manifests ----------------------------------------------------------------------------


def _plugin_module():
    loader = importlib.machinery.SourceFileLoader("kubectl_nsview", str(PLUGIN))
    spec = importlib.util.spec_from_loader("kubectl_nsview", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_daemonset_manifest_field_by_field():
    docs = list(yaml.safe_load_all((ROOT / "packaging" / "kubernetes" / "nsview-daemonset.yaml").read_text()))
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"Namespace", "DaemonSet"}
    ds = kinds["DaemonSet"]
    assert ds["apiVersion"] == "apps/v1"
    plugin = _plugin_module()
    assert ds["metadata"]["namespace"] == kinds["Namespace"]["metadata"]["name"] == plugin.NAMESPACE
    key, value = plugin.SELECTOR.split("=")
    assert ds["spec"]["selector"]["matchLabels"] == {key: value}
    pod = ds["spec"]["template"]
    assert pod["metadata"]["labels"][key] == value
    spec = pod["spec"]
    assert spec["hostPID"] is True
    assert {"operator": "Exists"} in spec["tolerations"]
    (container,) = spec["containers"]
    assert container["name"] == "nsview"  # the plugin execs with -c nsview
    assert container["securityContext"]["privileged"] is True
    assert {"name": "NSVIEW_HOST_ROOT", "value": "/host"} in container["env"]
    (mount,) = container["volumeMounts"]
    assert mount["mountPath"] == "/host" and mount["readOnly"] is True
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    assert volume["hostPath"]["path"] == "/"


def test_daemonset_manifest_passes_the_kubernetes_schema():
    """kubernetes-validate carries the API's OpenAPI schemas: offline, strict (no unknown field)."""
    import copy

    import kubernetes_validate

    docs = list(yaml.safe_load_all((ROOT / "packaging" / "kubernetes" / "nsview-daemonset.yaml").read_text()))
    version = kubernetes_validate.latest_version()
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)
    ds = copy.deepcopy(next(d for d in docs if d["kind"] == "DaemonSet"))
    ds["spec"]["template"]["spec"]["hostPID"] = "yes"  # the schema can fail
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(ds, version, strict=True)


def test_npd_monitor_config_runs_nsview_as_it_answers(nsview_cmd):
    config = json.loads((ROOT / "packaging" / "kubernetes" / "npd-nsview-monitor.json").read_text())
    assert config["plugin"] == "custom" and config["source"]
    conditions = {c["type"] for c in config["conditions"]}
    for rule in config["rules"]:
        assert rule["type"] in ("permanent", "temporary")
        if rule["type"] == "permanent":
            assert rule["condition"] in conditions
        assert rule["path"] == "/opt/nsview/bin/nsview"  # where the Containerfile installs it
        args = rule["args"]
        assert "--npd" in args and args[args.index("--host-root") + 1] == "/host"
        # the same arguments, on a fixture tree: one line, and an answer of the protocol
        local = [a if a != "/host" else str(ROOTS / "host") for a in args]
        if args[0] == "oom":
            local += ["--log", str(OOM_LOG)]
        r = nsview_cmd(*local, "--proc-root", str(ROOTS / "proc"))
        assert r.returncode in (NPD_OK, NPD_PROBLEM, NPD_UNKNOWN), r.stderr
        assert len(r.stdout.splitlines()) == 1


def test_containerfile_installs_from_local_wheels_only():
    lines = [
        line.strip()
        for line in (ROOT / "Containerfile").read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    words = {line.split()[0]: line for line in lines}
    assert words["ARG"] == "ARG BASE" and words["FROM"] == "FROM ${BASE}"
    run = shlex.split(words["RUN"])
    assert "--no-index" in run and "--find-links" in run  # nothing fetched at build time
    assert json.loads(words["ENTRYPOINT"].split(None, 1)[1]) == ["nsview"]
    assert "/opt/nsview/bin" in words["ENV"]


# ---- what a person sees (golden) ----------------------------------------------------------

GOLDEN = ROOT / "tests" / "golden"


def _check(path: Path, actual: str, regen: bool) -> None:
    if regen or not path.exists():
        path.write_text(actual)
    assert actual == path.read_text(), f"output differs from {path.name} (regenerate with --regen-golden)"


def test_npd_lines_golden(nsview_cmd, regen_golden):
    ps = nsview_cmd("ps", "--npd", *_fixture_args(PRIV))
    calm = nsview_cmd("ps", "--npd", *_fixture_args(ROOTS))
    _check(GOLDEN / "fleet-npd.txt", ps.stdout + calm.stdout, regen_golden)


def test_plugin_table_golden(nsview_cmd, stub_kubectl, regen_golden):
    canned, run = stub_kubectl
    for command in ("ps", "oom"):
        _stage_node(
            nsview_cmd,
            canned,
            "nsview-aaaaa",
            command,
            [*_fixture_args(PRIV), "--log", str(OOM_LOG)] if command == "oom" else _fixture_args(PRIV),
            "node-a",
        )
        _stage_node(
            nsview_cmd,
            canned,
            "node-b",
            command,
            _fixture_args(ROOTS) if command == "ps" else ["--log", str(OOM_LOG)],
            "node-b",
        )
    ps, _ = run("ps")
    oom, _ = run("oom")
    assert ps.returncode == oom.returncode == 0
    _check(GOLDEN / "fleet-kubectl-nsview.txt", ps.stdout + "\n" + oom.stdout, regen_golden)


def test_jsonl_with_pods_is_still_a_line_per_container(nsview_cmd):
    k8s = FIXTURES / "containers-k8s-containerd"
    args = _fixture_args(k8s)
    lines = _lines(nsview_cmd("ps", "--pods", "--jsonl", *args).stdout)
    records = json.loads(nsview_cmd("ps", "--json", *args).stdout)["containers"]
    assert [x["container"] for x in lines] == records
    assert any(x["container"]["pod"] for x in lines)  # the pod is in each container's record
