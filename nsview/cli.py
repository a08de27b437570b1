"""The command line: a thin typer shell over the library.

This is the only module that imports typer or creates a Console, and ``execute`` is the one
place where errors become messages and exit codes.
"""

# No ``from __future__ import annotations`` here: typer reads each command's signature on
# every run, and string annotations cost it a compile and an eval each (docs/design.md,
# "Start-up").
import os
import sys
from collections.abc import Callable
from dataclasses import field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from nsview import __version__
from nsview.errors import ExitCode, NoSuchProcess, NsviewError, stdout_failed
from nsview.model.record import record

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="nsview",
    help=(
        "See what a Linux container really is, as the kernel sees it from the host: "
        "its process lineage, namespaces, hostname, network, mounts and cgroup limits. "
        "Reads /proc and /sys directly; no container engine or daemon is needed. "
        "Run as root to see everything."
    ),
    no_args_is_help=True,
    # --install-completion / --show-completion (bash, zsh, fish): TARGET completes from the
    # containers a daemonless scan finds (_complete_target), computed only when a shell asks.
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain help: rich's markdown/markup help mode imports markdown_it and pygments (~80 ms).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Examples: nsview tree web | nsview diff web | nsview cgroup 0ac949292b65 | nsview ps --json. "
    "Exit codes: docs/troubleshooting.md; JSON fields: docs/json.md.",
)

# ---- options every command shares ---------------------------------------------------------
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON (stable keys; see docs/json.md).")
]
NoColorOpt = Annotated[
    bool, typer.Option("--no-color", help="Plain text, no colours (also honours NO_COLOR).")
]


