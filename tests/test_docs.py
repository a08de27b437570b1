"""The docs keep up with the code: every command and visible option is in docs/commands.md,
every command has help, every exit code is in the troubleshooting table, every JSON key that
a command really prints is described in docs/json.md, and relative links lead somewhere."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
import warnings
from pathlib import Path

import pytest

from nsview.errors import ExitCode
from tests.support.paths import REPO

DOCS = REPO / "docs"
STALE = "docs/commands.md is out of date: run `python scripts/gen_docs.py` and commit the result"


def _cli():
    from typer.main import get_command

    from nsview.cli import app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return get_command(app)


def _commands() -> dict:
    return {name: cmd for name, cmd in _cli().commands.items() if not cmd.hidden}


def _visible(cmd, kind: str) -> list:
    return [p for p in cmd.params if p.param_type_name == kind and not getattr(p, "hidden", False)]


def _sections(text: str) -> dict[str, str]:
    """'## `nsview NAME`' heading -> the text up to the next level-2 heading."""
    parts = re.split(r"^## ", text, flags=re.M)
    out = {}
    for part in parts[1:]:
        head, _, body = part.partition("\n")
        m = re.fullmatch(r"`nsview (\S+)`", head.strip())
        if m:
            out[m.group(1)] = body
    return out


def test_cli_has_commands():
    # guards the tests below against passing vacuously on an empty walk
    assert "tree" in _commands()


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_has_help(name):
    cmd = _commands()[name]
    assert (cmd.help or "").strip(), f"`nsview {name}` has no help text: give its function a docstring"
    for p in _visible(cmd, "option") + _visible(cmd, "argument"):
        assert (getattr(p, "help", None) or "").strip(), f"`nsview {name}`: {p.name} has no help text"


def test_commands_md_has_every_command_and_option():
    text = (DOCS / "commands.md").read_text()
    sections = _sections(text)
    missing = []
    for name, cmd in _commands().items():
        if name not in sections:
            missing.append(f"command `nsview {name}`")
            continue
        body = sections[name]
        for p in _visible(cmd, "option"):
            for flag in list(p.opts) + list(p.secondary_opts):
                if not re.search(rf"`{re.escape(flag)}[` ]", body):
                    missing.append(f"option {flag} of `nsview {name}`")
        for p in _visible(cmd, "argument"):
            if f"`{p.metavar or p.name.upper()}`" not in body:
                missing.append(f"argument {p.metavar or p.name} of `nsview {name}`")
    for p in _visible(_cli(), "option"):
        for flag in p.opts:
            if f"`{flag}" not in text:
                missing.append(f"global option {flag}")
    assert not missing, f"{STALE}; missing: {', '.join(missing)}"


def test_commands_md_documents_no_removed_command():
    documented = set(_sections((DOCS / "commands.md").read_text()))
    gone = documented - set(_commands())
    assert not gone, f"{STALE}; documents commands that no longer exist: {sorted(gone)}"


def test_hidden_options_stay_out_of_the_reference():
    text = (DOCS / "commands.md").read_text()
    hidden = {
        flag
        for cmd in _commands().values()
        for p in cmd.params
        if getattr(p, "hidden", False)
        for flag in p.opts
    }
    assert hidden, "expected the hidden --proc-root/--sys-root options to exist"
    shown = sorted(flag for flag in hidden if f"`{flag}" in text)
    assert not shown, f"hidden options appear in docs/commands.md: {shown}"


def test_generator_output_matches_the_committed_file():
    """The strict form: what the script would write now is what is committed."""
    r = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_docs.py"), "--check"], capture_output=True, text=True
    )
    assert r.returncode == 0, f"{STALE}\n{r.stderr}"


def test_exit_code_table_matches_the_enum():
    text = (DOCS / "troubleshooting.md").read_text()
    rows = dict(re.findall(r"^\| (\d+) \| `([A-Z_]+)` \|", text, flags=re.M))
    expected = {str(int(code)): code.name for code in ExitCode}
    assert rows == expected


_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize(
    "page", sorted([*(p.relative_to(REPO) for p in DOCS.rglob("*.md")), Path("README.md")], key=str)
)
def test_relative_links_resolve(page):
    src = REPO / page
    broken = []
    for target in _LINK.findall(src.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        if not (src.parent / path).exists():
            broken.append(target)
    assert not broken, f"{page}: links to missing files: {broken}"


def test_docs_index_links_every_page():
    index = (DOCS / "index.md").read_text()
    linked = {t.split("#", 1)[0] for t in _LINK.findall(index)}
    pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    assert pages <= linked, f"docs/index.md does not link: {sorted(pages - linked)}"


# ---- JSON reference -------------------------------------------------------------------------


def _keys(value, skip_values_of=frozenset()) -> set[str]:
    """Every dict key at any depth; maps keyed by data (namespace type, file name) are not
    descended by key, only named."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            found.add(k)
            if k not in skip_values_of:
                found |= _keys(v, skip_values_of)
    elif isinstance(value, list):
        for item in value:
            found |= _keys(item, skip_values_of)
    return found


