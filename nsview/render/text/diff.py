"""``nsview diff``: Comparison -> side-by-side rich tables.

Left is always the reference (the host, or ``--against``), right the target. A value that
differs from the reference is highlighted; "not available: why" stands where a side could not be
read. Every string that came from a process, a container or a mount goes through ``safe``.

What a person reads is short (docs/commands.md, "nsview diff"): a row that differs, is isolated,
could not be read or is the subject of a serious finding has its own row; rows equal on both
sides are named together on one line per section (``collapsed``); a row that only repeats
another section (each section's namespace, the host namespaces of the privileges) is left to
that section; the host's own network is summarised (``_net_summary``). ``--json`` keeps it all.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from typing import Any, TypeVar

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from nsview.model.diff import (
    LIMIT_ROWS,
    Comparison,
    Limits,
    MountView,
    NamespaceRow,
    Pair,
    Reading,
    Side,
    UtsInfo,
)
from nsview.model.mount import Mount, is_runtime_view
from nsview.model.net import NetInterface, NetworkInfo
from nsview.model.overlay import OverlayRoot
from nsview.render.sanitize import safe
from nsview.render.units import limit_words, short_ids

T = TypeVar("T")

DIFF_STYLE = "bold yellow"


NA_STYLE = "red"

# Every side-by-side table of the sections has these columns, so that the one header (over
# the Namespaces table) names the columns of all of them: the row's name, the reference, the
# target, the verdict. The widths fit the longest row name and verdict.
LABEL_WIDTH = 16  # "mounts into host"
VERDICT_WIDTH = 8  # "isolated"

# The row names of the text, by the key --json uses for them (tests/test_diff_rows.py checks
# that every row --json shows differing is named in the text, and every equal one collapsed).
LIMIT_LABELS = {"memory_swap": "memory+swap", "cpuset_cpus": "cpuset cpus"}

# A collapsed line shows an equal row's value after its name when the value is this short.
SHORT_VALUE = 24


def render_diff(c: Comparison, all_mounts: bool = False) -> RenderableType:
    """``all_mounts``: every mount either side lacks; by default the runtime's own views
    (model.mount.is_runtime_view) and the reference's own mounts are counted, not listed."""
    parts: list[RenderableType] = []
    head = Text()
    head.append("nsview diff  ", style="bold")
    head.append_text(_who(c.reference))
    head.append("  |  ", style="dim")
    head.append_text(_who(c.target))
    parts.append(head)
    for note in c.notes:
        parts.append(Text("reference: ", style="dim") + safe(note))
    ref_label = "host" if c.reference.role == "host" else f"pid {c.reference.pid}"
    tgt_label = f"target {c.target.pid}"
    against = c.reference.role != "host"
    cg = CgroupVars(c.limits, against)

    # one header names the columns of every section's table (they all have side_table's widths)
    parts.append(side_table(ref_label, tgt_label, header=True))
    parts += _section("Namespaces", c.classic.get("namespaces"), *_namespaces_parts(c, ref_label, tgt_label))[
        1:
    ]
    parts += _section("Hostname (UTS)", c.classic.get("uts"), *_uts_parts(c.uts, ref_label, tgt_label))
    parts += _section(
        "Network", c.classic.get("network"), *_net_table(c.network, ref_label, tgt_label, against)
    )
    parts += _section(
        "Mounts", c.classic.get("mounts"), *_mount_parts(c.mounts, ref_label, tgt_label, all_mounts)
    )
    parts += _section(
        "Limits (cgroup)",
        cg.shorten(c.classic.get("limits")),
        *_limits_parts(c.limits, ref_label, tgt_label),
        assignments=cg.lines(),
    )
    if c.privileges is not None:
        from nsview.render.text.privileges import privileges_parts

        parts += _section(
            "Privileges",
            cg.shorten(c.classic.get("privileges")),
            *privileges_parts(c.privileges, ref_label, tgt_label, repeat_namespaces=against),
        )
    if c.partial:
        parts.append(
            Text(
                '\nsome sections could not be read (see "not available" above): exit code 6 (partial)',
                style="yellow",
            )
        )
    return Aligned(parts)


def _who(s: Side) -> Text:
    t = Text()
    t.append(s.role + " ", style="dim")
    t.append(str(s.pid), style="cyan")
    t.append(" (")
    t.append_text(safe(s.comm, "bold" if s.role == "target" else ""))
    t.append(")")
    return t