class ColorMode(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


class MountsShown(str, Enum):
    person = "person"
    all = "all"


ColorOpt = Annotated[
    ColorMode | None,
    typer.Option(
        "--color",
        help="When to colour: auto (a terminal, unless NO_COLOR is set), always (also into a pipe, "
        "as for `less -R`; wins over NO_COLOR), never (as --no-color). Default: auto.",
        show_default=False,
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="On an internal error, show the Python traceback.")]
ProcRootOpt = Annotated[
    Path, typer.Option("--proc-root", hidden=True, help="Read procfs from here (a fixture or snapshot).")
]
SysRootOpt = Annotated[
    Path, typer.Option("--sys-root", hidden=True, help="Read sysfs from here (a fixture or snapshot).")
]
FromOpt = Annotated[
    Path | None,
    typer.Option(
        "--from",
        metavar="FILE",
        envvar="NSVIEW_FROM",
        help="Answer from a snapshot `nsview snapshot` wrote, as the host it was taken on would "
        "have answered then (also NSVIEW_FROM).",
        show_default=False,
    ),
]
HostRootOpt = Annotated[
    Path | None,
    typer.Option(
        "--host-root",
        metavar="DIR",
        help="The host's / is mounted at DIR (nsview runs in a container: docker run --pid host -v "
        "/:/host:ro, a DaemonSet, kubectl debug node/N): engine files, /sys and the kernel log "
        "are read there. Found by itself at /host in a container. See docs/fleet.md.",
        envvar="NSVIEW_HOST_ROOT",
        show_default=False,
    ),
]
JsonlOpt = Annotated[
    bool,
    typer.Option(
        "--jsonl",
        help="One JSON object a line, each with node, boot_id, time and the nsview and schema "
        "versions, for a fleet's log pipeline (schema: docs/json.md, docs/schema/).",
    ),
]
NpdOpt = Annotated[
    bool,
    typer.Option(
        "--npd",
        help="As a node-problem-detector custom plugin: one line, exit 0 (fine), 1 (a problem: "
        "ps, a privileged container; oom, a kill in the last --npd-minutes) or 2 (cannot tell).",
    ),
]
TargetArg = Annotated[
    str,
    typer.Argument(
        metavar="TARGET",
        help=(
            "A process id (3074); a Docker container name (web or /web), full id or unique id "
            "prefix (0ac949292b65); a containerd namespace/id (acme/web1) or bare id when unique; "
            "a podman, CRI-O or Kubernetes container id or prefix; a Kubernetes pod's "
            "container as pod:NAMESPACE/POD/CONTAINER, or pod:NAMESPACE/POD when it has one "
            "container (pod:NAMESPACE/POD/POD: its sandbox); an LXC container name. "
            "Containers resolve to their init process, from /proc and the engines' files: no "
            "daemon is asked. `nsview ps` lists them."
        ),
        show_default=False,
        autocompletion=lambda incomplete: _complete_target(incomplete),
    ),
]


def _complete_target(incomplete: str) -> list[str]:
    """Container names, ids, namespace/ids and pod targets that start with ``incomplete``.
    A completion never fails out loud: whatever goes wrong, the shell gets no words."""
    try:
        from nsview.collect.ps import scan_containers
        from nsview.model.container import target_words
        from nsview.procfs import ProcFS, SysFS

        scan = scan_containers(ProcFS(Path("/proc")), SysFS(Path("/sys")), details=False)
        return [w for w in target_words(scan.containers) if w.startswith(incomplete)]
    except Exception:
        return []


@record
class Options:
    json: bool = False
    no_color: bool = False
    debug: bool = False
    proc_root: Path = Path("/proc")
    sys_root: Path = Path("/sys")
    color: ColorMode | None = None  # --color; None: not given (auto)
    host_root: Path | None = None  # --host-root; None: found by itself (nsview/hostview.py)
    jsonl: bool = False  # --jsonl (ps, oom): nsview/render/jsonl.py
    from_: Path | None = None  # --from FILE: a snapshot; the roots become its extracted tree


@record
class Outcome:
    """What a command produced: the model record, which view shows it, and the exit status."""

    value: Any
    view: str | None  # a key of VIEWS; None: nothing to print (nsview exec ran a command)
    exit_code: int = ExitCode.OK  # nsview exec: the command's own status
    # Known only once the output is written (nsview changes streams its walk): overrides exit_code.
    final_code: Callable[[], int] | None = None
    # Keyword arguments of the text renderer only (tree: fold); JSON never depends on them.
    text_options: dict[str, Any] = field(default_factory=dict)


# command -> (its JSON builder in nsview.render.json.<view>, its text renderer in
# nsview.render.text.<view>). Imported only for the output asked for: --json never loads rich.
VIEWS: dict[str, tuple[str, str]] = {
    "tree": ("tree_to_dict", "render_tree"),
    "cgroup": ("cgroup_to_dict", "render_cgroup"),
    "ps": ("ps_to_dict", "render_ps"),
    "pods": ("pods_to_dict", "render_pods"),
    "diff": ("diff_to_dict", "render_diff"),
    "oom": ("oom_to_dict", "render_oom"),
    "exec": ("plan_to_dict", "render_plan"),
    "mounts": ("mounts_to_dict", "render_mounts"),
    "changes": ("changes_to_dict", "render_changes"),
    "snapshot": ("snapshot_to_dict", "render_snapshot"),
}


def _view(kind: str, outcome: Outcome) -> Any:
    import importlib

    assert outcome.view is not None
    builder, renderer = VIEWS[outcome.view]
    module = importlib.import_module(f"nsview.render.{kind}.{outcome.view}")
    if kind == "json":
        return getattr(module, builder)(outcome.value)
    return getattr(module, renderer)(outcome.value, **outcome.text_options)


def _width_is_bounded(stream: Any = None) -> bool:
    """A terminal, or COLUMNS given: lines must fit a width. Into a pipe or a file without
    COLUMNS nsview writes whole lines (like ps and pstree)."""
    return (stream or sys.stdout).isatty() or "COLUMNS" in os.environ


def _console(opts: "Options", stderr: bool = False) -> "Console":
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Into a pipe or file, whole lines (like ps and pstree): `nsview ps | grep web` must find
    # web, not a column rich dropped to fit 80 columns. COLUMNS still wins when set.
    width = None if _width_is_bounded(stream) else 4096
    # As git and util-linux: an explicit --color wins over NO_COLOR; --no-color is --color=never.
    if opts.color is ColorMode.always:
        plain, force = False, True
    else:
        plain = opts.no_color or opts.color is ColorMode.never or bool(os.environ.get("NO_COLOR"))
        force = None
    # markup/emoji/highlight off: nothing nsview prints is ever interpreted (docs/hardening.md, rule 1).
    return Console(
        stderr=stderr,
        width=width,
        force_terminal=force,
        no_color=False if force else None,  # rich itself honours NO_COLOR: --color=always must win
        color_system=None if plain else "auto",  # plain means no escape codes at all, bold too
        markup=False,
        emoji=False,
        highlight=False,
    )


def execute(opts: Options, work: Callable[[], Outcome]) -> NoReturn:
    """Run a command body; map every outcome to output and an exit status, in one place."""
    targets = sys.modules.get("nsview.targets")
    if targets is not None:
        targets.RESOLVED.clear()  # an earlier command in this process (tests) resolved those
    snapshot = None
    try:
        if opts.no_color and opts.color is ColorMode.always:
            from nsview.errors import UsageError

            raise UsageError("--no-color and --color=always contradict each other: give one")
        if opts.from_ is not None:  # a snapshot is its own host: no host view is looked for
            snapshot = _open_from(opts)
        else:
            _host_view(opts)
        outcome = work()
        if outcome.view is None:
            pass
        elif opts.jsonl:
            _write_jsonl(opts, outcome)
        elif opts.json:
            # here, not at the top: `--help` and the text views do not pay for it
            from nsview.render.json.encode import write_json

            write_json(_view("json", outcome), sys.stdout.write)
        else:
            _write(opts, _view("text", outcome))
        sys.stdout.flush()
        if outcome.final_code is not None:
            from dataclasses import replace

            outcome = replace(outcome, exit_code=outcome.final_code())
    except NsviewError as err:
        if isinstance(err, NoSuchProcess) and "nsview.targets" in sys.modules:
            # a container TARGET whose process exited after it was resolved: stopped meanwhile?
            err = sys.modules["nsview.targets"].explain_gone(err)
        _report(opts, type(err).__name__, err.message, err.exit_code, _error_facts(err))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except BrokenPipeError:
        raise  # `nsview ... | head`: main() ends quietly
    except OSError as err:  # stdout itself failed: a full disk, a closed terminal
        raise typer.Exit(int(stdout_failed(err))) from None
    except Exception as err:  # a bug: say so in one line, traceback only with --debug
        if opts.debug:
            raise
        _report(
            opts,
            "InternalError",
            f"internal error: {type(err).__name__}: {err} (run with --debug for details)",
            ExitCode.ERROR,
        )
    finally:
        if snapshot is not None:
            from nsview import answers

            answers.TAP = None
            snapshot.close()
    if outcome.exit_code < 0:  # the command died of a signal: so does nsview, as a shell expects
        import signal

        sys.stdout.flush()
        signal.signal(-outcome.exit_code, signal.SIG_DFL)
        os.kill(os.getpid(), -outcome.exit_code)
        raise typer.Exit(128 - outcome.exit_code)
    raise typer.Exit(int(outcome.exit_code))


def _open_from(opts: Options) -> Any:
    """--from FILE: extract the snapshot (checked, into a private temporary directory), point
    the roots at it and replay its recorded answers (nsview/answers.py) until the command ends."""
    from nsview import answers
    from nsview.errors import UsageError
    from nsview.read.archive import open_snapshot

    assert opts.from_ is not None
    if opts.proc_root != Path("/proc") or opts.sys_root != Path("/sys"):
        raise UsageError(
            "--from FILE reads a snapshot's own /proc and /sys: not with --proc-root or --sys-root"
        )
    from nsview.procfs import bind_host_view

    bind_host_view(None)  # a snapshot is its own host, whatever an earlier command bound
    snapshot = open_snapshot(opts.from_)
    # Options is frozen for the command's code; the roots are decided here, once, before it runs.
    object.__setattr__(opts, "proc_root", snapshot.proc_root)
    object.__setattr__(opts, "sys_root", snapshot.sys_root)
    answers.TAP = answers.Replayer(snapshot.base, snapshot.answers)
    return snapshot


def _host_view(opts: Options) -> None:
    """Where the host is (nsview/hostview.py): --host-root, or found when nsview runs in a
    container; its notes go to stderr, so --json and --jsonl stay one document."""
    from nsview.hostview import apply_host_view

    notes = apply_host_view(opts.proc_root, opts.sys_root, opts.host_root).notes
    if notes:  # only then: sanitize loads rich, which --json on the host never does
        from nsview.render.sanitize import escape

        for note in notes:
            sys.stderr.write(f"nsview: {escape(note)}\n")


def _write_jsonl(opts: Options, outcome: Outcome) -> None:
    from dataclasses import asdict

    from nsview.collect.fleet import node_facts
    from nsview.procfs import ProcFS
    from nsview.render.jsonl import jsonl_lines

    facts = {"nsview_version": __version__, **asdict(node_facts(ProcFS(opts.proc_root)))}
    assert outcome.view is not None
    sys.stdout.writelines(line + "\n" for line in jsonl_lines(outcome.view, _view("json", outcome), facts))


def _write(opts: Options, rendered: Any) -> None:
    """A rich renderable, or (render/lines.Lines) lines written as they come, notes after."""
    from nsview.render.lines import Lines

    if not isinstance(rendered, Lines):
        _console(opts).print(rendered)
        return
    # In chunks: one write per line would be a system call per line under PYTHONUNBUFFERED.
    chunk: list[str] = []
    for line in rendered.out:
        chunk.append(line)
        if len(chunk) >= 512:
            sys.stdout.write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        sys.stdout.write("\n".join(chunk) + "\n")
    sys.stdout.flush()
    for note in rendered.notes():
        sys.stderr.write(f"nsview: {note}\n")


def _error_facts(err: NsviewError) -> dict[str, Any]:
    """What an error object carries besides its message: a stopped container's record."""
    from nsview.errors import NotRunning

    if isinstance(err, NotRunning):
        from nsview.model.container import StoppedContainer
        from nsview.render.json.ps import stopped_to_dict

        if isinstance(err.container, StoppedContainer):
            return {"container": stopped_to_dict(err.container)}
    return {}


def _report(
    opts: Options, kind: str, message: str, code: ExitCode, facts: dict[str, Any] | None = None
) -> NoReturn:
    from nsview.render.sanitize import escape

    if opts.json or opts.jsonl:
        import json

        payload = {"error": {"type": kind, "message": message, "exit_code": int(code), **(facts or {})}}
        sys.stdout.write(json.dumps(payload, indent=None if opts.jsonl else 2, ensure_ascii=True) + "\n")
    else:
        sys.stderr.write(f"nsview: {escape(message)}\n")
    raise typer.Exit(int(code))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nsview {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """nsview: what a Linux container really is, as the kernel sees it from the host."""


def _npd(verdict: Any) -> Outcome:
    """node-problem-detector's custom plugin protocol: one line on stdout, the status is the verdict."""
    from nsview.render.sanitize import escape

    sys.stdout.write(escape(verdict.message) + "\n")
    return Outcome(None, None, verdict.code)


def _pid_target(opts: Options, target: str) -> int:
    from nsview.targets import resolve_target

    return resolve_target(opts.proc_root, target, sys_root=opts.sys_root)


# ---- commands -----------------------------------------------------------------------------


@app.command(short_help="Process lineage and descendants, with namespace and container boundaries marked.")
def tree(
    target: TargetArg,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth", "-d", min=0, help="Show descendants down to this many levels (0: none). Default: all."
        ),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            "-w",
            help="Whole command lines and ids. By default a terminal (or COLUMNS) cuts each process "
            "line to the width with an ellipsis and shortens 64-digit ids to 12; pipes and files "
            "always get whole lines.",
        ),
    ] = False,
    json_: JsonOpt = False,
    no_color: NoColorOpt = False,
    color: ColorOpt = None,
    debug: DebugOpt = False,
    proc_root: ProcRootOpt = Path("/proc"),
    sys_root: SysRootOpt = Path("/sys"),
    host_root: HostRootOpt = None,
    from_: FromOpt = None,
) -> None:
    """Show the process lineage of TARGET and its descendants, like `pstree -spa PID`,
    marking where namespaces change (with inodes), container boundaries and in-container pids.

    Example: nsview tree 3074    nsview tree web --wide
    """
    opts = Options(json_, no_color, debug, proc_root, sys_root, color, host_root, from_=from_)

    def work() -> Outcome:
        from nsview.collect.tree import collect_tree
        from nsview.procfs import ProcFS

        result = collect_tree(ProcFS(opts.proc_root), _pid_target(opts, target), depth)
        return Outcome(result, "tree", text_options={"fold": not wide and _width_is_bounded()})

    execute(opts, work)


