"""``nsview diff``: Comparison -> side-by-side rich tables.

Left is always the reference (the host, or ``--against``), right the target. A value that
differs from the reference is highlighted; "not available: why" stands where a side could not be
read. Every string that came from a process, a container or a mount goes through ``safe``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias, TypeVar

from rich import box
from rich.console import Group, RenderableType
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
from nsview.model.mount import Mount
from nsview.model.net import NetworkInfo
from nsview.model.overlay import OverlayRoot
from nsview.render.sanitize import safe
from nsview.render.units import limit_words

# The first row of a namespace's section (render_diff.ns_row): (table, namespace type).
NsRow: TypeAlias = Callable[[Table, str], None]

T = TypeVar("T")

DIFF_STYLE = "bold yellow"


NA_STYLE = "red"


_LIMIT_LABELS = {"memory_swap": "memory+swap", "cpuset_cpus": "cpuset cpus"}


def render_diff(c: Comparison) -> RenderableType:
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
    ns_rows = {row.type: row for row in c.namespaces}
    against = c.reference.role != "host"

    def ns_row(table: Table, ns_type: str) -> None:
        # The first row of a namespace's section: which namespace each side is in, and whether
        # it is the same one (by inode), said in the words of the Namespaces table.
        row = ns_rows.get(ns_type)
        if row is not None:
            table.add_row(Text("namespace"), *_ns_cells(row), _verdict(row.shared, against))

    parts += _section("Namespaces", c.classic.get("namespaces"), _namespaces_table(c, ref_label, tgt_label))
    parts += _section("Hostname (UTS)", c.classic.get("uts"), _uts_table(c.uts, ref_label, tgt_label, ns_row))
    parts += _section(
        "Network", c.classic.get("network"), _net_table(c.network, ref_label, tgt_label, ns_row)
    )
    parts += _section(
        "Mounts", c.classic.get("mounts"), *_mount_parts(c.mounts, ref_label, tgt_label, ns_row)
    )
    parts += _section(
        "Limits (cgroup)", c.classic.get("limits"), _limits_table(c.limits, ref_label, tgt_label)
    )
    if c.partial:
        parts.append(
            Text(
                '\nsome sections could not be read (see "not available" above): exit code 6 (partial)',
                style="yellow",
            )
        )
    return Group(*parts)


def _who(s: Side) -> Text:
    t = Text()
    t.append(s.role + " ", style="dim")
    t.append(str(s.pid), style="cyan")
    t.append(" (")
    t.append_text(safe(s.comm, "bold" if s.role == "target" else ""))
    t.append(")")
    return t


def _section(title: str, classic: str | None, *renderables: RenderableType) -> list[RenderableType]:
    out: list[RenderableType] = [Text("\n" + title, style="bold underline")]
    if classic:
        out.append(Text("  classic: ", style="dim") + safe(classic, "dim"))
    out.extend(renderables)
    return out


def _table(ref_label: str, tgt_label: str, first: str = "") -> Table:
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    t.add_column(first, style="bold", no_wrap=True)
    t.add_column(ref_label, overflow="fold")
    t.add_column(tgt_label, overflow="fold")
    t.add_column("")
    return t


def _na(r: Reading[T]) -> Text:
    return Text("not available: ", style=NA_STYLE) + safe(r.error or "", NA_STYLE)


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


def _namespaces_table(c: Comparison, ref_label: str, tgt_label: str) -> Table:
    t = _table(ref_label, tgt_label, "type")
    against = c.reference.role != "host"
    for row in c.namespaces:
        t.add_row(Text(row.type), *_ns_cells(row), _verdict(row.shared, against))
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
        same = maps.same
        if same is False and cells[0].plain != cells[1].plain:
            cells[1].stylize(DIFF_STYLE)
        t.add_row(Text("user " + name), *cells, Text("inside outside count", style="dim"))
    return t


def _uts_table(p: Pair[UtsInfo], ref_label: str, tgt_label: str, ns_row: NsRow) -> Table:
    t = _table(ref_label, tgt_label)
    ns_row(t, "uts")
    for field in ("hostname", "domainname"):
        vals = [getattr(r.value, field) if r.value is not None else None for r in (p.reference, p.target)]
        differ = None not in vals and vals[0] != vals[1]
        cells = [
            safe(v, DIFF_STYLE if differ and i == 1 else "") if v is not None else _na(r)
            for i, (v, r) in enumerate(zip(vals, (p.reference, p.target), strict=True))
        ]
        # values compare as values ("equal"); whether it is the same namespace is the row above
        mark = (
            Text("differs", style=DIFF_STYLE)
            if differ
            else Text("equal", style="dim")
            if None not in vals
            else Text("")
        )
        t.add_row(Text(field), *cells, mark)
    return t


def _net_cell(n: NetworkInfo | None, other: NetworkInfo | None) -> Text:
    assert n is not None
    other_names = {i.name for i in other.interfaces} if other else None
    cell = Text()
    for i, iface in enumerate(n.interfaces):
        if i:
            cell.append("\n")
        new = other_names is not None and iface.name not in other_names
        cell.append_text(safe(iface.name, "bold " + DIFF_STYLE if new else "bold"))
        cell.append(f" {iface.operstate}")
        cell.append(f" mtu {iface.mtu}" if iface.mtu is not None else "")
        if iface.mac:
            cell.append(" ")
            cell.append_text(safe(iface.mac, "dim"))
        for a in iface.addresses:
            cell.append("\n  ")
            cell.append_text(safe(f"{a.address}/{a.prefixlen}", "cyan"))
            cell.append(f" {a.scope}", style="dim")
    if not n.interfaces:
        cell.append("(no interfaces)", style="dim")
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


def _net_table(p: Pair[NetworkInfo], ref_label: str, tgt_label: str, ns_row: NsRow) -> Table:
    t = _table(ref_label, tgt_label)
    ns_row(t, "net")  # one netns or two is the inode's answer: two can hold just the same "lo"
    ref, tgt = p.reference.value, p.target.value
    t.add_row(
        Text("interfaces"),
        _net_cell(ref, tgt) if ref is not None else _na(p.reference),
        _net_cell(tgt, ref) if tgt is not None else _na(p.target),
        Text(""),
    )
    t.add_row(
        Text("routes"),
        _routes_cell(ref) if ref is not None else _na(p.reference),
        _routes_cell(tgt) if tgt is not None else _na(p.target),
        Text(""),
    )
    return t


def _mount_line(m: Mount, style: str = "") -> Text:
    t = safe(m.fstype, "bold " + style)
    t.append(" ")
    t.append_text(safe(m.findmnt_source or '""', style))
    t.append(" ")
    t.append("ro" if m.read_only else "rw", style="red" if m.read_only else "")
    return t


def _mount_parts(p: Pair[MountView], ref_label: str, tgt_label: str, ns_row: NsRow) -> list[RenderableType]:
    t = _table(ref_label, tgt_label)
    ns_row(t, "mnt")
    ref, tgt = p.reference.value, p.target.value
    cells = []
    for v, r in ((ref, p.reference), (tgt, p.target)):
        if v is None:
            cells.append(_na(r))
        elif v.root is None:
            cells.append(Text("no mount on / is visible", style="dim"))
        else:
            cells.append(_mount_line(v.root.mount))
    differ = (
        ref is not None
        and tgt is not None
        and ref.root is not None
        and tgt.root is not None
        and (ref.root.mount.fstype, ref.root.mount.major, ref.root.mount.minor)
        != (tgt.root.mount.fstype, tgt.root.mount.major, tgt.root.mount.minor)
    )
    if differ:
        cells[1].stylize(DIFF_STYLE)
    t.add_row(Text("root fs"), *cells, Text("differs", style=DIFF_STYLE) if differ else Text(""))
    t.add_row(
        Text("mounts"),
        Text(str(ref.count)) if ref else Text(""),
        Text(str(tgt.count)) if tgt else Text(""),
        Text(""),
    )
    parts: list[RenderableType] = [t]
    for label, v in ((ref_label, ref), (tgt_label, tgt)):
        if v is not None and v.root is not None and v.root.overlay is not None:
            o = v.root.overlay
            parts.append(
                Text.assemble((f"overlay layers of the {label} root", "bold"), (f"  ({o.driver})", "dim"))
            )
            parts += overlay_layers(o)
    if tgt is not None and ref is not None:
        parts += _only_parts(f"mounts only the {tgt_label} has", tgt.only_here)
        who = "the host" if ref_label == "host" else ref_label
        parts += _only_parts(f"mounts only {who} has", ref.only_here, ONLY_LIST_MAX)
        parts += _instance_parts(tgt.other_instance, tgt_label, who)
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


def overlay_layers(o: OverlayRoot) -> list[RenderableType]:
    """An overlay's layers, one row each (lower 1 on top), then upper, work and merged."""
    parts: list[RenderableType] = []
    lt = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
    lt.add_column(style="bold", no_wrap=True)
    lt.add_column(overflow="fold")  # paths are shown whole, never cut with an ellipsis
    for n, layer in enumerate(o.lower, 1):
        cell = safe(layer.path) if layer.path else _na(Reading(error=layer.error))
        if layer.spec != layer.path:
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
    for name, value in (("upper", o.upper), ("work", o.work), ("merged", o.merged)):
        lt.add_row(Text(name), safe(value) if value else Text("unknown", style="dim"))
    parts.append(lt)
    for note in o.notes:
        parts.append(Text("  note: ", style="dim") + safe(note, "dim"))
    return parts


