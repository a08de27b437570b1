"""``nsview ps``: ContainerScan -> a rich Table (one row per container)."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from nsview.model.cgroup import EffectiveLimit
from nsview.model.container import Container, ContainerScan, StoppedContainer, short_time
from nsview.render.json.ps import COLUMNS, OPTIONAL_AFTER, OPTIONAL_COLUMNS
from nsview.render.sanitize import safe
from nsview.render.text.oom import when
from nsview.render.units import limit_words

# What a narrow terminal gives up first: whole columns, least telling first. RUNTIME, ID,
# NAME and PID are never cut - they are what a user greps for and types as a TARGET.
DROP_ORDER: tuple[str, ...] = (
    "last_oom_kill",
    "rootfs_type",
    "hostname",
    "finished_at",
    "isolated",
    "privileges",
    "memory_limit",
    "nested_in",
    "processes",
    "state",
    "compose",
    "exit_code",
    "pod",
)


KEEP_WHOLE: frozenset[str] = frozenset({"runtime", "short_id", "name", "init_pid"})


_FOLD_MIN = {"hostname": 8}  # a long hostname folds down to this before its column is dropped


_GAP = 2  # box=None, padding (0, 1), pad_edge=False: two spaces between columns


def _memory_cell(m: EffectiveLimit | None) -> str:
    return "n/a" if m is None else limit_words(m.limit, "bytes")


def render_ps(scan: ContainerScan) -> RenderableType:
    if not scan.containers and not scan.stopped:
        return Group(Text("no containers found", style="dim"), *scan_footer(scan))
    return Group(PsTable(scan), *scan_footer(scan))


def _cells(c: Container) -> dict[str, Text]:
    cid = c.short_id if c.namespace is None else f"{c.namespace}/{c.short_id}"
    state_style = {"running": "green", "paused": "yellow", "pausing": "yellow", "zombie": "red"}
    return {
        "runtime": Text(c.runtime, style="green" if c.runtime != "namespaces only" else "yellow"),
        "short_id": safe(cid if cid is not None else "-", "cyan"),
        "name": safe(c.name if c.name is not None else "-"),
        "init_pid": Text(str(c.init_pid)),
        "state": Text(c.state, style=state_style.get(c.state, "")) if c.state else Text("n/a", style="dim"),
        "processes": Text(str(len(c.pids))),
        # None: the namespaces could not be read (not root), never "none" (errors says why)
        "isolated": Text(",".join(c.isolated) if c.isolated else ("none" if c.isolated == () else "?")),
        "privileges": privileges_cell(c),
        "hostname": safe(c.hostname) if c.hostname is not None else Text("n/a", style="dim"),
        "memory_limit": Text(_memory_cell(c.memory_limit), style="dim" if c.memory_limit is None else ""),
        "rootfs_type": safe(c.rootfs_type) if c.rootfs_type is not None else Text("n/a", style="dim"),
        "pod": pod_cell(c),
        "compose": safe(c.compose.label()) if c.compose is not None else Text("-", style="dim"),
        "nested_in": safe(c.nesting() or "-", "" if c.nested_in else "dim"),
        "last_oom_kill": Text("-", style="dim")
        if c.last_oom is None
        else Text.assemble((when(c.last_oom), "red"), " ", safe(c.last_oom.comm)),
        "exit_code": Text("-", style="dim"),
        "finished_at": Text("-", style="dim"),
    }


def _stopped_cells(c: StoppedContainer) -> dict[str, Text]:
    """A row of ``ps --all`` for a container that does not run: no process, how it ended."""
    dash = Text("-", style="dim")
    e = c.exit
    if e is None:
        exit_cell = Text("?", style="dim")
    elif e.exit_code is None or e.status == "created":
        exit_cell = dash
    else:
        exit_cell = Text(str(e.exit_code), style="red" if e.exit_code else "")
    if e is not None and e.oom_killed:
        exit_cell = Text.assemble(exit_cell, (" oom-killed", "red"))
    return {
        "runtime": Text(c.runtime, style="dim"),
        "short_id": safe(c.short_id, "cyan"),
        "name": safe(c.name if c.name is not None else "-"),
        "init_pid": dash,
        "state": Text(e.status, style="dim") if e is not None else Text("not running", style="dim"),
        "processes": Text("0"),
        "isolated": dash,
        "privileges": dash,
        "hostname": dash,
        "memory_limit": dash,
        "rootfs_type": dash,
        "pod": safe(c.pod.label()) if c.pod is not None else Text("-", style="dim"),
        "compose": dash,
        "nested_in": dash,
        "last_oom_kill": dash,
        "exit_code": exit_cell,
        "finished_at": safe(short_time(e.finished_at)) if e is not None and e.finished_at else dash,
    }


def privileges_cell(c: Container) -> Text:
    """The summary of model/privileges.assess, red when a finding is high, "n/a" unread."""
    p = c.privileges
    if p is None:
        return Text("n/a", style="dim")
    high = any(f.severity == "high" for f in p.findings)
    return safe(p.summary, "bold red" if high else ("yellow" if p.summary != "default" else ""))


def pod_cell(c: Container) -> Text:
    """``namespace/pod/container`` (``/POD`` for the sandbox); ``pod <uid>`` when only the
    cgroup path's uid is known; ``-`` outside Kubernetes."""
    if c.pod is not None:
        return safe(c.pod.label())
    if c.pod_uid is not None:
        return Text.assemble(("uid ", "dim"), safe(c.pod_uid))
    return Text("-", style="dim")