# Where a classic line may break: after a command's ";", before "vs" and before "(or: ...)".
_CLASSIC_BREAKS = re.compile(r"(; |   vs   |   \()")
_CLASSIC = "  classic: "


class Heading:
    """A section's title and the classic commands it replaces: on the title's line when they
    fit the console's width, else on their own line(s), broken only between two commands so
    that each line can be copied whole. ``assignments``: shell variables the commands use
    (``T=/docker/0ac9...``), one line each, above them."""

    def __init__(self, title: str, classic: str | None, assignments: Iterable[Text] = ()) -> None:
        self.title = title
        self.classic = classic
        self.assignments = tuple(assignments)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        title = Text(self.title, style="bold underline")
        if not self.classic:
            yield from self._assigned(title, width)
            return
        pieces = _CLASSIC_BREAKS.split(self.classic)
        atoms = [safe(x, "dim") for x in pieces[::2]]
        seps = pieces[1::2]
        whole = Text(_CLASSIC, style="dim") + Text("").join(
            [atoms[0], *(safe(s, "dim") + a for s, a in zip(seps, atoms[1:], strict=True))]
        )
        if not self.assignments and cell_len(self.title) + cell_len(whole.plain) <= width:
            yield title + whole
            return
        yield from self._assigned(title, width)
        line = Text(_CLASSIC, style="dim") + atoms[0]
        for sep, atom in zip(seps, atoms[1:], strict=True):
            if cell_len(line.plain) + len(sep) + cell_len(atom.plain) <= width:
                line += Text(sep, style="dim") + atom
                continue
            # ";" ends the line it ends; "vs" and "(" begin the next one
            yield line + Text(";", style="dim") if sep == "; " else line
            line = Text(" " * len(_CLASSIC)) + (
                atom if sep == "; " else Text(sep.lstrip(), style="dim") + atom
            )
        yield line

    def _assigned(self, title: Text, width: int) -> RenderResult:
        """The title, then the assignments: as many on a line as fit, two spaces apart."""
        line = title
        for a in self.assignments:
            if cell_len(line.plain) + 2 + cell_len(a.plain) <= width:
                line = line + Text("  ") + a
            else:
                yield line
                line = Text("  ") + a
        yield line


def _section(
    title: str, classic: str | None, *renderables: RenderableType, assignments: Iterable[Text] = ()
) -> list[RenderableType]:
    return [Text(""), Heading(title, classic, assignments), *renderables]


class SideTable(Table):
    """A section's side-by-side table. Every one of them is laid out at one width (``Aligned``),
    so that the header over the first names the columns of all; it remembers how wide its
    widest value is, to find that width."""

    def __init__(self, ref_label: str, tgt_label: str, header: bool) -> None:
        super().__init__(
            box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, show_header=header, expand=True
        )
        self.add_column("", style="bold", no_wrap=True, width=LABEL_WIDTH)
        self.add_column(ref_label, overflow="fold", ratio=1)
        self.add_column(tgt_label, overflow="fold", ratio=1)
        self.add_column("", no_wrap=True, width=VERDICT_WIDTH)
        self.widest = max(cell_len(ref_label), cell_len(tgt_label))

    def add_row(self, *cells: RenderableType | None, **kwargs: Any) -> None:
        for cell in cells[1:3]:
            if isinstance(cell, Text):
                self.widest = max([self.widest, *(cell_len(x) for x in cell.plain.split("\n"))])
        super().add_row(*cells, **kwargs)


def side_table(ref_label: str, tgt_label: str, header: bool = False) -> SideTable:
    return SideTable(ref_label, tgt_label, header)


