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
