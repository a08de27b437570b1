"""``nsview diff``: Comparison -> side-by-side rich tables, and -> a JSON-able dict.

Left is always the reference (the host, or ``--against``), right the target. A value that
differs from the reference is highlighted; "not available: why" stands where a side could not be
read. Every string that came from a process, a container or a mount goes through ``safe``.
"""

from __future__ import annotations

from typing import Any

from nsview.model.diff import (
    Comparison,
    LimitRow,
    Limits,
    MountView,
    NamespaceRow,
    Pair,
    Reading,
    Side,
    UserMaps,
    UtsInfo,
)
from nsview.model.mount import Mount
from nsview.model.net import NetworkInfo
from nsview.model.overlay import OverlayRoot
from nsview.render.units import human_bytes, human_cpus

DIFF_STYLE = "bold yellow"
NA_STYLE = "red"


# ---- JSON -------------------------------------------------------------------------------


def diff_to_dict(c: Comparison) -> dict[str, Any]:
    return {
        "reference": _side_dict(c.reference),
        "target": _side_dict(c.target),
        "partial": c.partial,
        "notes": list(c.notes),
        "sections": {
            "namespaces": {
                "classic": c.classic.get("namespaces"),
                "rows": [
                    {
                        "type": row.type,
                        "reference": _ns(row.reference),
                        "target": _ns(row.target),
                        "shared": row.shared,
                        "errors": _errors(row.reference, row.target),
                    }
                    for row in c.namespaces
                ],
            },
            "user_maps": _pair(c.user_maps, _user_maps, c.classic.get("user_maps")),
            "uts": _pair(
                c.uts, lambda u: {"hostname": u.hostname, "domainname": u.domainname}, c.classic.get("uts")
            ),
            "network": _pair(c.network, _network, c.classic.get("network")),
            "mounts": _pair(c.mounts, _mount_view, c.classic.get("mounts")),
            "limits": _pair(c.limits, _limits, c.classic.get("limits")),
        },
    }


def _side_dict(s: Side) -> dict[str, Any]:
    return {"pid": s.pid, "name": s.comm, "role": s.role, "note": s.note}


def _errors(ref: Reading, tgt: Reading) -> dict[str, str | None]:
    return {"reference": ref.error, "target": tgt.error}


def _ns(r: Reading) -> dict[str, Any] | None:
    return None if r.value is None else {"inode": r.value.inode, "id": str(r.value)}


def _pair(p: Pair, convert, classic: str | None) -> dict[str, Any]:
    return {
        "classic": classic,
        "namespace": p.namespace,
        "reference": None if p.reference.value is None else convert(p.reference.value),
        "target": None if p.target.value is None else convert(p.target.value),
        "same": p.same,
        "errors": _errors(p.reference, p.target),
    }


def _user_maps(m: UserMaps) -> dict[str, Any]:
    def ranges(rs):
        return [{"inside": r.inside, "outside": r.outside, "count": r.count} for r in rs]

    return {"uid_map": ranges(m.uid_map), "gid_map": ranges(m.gid_map)}


def _network(n: NetworkInfo) -> dict[str, Any]:
    return {
        "interfaces": [
            {
                "index": i.index,
                "name": i.name,
                "operstate": i.operstate,
                "flags": list(i.flags),
                "mtu": i.mtu,
                "mac": i.mac,
                "addresses": [
                    {"family": a.family, "address": a.address, "prefixlen": a.prefixlen, "scope": a.scope}
                    for a in i.addresses
                ],
            }
            for i in n.interfaces
        ],
        "routes": [
            {
                "family": r.family,
                "destination": r.destination,
                "gateway": r.gateway,
                "device": r.device,
                "type": r.type,
                "metric": r.metric,
                "prefsrc": r.prefsrc,
                "default": r.is_default,
            }
            for r in n.routes
        ],
        "default_routes": [r.gateway for r in n.default_routes],
        "errors": list(n.errors),
    }


def mount_dict(m: Mount) -> dict[str, Any]:
    return {
        "id": m.mount_id,
        "target": m.target,
        "fstype": m.fstype,
        "source": m.source,
        "root": m.root,
        "findmnt_source": _findmnt_source(m),
        "options": list(m.options),
        "super_options": list(m.super_options),
        "read_only": m.read_only,
    }


