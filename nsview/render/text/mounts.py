"""``nsview mounts``: a findmnt-style tree (TARGET SOURCE FSTYPE OPTIONS PROPAGATION), plus where
each mount comes from on the host and what hides a hidden one; or, for ``--holding``, one row
per mount namespace that holds the path. Every path and source goes through ``safe``."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nsview.model.mount_tree import COVERED, MountNode, MountTree, findmnt_options
from nsview.model.mounts import HoldingReport, MountsReport
from nsview.render.sanitize import safe
from nsview.render.text.diff import overlay_layers

# overlay's layer options are long and shown decoded below the table, not in OPTIONS
_LAYER_OPTIONS = ("lowerdir=", "upperdir=", "workdir=", "datadir=")


def render_mounts(r: MountsReport | HoldingReport) -> RenderableType:
    if isinstance(r, HoldingReport):
        return _render_holding(r)
    parts: list[RenderableType] = [_head(r)]
    nodes = r.shown_nodes
    if nodes:
        parts.append(_table(r.tree, nodes, tree_view=not r.filter.active))
    else:
        parts.append(Text("no mount matches", style="dim"))
    for n in nodes:
        if n.overlay is not None:
            title = Text.assemble(("overlay layers of ", "bold"), safe(n.mount.target, "bold"))
            title.append(f"  ({n.overlay.driver})", style="dim")
            parts += [Text(""), title, *overlay_layers(n.overlay)]
    hidden = sum(1 for n in r.tree.nodes if n.hidden is not None)
    foot = Text(f"{len(r.tree.nodes)} mounts", style="dim")
    if hidden:
        foot.append(f", {hidden} hidden", style="dim")
    if r.filter.active:
        foot.append(f", {len(nodes)} shown", style="dim")
    parts += [Text(""), foot]
    for note in r.notes:
        parts.append(Text.assemble(("note: ", "yellow"), safe(note)))
    for what, why in sorted((r.errors or {}).items()):
        parts.append(
            Text.assemble(("could not read ", "red"), safe(what.replace("_", " ")), ": ", safe(why, "red"))
        )
    return Group(*parts)


def _head(r: MountsReport) -> Text:
    head = Text("mount namespace ", style="bold")
    head.append_text(safe(str(r.namespace) if r.namespace else "unknown", "bold"))
    head.append(f" of pid {r.pid} ")
    head.append_text(safe(r.comm))
    if r.label:
        head.append(" (")
        head.append_text(safe(r.label, "bold"))
        head.append(")")
    return head


def _options(n: MountNode) -> str:
    return findmnt_options(n.mount, leave_out=_LAYER_OPTIONS if n.overlay is not None else ())


def _propagation(n: MountNode) -> str:
    """The kernel's own words, with the peer group ids: ``shared:5 master:2``, or private."""
    return " ".join(n.mount.optional) or "private"


def _host(n: MountNode) -> Text:
    h = n.host
    if h is None:
        return Text("n/a (host mount table not read)", style="dim")
    if h.path is None:  # --json has the whole note
        m = n.mount
        why = "" if m.major == 0 else f" (device {m.major}:{m.minor} is not mounted there)"
        return Text(f"not visible from the host{why}", style="dim")
    cell = safe(h.path)
    if h.note:
        cell.append(" (")
        cell.append_text(safe(h.note, "yellow"))
        cell.append(")")
    return cell


def _hidden(n: MountNode) -> Text:
    if n.hidden is None:
        return Text("")
    if n.hidden.how != COVERED:  # the mount on top is on the same path: its id says which
        return Text.assemble(("over-mounted", "yellow"), (f" (by #{n.hidden.by_id})", "dim"))
    cell = Text("under ", style="yellow")
    cell.append_text(safe(n.hidden.by_target, "yellow"))
    cell.append(f" (#{n.hidden.by_id})", style="dim")
    return cell


def _guides(tree: MountTree, nodes: tuple[MountNode, ...]) -> dict[int, str]:
    """findmnt's tree guides (├─ └─ │) for every node, from its ancestors' places."""
    shown = {n.index for n in nodes}
    last: dict[int, bool] = {}
    for n in nodes:
        kids = [k for k in n.children if k in shown and tree.nodes[k].parent == n.index]
        for k in kids:
            last[k] = k == kids[-1]
    out: dict[int, str] = {}
    for n in nodes:
        if n.parent is None or n.index not in last:
            out[n.index] = ""
            continue
        parts = ["└─" if last[n.index] else "├─"]
        p = tree.nodes[n.parent]
        while p.parent is not None and p.index in last:
            parts.append("  " if last[p.index] else "│ ")
            p = tree.nodes[p.parent]
        out[n.index] = "".join(reversed(parts))
    return out


def _table(tree: MountTree, nodes: tuple[MountNode, ...], *, tree_view: bool = True) -> Table:
    guides = _guides(tree, nodes) if tree_view else {}
    t = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for col in ("TARGET", "SOURCE", "FSTYPE", "OPTIONS", "PROPAGATION", "HOST SOURCE"):
        t.add_column(col, overflow="fold")
    any_hidden = any(n.hidden is not None for n in nodes)
    if any_hidden:
        t.add_column("HIDDEN", overflow="fold")
    for n in nodes:
        m = n.mount
        target = Text(guides.get(n.index, ""), style="dim")
        target.append_text(safe(m.target, "dim" if n.hidden else ""))
        if n.orphan:
            target.append(f" ({n.orphan})", style="dim")
        row = [
            target,
            safe(m.findmnt_source) if m.source else Text("none", style="dim"),
            safe(m.fstype),
            safe(_options(n)),
            Text(_propagation(n)),
            _host(n),
        ]
        if any_hidden:
            row.append(_hidden(n))
        t.add_row(*row)
    return t


def _render_holding(r: HoldingReport) -> RenderableType:
    parts: list[RenderableType] = []
    if r.holders:
        t = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        for col in ("NAMESPACE", "HELD BY", "MOUNTPOINT", "FSTYPE", "FROM (HOST PATH)"):
            t.add_column(col, overflow="fold")
        for h in r.holders:
            who = Text(h.kind + " ")
            if h.container:
                who.append_text(safe(h.container, "bold"))
            elif h.pid is not None:
                who.append(f"pid {h.pid} ")
                who.append_text(safe(h.comm or ""))
            for b in h.bind_mounts:
                who.append("\nbound at ", style="dim")
                who.append_text(safe(b, "dim"))
            for i, held in enumerate(h.mounts):
                m = held.node.mount
                point = safe(m.target)
                if held.node.hidden is not None:
                    point.append(" (hidden)", style="yellow")
                host = held.node.host.path if held.node.host and held.node.host.path else ""
                from_cell = safe(host) if host else Text("")
                from_cell.append_text(safe(f"  {held.why}", "dim"))  # holds PATH as given
                t.add_row(
                    safe(str(h.namespace)) if i == 0 else Text(""),
                    who if i == 0 else Text(""),
                    point,
                    safe(m.fstype),
                    from_cell,
                )
        parts.append(t)
    count = len(r.holders)
    line = Text(f"{count or 'no'} mount namespace{'s' if count != 1 else ''} of {r.scanned} hold ")
    line.append_text(safe(r.path, "bold"))
    parts += [Text(""), line]
    for note in r.notes:
        parts.append(Text.assemble(("note: ", "yellow"), safe(note)))
    for what, why in sorted((r.errors or {}).items()):
        parts.append(Text.assemble(("could not read ", "red"), safe(what), ": ", safe(why, "red")))
    return Group(*parts)
