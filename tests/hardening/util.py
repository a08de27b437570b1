"""Helpers of the docs/hardening.md matrix: the inertness check, hostile strings, small live makers."""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.live import kill_tree, stat_fields
from tests.support.output import tree_nodes
from tests.support.paths import REPO

# The exit codes docs/troubleshooting.md documents (nsview.errors.ExitCode).
DOCUMENTED = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}

# Every command that exists, with a TARGET placeholder.
COMMANDS: dict[str, tuple[str, ...]] = {
    "tree": ("tree", "{pid}"),
    "cgroup": ("cgroup", "{pid}"),
    "diff": ("diff", "{pid}"),
    "ps": ("ps",),
    "mounts": ("mounts", "{pid}"),
    "changes": ("changes", "{pid}"),
}

# The markup rich would interpret if data ever reached it as a markup string, and the escapes a
# terminal would obey. Each must print literally (markup) or as a visible escape (controls).
MARKUP = ("[red]x", "[/bold]", "[link=http://evil.example]", ":smile:")
CONTROLS = "\x1b[31m\x1b]8;;http://evil.example/\x07\x07\x7f\u009b\u202e\u200b\n\t"

# Styles are nsview's own: the only escape sequence a coloured run may hold is SGR.
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_BIDI = {
    0x061C,
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    0x2060,
    0xFEFF,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
}


def target_node(tree: dict) -> dict:
    """The node of `nsview tree --json`'s tree that is the target."""
    for n in tree_nodes(tree):
        if n["target"]:
            return n
    raise AssertionError("no target node")


def raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on: C0 but LF, DEL, C1, bidi and zero-width controls."""
    return sorted(
        {repr(c) for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F or ord(c) in _BIDI}
    )


def assert_inert(output: str, *, forced: bool) -> None:
    if forced:
        assert _SGR.search(output), "colours were forced but nsview emitted no SGR at all"
        output = _SGR.sub("", output)
    bad = raw_controls(output)
    assert not bad, f"raw control characters reached the terminal: {bad}"


def squash(text: str) -> str:
    """Output with whitespace and rich's tree/table drawing removed: folded cells join again."""
    return re.sub(r"[\s│├└─┃━┏┓┗┛┡┩]+", "", text)


def assert_literal(output: str, tokens=MARKUP) -> None:
    flat = squash(output)
    missing = [t for t in tokens if squash(t) not in flat]
    assert not missing, f"markup was interpreted or lost, not printed literally: {missing}"


