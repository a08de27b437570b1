"""Golden outputs of `nsview tree` rendered from captured fixture trees (what a person sees).

Rendered by the CLI (its main(), in this process: the nsview_run fixture), without colour, at a
fixed width. After an intended change, regenerate with
`python -m pytest tests/test_tree_golden.py --regen-golden` and review the diff of tests/golden/
like code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import FIXTURES, REPO
from tests.support.trees import assert_same_tree

GOLDEN = Path(__file__).resolve().parent / "golden"
DOCKER = FIXTURES / "docker-hybrid" / "proc"
EDGE = FIXTURES / "edge-shapes" / "proc"  # hand-made: scripts/make_edge_fixture.py
WIDTH = "100"

# name -> (fixture proc root, nsview tree arguments)
CASES = {
    "docker-hybrid": (DOCKER, ["9391"]),
    "docker-hybrid-shim-depth1": (DOCKER, ["9370", "--depth", "1"]),
    "docker-hybrid-descendant": (DOCKER, ["9403"]),
    # pids near pid_max, inodes near 2^32, podman conmon, nested pid ns, zombie, thread elsewhere,
    # hostile comm and argv
    "edge-podman-hostile": (EDGE, ["4194303"]),
    "edge-kthreadd": (EDGE, ["2"]),
    "edge-lxc": (EDGE, ["5001"]),
    "edge-runc-init": (EDGE, ["6001"]),
}


def _nsview(nsview_run, *args: str) -> subprocess.CompletedProcess:
    # A fixed width here, not the fixture's COLUMNS=200.
    return nsview_run(*args, env={"COLUMNS": WIDTH, "NO_COLOR": "1"})


def _check(path: Path, actual: str, regen: bool) -> None:
    if regen or not path.exists():
        path.write_text(actual)
        if not regen:
            pytest.fail(f"{path.name} did not exist; written now: review it and run again")
    assert actual == path.read_text(), f"output differs from {path.name} (regenerate with --regen-golden)"


@pytest.mark.parametrize("name", CASES)
def test_tree_text_golden(name, regen_golden, nsview_run):
    root, args = CASES[name]
    r = _nsview(nsview_run, "tree", "--proc-root", str(root), "--no-color", *args)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "\x1b" not in r.stdout  # --no-color means no escape sequence at all
    _check(GOLDEN / f"tree-{name}.txt", r.stdout, regen_golden)


@pytest.mark.parametrize("name", CASES)
def test_tree_json_golden(name, regen_golden, nsview_run):
    root, args = CASES[name]
    r = _nsview(nsview_run, "tree", "--proc-root", str(root), "--json", *args)
    assert r.returncode == 0, r.stderr
    json.loads(r.stdout)  # valid JSON before it is compared
    _check(GOLDEN / f"tree-{name}.json", r.stdout, regen_golden)


def test_docker_fixture_facts_match_the_files():
    """The golden JSON is not just self-consistent: its facts equal the fixture's own files,
    read here independently of nsview."""
    data = json.loads((GOLDEN / "tree-docker-hybrid.json").read_text())
    shim = data["tree"]["children"][0]
    init = shim["children"][0]
    assert data["lineage"] == [1, 9370, 9391]
    shim_argv = (DOCKER / "9370" / "cmdline").read_bytes().rstrip(b"\0").decode().split("\0")
    assert shim["args"] == shim_argv
    cid = shim_argv[shim_argv.index("-id") + 1]
    assert init["container"] == {
        "runtime": "containerd",
        "id": cid,
        "namespace": shim_argv[shim_argv.index("-namespace") + 1],
        "name": None,  # a shim's argv names no container
        "evidence": shim_argv[0].rsplit("/", 1)[-1] + " -namespace/-id",
    }
    for ref in init["entered"]:
        ns_type = ref.split(":", 1)[0]
        assert os.readlink(DOCKER / "9391" / "ns" / ns_type) == ref
        assert os.readlink(DOCKER / "9370" / "ns" / ns_type) != ref
    nspid_line = next(
        line for line in (DOCKER / "9391" / "status").read_text().splitlines() if line.startswith("NSpid:")
    )
    assert init["nspid"] == [int(x) for x in nspid_line.split()[1:]]
    assert init["pid_in_namespace"] == 1
    assert [c["pid"] for c in init["children"]] == [9403]


def test_edge_fixture_is_what_the_generator_writes(tmp_path):
    """The committed hand-made tree is reproducible from its generator (no hand edits). Here the
    generator is given the tree's own path; tests/test_fixture_generators.py runs it with --out."""
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_edge_fixture.py"), str(tmp_path / "e")],
        check=True,
    )
    assert_same_tree(EDGE.parent, tmp_path / "e")


