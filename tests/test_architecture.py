"""The one-way flow of docs/design.md, checked: kernel files -> procfs -> read -> parse -> model
-> collect -> render -> cli. Imports are measured in a fresh interpreter; the rest is read from
the source."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import nsview.model

PKG = Path(nsview.__file__).resolve().parent
MODEL_MODULES = sorted(f"nsview.model.{m.name}" for m in pkgutil.iter_modules(nsview.model.__path__))


def _modules_after(code: str) -> set[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(r.stdout.splitlines()[-1]))


def _top(mods: set[str]) -> set[str]:
    return {m.split(".")[0] for m in mods}


def test_model_has_modules():
    assert "nsview.model.process" in MODEL_MODULES and "nsview.model.tree" in MODEL_MODULES


def test_model_imports_no_rich_typer_or_psutil():
    loaded = _modules_after("import " + ", ".join(MODEL_MODULES))
    assert set(MODEL_MODULES) <= loaded  # the probe really imported them
    assert not {"rich", "typer", "psutil", "click"} & _top(loaded)


def test_collect_imports_no_rich_or_typer():
    collect = sorted(f"nsview.collect.{m.name}" for m in pkgutil.iter_modules([str(PKG / "collect")]))
    loaded = _modules_after("import " + ", ".join(collect))
    assert not {"rich", "typer", "click"} & _top(loaded)


def test_cli_import_does_not_load_rich_console():
    # fast start: rich is imported where a command renders, not when the CLI module loads
    loaded = _modules_after("import nsview.cli")
    assert "nsview.cli" in loaded
    assert "rich.console" not in loaded
    assert "psutil" not in loaded


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((PKG / "model").glob("*.py")), ids=lambda p: p.name)
def test_model_does_no_io_and_depends_on_nothing_above(path):
    imports = _imports(path)
    assert not {
        i for i in imports if i.startswith(("nsview.collect", "nsview.render", "nsview.cli", "nsview.procfs"))
    }
    calls = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                calls.add(f.id)
            elif isinstance(f, ast.Attribute):
                calls.add(f.attr)
    assert not calls & {"open", "readlink", "listdir", "read_text", "read_bytes", "scandir", "run", "Popen"}


@pytest.mark.parametrize(
    "path", sorted((PKG / "render").rglob("*.py")), ids=lambda p: str(p.relative_to(PKG / "render"))
)
def test_render_reads_no_files_and_only_cli_imports_typer(path):
    imports = _imports(path)
    assert "typer" not in imports and "nsview.procfs" not in imports
    assert not {i for i in imports if i.startswith("nsview.collect")}


def test_only_cli_imports_typer():
    users = sorted(str(p.relative_to(PKG)) for p in PKG.rglob("*.py") if "typer" in _imports(p))
    assert users == ["cli.py"]


# Which nsview modules each layer may import (docs/design.md, "Layers"). Anything else is a
# dependency pointing the wrong way.
ALLOWED = {
    # parse: another parser's shared format reader too (parse/cgroupfs.py's flat-keyed one), so
    # one cgroup file format has one reader; still no I/O (test_parsers_do_no_io)
    "parse": ("nsview.errors", "nsview.model", "nsview.parse"),
    "model": ("nsview.errors", "nsview.model"),
    "read": (
        "nsview.errors",
        "nsview.model",
        "nsview.parse",
        "nsview.procfs",
        "nsview.answers",  # procfs's and enter's recorded answers (snapshots), docs/design.md
        "nsview.enter",
        "nsview.read",
    ),
    "collect": (
        "nsview.errors",
        "nsview.model",
        "nsview.parse",
        "nsview.procfs",
        "nsview.answers",  # collect/fleet.py: the time records were read (a snapshot's own)
        "nsview.enter",
        "nsview.read",
        "nsview.collect",
    ),
    "render": ("nsview.model", "nsview.render"),
}


def _layer_files() -> list[tuple[str, Path]]:
    return [(layer, p) for layer in ALLOWED for p in sorted((PKG / layer).rglob("*.py"))]


@pytest.mark.parametrize(
    "layer, path", _layer_files(), ids=lambda v: str(v.relative_to(PKG)) if isinstance(v, Path) else v
)
def test_each_layer_imports_only_the_layers_below(layer, path):
    wrong = {i for i in _imports(path) if i.startswith("nsview.") and not i.startswith(ALLOWED[layer])}
    assert not wrong, f"{path.relative_to(PKG)} imports {sorted(wrong)}"


@pytest.mark.parametrize("path", sorted((PKG / "parse").glob("*.py")), ids=lambda p: p.name)
def test_parsers_do_no_io(path):
    names: set[str] = set()
    os_calls: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            f = node.func
            names.add(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "")
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "os":
                os_calls.add(f.attr)
    assert not names & {"open", "read", "readlink", "listdir", "scandir", "stat", "run", "Popen", "fork"}
    assert os_calls <= {"strerror"}  # words for an errno are pure
    assert not _imports(path) & {"subprocess", "pathlib", "ctypes", "shutil"}


def test_json_builders_never_load_rich():
    mods = sorted(
        f"nsview.render.json.{m.name}" for m in pkgutil.iter_modules([str(PKG / "render" / "json")])
    )
    assert {"nsview.render.json.tree", "nsview.render.json.ps"} <= set(mods)
    loaded = _modules_after("import " + ", ".join(mods))
    assert set(mods) <= loaded
    assert "rich" not in _top(loaded)


def test_a_json_command_never_loads_rich(tmp_path):
    # the whole --json path, from argv to the printed document, on a fixture tree
    fixture = PKG.parent / "fixtures" / "docker-hybrid"
    code = (
        "import sys\n"
        f"sys.argv = ['nsview', 'ps', '--json', '--proc-root', {str(fixture / 'proc')!r}, "
        f"'--sys-root', {str(fixture / 'sys')!r}]\n"
        "from nsview.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
    )
    loaded = _modules_after(code)
    assert "nsview.render.json.ps" in loaded and "nsview.collect.ps" in loaded
    assert not {m for m in loaded if m == "rich" or m.startswith("rich.")}