@app.command(short_help="The cgroup limits that really bind TARGET, and its usage, decoded.")
def cgroup(
    target: TargetArg,
    json_: JsonOpt = False,
    no_color: NoColorOpt = False,
    color: ColorOpt = None,
    debug: DebugOpt = False,
    proc_root: ProcRootOpt = Path("/proc"),
    sys_root: SysRootOpt = Path("/sys"),
    host_root: HostRootOpt = None,
    from_: FromOpt = None,
) -> None:
    """Show the cgroup limits that really bind TARGET: memory (limit, soft/high, low/min
    protection, swap, usage, peak, memory.stat breakdown, OOM), CPU quota as a number of CPUs
    and how often it throttled (cpu.stat), cpuset, pids and io, decoded ("unlimited", never a
    sentinel number), with the effective limit over all ancestors and the cgroup that sets it.
    On cgroup v2 also the pressure stall information (cpu, memory, io) of its cgroup and of the
    ancestors that bind it, the controllers delegated along the path, and its cgroup namespace.
    Works on cgroup v1, v2 and hybrid hosts.

    Example: nsview cgroup 3074
    Example: nsview cgroup web --json
    """
    opts = Options(json_, no_color, debug, proc_root, sys_root, color, host_root, from_=from_)

    def work() -> Outcome:
        from nsview.collect.cgroup import collect_cgroup
        from nsview.collect.oom import with_last_oom
        from nsview.procfs import ProcFS, SysFS

        proc = ProcFS(opts.proc_root)
        report = with_last_oom(proc, collect_cgroup(proc, SysFS(opts.sys_root), _pid_target(opts, target)))
        code = ExitCode.PARTIAL if report.errors or report.gone else ExitCode.OK
        return Outcome(report, "cgroup", code)

    execute(opts, work)