def walk_strings(value):
    """Every string inside a JSON value (keys and values)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from walk_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_strings(v)


def json_contains(data, raw: str) -> bool:
    return any(raw in s for s in walk_strings(data))


COLOUR_MODES = {
    "no-color": ((), {}),
    "forced": ((), {"FORCE_COLOR": "1", "TERM": "xterm-256color"}),
}


def argv_for(command: str, pid: int) -> list[str]:
    return [a.format(pid=pid) for a in COMMANDS[command]]


def run_modes(nsview_cmd, argv: list[str], env: dict | None = None):
    """Run argv with --no-color and with colours forced; yield (mode, CompletedProcess)."""
    env_plain = {"NO_COLOR": "1", **(env or {})}
    yield "no-color", nsview_cmd(*argv, "--no-color", env=env_plain)
    forced_env = {"FORCE_COLOR": "1", "TERM": "xterm-256color", **(env or {})}
    yield "forced", nsview_cmd(*argv, env=_without_no_color(forced_env))


def _without_no_color(env: dict) -> dict:
    # NO_COLOR in the caller's environment would defeat the forced run.
    if "NO_COLOR" in os.environ:
        env = dict(env, NO_COLOR="")
    return env


def no_traceback(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr[-2000:]


# ---- small live makers ------------------------------------------------------------------------

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NAME = 15
CLONE_NEWUTS = 0x04000000


def starttime_of(pid: int) -> int:
    return int(stat_fields(pid)[19])


def start_python(code: str, *args: str, prefix: tuple[str, ...] = (), ready: bool = True) -> subprocess.Popen:
    """A python child running ``code`` (in its own session, killed by kill_tree). When ``ready``,
    waits for the child's first line on stdout (it prints one when set up)."""
    p = subprocess.Popen(
        [*prefix, sys.executable, "-c", code, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    if ready:
        line = p.stdout.readline()
        if not line.strip():
            err = p.stderr.read().decode(errors="replace") if p.poll() is not None else ""
            kill_tree(p)
            raise AssertionError(f"helper process did not start: {err}")
    return p


def cgroup_base(controller: str = "pids") -> Path | None:
    """Where to mkdir a cgroup that has ``controller``: its v1 hierarchy, else the v2 root."""
    v1 = Path("/sys/fs/cgroup") / controller
    if (v1 / "cgroup.procs").exists():
        return v1
    root = Path("/sys/fs/cgroup")
    if (root / "cgroup.controllers").exists():
        return root
    return None


def unprivileged_python(workdir: Path) -> tuple[list[str], dict[str, str]] | None:
    """argv prefix and env that run ``python -m nsview`` as nobody through setpriv, or None.

    The interpreter running the tests may live where nobody cannot read (a pyenv under /root):
    then a same-version system python is used with a copy of nsview's dependency closure."""
    if not shutil.which("setpriv"):
        return None
    setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = [sys.executable, "-c", "import nsview.cli, rich.console"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    if subprocess.run(setpriv + probe, env=env, capture_output=True, cwd="/").returncode == 0:
        return setpriv + [sys.executable], env
    system = shutil.which(
        f"python{sys.version_info.major}.{sys.version_info.minor}", path="/usr/bin:/usr/local/bin:/bin"
    )
    if not system:
        return None
    site = workdir / "site"
    _copy_closure("nsview", site)
    site.chmod(0o755)
    for dirpath, dirnames, filenames in os.walk(site):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
    env = dict(os.environ, PYTHONPATH=f"{site}:{REPO}", PYTHONDONTWRITEBYTECODE="1")
    probe = [system, "-c", "import nsview.cli, rich.console"]
    if subprocess.run(setpriv + probe, env=env, capture_output=True, cwd="/").returncode != 0:
        return None
    return setpriv + [system], env


def _copy_closure(dist_name: str, dest: Path) -> None:
    from importlib import metadata

    from packaging.requirements import Requirement

    dest.mkdir(parents=True, exist_ok=True)
    todo, done = [dist_name], set()
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in done:
            continue
        done.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for req in dist.requires or []:
            r = Requirement(req)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r.name)
        if key == dist_name:
            continue  # nsview itself comes from the repo
        tops = set()
        for f in dist.files or []:
            first = f.parts[0]
            if first.endswith((".dist-info", ".egg-info")) or first in ("..", "__pycache__"):
                continue
            tops.add(first)
        for top in tops:
            src = Path(dist.locate_file(top))
            if src.is_dir():
                shutil.copytree(
                    src, dest / top, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
                )
            elif src.is_file() and src.suffix in (".py", ".so", ".pth"):
                shutil.copy(src, dest / top)


def load_json(r: subprocess.CompletedProcess):
    try:
        return json.loads(r.stdout)
    except ValueError as err:
        raise AssertionError(
            f"not JSON (exit {r.returncode}): {r.stdout[:500]!r} {r.stderr[:500]!r}"
        ) from err


def squash_lines(text: str, keep_spaces: bool = False) -> list[str]:
    """Output lines with rich's soft wrapping undone: a line that continues a note (indented or
    not starting a new item) is joined to the one before."""
    lines: list[str] = []
    for ln in text.splitlines():
        if lines and ln and not ln.startswith(("note:", "nsview")) and lines[-1].startswith("note:"):
            lines[-1] += " " + ln.strip()
        else:
            lines.append(ln)
    return lines