def _overlay(o: OverlayRoot) -> dict[str, Any]:
    return {
        "driver": o.driver,
        "data_root": o.data_root,
        "lower": [
            {
                "spec": layer.spec,
                "path": layer.path,
                "error": layer.error,
                "snapshot": layer.snapshot,
                "data_only": layer.data_only,
            }
            for layer in o.lower
        ],
        # The four GraphDriver.Data fields, spelled as `docker inspect` spells them.
        "graphdriver": {
            "LowerDir": o.lower_dir,
            "UpperDir": o.upper,
            "WorkDir": o.work,
            "MergedDir": o.merged,
        },
        "notes": list(o.notes),
    }


def _mount_view(v: MountView) -> dict[str, Any]:
    return {
        "root": None
        if v.root is None
        else {
            **mount_dict(v.root.mount),
            "overlay": None if v.root.overlay is None else _overlay(v.root.overlay),
        },
        "count": v.count,
        "only_here": [mount_dict(m) for m in v.only_here],
    }


_LIMIT_LABELS = {"memory_swap": "memory+swap", "cpuset_cpus": "cpuset cpus"}


def limit_text(row: LimitRow) -> str:
    """The human form of a limit: "256 MiB", "0.5 CPUs", "100", "0-1", "unlimited"."""
    if row.unlimited or row.value is None:
        return "unlimited"
    if row.unit == "bytes":
        return human_bytes(int(row.value))
    if row.unit == "cpus":
        return f"{human_cpus(round(float(row.value) * 1_000_000))} CPUs"  # as `nsview cgroup` writes it
    return str(row.value)


def _limits(lim: Limits) -> dict[str, Any]:
    return {
        "cgroup": lim.cgroup,
        "files": list(lim.files),
        "limits": {
            r.name: {"value": r.value, "unlimited": r.unlimited, "unit": r.unit, "text": limit_text(r)}
            for r in lim.rows
        },
    }


def _findmnt_source(m: Mount) -> str:
    """SOURCE as findmnt prints it: ``/dev/vda[/var/lib/...]`` for a bind of a sub-tree."""
    if m.root not in ("", "/") and m.fstype not in ("overlay",):
        return f"{m.source}[{m.root}]"
    return m.source


# ---- text -------------------------------------------------------------------------------


def render_diff(c: Comparison):
    from rich.console import Group
    from rich.text import Text

    from nsview.render.sanitize import safe

    parts: list[Any] = []
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

    def ns_row(table, ns_type: str) -> None:
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


def _who(s: Side):
    from rich.text import Text

    from nsview.render.sanitize import safe

    t = Text()
    t.append(s.role + " ", style="dim")
    t.append(str(s.pid), style="cyan")
    t.append(" (")
    t.append_text(safe(s.comm, "bold" if s.role == "target" else ""))
    t.append(")")
    return t


def _section(title: str, classic: str | None, *renderables):
    from rich.text import Text

    from nsview.render.sanitize import safe

    out: list[Any] = [Text("\n" + title, style="bold underline")]
    if classic:
        out.append(Text("  classic: ", style="dim") + safe(classic, "dim"))
    out.extend(renderables)
    return out


def _table(ref_label: str, tgt_label: str, first: str = ""):
    from rich import box
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    t.add_column(first, style="bold", no_wrap=True)
    t.add_column(ref_label, overflow="fold")
    t.add_column(tgt_label, overflow="fold")
    t.add_column("")
    return t


def _na(r: Reading):
    from rich.text import Text

    from nsview.render.sanitize import safe

    return Text("not available: ", style=NA_STYLE) + safe(r.error or "", NA_STYLE)


def _verdict(shared: bool | None, against: bool):
    """Against the host a namespace is "shared" or "isolated"; between two targets it is the
    "same" one or "differs"."""
    from rich.text import Text

    if shared is None:
        return Text("?", style="dim")
    if against:
        return Text("same", style="green") if shared else Text("differs", style=DIFF_STYLE)
    return Text("shared", style="green") if shared else Text("isolated", style=DIFF_STYLE)