@app.command(short_help="Every container on the host, one row each (no daemon asked).")
def ps(
    runtime: Annotated[
        list[str] | None,
        typer.Option(
            "--runtime",
            "-r",
            help="Only these runtimes (repeatable): docker, containerd, podman, cri-o, kubernetes, "
            "lxc, namespaces (for bare unshare groups).",
        ),
    ] = None,
    pods: Annotated[
        bool,
        typer.Option(
            "--pods",
            help="Group Kubernetes containers by pod: one row a pod (namespace/name, uid), its "
            "containers under it, the sandbox (pause) container first and marked.",
        ),
    ] = False,
    all_: Annotated[
        bool,
        typer.Option(
            "--all",
            "-a",
            help="Also the containers Docker and podman keep on disk that do not run: state, exit "
            "code, OOM-killed, started and finished times (from config.v2.json and podman's files).",
        ),
    ] = False,
    jsonl: JsonlOpt = False,
    npd: NpdOpt = False,
    json_: JsonOpt = False,
    no_color: NoColorOpt = False,
    color: ColorOpt = None,
    debug: DebugOpt = False,
    proc_root: ProcRootOpt = Path("/proc"),
    sys_root: SysRootOpt = Path("/sys"),
    host_root: HostRootOpt = None,
    from_: FromOpt = None,
) -> None:
    """List every container on the host, one row each: runtime, id, name, init pid on the
    host, state (paused when frozen), processes, namespaces it isolates from the host,
    privileges in a word or two (privileged, default, +SYS_ADMIN, unconfined, host pid,net,
    docker.sock; `--json` has the findings), hostname, memory limit, root fs type. Also bare
    `unshare` groups ("namespaces only"). No engine or daemon is asked.
    Kubernetes containers show their pod as NAMESPACE/POD/CONTAINER (POD: the sandbox), from
    the OCI bundle's CRI annotations or the kubelet's /var/log/pods; a container inside another
    (docker-in-docker, a kind node) shows the chain it runs in (IN).

    With --all, also the containers that exist but do not run (exited, created, OOM-killed).

    Example: nsview ps --runtime docker    nsview ps --pods    nsview ps --all
    Example: nsview ps --jsonl    nsview ps --npd    nsview ps --host-root /host
    """
    opts = Options(json_, no_color, debug, proc_root, sys_root, color, host_root, jsonl, from_=from_)

    def work() -> Outcome:
        from dataclasses import replace

        from nsview.collect.ps import scan_containers
        from nsview.model.container import runtime_filter
        from nsview.procfs import ProcFS, SysFS

        wanted = runtime_filter(runtime)
        scan = scan_containers(ProcFS(opts.proc_root), SysFS(opts.sys_root), stopped=all_)
        if wanted:
            scan = replace(
                scan,
                containers=tuple(c for c in scan.containers if c.runtime in wanted),
                stopped=tuple(c for c in scan.stopped if c.runtime in wanted),
                # what podman's files could not say is noise when podman is not asked about
                notes=tuple(n for n in scan.notes if "podman" in wanted or not n.startswith("podman ")),
            )
        if npd:
            from nsview.collect.fleet import ps_verdict

            return _npd(ps_verdict(scan))
        return Outcome(scan, "pods" if pods and not jsonl else "ps")  # --jsonl: a line per container

    execute(opts, work)