def _documented_keys(command: str) -> set[str]:
    """Backticked first-column names in the tables of json.md's section for COMMAND."""
    text = (DOCS / "json.md").read_text()
    m = re.search(rf"^## `nsview {command}`.*?(?=^## |\Z)", text, flags=re.M | re.S)
    assert m, f"docs/json.md has no section for `nsview {command}`"
    names = set()
    for cell in re.findall(r"^\| ([^|]+) \|", m.group(0), flags=re.M):
        # keys are snake_case, except `docker inspect`'s spellings and diff's limit names
        names |= set(re.findall(r"`([A-Za-z_][A-Za-z0-9_+ ]*)`", cell))
    return names


# How to get real --json from each command without root or engines: about this test process
# itself (its own /proc entries are always readable). A new command must be added here, and
# given a section in docs/json.md; test_every_command_has_a_json_sample says so.
SELF = str(os.getpid())
# `nsview snapshot` writes a file: a fresh name each run, removed by the test
SNAPSHOT_SAMPLE = os.path.join(tempfile.gettempdir(), f"nsview-json-sample-{uuid.uuid4().hex}.tar.gz")
JSON_SAMPLES: dict[str, tuple[str, ...]] = {
    "tree": ("tree", SELF, "--depth", "1"),
    "cgroup": ("cgroup", SELF),
    "diff": ("diff", SELF),
    "ps": ("ps",),
    # a saved log: every kind of kill, on any machine (the live ring buffer may hold none)
    "exec": ("exec", SELF, "--all", "--dry-run", "true"),  # a plan only: nothing is entered
    "oom": ("oom", "--log", str(REPO / "fixtures/kernel-logs/dmesg-oom.txt")),
    "mounts": ("mounts", SELF),
    # an overlay root whose layers are plain directories (scripts/make_changes_fixture.py)
    "changes": ("changes", "4242", "--proc-root", str(REPO / "fixtures/changes-overlay/proc")),
    "snapshot": ("snapshot", SELF, "-o", SNAPSHOT_SAMPLE),
}
# keys whose values are maps keyed by data (namespace type, file name, column): named, not walked
DATA_KEYED = {
    "tree": frozenset({"namespaces", "errors"}),
    "cgroup": frozenset({"errors", "last_oom_kill"}),  # a kill's keys: the oom section has them
    "diff": frozenset(),  # its "errors" are {"reference", "target"}: fixed keys, walked
    "ps": frozenset({"namespaces", "errors", "last_oom_kill"}),
    "oom": frozenset({"errors"}),
    "exec": frozenset({"skipped", "namespaces"}),
    "mounts": frozenset({"errors"}),
    "changes": frozenset(),
    "snapshot": frozenset(),
}