def test_edge_golden_facts():
    data = json.loads((GOLDEN / "tree-edge-podman-hostile.json").read_text())
    conmon = data["tree"]["children"][0]
    app = conmon["children"][0]
    assert app["pid"] == 4194303 and app["name"] == "\x1b[2J[red]x"  # raw in JSON
    assert app["container"]["runtime"] == "podman" and app["container"]["id"].startswith("3f2a9c0d1b7e")
    assert "net:[4294967295]" in app["entered"]
    assert app["threads_in_other_namespaces"] == [{"tid": 4194299, "namespaces": ["uts:[4294967288]"]}]
    zombie, inner = app["children"]
    assert zombie["zombie"] and zombie["namespaces"] == {}
    assert inner["nspid"] == [4194302, 7, 1] and inner["pid_in_namespace"] == 1
    assert sorted(inner["entered"]) == ["pid:[4294967294]", "user:[4294967289]"]
    text = (GOLDEN / "tree-edge-podman-hostile.txt").read_text()
    assert "\x1b" not in text and "\\x1b[2J[red]x,4194303" in text and "[link=http://x]" in text


# A podman conmon argv (two 64-digit ids, ~300 characters) at the widths people use: folded to
# the terminal by default, whole with --wide (docs/commands.md, tree).
FOLD_CASES = {
    "fold-80": ("80", []),
    "fold-200": ("200", []),
    "wide-80": ("80", ["--wide"]),
}


@pytest.mark.parametrize("name", FOLD_CASES)
def test_tree_folds_long_command_lines_to_the_width(name, regen_golden, nsview_run):
    width, extra = FOLD_CASES[name]
    r = nsview_run("tree", "--proc-root", str(EDGE), "--no-color", *extra, "4194303", env={"COLUMNS": width})
    assert r.returncode == 0, r.stderr
    _check(GOLDEN / f"tree-edge-podman-{name}.txt", r.stdout, regen_golden)
    conmon = (EDGE / "4194000" / "cmdline").read_bytes().rstrip(b"\0").decode().split("\0")
    cid = conmon[conmon.index("-c") + 1]
    lines = r.stdout.splitlines()
    (line,) = [x for x in lines if "conmon,4194000" in x]
    if extra:  # whole: every argument of the fixture's own cmdline, wrapped onto more rows
        assert " ".join(conmon[1:]) in " ".join(x.strip() for x in r.stdout.splitlines())
    else:  # one row a process, within the width, the id cut to the 12 digits ps shows
        assert all(len(x) <= int(width) for x in lines if "," in x and "↳" not in x)
        assert f"-c {cid[:12]}…" in line and cid not in r.stdout
        short = " ".join(a[:12] + "…" if len(a) == 64 else a for a in conmon[1:])
        assert line.endswith("…") == (len(f"└── conmon,4194000 {short}") > int(width))
    assert "◀" in r.stdout and "target" in r.stdout  # the mark survives any cut


def test_tree_into_a_pipe_keeps_whole_lines(nsview_run):
    """No terminal and no COLUMNS: whole lines, as pstree writes into a pipe."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    r = subprocess.run(
        [sys.executable, "-m", "nsview", "tree", "--proc-root", str(EDGE), "--no-color", "4194303"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    conmon = (EDGE / "4194000" / "cmdline").read_bytes().rstrip(b"\0").decode().split("\0")
    assert r.returncode == 0, r.stderr
    assert " ".join(conmon[1:]) in r.stdout and "…" not in r.stdout
