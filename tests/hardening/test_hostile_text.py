"""docs/hardening.md, rule 1 and rows 4, 5, 21: whatever text a process or container controls (comm, argv,
hostname, cgroup names, mount paths and sources) prints inert through every command, and the JSON
keeps the raw value."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psutil
import pytest

from tests.hardening import util
from tests.hardening.conftest import ARGS, HOSTNAME
from tests.support import live
from tests.support.mounts import findmnt

CGROUP_MARKUP = ("[red]x", "[link=evil]", ":smile:")  # what a cgroup name can carry
_raw = lambda b: b.decode("utf-8", "backslashreplace")  # noqa: E731  how nsview decodes kernel bytes


# changes: what a container names there is its upper layer's files, not its comm or mounts:
# row 29 (test_layer_files.py::test_row29_hostile_names_print_inert)
@pytest.mark.parametrize("command", sorted(set(util.COMMANDS) - {"changes"}))
def test_row21_hostile_names_print_inert_in_every_command(command, hostile, nsview_cmd):
    argv = util.argv_for(command, hostile.pid)
    # ps: wide enough that the hostile hostname is not folded across lines (its markup must be
    # found whole); what a narrow terminal does is test_ps_render.py's
    wide = {"COLUMNS": "320"} if command == "ps" else None
    if command == "tree":  # cut to the width, the line stays inert; whole (--wide) it is all there
        for mode, r in util.run_modes(nsview_cmd, argv, env={"COLUMNS": "60"}):
            util.no_traceback(r)
            util.assert_inert(r.stdout + r.stderr, forced=(mode == "forced"))
        argv = [*argv, "--wide"]
    for mode, r in util.run_modes(nsview_cmd, argv, env=wide):
        util.no_traceback(r)
        assert r.returncode in (0, 6), (mode, r.returncode, r.stderr)
        util.assert_inert(r.stdout + r.stderr, forced=(mode == "forced"))
        util.assert_literal(r.stdout, CGROUP_MARKUP if command == "cgroup" else util.MARKUP)
        # the escapes are still there, made visible
        assert "\\x1b" in r.stdout, mode

    data = util.load_json(nsview_cmd(*argv, "--json"))
    # the JSON keeps the raw values, compared with what the kernel says independently
    if command == "tree":
        node = data["tree"]
        while not node["target"]:
            (node,) = [c for c in node["children"] if c["target"] or _has_target(c)]
        assert node["name"] == _raw(Path(f"/proc/{hostile.pid}/comm").read_bytes()[:-1])
        assert node["args"][-len(ARGS) :] == list(ARGS) == psutil.Process(hostile.pid).cmdline()[-len(ARGS) :]
    elif command == "cgroup":
        assert util.json_contains(data, hostile.cgroup_name)
        own = Path(f"/proc/{hostile.pid}/cgroup").read_text()
        assert hostile.cgroup_name in own  # the kernel agrees on the raw name
    elif command == "diff":
        nsenter = subprocess.run(["nsenter", "-t", str(hostile.pid), "-u", "hostname"], capture_output=True)
        assert nsenter.stdout.rstrip(b"\n") == HOSTNAME
        assert data["sections"]["uts"]["target"]["hostname"] == _raw(HOSTNAME)
        assert util.json_contains(data, hostile.mount_path)
        assert util.json_contains(data, hostile.mount_source)
    elif command == "mounts":
        (m,) = [m for m in data["mounts"] if m["target"] == hostile.mount_path]
        assert m["mount_source"] == hostile.mount_source
        (fm,) = [
            f
            for f in findmnt("--list", "-N", str(hostile.pid), "-o", "TARGET,SOURCE")
            if f["source"] == m["source"]
        ]
        assert fm["target"] == hostile.mount_path  # findmnt decodes the same path
    else:
        rows = [c for c in data["containers"] if c["init_pid"] == hostile.pid]
        assert len(rows) == 1 and rows[0]["hostname"] == _raw(HOSTNAME)


def _has_target(node) -> bool:
    return node["target"] or any(_has_target(c) for c in node["children"])


def test_rule1_every_string_is_hostile_in_the_renderers():
    """Render models that carry every kind of hostile text straight through the renderers to a
    Console (markup parsing left at rich's default, as a careless caller would): no MarkupError,
    no raw control, no emoji, the literal text visible."""
    from rich.console import Console

    from nsview.model.process import NamespaceRef, Process
    from nsview.model.tree import ProcessTree, TreeNode
    from nsview.render.sanitize import escape, safe
    from nsview.render.text.tree import render_tree

    evil = "".join(util.MARKUP) + util.CONTROLS + "\udcff"
    # the sanitizer alone: every class of control becomes visible, nothing else changes
    assert escape("plain [red]x :smile:") == "plain [red]x :smile:"
    assert escape("\x1b\x07\t\n\x7f\u0085\u009b") == "\\x1b\\x07\\x09\\x0a\\x7f\\x85\\x9b"
    assert escape("\u202e\u2066\u200b\ufeff") == "\\u{202e}\\u{2066}\\u{200b}\\u{feff}"
    assert safe(evil).plain == escape(evil) and safe(evil).spans == []

    proc = Process(
        pid=7,
        ppid=0,
        comm=evil[:15],
        args=(evil, evil),
        state="S",
        kernel_thread=False,
        starttime=1,
        namespaces={"uts": NamespaceRef("uts", 4026531838)},
        errors={"namespaces": evil},
    )
    tree = ProcessTree(target=7, root=TreeNode(proc, is_target=True), lineage=(7,), notes=(evil,))
    for forced in (False, True):
        console = Console(
            width=300,
            force_terminal=forced,
            color_system="truecolor" if forced else None,
            record=False,
            file=open(os.devnull, "w"),
        )
        with console.capture() as cap:
            console.print(render_tree(tree))
        out = cap.get()
        util.assert_inert(out, forced=forced)
        util.assert_literal(out)
        assert "😄" not in out


def test_row04_comm_with_parens_newline_and_invalid_utf8(helper, nsview_cmd):
    code = (
        "import ctypes,sys,time; libc=ctypes.CDLL(None)\n"
        "libc.prctl(15, b'a) S 1 (b\\n\\xff\\xfe0123456789', 0, 0, 0)\n"  # >15 bytes: truncated
        "print('ready', flush=True); time.sleep(3600)"
    )
    p = helper(code)
    raw = Path(f"/proc/{p.pid}/comm").read_bytes()[:-1]
    assert raw == b"a) S 1 (b\n\xff\xfe012"  # the kernel kept 15 bytes (TASK_COMM_LEN - 1)
    data = util.load_json(nsview_cmd("tree", str(p.pid), "--json", "--depth", "0"))
    node = util.target_node(data["tree"])
    assert node["name"] == _raw(raw)
    assert node["ppid"] == psutil.Process(p.pid).ppid() == os.getpid()
    assert node["state"] == psutil.Process(p.pid).status()[0].upper()
    # a second writer: the process writes its own /proc/self/comm (others get EINVAL)
    p = helper(
        "import time; open('/proc/self/comm', 'wb').write(b'x) R 99 (y'); print('ready', flush=True); time.sleep(3600)"
    )
    node = util.target_node(util.load_json(nsview_cmd("tree", str(p.pid), "--json"))["tree"])
    assert node["name"] == "x) R 99 (y" == psutil.Process(p.pid).name()
    assert node["ppid"] == os.getpid()
    for mode, r in util.run_modes(nsview_cmd, ["tree", str(p.pid)]):
        assert r.returncode == 0
        util.assert_inert(r.stdout, forced=mode == "forced")
        assert "x) R 99 (y" in r.stdout


_SLEEP = "import time; print('ready', flush=True); time.sleep(3600)"
_REWRITE = r"""
$0 = "nginx: worker process [red]x";
print "ready\n"; $| = 1; sleep 3600;
"""


@pytest.mark.parametrize("case", ["setproctitle_rewrite", "trailing_empty_args", "huge", "spaces_in_one_arg"])
def test_row05_cmdline_shapes(case, spawn, helper, nsview_cmd):
    if case == "setproctitle_rewrite":
        live.need(bool(__import__("shutil").which("perl")), "needs perl (its $0 rewrites argv in place)")
        p = spawn(["perl", "-e", _REWRITE], stdout=subprocess.PIPE)
        p.stdout.readline()
    elif case == "trailing_empty_args":
        p = helper(_SLEEP, "", "")
    elif case == "huge":
        p = helper(_SLEEP, *["y" * 100_000] * 4)  # 400 KB of argv (each arg < MAX_ARG_STRLEN)
    else:
        p = helper(_SLEEP, "a b  c")
    raw = Path(f"/proc/{p.pid}/cmdline").read_bytes()
    r = nsview_cmd("tree", str(p.pid), "--json")
    assert r.returncode == 0, r.stderr
    node = util.target_node(util.load_json(r)["tree"])
    expected = psutil.Process(p.pid).cmdline()
    if case == "huge":
        assert len(raw) > 256 * 1024 and node["args_truncated"] is True
        assert node["args"][:2] == expected[:2] and "".join(node["args"]) in "".join(expected)
        text = nsview_cmd("tree", str(p.pid), "--no-color")
        assert "(truncated)" in text.stdout
    elif case == "trailing_empty_args":
        assert raw.endswith(b"\x00\x00\x00") and expected[-2:] == ["", ""]
        # trailing empty arguments cannot be told from NUL padding (documented in cmdline.py)
        assert node["args"] == expected[:-2] and node["args"][-1] == _SLEEP
        assert node["args_truncated"] is False
    elif case == "setproctitle_rewrite":
        assert b"\x00" not in raw.rstrip(b"\x00")  # one space-separated title, as nginx leaves it
        assert node["args"] == expected == ["nginx:", "worker", "process", "[red]x"]
        out = nsview_cmd("tree", str(p.pid), "--no-color").stdout
        assert "worker process [red]x" in out
    else:
        assert node["args"] == expected and expected[-1] == "a b  c"
