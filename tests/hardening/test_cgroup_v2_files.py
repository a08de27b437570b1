"""docs/hardening.md rows 43-45: the v2 files `nsview cgroup` reads beyond limits (memory.stat,
cpu.stat, the pressure files, cgroup.controllers) when they are hostile or truncated, when the
cgroup is removed between reads, and when one cannot be read."""

from __future__ import annotations

import json
import shutil
import stat
import uuid
from pathlib import Path

from nsview.collect.cgroup import collect_cgroup
from nsview.procfs import ProcFS, SysFS
from tests.hardening import util
from tests.support import live
from tests.support.paths import FIXTURES

V2 = FIXTURES / "cgroup-v2"
PID = 4242  # docker run -m 64m ... in the fixture: every v2 file is there


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    tree = tmp_path / "v2"
    shutil.copytree(V2, tree, symlinks=True)
    (scope,) = (tree / "sys/fs/cgroup/system.slice").glob("docker-a73d*")
    return tree, scope


def _run(nsview_run, tree: Path, *extra: str):
    return nsview_run(
        "cgroup", str(PID), "--proc-root", str(tree / "proc"), "--sys-root", str(tree / "sys"), *extra
    )


def test_row43_hostile_and_truncated_v2_files(tmp_path, nsview_run):
    tree, scope = _copy(tmp_path)
    (scope / "memory.stat").write_text("anon 1048576\nfile 20\x1b[31m[red]x")  # cut mid-line
    (scope / "cpu.stat").write_text("nr_periods 3\nnr_throttled 9\n")  # more throttled than periods
    (scope / "cpu.pressure").write_text("some avg10=1e999 avg60=0.00 avg300=0.00 total=1\n")
    (scope / "memory.pressure").write_text("some avg10=0.00 avg60=0.00 avg300=0.00 tot")  # short read
    (scope.parent / "cgroup.controllers").write_text("cpu mem\x1b]8;;x\x07ory\n")  # on the path
    r = _run(nsview_run, tree, "--json")
    util.no_traceback(r)
    data = json.loads(r.stdout)
    bad = {Path(k).name for k in data["errors"]}
    assert {"memory.stat", "cpu.stat", "cpu.pressure", "memory.pressure", "cgroup.controllers"} <= bad
    # each bad file costs its own row only
    assert data["memory"]["stat"] is None and data["cpu"]["stat"] is None
    assert data["memory"]["limit"] == {"bytes": 64 << 20, "unlimited": False}
    own = data["pressure"][0]
    assert own["cpu"] is None and own["memory"] is None and own["io"]["some"]["avg10"] == 0.0
    assert [st["controllers"] is None for st in data["delegation"]] == [False, True, False]
    text = _run(nsview_run, tree, "--no-color")
    util.no_traceback(text)
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout  # escapes shown inert
    assert "could not be read" in text.stdout


def test_row44_cgroup_removed_between_the_limits_and_the_v2_reads(tmp_path):
    """The scope disappears at its first memory.stat read (the container stopped): the rest of
    the v2 reads find nothing and the report says "gone", not "no PSI in this kernel"."""
    tree, scope = _copy(tmp_path)

    class RemovingSysFS(SysFS):
        def read_bytes(self, rel, limit=1 << 20):
            if scope.exists() and str(rel).endswith(f"{scope.name}/memory.stat"):
                shutil.rmtree(scope)
            return super().read_bytes(rel, limit)

    report = collect_cgroup(ProcFS(tree / "proc"), RemovingSysFS(tree / "sys"), PID)
    assert not scope.exists()
    assert report.gone and any("gone" in n for n in report.notes)
    assert report.pressure == () and report.pressure_reason == "the cgroup was removed while being read"
    assert not any(Path(k).name.endswith("pressure") for k in report.errors)


def test_row44_live_cgroup_removed_mid_read(spawn):
    base = util.cgroup_base("memory")
    live.need(live.is_root() and base is not None, "needs root and a memory cgroup")
    cg = base / f"nsview-r44-{uuid.uuid4().hex[:6]}"
    cg.mkdir()
    p = spawn(["sleep", "3600"])
    (cg / "cgroup.procs").write_text(str(p.pid))

    class RemovingSysFS(SysFS):
        def read_bytes(self, rel, limit=1 << 20):
            if cg.exists() and str(rel).endswith(f"{cg.name}/memory.stat"):
                (base / "cgroup.procs").write_text(str(p.pid))
                cg.rmdir()
            return super().read_bytes(rel, limit)

    try:
        report = collect_cgroup(ProcFS("/proc"), RemovingSysFS("/sys"), p.pid)
        assert not cg.exists()
        assert report.gone and any("gone" in n for n in report.notes)
        assert report.memory is not None and report.memory.stat is None  # read after removal: none
    finally:
        if cg.exists():
            (base / "cgroup.procs").write_text(str(p.pid))
            cg.rmdir()


def test_row45_unreadable_memory_stat_as_nobody(spawn, run_as_nobody):
    """A real cgroup file nobody may not read (cgroupfs keeps the mode chmod gives it)."""
    base = util.cgroup_base("memory")
    live.need(base is not None, "needs a memory cgroup")
    cg = base / f"nsview-r45-{uuid.uuid4().hex[:6]}"
    cg.mkdir()
    p = spawn(["sleep", "3600"])
    try:
        (cg / "cgroup.procs").write_text(str(p.pid))
        (cg / "memory.stat").chmod(stat.S_IRUSR)
        r = run_as_nobody("cgroup", str(p.pid), "--json")
        util.no_traceback(r)
        data = util.load_json(r)
        reason = next(v for k, v in data["errors"].items() if k.endswith(f"{cg.name}/memory.stat"))
        assert "permission denied" in reason
        assert data["memory"]["stat"] is None and data["memory"]["usage_bytes"] is not None
        text = run_as_nobody("cgroup", str(p.pid), "--no-color")
        util.no_traceback(text)
        assert text.returncode == r.returncode
        assert "memory.stat" in text.stdout and "permission denied" in text.stdout
    finally:
        (base / "cgroup.procs").write_text(str(p.pid))
        cg.rmdir()