class Aligned:
    """The diff's renderables, with every ``SideTable`` among them as wide
    as the widest needs, up to the console's width: the reference and target columns line up
    from section to section, and into a pipe (no width) no line is padded to thousands."""

    def __init__(self, parts: list[RenderableType]) -> None:
        self.parts = parts
        self.tables = [p for p in parts if isinstance(p, SideTable)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # label, two values, verdict; a space either side of each inner edge and a divider on it
        natural = LABEL_WIDTH + VERDICT_WIDTH + 9 + 2 * max((t.widest for t in self.tables), default=0)
        for t in self.tables:
            t.width = min(options.max_width, natural)
        yield from self.parts


def _na(r: Reading[T]) -> Text:
    return Text("not available: ", style=NA_STYLE) + safe(r.error or "", NA_STYLE)


def collapsed(
    lead: str, items: list[tuple[str, str | None]], loud: frozenset[str] = frozenset()
) -> list[Text]:
    """The rows equal on both sides, named on one line: ``equal: domainname (none), ...``.
    An item's value follows its name when it is short; the whole row is in --json. ``loud``:
    names to highlight (a shared host network namespace)."""
    if not items:
        return []
    line = Text(lead + ": ", style="dim")
    for i, (name, value) in enumerate(items):
        if i:
            line.append(", ", style="dim")
        line.append_text(safe(name, DIFF_STYLE if name in loud else ""))
        if value and len(value) <= SHORT_VALUE:
            line.append(" ")
            line.append_text(safe(value, "dim"))
    return [line]


_NA = "not available: "


class Rows:
    """A section's rows: those that differ (or could be read on one side only) in the table,
    those equal on both sides named on one line (``same``), and those neither side could
    read, for the same reason, named on one line with the reason."""

    def __init__(self, ref_label: str, tgt_label: str) -> None:
        self.table = side_table(ref_label, tgt_label)
        self.equal: list[tuple[str, str | None]] = []
        self.unreadable: dict[str, list[str]] = {}  # the reason -> the rows

    def add(self, label: str, left: Text, right: Text, verdict: Text | None = None) -> None:
        if left.plain.startswith(_NA) and left.plain == right.plain:
            self.unreadable.setdefault(left.plain[len(_NA) :], []).append(label)
            return
        self.table.add_row(Text(label), left, right, verdict or Text(""))

    def same(self, label: str, value: str | None = None) -> None:
        self.equal.append((label, value))

    def parts(self, lead: str = "equal", first: list[Text] | None = None) -> list[RenderableType]:
        """``first``: collapsed lines to put before the equal ones, on the same line."""
        out: list[RenderableType] = [self.table] if self.table.row_count else []
        line = Text("; ", style="dim").join([*(first or []), *collapsed(lead, self.equal)])
        if line.plain:
            out.append(line)
        for reason, labels in self.unreadable.items():
            na = Text("not available on either side: ", style=NA_STYLE) + safe(", ".join(labels))
            out.append(na + Text(" (", style=NA_STYLE) + safe(reason, NA_STYLE) + Text(")", style=NA_STYLE))
        return out


def _verdict(shared: bool | None, against: bool) -> Text:
    """Against the host a namespace is "shared" or "isolated"; between two targets it is the
    "same" one or "differs"."""
    if shared is None:
        return Text("?", style="dim")
    if against:
        return Text("same", style="green") if shared else Text("differs", style=DIFF_STYLE)
    return Text("shared", style="green") if shared else Text("isolated", style=DIFF_STYLE)


def _ns_cells(row: NamespaceRow) -> tuple[Text, Text]:
    left = safe(row.reference.value) if row.reference.value else _na(row.reference)
    right = (
        safe(row.target.value, DIFF_STYLE if row.shared is False else "")
        if row.target.value
        else _na(row.target)
    )
    return left, right


# Namespaces a container shares with its host only on purpose (--network host, --pid host ...):
# named in the highlight colour on the "shared with the host" line.
LOUD_SHARED = frozenset({"pid", "net", "mnt", "ipc", "uts"})


def _namespaces_parts(c: Comparison, ref_label: str, tgt_label: str) -> list[RenderableType]:
    """One row per namespace the target does not share (or that could not be read); the shared
    ones by name on one line: sharing a host namespace is a security fact, never left out."""
    rows = Rows(ref_label, tgt_label)
    against = c.reference.role != "host"
    shared: list[tuple[str, str | None]] = []
    for row in c.namespaces:
        if row.shared is True:
            shared.append((row.type, None))
        else:
            rows.add(row.type, *_ns_cells(row), _verdict(row.shared, against))
    maps = c.user_maps
    for name in ("uid_map", "gid_map"):
        cells = []
        for r in (maps.reference, maps.target):
            if r.value is None:
                cells.append(_na(r))
            else:
                ranges = getattr(r.value, name)
                cells.append(
                    safe("; ".join(f"{x.inside} {x.outside} {x.count}" for x in ranges) or "(empty)")
                )
        if None not in (maps.reference.value, maps.target.value) and cells[0].plain == cells[1].plain:
            rows.same(name, cells[0].plain)
            continue
        differ = None not in (maps.reference.value, maps.target.value)
        if differ:
            cells[1].stylize(DIFF_STYLE)
        rows.add("user " + name, cells[0], cells[1], Text("differs", style=DIFF_STYLE) if differ else None)
    lead = "same namespace on both sides" if against else "shared with the host"
    return rows.parts(first=collapsed(lead, shared, loud=frozenset() if against else LOUD_SHARED))


def _uts_parts(p: Pair[UtsInfo], ref_label: str, tgt_label: str) -> list[RenderableType]:
    # whether it is the same UTS namespace is the Namespaces section's uts row
    rows = Rows(ref_label, tgt_label)
    for field in ("hostname", "domainname"):
        vals = [getattr(r.value, field) if r.value is not None else None for r in (p.reference, p.target)]
        if None not in vals and vals[0] == vals[1]:
            rows.same(field, vals[0])
            continue
        differ = None not in vals
        cells = [
            safe(v, DIFF_STYLE if differ and i == 1 else "") if v is not None else _na(r)
            for i, (v, r) in enumerate(zip(vals, (p.reference, p.target), strict=True))
        ]
        rows.add(field, cells[0], cells[1], Text("differs", style=DIFF_STYLE) if differ else None)
    return rows.parts()


def _iface_head(cell: Text, iface: NetInterface, other_names: set[str] | None) -> None:
    """An interface's name (highlighted when the other side has none of that name) and state."""
    new = other_names is not None and iface.name not in other_names
    cell.append_text(safe(iface.name, "bold " + DIFF_STYLE if new else "bold"))
    cell.append(f" {iface.operstate}")


def _net_cell(n: NetworkInfo | None, other: NetworkInfo | None) -> Text:
    """One side's network whole: each interface, then its addresses on one line."""
    assert n is not None
    other_names = {i.name for i in other.interfaces} if other else None
    cell = Text()
    for i, iface in enumerate(n.interfaces):
        if i:
            cell.append("\n")
        _iface_head(cell, iface, other_names)
        cell.append(f" mtu {iface.mtu}" if iface.mtu is not None else "")
        if iface.mac:
            cell.append(" ")
            cell.append_text(safe(iface.mac, "dim"))
        for j, a in enumerate(iface.addresses):
            cell.append(", " if j else "\n  ")
            cell.append_text(safe(f"{a.address}/{a.prefixlen}", "cyan"))
            cell.append(f" {a.scope}", style="dim")
    if not n.interfaces:
        cell.append("(no interfaces)", style="dim")
    return cell


def _net_summary(n: NetworkInfo, other: NetworkInfo | None) -> Text:
    """The host's interfaces by name and state, and how many addresses they hold: what a person
    compares with a container's (which names it sees, whether they are up). The addresses
    themselves are the host's own business: ``ip addr`` (the classic line) and --json."""
    other_names = {i.name for i in other.interfaces} if other else None
    cell = Text()
    for i, iface in enumerate(n.interfaces):
        if i:
            cell.append(", ")
        _iface_head(cell, iface, other_names)
    count = sum(len(i.addresses) for i in n.interfaces)
    if n.interfaces:
        cell.append(f"; {count} address{'es' if count != 1 else ''}", style="dim")
    else:
        cell.append("(no interfaces)", style="dim")
    return cell


def _route_summary(n: NetworkInfo) -> Text:
    """The host's routes: where its default routes go, and how many routes there are."""
    cell = Text(f"{len(n.routes)} route{'s' if len(n.routes) != 1 else ''}")
    gateways = [r.gateway or r.device or "?" for r in n.default_routes]
    if gateways:
        cell.append(", default via ")
        cell.append_text(safe(", ".join(gateways), "bold"))
    else:
        cell.append(", no default route", style="dim")
    for err in n.errors:
        cell.append("\n")
        cell.append_text(safe(err, NA_STYLE))
    return cell


def _routes_cell(n: NetworkInfo) -> Text:
    cell = Text()
    for i, r in enumerate(n.routes):
        if i:
            cell.append("\n")
        line = r.destination
        if r.gateway:
            line += f" via {r.gateway}"
        if r.device:
            line += f" dev {r.device}"
        if r.type != "unicast":
            line = f"{r.type} {line}"
        cell.append_text(safe(line, "bold" if r.is_default else ""))
    if not n.routes:
        cell.append("(no routes: no default route)", style="dim")
    for err in n.errors:
        cell.append("\n")
        cell.append_text(safe(err, NA_STYLE))
    return cell


def _net_table(p: Pair[NetworkInfo], ref_label: str, tgt_label: str, against: bool) -> list[RenderableType]:
    """The target's network whole; the host's summarised (``--against``: two workloads, both
    whole). One netns or two is the Namespaces section's answer, by inode."""
    rows = Rows(ref_label, tgt_label)
    ref, tgt = p.reference.value, p.target.value
    rows.add(
        "interfaces",
        _na(p.reference) if ref is None else _net_cell(ref, tgt) if against else _net_summary(ref, tgt),
        _net_cell(tgt, ref) if tgt is not None else _na(p.target),
    )
    rows.add(
        "routes",
        _na(p.reference) if ref is None else _routes_cell(ref) if against else _route_summary(ref),
        _routes_cell(tgt) if tgt is not None else _na(p.target),
    )
    return rows.parts()


def _mount_line(m: Mount, style: str = "") -> Text:
    t = safe(m.fstype, "bold " + style)
    t.append(" ")
    t.append_text(safe(m.findmnt_source or '""', style))
    t.append(" ")
    t.append("ro" if m.read_only else "rw", style="red" if m.read_only else "")
    return t


def _mount_parts(
    p: Pair[MountView], ref_label: str, tgt_label: str, all_mounts: bool
) -> list[RenderableType]:
    t = side_table(ref_label, tgt_label)
    ref, tgt = p.reference.value, p.target.value
    cells = []
    for v, r in ((ref, p.reference), (tgt, p.target)):
        if v is None:
            cells.append(_na(r))
        else:
            cell = (
                Text("no mount on / is visible", style="dim") if v.root is None else _mount_line(v.root.mount)
            )
            driver = v.root.overlay.driver if v.root is not None and v.root.overlay is not None else None
            cell.append(f" ({driver + ', ' if driver else ''}{v.count} mounts)", style="dim")
            cells.append(cell)
    differ = (
        ref is not None
        and tgt is not None
        and ref.root is not None
        and tgt.root is not None
        and (ref.root.mount.fstype, ref.root.mount.major, ref.root.mount.minor)
        != (tgt.root.mount.fstype, tgt.root.mount.major, tgt.root.mount.minor)
    )
    if differ:
        cells[1].stylize(DIFF_STYLE, 0, cells[1].plain.rindex(" ("))
    t.add_row(Text("root fs"), *cells, Text("differs", style=DIFF_STYLE) if differ else Text(""))
    parts: list[RenderableType] = [t]
    overlays = [
        (label, v.root.overlay)
        for label, v in ((ref_label, ref), (tgt_label, tgt))
        if v is not None and v.root is not None and v.root.overlay is not None
    ]
    for label, o in overlays:
        assert o is not None
        if len(overlays) == 1 and not all_mounts:
            # the one overlay root, right under its row: its layers, indented, need no title
            parts += overlay_layers(o, compact=True, indent=2)
            continue
        parts.append(
            Text.assemble((f"overlay layers of the {label} root", "bold"), (f"  ({o.driver})", "dim"))
        )
        parts += overlay_layers(o, compact=not all_mounts)
    if tgt is not None and ref is not None:
        who = "the host" if ref_label == "host" else ref_label
        if all_mounts:
            parts += _only_parts(f"mounts only the {tgt_label} has", tgt.only_here)
            parts += _only_parts(f"mounts only {who} has", ref.only_here, ONLY_LIST_MAX)
            parts += _instance_parts(tgt.other_instance, tgt_label, who)
            return parts
        mine = tuple(m for m in tgt.only_here if not is_runtime_view(m))
        pairs = tuple(pair for pair in tgt.other_instance if not is_runtime_view(pair[0]))
        views = len(tgt.only_here) - len(mine) + len(tgt.other_instance) - len(pairs)
        parts += _only_parts(f"mounts only the {tgt_label} has", mine, compact=True)
        if ref_label != "host":  # --against: two workloads, each side's own mounts matter
            theirs = tuple(m for m in ref.only_here if not is_runtime_view(m))
            views += len(ref.only_here) - len(theirs)
            parts += _only_parts(f"mounts only {who} has", theirs, ONLY_LIST_MAX, compact=True)
        parts += _instance_parts(pairs, tgt_label, who)
        rest = []
        if views:
            rest.append(f"{views} proc, sysfs, dev and cgroup mounts the runtime adds")
        if ref.only_here and ref_label == "host":
            rest.append(f"{len(ref.only_here)} mounts only {who} has")
        if rest:
            parts.append(Text("not listed: " + "; ".join(rest) + " (--mounts all)", style="dim"))
    return parts


def _instance_parts(pairs: tuple[tuple[Mount, Mount], ...], tgt_label: str, who: str) -> list[RenderableType]:
    """Mount points both sides mount, each its own filesystem instance (a container's own proc,
    sysfs, devpts, mqueue, cgroup): one row per path, not one on each "only" list."""
    if not pairs:
        return []
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for col in ("target", "type", f"the {tgt_label}'s", f"{who}'s"):
        t.add_column(col, overflow="fold")
    for mine, theirs in pairs:
        here = _instance(mine)
        if (mine.major, mine.minor) == (theirs.major, theirs.minor):
            here.append("  (same filesystem, another directory of it)", style="dim")
        t.add_row(safe(mine.target, "bold"), safe(mine.fstype), here, _instance(theirs))
    title = f"same path, different filesystem instance ({len(pairs)})"
    return [Text(title, style="bold"), t]


def _instance(m: Mount) -> Text:
    t = safe(m.findmnt_source)
    t.append(f" {m.major}:{m.minor}", style="dim")
    return t


def overlay_layers(o: OverlayRoot, compact: bool = False, indent: int = 0) -> list[RenderableType]:
    """An overlay's layers, one row each (lower 1 on top), then upper, work and merged.
    ``compact``: the layers and the upper dir only, without the short forms the options carry
    (what a person compares; `nsview mounts` and `--mounts all` show the rest). ``indent``:
    spaces before each row (under the row of the mount they belong to)."""
    parts: list[RenderableType] = []
    lt = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
    lt.add_column(style="bold", no_wrap=True)
    lt.add_column(overflow="fold")  # paths are shown whole, never cut with an ellipsis
    for n, layer in enumerate(o.lower, 1):
        path = short_ids(layer.path) if compact and layer.path else layer.path
        cell = safe(path) if path else _na(Reading(error=layer.error))
        if layer.spec != layer.path and not compact:
            # the short form the mount options carry: "l/<26 chars>" or a relative path
            short = (
                layer.spec
                if not o.data_root or not layer.spec.startswith(o.data_root + "/")
                else layer.spec[len(o.data_root) + 1 :]
            )
            cell.append("  ← ", style="dim")
            cell.append_text(safe(short, "dim"))
        if layer.data_only:
            cell.append(" (data-only)", style="dim")
        lt.add_row(Text(f"lower {n}"), cell)
    for name, value in (("upper", o.upper), ("work", o.work), ("merged", o.merged))[: 1 if compact else 3]:
        shown = short_ids(value) if compact and value else value
        lt.add_row(Text(name), safe(shown) if shown else Text("unknown", style="dim"))
    parts.append(Padding(lt, (0, 0, 0, indent), expand=False) if indent else lt)
    for note in o.notes:
        parts.append(Text("  note: ", style="dim") + safe(note, "dim"))
    return parts


# The reference side's own mounts are context, not the point: listed when few, else counted.
ONLY_LIST_MAX = 20


def _only_parts(
    title: str, mounts: tuple[Mount, ...], most: int | None = None, compact: bool = False
) -> list[RenderableType]:
    if not mounts:
        return [Text(f"{title}: none", style="dim")]  # never a table of headers only
    if most is not None and len(mounts) > most:
        return [Text(f"{title} ({len(mounts)}): more than {most}, --json lists them", style="dim")]
    return [Text(f"{title} ({len(mounts)})", style="bold"), _only_table(mounts, compact)]


def _only_table(mounts: tuple[Mount, ...], compact: bool = False) -> Table:
    """``compact``: no options column, and long ids in sources cut to 12 digits."""
    # compact: the columns say what they are (a path, a type, a source, ro/rw): no header
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, show_header=not compact)
    for col in ("target", "type", "source", "ro", "options")[: 4 if compact else 5]:
        t.add_column(col, overflow="fold")
    for m in mounts:
        cells = [
            safe(m.target, "bold"),
            safe(m.fstype),
            safe(short_ids(m.findmnt_source) if compact else m.findmnt_source),
            Text("ro", style="red") if m.read_only else Text("rw"),
        ]
        t.add_row(*cells, *([] if compact else [safe(",".join(m.options), "dim")]))
    return t


