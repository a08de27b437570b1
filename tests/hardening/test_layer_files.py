"""docs/hardening.md, row 29: `nsview changes` on an overlay the test mounts itself, with what a
container can put in its upper layer: whiteouts, opaque directories (trusted. and, with
userxattr, user. xattrs), renamed directories and metacopy files, links out of the layer,
FIFOs, hostile names, a tree too deep. The kernel's own merged view, diffed against the lower
layer by an independent naive diff (tests/support/naive_diff.py), is the second source."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from nsview.model.changes import MAX_DEPTH
from tests.hardening import util
from tests.support import live
from tests.support.naive_diff import naive_changes, parents_first

pytestmark = pytest.mark.live


class Overlay:
    def __init__(self, base: Path, options: str) -> None:
        self.lower, self.upper, self.work, self.merged = (
            base / n for n in ("lower", "upper", "work", "merged")
        )
        self.options = options
        for d in (self.lower, self.upper, self.work, self.merged):
            d.mkdir(parents=True, exist_ok=True)
        self.pid: int | None = None

    def mount(self) -> None:
        opts = f"lowerdir={self.lower},upperdir={self.upper},workdir={self.work}"
        live.run(
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            ",".join(filter(None, [opts, self.options])),
            str(self.merged),
        )


@pytest.fixture
def overlay(tmp_path, spawn):
    """Factory: an overlay over a lower layer holding busybox and a few files; ``start`` runs a
    process chrooted into the merged tree (its root is the overlay). Unmounted after."""
    live.need(live.is_root(), "needs root to mount an overlay")
    made: list[Overlay] = []
    procs: list[subprocess.Popen] = []

    def _make(options: str = "", prepare=None) -> Overlay:
        o = Overlay(tmp_path / f"o{len(made)}", options)
        made.append(o)
        (o.lower / "bin").mkdir()
        shutil.copy2("/bin/busybox", o.lower / "bin" / "busybox")
        etc = o.lower / "etc"
        etc.mkdir()
        for name, text in (("motd", "hi\n"), ("passwd", "root:x:0:0\n"), ("keep", "k\n")):
            (etc / name).write_text(text)
        (etc / "app").mkdir()
        (etc / "app" / "a.conf").write_text("a\n")
        (o.lower / "data").mkdir()
        (o.lower / "data" / "old").write_text("old\n")
        if prepare:
            prepare(o)
        o.mount()
        p = spawn(["chroot", str(o.merged), "/bin/busybox", "sleep", "3600"])
        procs.append(p)
        o.pid = p.pid
        live.wait_for(lambda: os.readlink(f"/proc/{p.pid}/root") == str(o.merged) or None)
        return o

    yield _make
    for p in procs:
        live.kill_tree(p)
    for o in made:
        for _ in range(50):
            if subprocess.run(["umount", str(o.merged)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)


def _lines(r: subprocess.CompletedProcess, code: int = 0) -> list[str]:
    assert r.returncode == code, r.stdout + r.stderr
    return r.stdout.splitlines()


def _script(o: Overlay) -> None:
    m = o.merged
    (m / "etc" / "motd").write_text("changed\n")
    (m / "etc" / "passwd").unlink()
    (m / "etc" / "passwd").symlink_to("/etc/shadow")
    os.chmod(m / "etc" / "keep", 0o600)
    shutil.rmtree(m / "etc" / "app")
    (m / "etc" / "app").mkdir()
    (m / "etc" / "app" / "new.conf").write_text("n\n")
    (m / "data" / "old").unlink()
    os.mkfifo(m / "data" / "fifo")
    (m / "srv" / "deep").mkdir(parents=True)
    (m / "srv" / "deep" / "f").write_text("f\n")


@pytest.mark.parametrize("options", ["", "userxattr"])
def test_row29_whiteouts_and_opaque_dirs_match_the_kernels_merged_view(overlay, options, nsview_cmd):
    o = overlay(options)
    _script(o)
    prefix = "user" if options else "trusted"
    assert os.getxattr(o.upper / "etc" / "app", f"{prefix}.overlay.opaque") == b"y"  # the case is real
    assert os.stat(o.upper / "data" / "old", follow_symlinks=False).st_rdev == 0
    mine = _lines(nsview_cmd("changes", str(o.pid)))
    assert sorted(mine) == sorted(naive_changes(str(o.merged), str(o.lower)))
    assert {"D /etc/app/a.conf", "A /etc/app/new.conf", "D /data/old", "A /data/fifo"} <= set(mine)
    assert parents_first(mine) == []
    data = json.loads(nsview_cmd("changes", str(o.pid), "--json").stdout)
    assert data["layers"]["upper"] == str(o.upper) and data["layers"]["lower"] == [str(o.lower)]
    assert ("userxattr" in data["layers"]["options"]) == bool(options)


def test_row29_xattrs_of_the_other_namespace_are_not_read_as_opaque(overlay, nsview_cmd):
    """A user.overlay.opaque on a trusted-xattr mount means nothing to the kernel: nor to nsview."""

    def prepare(o: Overlay) -> None:
        (o.upper / "etc").mkdir()
        os.setxattr(o.upper / "etc", "user.overlay.opaque", b"y")
        (o.upper / "etc" / "new").write_text("x\n")

    o = overlay("", prepare)
    assert (o.merged / "etc" / "motd").exists()  # the kernel merges /etc: not opaque
    mine = _lines(nsview_cmd("changes", str(o.pid)))
    assert sorted(mine) == sorted(naive_changes(str(o.merged), str(o.lower))) == ["A /etc/new", "C /etc"]


def test_row29_hostile_names_print_inert(overlay, nsview_cmd):
    o = overlay()
    names = [
        "evil\nD _etc_shadow",
        "\x1b]0;owned\x07title",
        "\x1b[31mred",
        *util.MARKUP,
        "bidi\u202eexe.txt",
    ]
    for name in names:
        (o.merged / "srv").mkdir(exist_ok=True)
        (o.merged / "srv" / name.replace("/", "_")).write_text("x")
    os.close(os.open(os.fsencode(o.merged / "srv") + b"/bad\xffutf8", os.O_CREAT | os.O_WRONLY, 0o644))
    r = nsview_cmd("changes", str(o.pid))
    lines = _lines(r)
    assert len(lines) == 1 + len(names) + 1  # A /srv, one line per name: a newline stays on its line
    assert all(line.startswith("A /srv") for line in lines)
    util.assert_inert(r.stdout, forced=False)
    assert "A /srv/evil\\x0aD _etc_shadow" in lines and "A /srv/bad\\xffutf8" in lines
    for token in util.MARKUP:
        assert f"A /srv/{token.replace('/', '_')}" in lines
    data = json.loads(nsview_cmd("changes", str(o.pid), "--json").stdout)
    assert "/srv/evil\nD _etc_shadow" in {c["path"] for c in data["changes"]}  # JSON keeps the raw name
    summary = nsview_cmd("changes", str(o.pid), "--summary", "--no-color")
    util.assert_inert(summary.stdout, forced=False)


def test_row29_links_out_of_the_layer_and_fifos_are_never_followed_or_opened(overlay, nsview_cmd):
    """A link in a layer is listed as a link; a directory link is not descended (in the upper or
    the lowers); a FIFO is lstat'ed, never opened (the walk would hang)."""

    def prepare(o: Overlay) -> None:
        (o.lower / "hostetc").symlink_to("/etc")  # a lower "directory" that is a link to the host's
        (o.upper / "hostetc").mkdir()  # and an upper directory over it, as a tar layer can hold
        (o.upper / "hostetc" / "passwd").write_text("not the host's\n")
        (o.upper / "hostetc" / "hostname").write_text("x\n")

    o = overlay("", prepare)
    (o.merged / "escape").symlink_to("/")
    (o.merged / "shadow").symlink_to("/etc/shadow")
    os.mkfifo(o.merged / "fifo")
    r = nsview_cmd("changes", str(o.pid), timeout=60)
    mine = _lines(r)
    assert sorted(mine) == sorted(naive_changes(str(o.merged), str(o.lower)))
    # the host's /etc/passwd exists: had the lower link been followed, this would be C, not A
    assert {"C /hostetc", "A /hostetc/passwd", "A /hostetc/hostname", "A /escape", "A /fifo"} <= set(mine)
    assert not [line for line in mine if line.startswith("A /escape/")]


