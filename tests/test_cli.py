"""The CLI contract every command shares: help, version, exit codes, JSON errors, no tracebacks.

Run as a user runs it, `python -m nsview ...`: in a subprocess (nsview_cmd) where the process
itself is the point (its exit status, a closed pipe, a full disk, colours and line width as the
environment sets them); in this process (nsview_run, the same main() and argv) for the rest.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version

import click
import pytest
import typer.main

import nsview
from nsview.cli import app
from nsview.errors import ExitCode
from tests.support.paths import FIXTURES

COMMANDS = typer.main.get_command(app).commands  # name -> click.Command


def _takes_target(cmd: click.Command) -> bool:
    return any(p.param_type_name == "argument" and p.name == "target" for p in cmd.params)


def _argv(name: str, *extra: str) -> list[str]:
    return [name, *(["1"] if _takes_target(COMMANDS[name]) else []), *extra]


def test_there_are_commands_and_tree_is_one():
    assert "tree" in COMMANDS


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_text(name, nsview_run):
    cmd = COMMANDS[name]
    assert (cmd.help or "").strip(), f"{name} has no help text"
    top = nsview_run("--help")
    assert top.returncode == 0
    assert name in top.stdout
    r = nsview_run(name, "--help")
    assert r.returncode == 0, r.stderr
    assert "Usage" in r.stdout and "--json" in r.stdout
    # the first sentence of the docstring is what the user reads
    first_words = " ".join(cmd.help.split()[:4])
    assert first_words in " ".join(r.stdout.replace("│", " ").split())


def test_version(nsview_run):
    r = nsview_run("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"nsview {nsview.__version__}"
    assert nsview.__version__ == version("nsview")  # the installed metadata agrees


def test_python_dash_m_and_console_script_agree(nsview_cmd):
    r = subprocess.run([sys.executable, "-m", "nsview", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("nsview ")
    import shutil

    script = shutil.which("nsview")
    if script:
        s = subprocess.run([script, "--version"], capture_output=True, text=True)
        assert s.stdout == r.stdout


def test_no_arguments_prints_help_not_a_traceback(nsview_run):
    r = nsview_run()
    assert "Usage" in r.stdout + r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_empty_proc_root_is_unsupported_one_line(name, nsview_cmd, tmp_path):
    # a real process: its exit status, for every command, is what the shell sees
    r = nsview_cmd(*_argv(name, "--proc-root", str(tmp_path)))
    assert r.returncode == ExitCode.UNSUPPORTED, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("nsview: ")
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_json_errors_are_json_with_the_same_exit_code(name, nsview_run, tmp_path):
    plain = nsview_run(*_argv(name, "--proc-root", str(tmp_path / "missing")))
    r = nsview_run(*_argv(name, "--proc-root", str(tmp_path / "missing"), "--json"))
    assert r.returncode == plain.returncode == ExitCode.UNSUPPORTED
    err = json.loads(r.stdout)["error"]
    assert err["exit_code"] == r.returncode
    assert err["type"] == "Unsupported" and err["message"]
    assert r.stderr == ""


@pytest.mark.live  # a pid that does not exist: the hint scans the live /proc for container ids
def test_json_no_such_process(nsview_cmd):
    pid = int(open("/proc/sys/kernel/pid_max").read()) + 1
    r = nsview_cmd("tree", str(pid), "--json")
    assert r.returncode == ExitCode.NO_SUCH_PROCESS
    assert json.loads(r.stdout) == {
        "error": {"type": "NoSuchProcess", "message": f"no such process: {pid}", "exit_code": 3}
    }


def test_json_usage_error(nsview_run):
    r = nsview_run("tree", "--json", "--", "-3")
    assert r.returncode == ExitCode.USAGE
    assert json.loads(r.stdout)["error"]["exit_code"] == 2


def test_fixture_tree_runs_with_hidden_proc_root(nsview_run):
    root = FIXTURES / "docker-hybrid" / "proc"
    r = nsview_run("tree", "9391", "--proc-root", str(root), "--json")
    assert r.returncode == 0
    assert json.loads(r.stdout)["lineage"] == [1, 9370, 9391]
    assert "--proc-root" not in nsview_run("tree", "--help").stdout  # hidden from users


def test_exit_codes_are_stable():
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0),
        ("ERROR", 1),
        ("USAGE", 2),
        ("NO_SUCH_PROCESS", 3),
        ("ACCESS_DENIED", 4),
        ("UNSUPPORTED", 5),
        ("PARTIAL", 6),
        ("NOT_FOUND", 7),
        ("AMBIGUOUS", 8),
        ("NOT_RUNNING", 9),  # a container that exists on disk but does not run
        ("BAD_SNAPSHOT", 10),  # --from FILE: an archive refused (docs/hardening.md, row 26)
        ("NOT_EXECUTABLE", 126),  # added for nsview exec, as a shell numbers them
        ("COMMAND_NOT_FOUND", 127),
    ]


@pytest.mark.live  # the live pid 2 and its children
def test_broken_pipe_is_quiet(tmp_path):
    # `nsview tree 1 | head -1` must not end in a BrokenPipeError traceback
    p = subprocess.Popen(
        [sys.executable, "-m", "nsview", "tree", "2", "--no-color"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, COLUMNS="80"),
    )
    p.stdout.read(10)
    p.stdout.close()
    _, err = p.communicate()
    assert b"Traceback" not in err


@pytest.mark.live  # this process's lineage, up to the live pid 1
def test_unwritable_output_is_one_line_not_a_traceback():
    # a full disk (or a closed terminal) behind stdout: one line, exit 1
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [sys.executable, "-m", "nsview", "tree", str(os.getpid()), "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert r.returncode == ExitCode.ERROR
    assert r.stderr.strip().splitlines() == ["nsview: cannot write the output: No space left on device"]


@pytest.mark.live  # this process's lineage, up to the live pid 1
@pytest.mark.parametrize("how", [("--no-color",), ()], ids=["--no-color", "NO_COLOR"])
def test_plain_means_no_escape_codes_at_all(how):
    # FORCE_COLOR stands in for a terminal; plain output must not carry even bold or dim
    env = dict(os.environ, FORCE_COLOR="1", COLUMNS="120")
    if not how:
        env["NO_COLOR"] = "1"
    r = subprocess.run(
        [sys.executable, "-m", "nsview", "tree", str(os.getpid()), *how],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0 and "◀ target" in r.stdout
    assert "\x1b" not in r.stdout
    forced = subprocess.run(
        [sys.executable, "-m", "nsview", "tree", str(os.getpid())],
        capture_output=True,
        text=True,
        env=dict(os.environ, FORCE_COLOR="1", COLUMNS="120"),
    )
    assert "\x1b[" in forced.stdout  # the check above could fail: colours do exist


@pytest.mark.live  # this process's lineage, up to the live pid 1
def test_piped_output_keeps_whole_lines():
    # like ps and pstree: into a pipe, no 80-column wrapping that grep would then miss
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    me = os.getpid()
    r = subprocess.run(
        [sys.executable, "-m", "nsview", "tree", str(me), "--depth", "0"],
        capture_output=True,
        text=True,
        env=env,
    )
    args = open(f"/proc/{me}/cmdline", "rb").read().rstrip(b"\0").split(b"\0")[1:]
    line = next(ln for ln in r.stdout.splitlines() if f",{me} " in ln)
    assert " ".join(a.decode() for a in args) in line


EDGE_PROC = str(FIXTURES / "edge-shapes" / "proc")


@pytest.mark.parametrize(
    "how, env, coloured",
    [
        (["--color=always"], {}, True),
        (["--color=always"], {"NO_COLOR": "1"}, True),  # an explicit flag wins over the variable
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        (["--color=auto"], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ([], {}, False),  # auto, into a pipe
    ],
)
def test_color_modes(how, env, coloured, nsview_cmd):
    """--color=auto|always|never as git and util-linux have it (docs/commands.md)."""
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    r = nsview_cmd("tree", "--proc-root", EDGE_PROC, "5001", *how, env={**clean, **env})
    assert r.returncode == 0, r.stderr
    assert ("\x1b[" in r.stdout) is coloured
    # the words are the same either way
    plain = nsview_cmd("tree", "--proc-root", EDGE_PROC, "5001", "--no-color").stdout
    assert re.sub(r"\x1b\[[0-9;]*m", "", r.stdout) == plain


def test_color_always_with_no_color_is_a_usage_error(nsview_run):
    r = nsview_run("tree", "--proc-root", EDGE_PROC, "5001", "--color=always", "--no-color")
    assert r.returncode == ExitCode.USAGE and "contradict" in r.stderr and r.stdout == ""


@pytest.mark.parametrize("name", [c.name for c in typer.main.get_command(app).commands.values()])
def test_every_command_takes_color(name, nsview_run):
    r = nsview_run(name, "--help")
    assert "--color" in r.stdout and "--no-color" in r.stdout


@pytest.mark.parametrize("argv", [(), ("--help",), ("-h",)])
@pytest.mark.parametrize("columns", ["80", "200"])
def test_the_command_list_is_the_same_when_only_listed(argv, columns, nsview_run, monkeypatch):
    """`nsview --help` builds no command's parameters (nsview/cli.py, _commands_to_build): what
    it prints must be what the whole command tree prints."""
    from nsview import cli

    fast = nsview_run(*argv, env={"COLUMNS": columns})
    monkeypatch.setattr(cli, "_listed_only", lambda info: info)  # the whole tree, as before
    full = nsview_run(*argv, env={"COLUMNS": columns})
    assert fast.returncode == full.returncode
    shown = fast.stdout + fast.stderr  # no arguments: the help goes to stderr, exit 2
    assert "tree" in shown and "snapshot" in shown
    assert (fast.stdout, fast.stderr) == (full.stdout, full.stderr)


def test_a_listed_command_is_never_run():
    from nsview import cli

    info = next(c for c in app.registered_commands if c.callback and c.callback.__name__ == "tree")
    listed = cli._listed_only(info)
    assert listed.callback is not None and listed.callback.__name__ == "tree"
    assert listed.callback.__doc__ == info.callback.__doc__
    assert info.callback.__name__ == "tree"  # the original is left as it was
    with pytest.raises(AssertionError):
        listed.callback()