def test_every_command_has_a_json_sample():
    missing = sorted(set(_commands()) - set(JSON_SAMPLES))
    assert not missing, (
        f"add a JSON_SAMPLES entry in tests/test_docs.py and a docs/json.md section for: {missing}"
    )


def test_json_md_has_a_section_per_command():
    text = (DOCS / "json.md").read_text()
    missing = [n for n in _commands() if not re.search(rf"^## `nsview {n}`", text, flags=re.M)]
    assert not missing, f"docs/json.md has no section for: {missing}"


@pytest.mark.live  # the samples read this process's lineage and scan the live host (ps)
@pytest.mark.parametrize("name", sorted(JSON_SAMPLES))
def test_json_keys_are_documented(name, nsview_cmd):
    if name not in _commands():
        pytest.skip(f"`nsview {name}` is not in this build of the CLI")
    try:
        r = nsview_cmd(*JSON_SAMPLES[name], "--json")
    finally:
        if name == "snapshot":
            Path(SNAPSHOT_SAMPLE).unlink(missing_ok=True)
    # 6: partial answer (e.g. pid 1 unreadable); the JSON is still complete in shape
    assert r.returncode in (0, 6), r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert "error" not in data
    keys = _keys(data, skip_values_of=DATA_KEYED[name])
    assert len(keys) > 3
    missing = sorted(keys - _documented_keys(name))
    assert not missing, f"docs/json.md does not describe these `nsview {name} --json` keys: {missing}"


@pytest.mark.live  # this process's lineage, up to the live pid 1
def test_tree_json_sample_is_about_this_process(nsview_cmd):
    """The sample really is this process: its pid and parent agree with psutil."""
    import psutil

    data = json.loads(nsview_cmd(*JSON_SAMPLES["tree"], "--json").stdout)
    assert data["target"] == os.getpid()
    assert data["lineage"][-2:] == [psutil.Process().ppid(), os.getpid()]


def test_man_page_renders_every_command_option_and_exit_code():
    """docs/man/nsview.1 as man(1) shows it: each visible command and option of the CLI, and
    each ExitCode, so the page cannot drift from the tool (test_generator_output_... keeps it
    current; this checks that what it renders is readable and whole)."""
    import shutil

    from typer.main import get_command

    from nsview.cli import app

    page = REPO / "docs" / "man" / "nsview.1"
    from tests.support import live

    groff = shutil.which("groff")
    live.need(groff is not None, "groff (Debian's groff-base) is not installed: cannot render the man page")
    assert groff is not None
    r = subprocess.run(
        [groff, "-man", "-Tutf8", "-rLL=200n", str(page)],
        capture_output=True,
        text=True,
        env={**os.environ, "GROFF_NO_SGR": "1"},
    )
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    text = re.sub(r".\x08", "", r.stdout).replace("‐", "-").replace("−", "-")
    root = get_command(app)
    for name, cmd in root.commands.items():
        if cmd.hidden:
            continue
        assert f"nsview {name}" in text
        for p in cmd.params:
            if p.param_type_name == "option" and not p.hidden:
                assert p.opts[0] in text, f"{name} {p.opts[0]} missing from the man page"
    for code in ExitCode:
        assert re.search(rf"^\s+{int(code)} \({code.name}\)", text, flags=re.M), code


def test_every_test_the_hardening_matrix_names_exists():
    """A row of docs/hardening.md names its tests as `file.py::test_name`: each must be defined."""
    refs = set(re.findall(r"`([\w/]+\.py)::(\w+)`", (DOCS / "hardening.md").read_text()))
    defined: dict[str, str] = {}
    for path in (REPO / "tests").rglob("*.py"):
        defined[path.name] = defined.get(path.name, "") + path.read_text()
    assert len(refs) > 100  # the pattern still finds the matrix's references
    missing = sorted(f"{f}::{t}" for f, t in refs if f"def {t}(" not in defined.get(Path(f).name, ""))
    assert missing == []
