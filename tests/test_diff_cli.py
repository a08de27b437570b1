"""`nsview diff` on a captured fixture tree: deterministic, no entering (a fixture has no
namespaces to enter), so the entered sections say why and the exit code is partial."""

from __future__ import annotations

import json
import os

import pytest

from tests.support.paths import FIXTURES, tree_roots

FIXTURE = FIXTURES / "docker-hybrid"


def test_fixture_diff_is_partial_and_names_its_reference(nsview_run):
    proc = FIXTURE / "proc"
    target = "9403"
    r = nsview_run("diff", "--json", *tree_roots(FIXTURE), target)
    assert r.returncode == 6, r.stderr
    out = json.loads(r.stdout)
    me = int(os.readlink(proc / "self"))
    assert out["reference"]["pid"] == me and "pid 1" in out["reference"]["note"].lower()
    rows = {row["type"]: row for row in out["sections"]["namespaces"]["rows"]}
    for ns_type, row in rows.items():
        assert row["target"]["id"] == os.readlink(proc / target / "ns" / ns_type)
        assert row["shared"] is (os.readlink(proc / str(me) / "ns" / ns_type) == row["target"]["id"])
    for section in ("uts", "network"):
        assert out["sections"][section]["target"] is None
        assert out["sections"][section]["errors"]["target"]
    root = out["sections"]["mounts"]["target"]["root"]
    assert root["fstype"] == "overlay"
    # short links cannot be resolved without the fixture's host tree: reported, not guessed
    assert all(layer["path"] is None and layer["error"] for layer in root["overlay"]["lower"])
    assert root["overlay"]["graphdriver"]["LowerDir"] is None


@pytest.mark.live  # a name is looked up in the live /proc, and pid 1 is the live one
def test_text_and_json_errors_agree_on_a_bad_target(nsview_cmd):
    # neither a pid nor a container: "not found" (7), in one line on stderr or as JSON
    r = nsview_cmd("diff", "no-such-container-xyz")
    assert r.returncode == 7 and r.stdout == "" and r.stderr.startswith("nsview: ")
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr
    r = nsview_cmd("diff", "--json", "1", "--against", "no-such-container-xyz")
    assert r.returncode == 7 and json.loads(r.stdout)["error"]["exit_code"] == 7


# ---- what a person reads: the default mount list and --mounts all (docs/commands.md, diff) ----
GOLDEN = FIXTURES.parent / "tests" / "golden"
SHAPES = (
    "--proc-root",
    str(FIXTURES / "mounts-shapes" / "proc"),
    "--sys-root",
    str(FIXTURES / "cgroup-v2" / "sys"),
)
KERNEL_TREES = ("/proc", "/sys", "/dev")


def _golden(path, actual: str, regen: bool) -> None:
    if regen or not path.exists():
        path.write_text(actual)
    assert actual == path.read_text(), f"output differs from {path.name} (regenerate with --regen-golden)"


@pytest.mark.parametrize("width", ["80", "200"])
@pytest.mark.parametrize("shown", ["person", "all"])
def test_diff_mounts_golden(width, shown, regen_golden, nsview_run):
    extra = [] if shown == "person" else ["--mounts", "all"]
    r = nsview_run("diff", *SHAPES, "--no-color", *extra, "4242", env={"COLUMNS": width})
    assert r.returncode == 6, r.stderr  # a fixture: the entered sections cannot be read
    _golden(GOLDEN / f"diff-mounts-shapes-{shown}-{width}.txt", r.stdout, regen_golden)


def test_default_mount_list_counts_what_it_leaves_out(nsview_run):
    """The person view lists every mount the target alone has that is not the runtime's own
    proc/sys/dev view, and counts the rest: nothing vanishes (checked against --json, which has
    all, and the fixture's mountinfo for the mount points)."""
    doc = json.loads(nsview_run("diff", *SHAPES, "--json", "4242").stdout)["sections"]["mounts"]
    tgt, ref = doc["target"], doc["reference"]
    text = nsview_run("diff", *SHAPES, "--no-color", "4242", env={"COLUMNS": "250"}).stdout
    mounts = text[text.index("\nMounts  classic:") : text.index("\nLimits")]

    def kernel_view(m: dict) -> bool:
        under = any(m["target"] == t or m["target"].startswith(t + "/") for t in KERNEL_TREES)
        return under and m["fstype"] in ("proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "tmpfs")

    listed = [m for m in tgt["only_here"] if not kernel_view(m)]
    hidden = [m for m in tgt["only_here"] if kernel_view(m)]
    hidden += [p["here"] for p in tgt["other_instance"] if kernel_view(p["here"])]
    assert listed and hidden  # the fixture has both kinds: the checks below could fail
    for m in listed:  # each one is a row (hostile names print escaped: checked in hardening)
        if m["target"].isprintable() and "\\" not in m["target"]:
            assert f"\n{m['target']} " in mounts, m["target"]
    for m in hidden:
        assert f"\n{m['target']} " not in mounts, m["target"]
    assert f"mounts only the target 4242 has ({len(listed)})" in mounts
    assert f"not listed: {len(hidden)} proc, sysfs, dev and cgroup mounts the runtime adds" in " ".join(
        mounts.split()
    )
    assert f"{len(ref['only_here'])} mounts only the host has" in " ".join(mounts.split())
