"""``nsview changes``: `docker diff`'s lines (``A /path``), streamed; or with --summary a table
of counts and bytes per top-level directory. Paths are the container's: every one is escaped
(docs/hardening.md, rule 1), so a name with a newline stays on its line."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nsview.model.changes import ChangeReport, summarize
from nsview.render.lines import Lines
from nsview.render.sanitize import escape, safe
from nsview.render.units import human_bytes


def render_changes(report: ChangeReport) -> Lines | RenderableType:
    if report.summary_only:
        return _summary(report)

    def out() -> Iterator[str]:
        for c in report.changes():
            yield f"{c.kind} {escape(c.path)}"

    return Lines(out(), lambda: notes(report))


def notes(report: ChangeReport) -> list[str]:
    """What the list leaves out, for stderr (stdout stays exactly `docker diff`'s lines)."""
    lines = [f"{escape(p.path)}: {escape(p.reason)}" for p in report.problems]
    if report.problems:
        lines.append(
            f"{len(report.problems)} part(s) of the upper layer not read or not decoded: the list may be incomplete"
        )
    if report.truncated:
        lines.append(f"stopped after {report.limit} changes (--limit): there are more")
    return lines


def _summary(report: ChangeReport) -> RenderableType:
    s = summarize(report.changes())
    table = Table(box=None, pad_edge=False, show_edge=False)
    for name, justify in (
        ("DIRECTORY", "left"),
        ("ADDED", "right"),
        ("CHANGED", "right"),
        ("DELETED", "right"),
        ("BYTES ADDED", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for t in s.tops:
        table.add_row(safe(t.top), str(t.added), str(t.changed), str(t.deleted), human_bytes(t.bytes_added))
    table.add_row(
        Text("total", style="bold"), str(s.added), str(s.changed), str(s.deleted), human_bytes(s.bytes_added)
    )
    head = Text(f"changes of {report.container or f'pid {report.pid}'} ({report.style} rules), upper layer ")
    head.append_text(safe(report.layers.upper))
    parts: list[RenderableType] = [head, table]
    parts.extend(Text(f"note: {line}", style="yellow") for line in notes(report))
    return Group(*parts)