@app.command(
    short_help="Host and TARGET side by side: namespaces, hostname, network, mounts, limits, privileges."
)
def diff(
    target: TargetArg,
    against: Annotated[
        str | None,
        typer.Option("--against", metavar="OTHER", help="Compare with this process instead of the host."),
    ] = None,
    mounts: Annotated[
        MountsShown,
        typer.Option(
            "--mounts",
            help="Which mounts the text lists: `person` (default) the root, binds, volumes and "
            "other mounts a person compares, with the runtime's own proc/sys/dev/cgroup mounts and "
            "the host's own mounts counted; `all` lists every mount either side lacks. --json "
            "always has all of them.",
        ),
    ] = MountsShown.person,
    json_: JsonOpt = False,
    no_color: NoColorOpt = False,
    color: ColorOpt = None,
    debug: DebugOpt = False,
    proc_root: ProcRootOpt = Path("/proc"),
    sys_root: SysRootOpt = Path("/sys"),
    host_root: HostRootOpt = None,
    from_: FromOpt = None,
) -> None:
    """Compare TARGET with the host side by side: namespaces (with inodes), hostname, network,
    root filesystem and overlay layers, extra mounts, cgroup limits, and privileges: what it may
    do to the host (capabilities against its engine's default, seccomp, no_new_privs, LSM label,
    how root is mapped, devices, shared namespaces, mounts into the host) with findings by
    severity. Each section names the classic command it replaces. Exit code 6 when a section
    could not be read.

    The text fits a screen: a row that differs, is isolated, could not be read or has a high or
    medium finding has a row of its own; rows equal on both sides are named on one line per
    section (shared namespaces by name); each side's cgroup is spelled once (T=, H=) and the
    classic lines use it. The host's own network is summarised: its interfaces by name and
    state, how many addresses and routes, where its default routes go (its addresses are in
    `ip addr`, the classic line). --json always has every row, --mounts all every mount.

    Example: nsview diff 3074    nsview diff 3074 --against 4120
    """
    opts = Options(json_, no_color, debug, proc_root, sys_root, color, host_root, from_=from_)

    def work() -> Outcome:
        from nsview.collect.diff import collect_diff
        from nsview.model.privileges import defaults_of
        from nsview.procfs import ProcFS, SysFS
        from nsview.targets import resolve

        resolved = resolve(opts.proc_root, target, sys_root=opts.sys_root)
        c = resolved.container
        engine = defaults_of(c.runtime, c.engine) if c is not None else None
        other = _pid_target(opts, against) if against is not None else None
        result = collect_diff(
            ProcFS(opts.proc_root), SysFS(opts.sys_root), resolved.pid, against=other, engine=engine
        )
        code = ExitCode.PARTIAL if result.partial else ExitCode.OK
        return Outcome(result, "diff", code, text_options={"all_mounts": mounts is MountsShown.all})

    execute(opts, work)


@app.command(short_help="Who the kernel's OOM killer killed, in which container, and whose limit it was.")
def oom(
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="[TARGET]",
            help="Only this container's kills (and its OOM counters): a pid, or a container name, id "
            "or id prefix, running or stopped (a stopped Docker container by name while `docker "
            "ps -a` still lists it; otherwise by the id its kills show). Default: every kill.",
            show_default=False,
        ),
    ] = None,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            metavar="FILE",
            help="Read a saved kernel log instead of /dev/kmsg: `dmesg`, `dmesg -T`, `journalctl -k` "
            "(short or short-iso) output, or /dev/kmsg records.",
        ),
    ] = None,
    npd_minutes: Annotated[
        int,
        typer.Option("--npd-minutes", metavar="N", min=1, help="With --npd: how far back a kill counts."),
    ] = 10,
    jsonl: JsonlOpt = False,
    npd: NpdOpt = False,
    json_: JsonOpt = False,
    no_color: NoColorOpt = False,
    color: ColorOpt = None,
    debug: DebugOpt = False,
    proc_root: ProcRootOpt = Path("/proc"),
    sys_root: SysRootOpt = Path("/sys"),
    host_root: HostRootOpt = None,
    from_: FromOpt = None,
) -> None:
    """List every OOM kill the kernel log still holds, oldest first: when, the victim (pid,
    name, uid, memory at the kill), the container it was in (named from its cgroup path, so a
    container that is gone still shows), and whose limit was hit: its own cgroup's, an
    ancestor's (a pod's, a parent slice's: named), or the whole host's. With TARGET, only its
    kills, plus the OOM counters of its cgroups (v2 memory.events, v1 memory.oom_control), which
    count kills that have scrolled out of the log. Reading /dev/kmsg needs root where
    kernel.dmesg_restrict=1; without it the counters still show and the exit code is 6.

    Example: nsview oom    nsview oom web    nsview oom --log dmesg.txt
    Example: nsview oom --jsonl    nsview oom --npd --npd-minutes 30
    """
    opts = Options(json_, no_color, debug, proc_root, sys_root, color, host_root, jsonl, from_=from_)

    def work() -> Outcome:
        from nsview.collect.oom import collect_oom
        from nsview.procfs import ProcFS, SysFS

        report = collect_oom(ProcFS(opts.proc_root), SysFS(opts.sys_root), target, log=log)
        if npd:
            from nsview.collect.fleet import oom_verdict

            return _npd(oom_verdict(report, npd_minutes))
        return Outcome(report, "oom", ExitCode.PARTIAL if report.partial else ExitCode.OK)

    execute(opts, work)


