"""The default `nsview diff` of a Docker container fits a screen (about 50 lines at 120 columns)
and loses no difference: each row its `--json` shows differing, isolated or with a finding is
named in the text (tests/support/diff_rows.py), and the memory limit it shows is the one
`docker inspect` says the container was given."""

from __future__ import annotations

import json
import re

import pytest

from tests.support import diff_rows, live

pytestmark = pytest.mark.docker

MAX_LINES = 55  # the aim of docs/commands.md, nsview diff: one screen, about 50 lines


def test_default_diff_of_a_limited_container_fits_and_names_every_difference(docker_run, nsview_cmd):
    name = live.unique_name("nsv-short")
    info = docker_run(
        "--name",
        name,
        "--hostname",
        "webhost",
        "--memory",
        "64m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "100",
        cmd=("sh", "-c", "sleep 3600 & exec sleep 3600"),
    )
    r = nsview_cmd("diff", "--no-color", name, env={"COLUMNS": "120"})
    assert r.returncode == 0, r.stderr
    text = r.stdout
    lines = text.splitlines()
    assert len(lines) <= MAX_LINES, text
    assert all(len(x.rstrip()) <= 120 for x in lines), text
    doc = json.loads(nsview_cmd("diff", "--json", name).stdout)
    exp = diff_rows.expected(doc)
    assert exp.rows["Namespaces"] and exp.collapsed["Namespaces"] and exp.rows["Limits (cgroup)"]
    assert diff_rows.problems(text, doc) == [], text

    # the second source: what docker was told, against the row and the JSON
    memory = info["HostConfig"]["Memory"]
    assert memory == 64 * 1024 * 1024
    assert doc["sections"]["limits"]["target"]["limits"]["memory"]["value"] == memory
    assert re.search(r"^memory\s+unlimited\s+64 MiB\s+differs\s*$", text, re.M), text
    assert info["Config"]["Hostname"] == "webhost" and re.search(
        r"^hostname\s+\S+\s+webhost\s+differs", text, re.M
    )
    # each classic line fits one line at 120 columns, but Privileges', broken between commands
    for line in lines:
        if "classic: " in line:
            assert len(line.rstrip()) <= 120
    cid = info["Id"]
    # the cgroup, spelled once (as the --json says it), that the classic lines refer to
    cgroup = doc["sections"]["limits"]["target"]["cgroup"]
    assert cid in cgroup and re.search(rf"(^|  )T={re.escape(cgroup)}(  |$)", text, re.M), text
    assert text.count(cid) == 1  # nowhere else whole (the mount sources cut it to 12 digits)
    assert re.search(r"classic: cat /sys/fs/cgroup\S*\$T/memory\.", text), text