def test_row29_renamed_dirs_are_reported_and_metacopy_files_compared(overlay, nsview_cmd):
    o = overlay("redirect_dir=on,metacopy=on")
    os.rename(o.merged / "data", o.merged / "moved")
    os.chmod(o.merged / "etc" / "motd", 0o600)
    assert os.getxattr(o.upper / "moved", "trusted.overlay.redirect")  # the case is real
    assert "trusted.overlay.metacopy" in os.listxattr(o.upper / "etc" / "motd")
    r = nsview_cmd("changes", str(o.pid))
    mine = _lines(r, code=6)
    assert "moved" in r.stderr and "renamed directory" in r.stderr
    kernel = naive_changes(str(o.merged), str(o.lower))
    # everything but what the renamed directory holds from below
    assert sorted(mine) == sorted(line for line in kernel if not line.startswith("A /moved/"))
    assert "A /moved/old" in kernel and {"A /moved", "D /data", "C /etc/motd"} <= set(mine)
    data = json.loads(nsview_cmd("changes", str(o.pid), "--json").stdout)
    assert {c["path"]: c["differs"] for c in data["changes"]}["/etc/motd"] == ["mode"]
    assert [p["path"] for p in data["problems"]] == ["/moved"]
    assert "metacopy" in data["layers"]["options"] and "redirect_dir" in data["layers"]["options"]