@app.command(
    short_help="TARGET's mount tree, findmnt-style: where each mount comes from on the host, what is hidden."
)
def mounts(
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="[TARGET]",
            help="A pid or a container, as for every command (see `nsview tree --help`). Not with --holding.",
            show_default=False,
        ),
    ] = None,
    mountpoint: Annotated[
        str | None,
        typer.Argument(
            metavar="[MOUNTPOINT]",
            help="Only the mounts on this path inside TARGET (all of them, stacked ones too).",
            show_default=False,
        ),
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            "-t",
            metavar="TYPES",
            help="Only these filesystem types (comma list or repeated), e.g. -t tmpfs,overlay; "
            "a list starting with no excludes them all, as in findmnt: -t nocgroup,proc.",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            metavar="SOURCE",
            help="Only mounts of this source: as mountinfo has it (/dev/vda, tmpfs), as findmnt "
            "prints it (/dev/vda[/srv/x]) or as a host path (/srv/x).",
        ),
    ] = None,
    shadowed: Annotated[
        bool,
        typer.Option(
            "--shadowed",
            help="Only hidden mounts: over-mounted on their own mount point (what findmnt "
            "--shadowed lists), or covered by a mount on a path above them.",
        ),
    ] = False,
    holding: Annotated[
        str | None,
        typer.Option(
            "--holding",
            metavar="PATH",
            help="Instead of one tree: every mount namespace on the host (containers by name, "
            "namespaces only an nsfs bind mount keeps, the host) that has PATH, or a filesystem "
            "from inside PATH, mounted, and where. The answer to 'device or resource busy'.",
        ),
    ] = None,
    json_: JsonOpt = False,
    no_color: NoColorOpt = False,
    color: ColorOpt = None,
    debug: DebugOpt = False,
    proc_root: ProcRootOpt = Path("/proc"),
    sys_root: SysRootOpt = Path("/sys"),
    host_root: HostRootOpt = None,
    from_: FromOpt = None,
) -> None:
    """Show the mount tree of TARGET's mount namespace like `findmnt -N PID` (TARGET, SOURCE,
    FSTYPE, OPTIONS, PROPAGATION with peer group ids), and for each mount where its files are
    on the host: a bind's host directory (a Docker volume's /var/lib/docker/volumes/NAME/_data,
    a `-v /srv/x:/data` bind's /srv/x), an overlay's merged dir and decoded layers, or "not
    visible from the host". Hidden mounts are marked with what hides them. With --holding PATH,
    list every mount namespace that keeps PATH mounted. Exit code 6 when something could not be read.

    Example: nsview mounts web    nsview mounts web --shadowed    nsview mounts --holding /srv/data
    """
    opts = Options(json_, no_color, debug, proc_root, sys_root, color, host_root, from_=from_)

    def work() -> Outcome:
        from nsview.errors import UsageError
        from nsview.model.mounts import MountFilter, type_filter
        from nsview.procfs import ProcFS, SysFS

        proc = ProcFS(opts.proc_root)
        if holding is not None:
            if target is not None:
                raise UsageError("--holding PATH scans every mount namespace: give no TARGET with it")
            from nsview.collect.holding import collect_holding

            held = collect_holding(proc, SysFS(opts.sys_root), holding)
            return Outcome(held, "mounts", ExitCode.PARTIAL if held.partial else ExitCode.OK)
        if target is None:
            raise UsageError("give a TARGET (a pid or a container), or --holding PATH")
        from nsview.collect.mounts import collect_mounts
        from nsview.targets import resolve

        wanted_types, exclude = type_filter(types)
        wanted = MountFilter(
            types=wanted_types,
            exclude_types=exclude,
            source=source,
            mountpoint=mountpoint.rstrip("/") or "/" if mountpoint is not None else None,
            shadowed=shadowed,
        )
        resolved = resolve(opts.proc_root, target, sys_root=opts.sys_root)
        label = resolved.container.label() if resolved.container is not None else None
        report = collect_mounts(proc, resolved.pid, label=label, wanted=wanted)
        return Outcome(report, "mounts", ExitCode.PARTIAL if report.partial else ExitCode.OK)

    execute(opts, work)


def _ns_flag(name: str, what: str) -> Any:
    return typer.Option(f"--{name}", help=f"Enter its {what} namespace.")