# The reference side's own mounts are context, not the point: listed when few, else counted.
ONLY_LIST_MAX = 20


def _only_parts(title: str, mounts: tuple[Mount, ...], most: int | None = None) -> list[RenderableType]:
    if not mounts:
        return [Text(f"{title}: none", style="dim")]  # never a table of headers only
    if most is not None and len(mounts) > most:
        return [Text(f"{title} ({len(mounts)}): more than {most}, --json lists them", style="dim")]
    return [Text(f"{title} ({len(mounts)})", style="bold"), _only_table(mounts)]


def _only_table(mounts: tuple[Mount, ...]) -> Table:
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for col in ("target", "type", "source", "ro", "options"):
        t.add_column(col, overflow="fold")
    for m in mounts:
        t.add_row(
            safe(m.target, "bold"),
            safe(m.fstype),
            safe(m.findmnt_source),
            Text("ro", style="red") if m.read_only else Text("rw"),
            safe(",".join(m.options), "dim"),
        )
    return t


def _limits_table(p: Pair[Limits], ref_label: str, tgt_label: str) -> Table:
    t = _table(ref_label, tgt_label, "limit")
    ref, tgt = p.reference.value, p.target.value
    # a row for each limit either side has, in LIMIT_ROWS order, then the cpuset
    rows = [
        (key, name, unit)
        for key, name, unit in LIMIT_ROWS
        if any(v and key in v.effective for v in (ref, tgt))
    ]
    if ref is None or tgt is None:
        t.add_row(
            Text("cgroup"),
            _na(p.reference) if ref is None else safe(ref.cgroup),
            _na(p.target) if tgt is None else safe(tgt.cgroup),
            Text(""),
        )
    else:
        t.add_row(Text("cgroup"), safe(ref.cgroup, "dim"), safe(tgt.cgroup, "dim"), Text(""))
    lines: list[tuple[str, list[str | None]]] = []
    for key, name, unit in rows:
        lines.append((name, [_limit_of(v, key, unit) for v in (ref, tgt)]))
    if any(v and v.cpuset_cpus is not None for v in (ref, tgt)):
        lines.append(("cpuset_cpus", [v.cpuset_cpus if v else None for v in (ref, tgt)]))
    for name, texts in lines:
        differ = None not in texts and texts[0] != texts[1]
        cells = [
            safe(x, DIFF_STYLE if differ and i == 1 else "") if x is not None else Text("n/a", style="dim")
            for i, x in enumerate(texts)
        ]
        t.add_row(
            Text(_LIMIT_LABELS.get(name, name)),
            *cells,
            Text("differs", style=DIFF_STYLE) if differ else Text(""),
        )
    return t


def _limit_of(side: Limits | None, key: str, unit: str) -> str | None:
    eff = side.effective.get(key) if side is not None else None
    return None if eff is None else limit_words(eff.limit, unit)
