"""`nsview diff`'s short text spells each side's cgroup once as a shell assignment (`T=...`)
that its classic lines then use (docs/hardening.md rows 50 and 51): a hostile cgroup name must
not turn a pasted line into a command, and a cgroup path must replace only itself."""

from __future__ import annotations

import re
import subprocess
import uuid

from nsview.model.diff import Limits, Pair, Reading
from nsview.render.text.diff import CgroupVars
from tests.hardening import util
from tests.support import live


def test_row50_hostile_cgroup_name_is_quoted_and_never_substituted(spawn, nsview_cmd, tmp_path):
    base = util.cgroup_base("memory")
    live.need(live.is_root() and base is not None, "needs root and a memory cgroup")
    tag = uuid.uuid4().hex[:6]
    marker = tmp_path / f"pwned-{tag}"
    # a cgroup name cannot hold "/": the command would touch a file in the shell's cwd
    name = f"nsv-r50 $(touch {marker.name}); `touch {marker.name}` '{tag}"
    cg = base / name
    cg.mkdir()
    try:
        p = spawn(["sleep", "600"])
        (cg / "cgroup.procs").write_text(str(p.pid))
        # the second source: the kernel's own line for the process
        [line] = [
            x for x in open(f"/proc/{p.pid}/cgroup").read().splitlines() if re.match(r"\d+:[^:]*memory", x)
        ]
        path = line.split(":", 2)[2]
        assert path.endswith(name)
        text = nsview_cmd("diff", "--no-color", str(p.pid), env={"COLUMNS": "250"}).stdout
        limits = text[text.index("\nLimits (cgroup)") : text.index("\nPrivileges")]
        [assign] = re.findall(r"T=\S.*?(?=  H=|  R=|$)", limits, re.M)
        # pasted into a shell, the line assigns the path and runs nothing
        r = subprocess.run(
            ["sh", "-c", f'{assign}\nprintf %s "$T"'], capture_output=True, text=True, cwd=tmp_path
        )
        assert r.returncode == 0 and r.stdout == path, (assign, r)
        assert not marker.exists()
        # a path that needs quoting is never referred to as $T: the classic lines spell it
        for classic in re.findall(r"classic: .*", text):
            assert "$T" not in classic
        assert name in limits.split("classic: ", 1)[1]
    finally:
        live.kill_and_rmdir_cgroup(cg)
    assert not marker.exists()


def _vars(target: str, reference: str) -> CgroupVars:
    return CgroupVars(Pair(Reading(Limits(reference, {})), Reading(Limits(target, {}))), against=False)


def test_row51_a_cgroup_path_replaces_whole_components_of_its_own_directory_only():
    v = _vars("/docker/ab", "/docker")
    classic = (
        "cat /sys/fs/cgroup/memory/docker/ab/memory.max   vs   cat /sys/fs/cgroup/memory/docker/memory.max; "
        "cat /sys/fs/cgroup/memory/docker/abc/memory.max; cat /srv/docker/ab/memory.max; "
        "cat /sys/fs/cgroup/memory/docker/ab/sub/memory.max"
    )
    out = v.shorten(classic)
    assert out is not None
    parts = out.split("; ")
    # the target's own file, and the reference's: each by its variable
    assert parts[0] == "cat /sys/fs/cgroup/memory$T/memory.max   vs   cat /sys/fs/cgroup/memory$H/memory.max"
    # a longer name that starts the same, a path outside /sys/fs/cgroup, a child cgroup: untouched
    assert parts[1:] == [
        "cat /sys/fs/cgroup/memory/docker/abc/memory.max",
        "cat /srv/docker/ab/memory.max",
        "cat /sys/fs/cgroup/memory/docker/ab/sub/memory.max",
    ]
    # the root cgroup is never a variable ("/" would match every path)
    assert _vars("/", "/").shorten(classic) == classic