@app.command(
    name="exec",
    short_help="Run a command inside TARGET's namespaces, by container name (nsenter, race-free).",
)
def exec(  # the command's name; shadows the builtin only inside this module, which never calls it
    target: TargetArg,
    command: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="-- COMMAND...", help="The command and its arguments, after --.", show_default=False
        ),
    ] = None,
    net: Annotated[bool, _ns_flag("net", "network")] = False,
    uts: Annotated[bool, _ns_flag("uts", "UTS (hostname)")] = False,
    ipc: Annotated[bool, _ns_flag("ipc", "IPC")] = False,
    pid: Annotated[
        bool, typer.Option("--pid", help="Enter its pid namespace (COMMAND is forked inside it).")
    ] = False,
    mount: Annotated[
        bool,
        typer.Option(
            "--mount", help="Enter its mount namespace: COMMAND is then the container's own binary."
        ),
    ] = False,
    cgroup_ns: Annotated[bool, typer.Option("--cgroup", help="Enter its cgroup namespace.")] = False,
    time_ns: Annotated[bool, typer.Option("--time", help="Enter its time namespace.")] = False,
    user: Annotated[bool, _ns_flag("user", "user")] = False,
    all_: Annotated[
        bool,
        typer.Option("--all", "-a", help="Every namespace TARGET does not share with nsview (nsenter -a)."),
    ] = False,
    cgroup_join: Annotated[
        bool, typer.Option("--cgroup-join", help="Also join TARGET's cgroups, so its limits apply.")
    ] = False,
    wd: Annotated[
        str | None,
        typer.Option("--wd", metavar="DIR", help="Start COMMAND in this directory (inside, with --mount)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be entered and run, and stop there.")
    ] = False,
    json_: JsonOpt = False,
    no_color: NoColorOpt = False,
    color: ColorOpt = None,
    debug: DebugOpt = False,
    proc_root: ProcRootOpt = Path("/proc"),
    sys_root: SysRootOpt = Path("/sys"),
    host_root: HostRootOpt = None,
    from_: FromOpt = None,
) -> None:
    """Run COMMAND inside TARGET's namespaces, like nsenter, but by container name and race-free:
    the process is pinned (a pidfd) before anything is entered, and if it stops or its pid is
    reused, nothing runs. With no namespace option: net, uts, ipc and pid, and the HOST's
    filesystem, so host tools (ip, ss, tcpdump, strace) work on the container. --mount enters
    its filesystem too: then COMMAND is the container's own. Namespaces TARGET shares with
    nsview are not entered. The exit status is COMMAND's; nsview prints nothing of its own
    unless it fails (126/127: cannot run / not found, as in a shell). Needs root.

    Example: nsview exec web --net -- ss -tlnp    nsview exec web --uts -- hostname
    """
    opts = Options(json_, no_color, debug, proc_root, sys_root, color, host_root, from_=from_)
    chosen = {
        "net": net,
        "uts": uts,
        "ipc": ipc,
        "pid": pid,
        "mnt": mount,
        "cgroup": cgroup_ns,
        "time": time_ns,
    }
    chosen["user"] = user
    wanted = tuple(t for t, on in chosen.items() if on) or None

    def work() -> Outcome:
        from nsview.collect.exec import plan_exec, run_exec
        from nsview.procfs import ProcFS, SysFS
        from nsview.targets import resolve

        if opts.from_ is not None and not dry_run:
            from nsview.errors import UsageError

            raise UsageError("a snapshot runs no command: nsview exec --from FILE goes with --dry-run")
        proc = ProcFS(opts.proc_root)
        resolved = resolve(opts.proc_root, target, sys_root=opts.sys_root)
        label = resolved.container.label() if resolved.container is not None else f"pid {resolved.pid}"
        plan = plan_exec(
            proc,
            resolved.pid,
            label,
            tuple(command or ()),
            wanted=wanted,
            everything=all_,
            cwd=wd,
            cgroup_join=cgroup_join,
        )
        if dry_run:
            return Outcome(plan, "exec")
        if opts.json:
            from nsview.errors import UsageError

            raise UsageError("--json goes with --dry-run: a command's own output is not nsview's to wrap")
        return Outcome(None, None, run_exec(proc, SysFS(opts.sys_root), plan))

    execute(opts, work)


@app.command(short_help="What TARGET changed in its filesystem, like docker diff, from its overlay layers.")
def changes(
    target: TargetArg,
    like: Annotated[
        str | None,
        typer.Option(
            "--like",
            metavar="ENGINE",
            help="Whose rules: docker (docker diff) or podman (podman diff: an opaque directory is D, "
            "its contents A; podman's own files left out). Default: podman's for a podman container, "
            "docker's for any other.",
        ),
    ] = None,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary", help="Counts of A, C, D and bytes added per top-level directory, not the list."
        ),
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", metavar="N", min=0, help="Stop after N changes (the walk stops there too)."),
    ] = None,
    json_: JsonOpt = False,
    no_color: NoColorOpt = False,
    color: ColorOpt = None,
    debug: DebugOpt = False,
    proc_root: ProcRootOpt = Path("/proc"),
    sys_root: SysRootOpt = Path("/sys"),
    host_root: HostRootOpt = None,
    from_: FromOpt = None,
) -> None:
    """List what TARGET changed in its filesystem, one `A /path` (added), `C /path` (changed)
    or `D /path` (deleted) line each, exactly as `docker diff` prints them, computed from the
    layers of its overlay root as the host sees them: no engine is asked, so it works for any
    container whose root is an overlay (containerd's, CRI-O's, Kubernetes' too). A
    directory holding a change is listed (C) before it. Nothing inside the container is opened
    or followed. Exit code 6 when part of the upper layer could not be read or decoded (said on
    stderr); 5 when the root is not an overlay.

    Example: nsview changes web    nsview changes web --summary    nsview changes acme/web1 --json
    """
    opts = Options(json_, no_color, debug, proc_root, sys_root, color, host_root, from_=from_)

    def work() -> Outcome:
        from nsview.collect.changes import collect_changes
        from nsview.errors import UsageError
        from nsview.procfs import ProcFS, SysFS
        from nsview.targets import resolve

        style = like.strip().lower() if like is not None else None
        if style is not None and style not in ("docker", "podman"):
            raise UsageError(f"unknown --like {like!r}; choose docker or podman")
        resolved = resolve(opts.proc_root, target, sys_root=opts.sys_root)
        report = collect_changes(
            ProcFS(opts.proc_root),
            SysFS(opts.sys_root),
            resolved.pid,
            container=resolved.container,
            style=style,
            limit=limit,
            summary_only=summary,
        )
        return Outcome(
            report, "changes", final_code=lambda: ExitCode.PARTIAL if report.problems else ExitCode.OK
        )

    execute(opts, work)


