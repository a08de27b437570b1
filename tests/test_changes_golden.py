"""Golden outputs of `nsview changes` on fixtures/changes-overlay (layers as plain directories,
scripts/make_changes_fixture.py): the list, --summary, --like podman, --limit and the JSON, with
no root and no engine. Regenerate with `python -m pytest tests/test_changes_golden.py --regen-golden`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.paths import FIXTURES

GOLDEN = Path(__file__).resolve().parent / "golden"
TREE = FIXTURES / "changes-overlay"
ROOTS = ["--proc-root", str(TREE / "proc"), "--sys-root", str(TREE / "sys")]
EXPECTED = ["C /etc", "A /etc/added.conf", "C /etc/motd", "A /srv", "A /srv/new", "A /srv/new/file"]


def _check(path: Path, actual: str, regen: bool) -> None:
    if regen or not path.exists():
        path.write_text(actual)
    assert actual == path.read_text(), f"output differs from {path.name} (regenerate with --regen-golden)"


def test_changes_text_is_docker_diffs_lines(nsview_run, regen_golden):
    r = nsview_run("changes", "4242", *ROOTS)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == EXPECTED and r.stderr == ""
    _check(GOLDEN / "changes-overlay.txt", r.stdout, regen_golden)


def test_changes_podman_rules_on_the_same_layers(nsview_run):
    r = nsview_run("changes", "4242", "--like", "podman", *ROOTS)
    # podman skips /etc when its size, mode and mtime are the lowers' (a checkout may differ)
    assert [line for line in r.stdout.splitlines() if line != "C /etc"] == [
        e for e in EXPECTED if e != "C /etc"
    ]


def test_changes_summary_golden(nsview_run, regen_golden):
    r = nsview_run(
        "changes", "4242", "--summary", "--no-color", *ROOTS, env={"COLUMNS": "100", "NO_COLOR": "1"}
    )
    assert r.returncode == 0, r.stderr
    _check(GOLDEN / "changes-overlay-summary.txt", r.stdout, regen_golden)


def test_changes_json_and_limit(nsview_run):
    r = nsview_run("changes", "4242", "--json", "--limit", "2", *ROOTS)
    data = json.loads(r.stdout)
    assert [f"{c['kind']} {c['path']}" for c in data["changes"]] == EXPECTED[:2]
    assert data["truncated"] is True and data["limit"] == 2 and data["problems"] == []
    assert data["layers"]["upper"] == "/var/lib/nsview-fixture/overlay/upper"
    full = json.loads(nsview_run("changes", "4242", "--json", *ROOTS).stdout)
    motd = {c["path"]: c for c in full["changes"]}["/etc/motd"]
    assert motd["kind"] == "C" and "size" in motd["differs"] and motd["size"] == len("hello, changed\n")
    summary = json.loads(nsview_run("changes", "4242", "--json", "--summary", *ROOTS).stdout)["summary"]
    assert (summary["added"], summary["changed"], summary["bytes_added"]) == (4, 2, 25)


def test_changes_usage_errors_are_one_line(nsview_run):
    r = nsview_run("changes", "4242", "--like", "lxc", *ROOTS)
    assert r.returncode == 2 and "choose docker or podman" in r.stderr


def test_a_fuse_overlayfs_or_plain_root_is_one_line_exit_5(nsview_run, tmp_path):
    import shutil

    tree = tmp_path / "t"
    shutil.copytree(TREE, tree, symlinks=True)
    mountinfo = tree / "proc" / "4242" / "mountinfo"
    for fstype, words in (
        ("fuse.fuse-overlayfs fuse-overlayfs rw,user_id=0", "its layers are not in the mount table"),
        ("ext4 /dev/vda rw", "not an overlay"),
    ):
        mountinfo.write_text(f"101 90 0:52 / / rw,relatime - {fstype}\n")
        r = nsview_run("changes", "4242", "--proc-root", str(tree / "proc"))
        assert r.returncode == 5 and r.stdout == "" and r.stderr.count("\n") == 1 and words in r.stderr
