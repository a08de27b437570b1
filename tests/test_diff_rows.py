"""Short is not lossy: on each fixture tree with diff goldens, every row `nsview diff --json`
shows differing, isolated or with a finding is named in the text, on a row of its own (a
finding on the findings list), and every row equal on both sides is named on its section's
collapsed line (tests/support/diff_rows.py works both out from the JSON values)."""

from __future__ import annotations

import json

import pytest

from tests.support import diff_rows
from tests.support.paths import FIXTURES

SHAPES = (
    "--proc-root",
    str(FIXTURES / "mounts-shapes" / "proc"),
    "--sys-root",
    str(FIXTURES / "cgroup-v2" / "sys"),
)
PRIVS = (
    "--proc-root",
    str(FIXTURES / "privileges-shapes" / "proc"),
    "--sys-root",
    str(FIXTURES / "privileges-shapes" / "sys"),
)
CASES = [
    pytest.param(SHAPES, "4242", id="mounts-shapes-4242"),
    *(pytest.param(PRIVS, pid, id=f"privileges-shapes-{pid}") for pid in ("4100", "4200", "4300")),
]


@pytest.mark.parametrize("width", ["80", "200"])
@pytest.mark.parametrize(("roots", "pid"), CASES)
def test_every_difference_is_named_and_every_equal_row_collapsed(nsview_run, roots, pid, width):
    doc = json.loads(nsview_run("diff", "--json", *roots, pid).stdout)
    text = nsview_run("diff", "--no-color", *roots, pid, env={"COLUMNS": width}).stdout
    exp = diff_rows.expected(doc)
    # the fixtures hold both kinds, so the checks below can fail either way
    assert any(exp.rows.values()) and any(exp.collapsed.values()) and exp.findings
    assert diff_rows.problems(text, doc) == []


def test_the_checker_sees_a_lost_row(nsview_run):
    """The check itself: a text with a differing row taken out, or an equal row's name taken off
    its collapsed line, is caught."""
    doc = json.loads(nsview_run("diff", "--json", *PRIVS, "4300").stdout)
    text = nsview_run("diff", "--no-color", *PRIVS, "4300", env={"COLUMNS": "200"}).stdout
    assert diff_rows.problems(text, doc) == []
    lines = text.splitlines(keepends=True)
    without = "".join(x for x in lines if not x.startswith("seccomp "))
    assert any("'seccomp' differs" in p for p in diff_rows.problems(without, doc))
    [equal] = [x for x in lines if x.startswith("equal: ") and " no_new_privs " in x]
    unnamed = text.replace(equal, equal.replace("no_new_privs", "nnp"))
    assert any("'no_new_privs' is equal" in p for p in diff_rows.problems(unnamed, doc))
