"""`nsview mounts` on the hand-made fixtures/mounts-shapes tree (scripts/make_mounts_fixture.py):
golden text and JSON, the filters, --holding, and usage errors. Deterministic: nothing of this
machine is read. Regenerate the goldens with `python -m pytest tests/test_mounts_cli.py --regen-golden`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.paths import FIXTURES

GOLDEN = Path(__file__).resolve().parent / "golden"
TREE = FIXTURES / "mounts-shapes"
ROOTS = ("--proc-root", str(TREE / "proc"), "--sys-root", str(FIXTURES / "cgroup-v2" / "sys"))
PID = "4242"


def _check(path: Path, actual: str, regen: bool) -> None:
    if regen or not path.exists():
        path.write_text(actual)
    assert actual == path.read_text(), f"output differs from {path.name} (regenerate with --regen-golden)"


def _json(nsview_run, *args: str) -> dict:
    r = nsview_run("mounts", "--json", *args, *ROOTS)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def test_mounts_text_golden_is_inert(nsview_run, regen_golden):
    r = nsview_run("mounts", PID, "--no-color", *ROOTS, env={"COLUMNS": "220", "NO_COLOR": "1"})
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\t" not in r.stdout and "[red]x\\x1b[2J" in r.stdout
    assert "[bold]src" in r.stdout  # markup printed as the characters it is made of
    _check(GOLDEN / "mounts-shapes.txt", r.stdout, regen_golden)


def test_mounts_json_golden(nsview_run, regen_golden):
    r = nsview_run("mounts", PID, "--json", *ROOTS)
    assert r.returncode == 0, r.stderr
    _check(GOLDEN / "mounts-shapes.json", r.stdout, regen_golden)


def test_mounts_json_fields_on_the_shapes(nsview_run):
    doc = _json(nsview_run, PID)
    by = {m["target"]: m for m in doc["mounts"]}
    assert doc["count"] == len(doc["mounts"]) == 24
    assert doc["namespace"] == "mnt:[4026532900]" and doc["host_reference"]["pid"] == 1
    # escapes decoded once: a directory really named "\040literal" keeps its backslash
    assert "/tmp/sp tab\tnl\nbs\\" in by and "/tmp/\\040literal" in by
    assert by["/tmp/empty"]["source"] is None and by["/tmp/empty"]["mount_source"] == ""
    assert by["/data"]["host"]["path"] == "/srv/exports/a b"
    assert by["/var/lib/postgresql/data"]["host"]["path"] == "/var/lib/docker/volumes/pgdata/_data"
    assert by["/var/lib/postgresql/data"]["host"]["via_target"] == "/var/lib/docker"
    assert by["/"]["host"]["path"] == "/var/lib/docker/overlay2/9d2c6b1e/merged"
    lower = [layer["path"] for layer in by["/"]["overlay"]["lower"]]
    assert lower == ["/var/lib/docker/overlay2/9d2c6b1e/l:ow,er", "/var/lib/docker/overlay2/base/diff"]
    assert by["/proc/sys"]["parent_target"] == "/proc" and by["/proc/sys"]["depth"] == 2
    assert by["/self-parent"]["orphan"] == "its own parent"
    assert by["/orphan"]["orphan"] == "parent 999 is not in this table"
    assert by["/cycle/a"]["orphan"] == "on a cycle of parent ids"
    assert {m["target"] for m in doc["mounts"] if m["id"] == 315} == {"/dup", "/dup2"}
    assert (by["/shared"]["peer_group"], by["/shared"]["master"], by["/shared"]["propagate_from"]) == (
        40,
        6,
        1,
    )
    assert by["/shared"]["propagation"] == "shared,slave" and by["/unbindable"]["unbindable"] is True
    stacked = [m for m in doc["mounts"] if m["target"] == "/mnt/a"]
    assert [(m["mount_source"], m["hidden"] and m["hidden"]["by_id"]) for m in stacked] == [
        ("t1", 305),
        ("t3", 306),
        ("t4", None),
    ]


@pytest.mark.parametrize(
    ("args", "sources"),
    [
        (("--shadowed",), ["t1", "t2", "t3", "early"]),
        (("-t", "xfs,ext4"), ["/dev/vdb", "/dev/vda1"]),
        (("--type", "nsfs"), ["nsfs"]),
        (("-t", "notmpfs,proc"), ["/dev/vdb", "/dev/vda1", "nsfs", "overlay"]),  # mount(8)'s "no"
        (("--source", "/srv/exports/a b"), ["/dev/vdb"]),  # a host path
        (("--source", "[bold]src"), ["[bold]src"]),
        (("/mnt/a/",), ["t1", "t3", "t4"]),  # a mountpoint: every mount stacked on it
    ],
)
def test_filters(nsview_run, args, sources):
    doc = _json(nsview_run, PID, *args)
    assert sorted(m["mount_source"] for m in doc["mounts"]) == sorted(sources)
    assert doc["count"] == 24


def test_holding_on_the_fixture(nsview_run):
    r = nsview_run("mounts", "--json", "--holding", "/var/lib/docker/", *ROOTS)
    assert r.returncode == 6, r.stderr  # the namespace /run/netns/leak holds cannot be read here
    doc = json.loads(r.stdout)
    assert doc["path"] == "/var/lib/docker"
    kinds = {h["namespace"]: (h["kind"], h["pid"]) for h in doc["holders"]}
    assert kinds == {"mnt:[4026531841]": ("host", 1), "mnt:[4026532900]": ("process", 4242)}
    mine = next(h for h in doc["holders"] if h["pid"] == 4242)
    assert {m["target"]: m["why"] for m in mine["mounts"]} == {
        "/": "mounted from inside",
        "/var/lib/postgresql/data": "mounted from inside",
    }
    (why,) = [v for k, v in doc["errors"].items() if "mnt:[4026532950]" in k and "/run/netns/leak" in k]
    assert why
    r = nsview_run("mounts", "--holding", "/srv/exports/a b", *ROOTS)
    assert r.returncode == 6 and "/data" in r.stdout and "1 mount namespace of 2 hold" in r.stdout


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        ((), 2, "give a TARGET"),
        (("--holding", "relative/path"), 2, "absolute host path"),
        (("--holding", "/srv", PID), 2, "give no TARGET"),
        (("999999",), 3, "no such process"),
    ],
)
def test_usage_errors_are_one_line(nsview_run, args, code, words):
    r = nsview_run("mounts", *args, *ROOTS)
    assert r.returncode == code and words in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr
    r = nsview_run("mounts", "--json", *args, *ROOTS)
    assert json.loads(r.stdout)["error"]["exit_code"] == code
