"""``nsview oom``: OomReport -> one row per kill, the limit that was hit in words, the counters."""

from __future__ import annotations

import time

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nsview.model.cgroup import Limit
from nsview.model.oom import OomCounters, OomKill, OomReport, OomVictim
from nsview.render.sanitize import safe
from nsview.render.units import human_bytes, limit_words


def render_oom(report: OomReport) -> RenderableType:
    parts: list[RenderableType] = []
    if report.victims:
        parts.append(_kills_table(report.victims))
    if report.counters:
        parts += [Text(""), Text("OOM counters along the memory cgroup path, own cgroup first", style="bold")]
        parts.append(_counters_table(report.counters))
    parts += _footer(report)
    return Group(*parts)


def when(k: OomKill) -> str:
    """Local wall-clock time, or the kernel's boot-relative seconds when no date is known."""
    if k.wall is not None:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(k.wall))
    if k.usec is not None:
        return f"{k.usec / 1_000_000:.3f}s after boot"
    return "unknown"


def last_kill_words(k: OomKill) -> Text:
    """``2026-12-02 07:09:02 tail (pid 978): its own cgroup's limit``, for ps and cgroup."""
    line = Text(f"{when(k)} ", style="red")
    line.append_text(safe(k.comm))
    line.append(f" (pid {k.pid}): ")
    line.append_text(whose_limit_words(k))
    return line


def whose_limit_words(k: OomKill, limit_now: Limit | None = None, limit_why: str | None = None) -> Text:
    """What was out of memory: the victim's own cgroup, an ancestor (named), the host, a cpuset."""
    now = ""
    if limit_now is not None:
        now = f" ({limit_words(limit_now, 'bytes')} now)"
    elif limit_why:
        now = f" ({limit_why})"
    kind = k.whose_limit
    if kind == "own":
        return Text(f"its own cgroup's limit{now}")
    if kind == "ancestor":
        line = Text("the limit of ancestor ", style="yellow")
        line.append_text(safe(k.oom_memcg or "?", "bold yellow"))
        line.append(now)
        return line
    if kind == "host":
        return Text("the whole host ran out of memory", style="red")
    if kind == "cpuset":
        return Text("its cpuset's memory nodes ran out", style="red")
    if kind == "memory policy":
        return Text("its memory policy's nodes ran out", style="red")
    return Text("unknown (the log does not say)", style="dim")


def _container(v: OomVictim) -> Text:
    if v.runtime is None:
        return Text("-", style="dim")
    short = v.id[:12] if v.id and len(v.id) == 64 else v.id
    label = f"{v.namespace}/{short}" if v.namespace else short or ""
    cell = Text(f"{v.runtime} ")
    cell.append_text(safe(label))
    if v.name:
        cell.append(" (")
        cell.append_text(safe(v.name, "bold"))
        cell.append(")")
    if v.pod_uid:
        cell.append("\npod ", style="dim")
        cell.append_text(safe(v.pod_uid, "dim"))
    return cell


def _kills_table(victims: tuple[OomVictim, ...]) -> Table:
    t = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for col in ("TIME", "PID", "PROCESS", "RSS", "CONTAINER", "OUT OF MEMORY"):
        t.add_column(col, no_wrap=col in ("TIME", "PID"), overflow="fold")
    for v in victims:
        k = v.kill
        rss = Text("n/a", style="dim") if k.rss_kb is None else Text(human_bytes(k.rss_kb * 1024))
        process = safe(k.comm)
        if not k.complete:
            process.append(" (partial record)", style="dim")
        t.add_row(
            Text(when(k)),
            Text(str(k.pid)),
            process,
            rss,
            _container(v),
            whose_limit_words(k, v.limit_now, v.limit_why),
        )
    return t


def _counters_table(counters: tuple[OomCounters, ...]) -> Table:
    t = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    v2 = counters[0].version == 2
    cols = ("CGROUP", "OOM", "OOM_KILL", "MAX", "HIGH") if v2 else ("CGROUP", "OOM_KILL", "FAILCNT")
    for col in cols:
        t.add_column(col, overflow="fold")
    for c in counters:
        nums = (c.oom, c.oom_kill, c.max, c.high) if v2 else (c.oom_kill, c.failcnt)
        t.add_row(safe(c.cgroup), *(Text("n/a", style="dim") if n is None else Text(str(n)) for n in nums))
    return t


def _footer(report: OomReport) -> list[RenderableType]:
    lines: list[RenderableType] = []
    if report.log_error is not None:
        line = Text("kernel log not readable: ", style="yellow")
        line.append_text(safe(report.log_error, "yellow"))
        lines.append(line)
    else:
        what = "OOM kill" if len(report.victims) == 1 else "OOM kills"
        count = len(report.victims) or "no"
        scope = f" for {report.target}" if report.target else ""
        line = Text(f"{count} {what}{scope} in ")
        line.append_text(safe(report.source))
        line.append(f" ({report.records} records)", style="dim")
        lines.append(line)
    for note in report.notes:
        lines.append(Text.assemble(("note: ", "yellow"), safe(note)))
    for path, why in sorted(report.errors.items()):
        lines.append(Text.assemble(("could not read ", "red"), safe(path), ": ", safe(why, "red")))
    return lines
