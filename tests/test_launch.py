"""The console script's entry (nsview/launch.py): `nsview --help` from the stored page must be
what typer prints, byte for byte, and everything else must reach typer (docs/design.md,
"Start-up"). The second source is typer itself, run in a fresh interpreter each time."""

from __future__ import annotations

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

# argv[0] is "nsview", as the console script leaves it; the last line says whether typer loaded
_RUN = """
import sys
sys.path.insert(0, {repo!r})
sys.argv = ["nsview", *{args!r}]
from nsview.{module} import main
try:
    main()
    code = 0
except SystemExit as end:
    code = end.code or 0
sys.stdout.flush()
sys.stderr.write("\\ntyper loaded: %s" % ("typer" in sys.modules))
sys.exit(code)
"""


def _run(module: str, *args: str, columns: str | None, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "_NSVIEW_COMPLETE")}
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