def test_row29_a_tree_deeper_than_the_bound_is_cut_and_said(overlay, nsview_cmd):
    o = overlay()
    fd = os.open(o.merged, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(MAX_DEPTH + 5):
            os.mkdir("d", dir_fd=fd)
            nxt = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
    finally:
        os.close(fd)
    r = nsview_cmd("changes", str(o.pid))
    mine = _lines(r, code=6)
    assert len(mine) == MAX_DEPTH + 1 and mine[0] == "A /d"
    assert f"deeper than {MAX_DEPTH} levels" in r.stderr
    shutil.rmtree(o.merged / "d")


def test_row29_limit_stops_early(overlay, nsview_cmd):
    o = overlay()
    (o.merged / "many").mkdir()
    for i in range(50):
        (o.merged / "many" / f"f{i:02}").write_text("x")
    r = nsview_cmd("changes", str(o.pid), "--limit", "5")
    assert _lines(r) == ["A /many", "A /many/f00", "A /many/f01", "A /many/f02", "A /many/f03"]
    assert "--limit" in r.stderr
    data = json.loads(nsview_cmd("changes", str(o.pid), "--limit", "5", "--json").stdout)
    assert data["truncated"] is True and len(data["changes"]) == 5


def test_row29_not_an_overlay_is_one_line(nsview_cmd):
    r = nsview_cmd("changes", "1")
    assert r.returncode == 5 and r.stderr.count("\n") == 1 and "not an overlay" in r.stderr


def test_row08_non_root_changes_is_one_line_permission_denied(overlay, run_as_nobody):
    o = overlay()
    (o.merged / "x").write_text("x")
    r = run_as_nobody("changes", str(o.pid))
    assert r.returncode in (3, 4), r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_row29_a_capability_alone_is_a_change_and_a_no_op_copy_up_is_none(overlay, nsview_cmd):
    """setcap changes only an xattr (and ctime): docker lists it (C, "capability"), as the naive
    diff does; a chmod to the mode a file had copies it up and changes nothing: not listed."""
    o = overlay()
    # struct vfs_cap_data, revision 2: magic|effective, then permitted/inheritable of the two
    # 32-bit halves: cap_net_raw (13)
    cap = (0x02000001).to_bytes(4, "little") + (1 << 13).to_bytes(4, "little") + bytes(12)
    os.setxattr(o.merged / "bin" / "busybox", "security.capability", cap)
    os.chmod(o.merged / "etc" / "keep", 0o644)
    assert (o.upper / "etc" / "keep").exists() and os.getxattr(
        o.upper / "bin" / "busybox", "security.capability"
    ) == cap
    mine = _lines(nsview_cmd("changes", str(o.pid)))
    assert sorted(mine) == sorted(naive_changes(str(o.merged), str(o.lower))) == ["C /bin", "C /bin/busybox"]
    data = json.loads(nsview_cmd("changes", str(o.pid), "--json").stdout)
    assert data["changes"][1]["differs"] == ["capability"]
    podman = _lines(nsview_cmd("changes", str(o.pid), "--like", "podman"))
    assert "C /etc/keep" in podman and "C /bin/busybox" in podman  # podman lists every copy-up