def _ns_cells(row: NamespaceRow):
    from nsview.render.sanitize import safe

    left = safe(row.reference.value) if row.reference.value else _na(row.reference)
    right = (
        safe(row.target.value, DIFF_STYLE if row.shared is False else "")
        if row.target.value
        else _na(row.target)
    )
    return left, right


def _namespaces_table(c: Comparison, ref_label: str, tgt_label: str):
    from rich.text import Text

    from nsview.render.sanitize import safe

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


def _uts_table(p: Pair[UtsInfo], ref_label: str, tgt_label: str, ns_row):
    from rich.text import Text

    from nsview.render.sanitize import safe

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


def _net_cell(n: NetworkInfo | None, other: NetworkInfo | None):
    from rich.text import Text

    from nsview.render.sanitize import safe

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


def _routes_cell(n: NetworkInfo):
    from rich.text import Text

    from nsview.render.sanitize import safe

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


def _net_table(p: Pair[NetworkInfo], ref_label: str, tgt_label: str, ns_row):
    from rich.text import Text

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


def _mount_line(m: Mount, style: str = ""):

    from nsview.render.sanitize import safe

    t = safe(m.fstype, "bold " + style)
    t.append(" ")
    t.append_text(safe(_findmnt_source(m) or '""', style))
    t.append(" ")
    t.append("ro" if m.read_only else "rw", style="red" if m.read_only else "")
    return t


def _mount_parts(p: Pair[MountView], ref_label: str, tgt_label: str, ns_row):
    from rich.table import Table
    from rich.text import Text

    from nsview.render.sanitize import safe

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
    parts: list[Any] = [t]
    for label, v in ((ref_label, ref), (tgt_label, tgt)):
        if v is not None and v.root is not None and v.root.overlay is not None:
            o = v.root.overlay
            parts.append(
                Text.assemble((f"overlay layers of the {label} root", "bold"), (f"  ({o.driver})", "dim"))
            )
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
    if tgt is not None and ref is not None:
        parts += _only_parts(f"mounts only the {tgt_label} has", tgt.only_here)
        who = "the host" if ref_label == "host" else ref_label
        parts += _only_parts(f"mounts only {who} has", ref.only_here, ONLY_LIST_MAX)
    return parts


# The reference side's own mounts are context, not the point: listed when few, else counted.
ONLY_LIST_MAX = 20


def _only_parts(title: str, mounts: tuple[Mount, ...], most: int | None = None) -> list[Any]:
    from rich.text import Text

    if not mounts:
        return [Text(f"{title}: none", style="dim")]  # never a table of headers only
    if most is not None and len(mounts) > most:
        return [Text(f"{title} ({len(mounts)}): more than {most}, --json lists them", style="dim")]
    return [Text(f"{title} ({len(mounts)})", style="bold"), _only_table(mounts)]


def _only_table(mounts: tuple[Mount, ...]):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from nsview.render.sanitize import safe

    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for col in ("target", "type", "source", "ro", "options"):
        t.add_column(col, overflow="fold")
    for m in mounts:
        t.add_row(
            safe(m.target, "bold"),
            safe(m.fstype),
            safe(_findmnt_source(m)),
            Text("ro", style="red") if m.read_only else Text("rw"),
            safe(",".join(m.options), "dim"),
        )
    return t


def _limits_table(p: Pair[Limits], ref_label: str, tgt_label: str):
    from rich.text import Text

    from nsview.render.sanitize import safe

    t = _table(ref_label, tgt_label, "limit")
    ref, tgt = p.reference.value, p.target.value
    names: list[str] = []
    for v in (ref, tgt):
        for r in v.rows if v else ():
            if r.name not in names:
                names.append(r.name)
    if ref is None or tgt is None:
        t.add_row(
            Text("cgroup"),
            _na(p.reference) if ref is None else safe(ref.cgroup),
            _na(p.target) if tgt is None else safe(tgt.cgroup),
            Text(""),
        )
    else:
        t.add_row(Text("cgroup"), safe(ref.cgroup, "dim"), safe(tgt.cgroup, "dim"), Text(""))
    for name in names:
        vals = []
        for v in (ref, tgt):
            row = next((r for r in v.rows if r.name == name), None) if v else None
            vals.append(row)
        texts = [limit_text(r) if r else None for r in vals]
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