@app.command(short_help="Capture what every command needs into one archive, to read anywhere with --from.")
def snapshot(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[TARGET]...",
            help="The containers or pids to capture (as for every command). Not needed with --all.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The archive to write: FILE.tar.gz (default compression) or FILE.tar.xz. Never "
            "overwritten, never written through a symlink; created mode 0600.",
            show_default=False,
        ),
    ] = Path(),
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Every container (running or stopped) and the host.")
    ] = False,
    with_changes: Annotated[
        bool,
        typer.Option(
            "--changes",
            help="Also what each target changed in its filesystem (its overlay layers' listing, "
            "for `nsview changes --from`): can be large.",
        ),
    ] = False,
    no_redact: Annotated[
        bool,
        typer.Option(
            "--no-redact",
            help="Keep argv values that look like secrets (--password=..., --token X, user:pass@ in "
            "URLs, *_KEY=, *SECRET*=, *TOKEN*=). By default they are masked and the manifest "
            "lists where; process environments are never captured.",
        ),
    ] = False,
    json_: JsonOpt = False,
    no_color: NoColorOpt = False,
    color: ColorOpt = None,
    debug: DebugOpt = False,
    proc_root: ProcRootOpt = Path("/proc"),
    sys_root: SysRootOpt = Path("/sys"),
) -> None:
    """Write one compressed archive holding what every nsview command reads for TARGETs (or,
    with --all, for every container and the host): the /proc files of their processes, their
    cgroups' files and their ancestors', the engines' files nsview reads, the kernel log, and
    what exists only as an answer (link targets, hostnames and network state read inside
    namespaces, mount tables), plus a manifest (version, host, boot id, time, capabilities,
    every file that could not be read and why, what was masked). Then `nsview COMMAND --from
    FILE`, here or on any machine, answers as this host did at capture time.

    Example: nsview snapshot --all -o host.tar.gz    nsview ps --from host.tar.gz
    Example: nsview snapshot web -o web.tar.xz    nsview diff web --from web.tar.xz
    """
    opts = Options(json_, no_color, debug, proc_root, sys_root, color)

    def work() -> Outcome:
        from nsview.snapshot import take_snapshot

        result = take_snapshot(
            opts.proc_root,
            opts.sys_root,
            list(targets or ()),
            None if output == Path() else output,
            every=all_,
            changes=with_changes,
            redact=not no_redact,
        )
        return Outcome(result, "snapshot")

    execute(opts, work)


# ---- entry point --------------------------------------------------------------------------


def _commands_to_build(argv: list[str]) -> list[typer.models.CommandInfo]:
    """typer turns every command's signature into click parameters on each run (~1.5 ms a
    command): when argv names a command, only that one is built. `nsview --help`, a mistyped
    name and shell completion (no command word yet) still get them all."""
    every = app.registered_commands
    named = [c for c in every if len(argv) > 1 and (c.name or getattr(c.callback, "__name__", "")) == argv[1]]
    if not named and argv[1:] in ([], ["--help"], ["-h"]) and "_NSVIEW_COMPLETE" not in os.environ:
        # `nsview --help` lists each command by its name and short help: none of their
        # parameters is built (tests/test_cli_start.py checks the text is the same)
        return [_listed_only(c) for c in every]
    return named or every


def _listed_only(info: typer.models.CommandInfo) -> typer.models.CommandInfo:
    """``info`` with a callback of no parameters, of the same name and docstring."""
    import copy

    real = info.callback

    def listed() -> None:
        raise AssertionError("only listed in --help, never run")

    listed.__name__ = getattr(real, "__name__", "command")
    listed.__doc__ = getattr(real, "__doc__", None)
    out = copy.copy(info)
    out.callback = listed
    return out


def main() -> None:
    every = app.registered_commands
    app.registered_commands = _commands_to_build(sys.argv)
    try:
        _main()
    finally:
        app.registered_commands = every


def _main() -> None:
    # SIGPIPE-safe: `nsview ps | head` must not end in a BrokenPipeError traceback. Any other
    # OSError here is click writing help or usage (`nsview tree --help > /dev/full`): a
    # command's own are translated in execute().
    try:
        app()
    except OSError as err:
        sys.exit(int(stdout_failed(err)))
