"""The console script's entry (nsview/launch.py): `nsview --help` from the stored page must be
what typer prints, byte for byte, and everything else must reach typer (docs/design.md,
"Start-up"); the exit without teardown (`launch.leave`) must lose nothing and end as the
interpreter's exit would. The second source is typer itself (`nsview.cli.main` under the
interpreter's own exit), run in a fresh interpreter each time."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from nsview import launch
from nsview.errors import ExitCode

REPO = Path(__file__).resolve().parent.parent

# argv[0] is "nsview", as the console script leaves it; the last line says whether typer loaded,
# written by an atexit callback: launch.leave ends the process itself and must still run it
_RUN = """
import atexit, sys
sys.path.insert(0, {repo!r})
sys.argv = ["nsview", *{args!r}]
atexit.register(lambda: sys.stderr.write("\\ntyper loaded: %s" % ("typer" in sys.modules)))
from nsview.{module} import main
main()
"""


def _run(module: str, *args: str, columns: str | None, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    # PYTHONUNBUFFERED off: stdout buffered, as a user's shell has it, so that what is still in
    # the buffer at the exit is what the exit writes (launch.leave)
    env = {
        k: v for k, v in os.environ.items() if k not in ("COLUMNS", "_NSVIEW_COMPLETE", "PYTHONUNBUFFERED")
    }
    if columns is not None:
        env["COLUMNS"] = columns
    code = _RUN.format(repo=str(REPO), args=list(args), module=module)
    return subprocess.run(
        [sys.executable, "-c", code], stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, timeout=60
    )


def _typer_loaded(r: subprocess.CompletedProcess) -> bool:
    return r.stderr.rsplit("\n", 1)[-1] == "typer loaded: True"


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("columns", ["80", "200", None], ids=["80", "200", "pipe"])
def test_the_stored_page_is_what_typer_prints(flag, columns):
    stored = _run("launch", flag, columns=columns)
    typer = _run("cli", flag, columns=columns)
    assert not _typer_loaded(stored), "the stored page was not taken"
    assert _typer_loaded(typer)
    assert stored.returncode == typer.returncode == 0
    assert stored.stdout == typer.stdout
    assert "Commands:" in stored.stdout and "snapshot" in stored.stdout


def test_row55_a_narrow_terminal_is_left_to_typer_and_gets_its_wrapping():
    narrow = _run("launch", "--help", columns="60")
    assert _typer_loaded(narrow)
    assert narrow.stdout == _run("cli", "--help", columns="60").stdout
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 58


@pytest.mark.parametrize(
    "args",
    [["--version"], ["tree", "--help"], ["--help", "tree"], ["--hel"], ["-h", "-h"], [], ["nosuch"]],
    ids=repr,
)
def test_every_other_argv_reaches_typer(args):
    ours = _run("launch", *args, columns="200")
    assert _typer_loaded(ours)
    typer = _run("cli", *args, columns="200")
    assert (ours.returncode, ours.stdout, ours.stderr) == (typer.returncode, typer.stdout, typer.stderr)


@pytest.mark.parametrize("columns", ["80", "60"], ids=["stored page", "typer"])
def test_row55_help_into_a_full_disk_is_one_line(columns):
    # before, typer's own help write ended in an OSError traceback
    with open("/dev/full", "w") as full:
        r = _run("launch", "--help", columns=columns, stdout=full)
    said = r.stderr.rsplit("\n", 1)[0].strip().splitlines()
    assert r.returncode == ExitCode.ERROR
    assert said == ["nsview: cannot write the output: No space left on device"]


def test_row55_help_into_a_closed_pipe_is_quiet():
    env = dict(os.environ, COLUMNS="80")
    code = _RUN.format(repo=str(REPO), args=["--help"], module="launch")
    read, write = os.pipe()
    os.close(read)  # the reader left before nsview wrote
    p = subprocess.run([sys.executable, "-c", code], stdout=write, stderr=subprocess.PIPE, text=True, env=env)
    os.close(write)
    assert "Traceback" not in p.stderr
    assert p.returncode == ExitCode.ERROR


@pytest.mark.parametrize("value", ["", "abc", "0", "-5", "79", "80", "132", " 90 "])
def test_row55_columns_is_read_as_shutil_reads_it(value, monkeypatch):
    monkeypatch.setenv("COLUMNS", value)
    assert launch._columns() == shutil.get_terminal_size().columns


def test_the_installed_script_starts_at_the_launcher():
    scripts = {e.name: e.value for e in entry_points(group="console_scripts") if e.name == "nsview"}
    assert scripts == {"nsview": "nsview.launch:main"}


# ---- the exit without teardown (launch.leave; docs/design.md, "Start-up") -------------------


@pytest.fixture
def sleeper():
    p = subprocess.Popen(["sleep", "60"])
    yield p.pid
    p.kill()
    p.wait()


def test_a_command_through_the_launcher_writes_all_it_says_and_its_exit_status(sleeper):
    # tree --json of a process of ours: the whole document arrives, parsed back, and it is the
    # one the interpreter's own exit (nsview.cli) writes
    ours = _run("launch", "tree", str(sleeper), "--json", columns=None)
    typer = _run("cli", "tree", str(sleeper), "--json", columns=None)
    assert _typer_loaded(ours), "the atexit callback did not run"
    assert ours.returncode == typer.returncode == 0
    assert ours.stdout == typer.stdout
    assert json.loads(ours.stdout)["target"] == sleeper


def test_an_error_exit_status_survives_the_launcher():
    for args in (["tree", "0"], ["tree", "no-such-container-anywhere", "--json"], ["tree", "--nosuch"]):
        ours = _run("launch", *args, columns="200")
        typer = _run("cli", *args, columns="200")
        assert _typer_loaded(ours)
        assert ours.returncode != 0
        assert (ours.returncode, ours.stdout, ours.stderr) == (typer.returncode, typer.stdout, typer.stderr)


def test_more_output_than_a_pipe_holds_is_written_whole():
    # `ps --json` on this host into a pipe read as it comes: nothing is cut at the exit
    ours = _run("launch", "ps", "--json", columns=None)
    assert ours.returncode in (0, ExitCode.PARTIAL)
    document = json.loads(ours.stdout)
    assert "containers" in document and "scanned" in document


def test_row56_an_error_document_into_a_full_disk_is_one_line_not_a_lost_write():
    # the JSON error is written unflushed and the command ends: the flush in leave() fails, and
    # says so as any failed write does (the interpreter's own exit printed "Exception ignored"
    # and exited 120)
    with open("/dev/full", "w") as full:
        r = _run("launch", "tree", "0", "--json", columns=None, stdout=full)
    # the atexit marker comes first: callbacks run before the flush, as in the interpreter's exit
    assert _typer_loaded(r) is False and r.stderr.startswith("\ntyper loaded: True")
    said = r.stderr.removeprefix("\ntyper loaded: True").strip().splitlines()
    assert r.returncode == ExitCode.ERROR
    assert said == ["nsview: cannot write the output: No space left on device"]


def test_row56_an_error_document_into_a_closed_pipe_is_quiet():
    code = _RUN.format(repo=str(REPO), args=["tree", "0", "--json"], module="launch")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    read, write = os.pipe()
    os.close(read)
    p = subprocess.run([sys.executable, "-c", code], stdout=write, stderr=subprocess.PIPE, text=True, env=env)
    os.close(write)
    assert p.stderr.strip() == "typer loaded: True"  # nothing else: no traceback, no message
    assert p.returncode == ExitCode.ERROR


_LEAVE = """
import sys, threading, time
sys.path.insert(0, {repo!r})
from nsview.launch import leave
{setup}
print("written", end="")  # unflushed
leave({code})
print("never")
"""


def _leave(code: str, setup: str = "") -> subprocess.CompletedProcess:
    src = _LEAVE.format(repo=str(REPO), code=code, setup=setup)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize(("code", "status"), [("0", 0), ("None", 0), ("3", 3), ("True", 1), ("256", 0)])
def test_leave_ends_with_the_status_the_interpreter_would(code, status):
    ours = _leave(code)
    theirs = subprocess.run(
        [sys.executable, "-c", f"import sys; print('written', end=''); sys.exit({code})"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    )
    assert ours.returncode == theirs.returncode == status
    assert ours.stdout == theirs.stdout == "written"


def test_leave_with_a_message_prints_it_as_the_interpreter_does():
    r = _leave("'nsview: gone'")
    assert (r.returncode, r.stdout, r.stderr) == (1, "written", "nsview: gone\n")


def test_leave_waits_for_a_thread_still_running():
    setup = "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', flush=True))).start()"
    r = _leave("0", setup)
    assert r.returncode == 0
    assert "thread done" in r.stdout and "written" in r.stdout