def _with_optional(present: set[str]) -> list[tuple[str, str]]:
    """COLUMNS with the optional columns that have a value, each after the column it follows."""
    columns = list(COLUMNS)
    for header, key in OPTIONAL_COLUMNS:
        if key in present:
            keys = [k for _, k in columns]
            after = OPTIONAL_AFTER[key]
            if after not in keys:
                after = OPTIONAL_AFTER.get(after, "")  # the column it follows is not shown either
            at = keys.index(after) + 1 if after in keys else len(columns)
            columns.insert(at, (header, key))
    return columns


def fit_columns(natural: dict[str, int], width: int) -> tuple[dict[str, int], tuple[str, ...]]:
    """Column widths for a terminal ``width`` wide, and the keys of the columns left out.
    Columns fold (hostname) or drop (DROP_ORDER) before a KEEP_WHOLE column loses a
    character; only when those alone are too wide do NAME, RUNTIME, ID and PID fold, in
    that order - wrapped onto more lines, never cut."""
    keys = [k for _, k in (*COLUMNS, *OPTIONAL_COLUMNS) if k in natural]
    least = {k: min(natural[k], _FOLD_MIN.get(k, natural[k])) for k in keys}
    hidden: list[str] = []

    def need(ks: list[str], w: dict[str, int]) -> int:
        return sum(w[k] for k in ks) + _GAP * (len(ks) - 1)

    for key in DROP_ORDER:
        if need(keys, least) <= width:
            break
        if key in keys:
            keys.remove(key)
            hidden.append(key)
    widths = {k: natural[k] for k in keys}
    for key in (*_FOLD_MIN, "name", "runtime", "short_id", "init_pid"):
        excess = need(keys, widths) - width
        if excess <= 0:
            break
        if key in widths:
            floor = least[key] if key in _FOLD_MIN else min(natural[key], 4)
            widths[key] = max(floor, widths[key] - excess)
    return widths, tuple(hidden)


class PsTable:
    """The table, laid out when the console's width is known (a rich renderable): whole PIDs,
    ids and names at any width, with a note naming the columns a narrow terminal hid."""

    def __init__(self, scan: ContainerScan) -> None:
        self.rows = [_cells(c) for c in scan.containers] + [_stopped_cells(c) for c in scan.stopped]
        present: set[str] = set()
        if scan.stopped:
            present.update(("exit_code", "finished_at"))
        if any(c.last_oom is not None for c in scan.containers):
            present.add("last_oom_kill")
        if any(c.pod is not None or c.pod_uid is not None for c in scan.containers) or any(
            c.pod is not None for c in scan.stopped
        ):
            present.add("pod")
        if any(c.nested_in for c in scan.containers):
            present.add("nested_in")
        if any(c.compose is not None for c in scan.containers):
            present.add("compose")
        self.columns = _with_optional(present)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        natural = {
            key: max([len(header)] + [row[key].cell_len for row in self.rows]) for header, key in self.columns
        }
        widths, hidden = fit_columns(natural, options.max_width)
        table = Table(box=None, pad_edge=False, header_style="bold")
        shown = [(header, key) for header, key in self.columns if key in widths]
        for header, key in shown:
            whole = widths[key] >= natural[key]
            table.add_column(
                header,
                width=widths[key],
                no_wrap=whole,
                overflow="fold",  # if a cell ever is wider: onto the next line, never "…"
                justify="right" if key in ("init_pid", "processes") else "left",
            )
        for row in self.rows:
            table.add_row(*(row[key] for _, key in shown))
        yield table
        if hidden:
            names = ", ".join(header for header, key in self.columns if key in hidden)
            yield Text(
                f"note: {names} hidden to fit {options.max_width} columns; "
                "a wider terminal or `nsview ps --json` shows them",
                style="yellow",
            )


def scan_footer(scan: ContainerScan) -> list[Text]:
    lines = []
    if scan.vanished:
        lines.append(
            Text(
                f"note: {scan.vanished} process(es) exited during the scan and are not shown", style="yellow"
            )
        )
    if scan.unreadable:
        why = "; ".join(scan.unreadable_why) or "unknown"
        lines.append(
            Text.assemble(
                (f"note: {scan.unreadable} process(es) could not be read and are not classified: ", "yellow"),
                safe(why),
            )
        )
    for note in scan.notes:
        lines.append(Text.assemble(("note: ", "yellow"), safe(note)))
    return lines
