"""The hand-made fixture trees are exactly what their generators in scripts/ write (no hand edits).

Each generator runs, as fixtures/README.md says to run it, with ``--out`` pointing into a temporary
directory (and from inside it, so a cwd-relative path could not reach fixtures/ either); the
folders it writes must be the committed ones, byte for byte, symlink for symlink, path for path.
When this fails after an intended fixture change, change the generator and run it (see
fixtures/README.md) rather than editing the tree by hand.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.paths import FIXTURES, REPO
from tests.support.trees import assert_same_tree

SCRIPTS = REPO / "scripts"

# generator -> the committed folders it owns (globs over fixtures/)
GENERATORS = {
    "make_cgroup_fixtures.py": ("cgroup-*",),
    "make_changes_fixture.py": ("changes-overlay",),
    "make_container_fixtures.py": ("containers-*",),
    "make_cri_fixtures.py": ("cri-*", "nested-*", "dockerd-*"),
    "make_edge_fixture.py": ("edge-shapes",),
    "make_mounts_fixture.py": ("mounts-shapes",),
    "make_privileges_fixture.py": ("privileges-shapes",),
}


@pytest.mark.parametrize("script", sorted(GENERATORS))
def test_generator_reproduces_the_committed_trees(script, tmp_path):
    out = tmp_path / "fixtures"
    out.mkdir()
    subprocess.run(
        [sys.executable, str(SCRIPTS / script), "--out", str(out)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    committed = sorted(p.name for glob in GENERATORS[script] for p in FIXTURES.glob(glob) if p.is_dir())
    written = sorted(p.name for p in out.iterdir())
    assert committed, f"no committed fixtures/{GENERATORS[script]}"
    assert written == committed, f"{script} writes {written}, fixtures/ holds {committed}"
    for name in committed:
        assert_same_tree(FIXTURES / name, out / name)


def test_readme_gives_each_generators_command():
    readme = (FIXTURES / "README.md").read_text()
    for script in GENERATORS:
        assert f"python scripts/{script}`" in readme, script