class CgroupVars:
    """The cgroup of each side as a shell variable (``T=/docker/0ac9...``, ``H=/...``), printed
    once above the Limits rows, so that the classic commands of Limits and Privileges name a
    cgroup file as ``/sys/fs/cgroup/memory$T/memory.max`` instead of spelling the whole path
    (twice per line with the host's). A path that would need quoting is spelled whole."""

    def __init__(self, limits: Pair[Limits], against: bool) -> None:
        # (variable, cgroup path): T the target's, H the host's (R: the --against reference's)
        self.values: list[tuple[str, str]] = []
        for var, side in (("T", limits.target), ("R" if against else "H", limits.reference)):
            if side.value is not None and side.value.cgroup:
                self.values.append((var, side.value.cgroup))

    def shorten(self, classic: str | None) -> str | None:
        """``classic`` with each side's cgroup directory, where a path spells it, as ``$VAR``."""
        if classic is None:
            return None
        for var, cgroup in self.values:
            if cgroup == "/" or shlex.quote(cgroup) != cgroup:
                continue
            # a cgroup directory: ".../memory" + cgroup, followed by "/file"; whole components only
            classic = re.sub(
                rf"(/sys/fs/cgroup(?:/[^/\s]+)?){re.escape(cgroup)}(/[^/\s]+)(?=\s|;|$)",
                rf"\g<1>${var}\g<2>",
                classic,
            )
        return classic

    def lines(self) -> list[Text]:
        return [safe(f"{var}={shlex.quote(cgroup)}") for var, cgroup in self.values]


