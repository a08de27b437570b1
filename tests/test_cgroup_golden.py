"""Golden outputs of `nsview cgroup` on fixture trees, what a person sees: every v2 row (memory.low
and memory.min, memory.events, the memory.stat breakdown, cpu.stat throttling, pressure,
delegation), and the v1 rows with "not on v1" where v1 has no equivalent. Regenerate with
`python -m pytest tests/test_cgroup_golden.py --regen-golden` and read the diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.paths import FIXTURES

GOLDEN = Path(__file__).resolve().parent / "golden"

CASES = [
    pytest.param("cgroup-v2", 4242, id="v2-docker-every-row"),
    pytest.param("cgroup-v2", 4646, id="v2-memory-not-delegated"),
    pytest.param("cgroup-v1", 5000, id="v1-docker"),
]


def _check(path: Path, actual: str, regen: bool) -> None:
    if regen or not path.exists():
        path.write_text(actual)
    assert actual == path.read_text(), f"output differs from {path.name} (regenerate with --regen-golden)"


def _roots(tree: str) -> list[str]:
    return ["--proc-root", str(FIXTURES / tree / "proc"), "--sys-root", str(FIXTURES / tree / "sys")]


@pytest.mark.parametrize("tree, pid", CASES)
def test_cgroup_text_golden(nsview_run, regen_golden, tree, pid):
    r = nsview_run("cgroup", str(pid), "--no-color", *_roots(tree), env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert r.returncode == 0, r.stderr
    _check(GOLDEN / f"cgroup-{tree}-{pid}.txt", r.stdout, regen_golden)


@pytest.mark.parametrize("tree, pid", CASES)
def test_cgroup_json_golden(nsview_run, regen_golden, tree, pid):
    r = nsview_run("cgroup", str(pid), "--json", *_roots(tree))
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    _check(
        GOLDEN / f"cgroup-{tree}-{pid}.json", json.dumps(data, indent=2, sort_keys=True) + "\n", regen_golden
    )


def test_v2_rows_are_the_fixture_files():
    """The golden's numbers, from the fixture files themselves (the generator wrote them)."""
    d = FIXTURES / "cgroup-v2/sys/fs/cgroup/system.slice"
    (scope,) = [p for p in d.iterdir() if p.name.startswith("docker-a73d")]
    text = (GOLDEN / "cgroup-cgroup-v2-4242.txt").read_text()
    stat = dict(line.split() for line in (scope / "cpu.stat").read_text().splitlines())
    pct = 100 * int(stat["nr_throttled"]) / int(stat["nr_periods"])
    assert f"{pct:g}% of periods  ({stat['nr_throttled']} of {stat['nr_periods']}" in text
    some = (scope / "cpu.pressure").read_text().split()[1:4]
    assert "some " + " ".join(x.split("=")[1] for x in some) in text
    assert (
        int((scope / "memory.low").read_text()) == 32 << 20
        and "low (protection)                32 MiB" in text
    )