def _limits_parts(p: Pair[Limits], ref_label: str, tgt_label: str) -> list[RenderableType]:
    """A row for each limit that differs or could not be read; the equal ones on one line. The
    cgroup each side's limits come from is the ``T=`` / ``H=`` line above (``CgroupVars``)."""
    out = Rows(ref_label, tgt_label)
    ref, tgt = p.reference.value, p.target.value
    # a row for each limit either side has, in LIMIT_ROWS order, then the cpuset
    rows = [
        (key, name, unit)
        for key, name, unit in LIMIT_ROWS
        if any(v and key in v.effective for v in (ref, tgt))
    ]
    if ref is None or tgt is None:
        out.add(
            "cgroup",
            _na(p.reference) if ref is None else safe(ref.cgroup, "dim"),
            _na(p.target) if tgt is None else safe(tgt.cgroup, "dim"),
        )
    lines: list[tuple[str, list[str | None]]] = []
    for key, name, unit in rows:
        lines.append((name, [_limit_of(v, key, unit) for v in (ref, tgt)]))
    if any(v and v.cpuset_cpus is not None for v in (ref, tgt)):
        lines.append(("cpuset_cpus", [v.cpuset_cpus if v else None for v in (ref, tgt)]))
    for name, texts in lines:
        label = LIMIT_LABELS.get(name, name)
        if None not in texts and texts[0] == texts[1]:
            out.same(label, texts[0])
            continue
        differ = None not in texts
        cells = [
            safe(x, DIFF_STYLE if differ and i == 1 else "") if x is not None else Text("n/a", style="dim")
            for i, x in enumerate(texts)
        ]
        out.add(label, cells[0], cells[1], Text("differs", style=DIFF_STYLE) if differ else None)
    return out.parts()


def _limit_of(side: Limits | None, key: str, unit: str) -> str | None:
    eff = side.effective.get(key) if side is not None else None
    return None if eff is None else limit_words(eff.limit, unit)
