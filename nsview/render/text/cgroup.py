"""``nsview cgroup``: CgroupReport -> rich renderable.

Limits never show a sentinel: text says "unlimited", JSON says ``{"bytes": null, "unlimited":
true}``. A limit whose file does not exist (controller not enabled, a file missing in a non-root
cgroup) is "n/a" in text and ``null`` in JSON; the root cgroup, which cannot be limited, is
"unlimited". Text uses binary units; JSON carries exact bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nsview.model.cgroup import (
    PRESSURE_RESOURCES,
    RESOURCES,
    CgroupReport,
    CpuStat,
    EffectiveLimit,
    Limit,
    MemoryStat,
    Placement,
    Pressure,
    undelegated,
)
from nsview.render.sanitize import safe
from nsview.render.text.oom import last_kill_words
from nsview.render.units import human_bytes, human_cpus

V = TypeVar("V", int, str)


def placement_groups(placements: tuple[Placement, ...]) -> list[list[Placement]]:
    """Placements that share version, cgroup and availability, in the order first seen."""
    groups: dict[tuple[object, ...], list[Placement]] = {}
    for pl in placements:
        key = (pl.version, pl.cgroup, pl.reason) if pl.available else ("n/a", pl.resource)
        groups.setdefault(key, []).append(pl)
    return list(groups.values())


def directory_lines(group: list[Placement]) -> list[str]:
    """``/sys/fs/cgroup/{memory,cpu,pids}/docker/ID`` for directories that differ only by the
    controller's mount (as on v1), one line per parent of those mounts; else one per directory."""
    by_form: dict[tuple[str, str], list[str]] = {}
    for pl in group:  # available placements: both are set
        mount, directory = (pl.mount_point or "").rstrip("/"), pl.directory or ""
        if not directory.startswith(mount) or "/" not in mount:
            by_form.setdefault((directory, ""), [])
            continue
        parent, leaf = mount.rsplit("/", 1)
        leaves = by_form.setdefault((parent, directory[len(mount) :]), [])
        if leaf not in leaves:
            leaves.append(leaf)
    lines = []
    for (head, tail), leaves in by_form.items():
        if not leaves:
            lines.append(head)
        elif len(leaves) == 1:
            lines.append(f"{head}/{leaves[0]}{tail}")
        else:
            lines.append(f"{head}/{{{','.join(leaves)}}}{tail}")
    return lines


def _limit_text(limit: Limit | None, fmt: Callable[[int], str] = str) -> Text:
    """A limit as text: "n/a" when the file is absent, "unlimited", else ``fmt(value)``."""
    if limit is None:
        return Text("n/a", style="dim")
    if limit.unlimited or limit.value is None:
        return Text("unlimited", style="green")
    return Text(fmt(limit.value), style="bold")


def _bytes_text(limit: Limit | None) -> Text:
    return _limit_text(limit, human_bytes)


def _plain(value: V | None, fmt: Callable[[V], str] = str) -> Text:
    if value is None:
        return Text("n/a", style="dim")
    return safe(fmt(value))


def _setter(eff: EffectiveLimit | None, value_text: Text) -> Text:
    if eff is None:
        return Text("n/a", style="dim")
    line = Text()
    line.append_text(value_text)
    if eff.cgroup is None:
        line.append("  no cgroup up to ", style="dim")
        line.append_text(safe(eff.visible_top, "dim"))
        line.append(" sets one", style="dim")
    elif eff.own:
        line.append("  set by its own cgroup", style="dim")
    else:
        line.append("  set by ancestor ", style="yellow")
        line.append_text(safe(eff.cgroup, "bold yellow"))
    return line


def render_cgroup(report: CgroupReport) -> RenderableType:
    """A rich renderable. Every cgroup path, directory and cpuset string goes through ``safe``."""
    head = Text()
    head.append("pid ")
    head.append(str(report.pid), style="cyan")
    head.append("  cgroup mode ")
    head.append(report.mode, style="bold")
    head.append("  (")
    head.append_text(safe(report.mode_evidence, "dim"))
    head.append(")")
    ns = report.cgroup_namespace
    if ns is not None:
        head.append("\ncgroup namespace ")
        head.append_text(safe(ns.id))
        if ns.private is not None:
            head.append("  private" if ns.private else "  the host's", style="bold" if ns.private else "dim")

    # One row per distinct cgroup, not per resource: on a v1 host the same long container path
    # sits under five controller mounts, and printing it five times buries the facts.
    where = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    where.add_column("resources")
    where.add_column("cgroup / directory on disk", overflow="fold")
    for group in placement_groups(report.placements):
        first = group[0]
        names = Text(", ".join(pl.resource for pl in group))
        if first.available:
            names.append(f"  v{first.version}", style="dim")
            cell = safe(first.cgroup or "")
            for directory in directory_lines(group):
                cell.append("\n")
                cell.append_text(safe(directory, "dim"))
            where.add_row(names, cell)
        else:
            why = Text("not available: ", style="yellow")
            why.append_text(safe(first.reason or "unknown", "yellow"))
            if first.path is not None:
                why.append("\n")
                why.append_text(safe(first.path, "dim"))
            where.add_row(names, why)

    t = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for col in ("resource", "setting", "value"):
        t.add_column(col)
    eff = report.effective

    def section(name: str, rows: list[tuple[str, Text]]) -> None:
        for i, (label, value) in enumerate(rows):
            t.add_row(Text(name if i == 0 else "", style="bold"), Text(label), value)
        t.add_section()

    m = report.memory
    if m is None:
        section("memory", [("", Text("not available", style="yellow"))])
    else:
        e = eff.get("memory")
        eff_text = _setter(e, _bytes_text(e.limit) if e else Text(""))
        if report.above_physical_memory and report.host_memory is not None:
            eff_text.append(f"  above physical memory ({human_bytes(report.host_memory)})", style="red")
        usage = _plain(m.usage, human_bytes)
        if m.usage is not None and e is not None and e.limit.value:
            usage.append(f"  {100 * m.usage / e.limit.value:.1f}% of effective limit", style="dim")
        rows: list[tuple[str, Text]] = [("limit", _bytes_text(m.limit)), ("effective limit", eff_text)]
        if m.soft_limit is not None:
            rows.append(("soft limit", _bytes_text(m.soft_limit)))
        if m.high is not None:
            high = _bytes_text(m.high)
            if m.high_events is not None:
                high.append(f"  went over it {m.high_events} times (memory.events high)", style="dim")
            rows.append(("high (throttle)", high))
        if m.low is not None:
            rows.append(("low (protection)", _protection_text(m.low)))
        if m.min is not None:
            rows.append(("min (protection)", _protection_text(m.min)))
        if m.limit is not None and m.max_events is not None:
            rows.append(("limit hits (memory.events max)", _plain(m.max_events)))
        rows += [("memory+swap limit", _bytes_text(m.memsw)), ("swap limit", _bytes_text(m.swap))]
        for key, label in (("memsw", "effective memory+swap"), ("swap", "effective swap")):
            if key in eff:
                rows.append((label, _setter(eff[key], _bytes_text(eff[key].limit))))
        rows += [
            ("usage", usage),
            ("usage - inactive file", _plain(m.usage_minus_inactive_file, human_bytes)),
            ("peak", _plain(m.peak, human_bytes)),
        ]
        if m.stat is not None:
            rows.append(("breakdown (memory.stat)", _breakdown(m.stat)))
        if m.failcnt is not None:
            rows.append(("limit hits (failcnt)", _plain(m.failcnt)))
        if m.oom_events is not None:
            rows.append(("oom events", _plain(m.oom_events)))
        rows.append(("oom kills", _plain(m.oom_kill)))
        if report.last_oom is not None:
            rows.append(("last oom kill", last_kill_words(report.last_oom)))
        section("memory", rows)

    c = report.cpu
    if c is None:
        section("cpu", [("", Text("not available", style="yellow"))])
    else:
        if c.quota_us is None:
            quota = Text("n/a", style="dim")
        elif c.quota_us.unlimited or c.cpus is None:
            quota = Text("unlimited", style="green")
        else:
            # the same rounding as the effective quota below (millionths of a CPU, human_cpus)
            assert c.quota_us.value is not None and c.period_us
            quota = Text(f"{human_cpus(c.quota_us.value * 1_000_000 // c.period_us)} CPUs", style="bold")
            quota.append(f"  ({c.quota_us.value} us per {c.period_us} us period)", style="dim")
        e = eff.get("cpu")
        e_text = (
            None
            if e is None
            else (
                Text("unlimited", style="green")
                if e.limit.value is None
                else Text(f"{human_cpus(e.limit.value)} CPUs", style="bold")
            )
        )
        rows = [
            ("quota", quota),
            ("effective quota", _setter(e, e_text) if e_text else Text("n/a", style="dim")),
        ]
        if c.shares is not None:
            rows.append(("shares", _plain(c.shares)))
        if c.weight is not None:
            rows.append(("weight", _plain(c.weight)))
        if c.stat is not None:
            rows.append(("throttled (cpu.stat)", _throttled(c.stat)))
        section("cpu", rows)

    cs = report.cpuset
    if cs is None:
        section("cpuset", [("", Text("not available", style="yellow"))])
    else:
        section(
            "cpuset",
            [
                (
                    "cpus",
                    _plain(cs.cpus or None)
                    if cs.cpus
                    else _plain(cs.effective_cpus and f"{cs.effective_cpus} (inherited)"),
                ),
                (
                    "mems",
                    _plain(cs.mems or None)
                    if cs.mems
                    else _plain(cs.effective_mems and f"{cs.effective_mems} (inherited)"),
                ),
            ],
        )

    p = report.pids
    if p is None:
        section("pids", [("", Text("not available", style="yellow"))])
    else:
        e = eff.get("pids")
        section(
            "pids",
            [
                ("max", _limit_text(p.max)),
                ("effective max", _setter(e, _limit_text(e.limit)) if e else Text("n/a", style="dim")),
                ("current", _plain(p.current)),
            ],
        )

    io = report.io
    if io is None:
        section("io", [("", Text("not available", style="yellow"))])
    else:
        rows = []
        for d in io.limits:
            throttles = Text()
            for key, lim in (("rbps", d.rbps), ("wbps", d.wbps), ("riops", d.riops), ("wiops", d.wiops)):
                if lim.unlimited or lim.value is None:
                    continue
                shown = human_bytes(lim.value) + "/s" if key.endswith("bps") else f"{lim.value}/s"
                throttles.append(f"{key} {shown}  ")
            rows.append((f"device {d.device}", throttles))
        if not rows:
            rows.append(("limits", Text("none set", style="green")))
        if io.weight is not None:
            rows.append(("weight", _plain(io.weight)))
        section("io", rows)

    _pressure_section(report, section)
    _delegation_section(report, section)

    parts: list[RenderableType] = [head, Text(""), where, Text(""), t]
    for note in report.notes:
        parts.append(Text.assemble(("note: ", "yellow"), safe(note)))
    if report.errors:
        parts.append(Text(f"{len(report.errors)} value file(s) could not be read:", style="red"))
        for file, reason in sorted(report.errors.items()):
            failed = Text("  ")
            failed.append_text(safe(file))
            failed.append(": ")
            failed.append_text(safe(reason, "red"))
            parts.append(failed)
    return Group(*parts)


def _protection_text(limit: Limit) -> Text:
    """memory.low / memory.min: "max" protects everything, 0 protects nothing."""
    if limit.unlimited or limit.value is None:
        return Text("max (all of its memory)", style="bold")
    if limit.value == 0:
        return Text("none", style="dim")
    return Text(human_bytes(limit.value), style="bold")


def _breakdown(st: MemoryStat) -> Text:
    out = Text()
    parts = [
        (name, value)
        for name, value in (
            ("anon", st.anon),
            ("file", st.file),
            ("kernel", st.kernel),
            ("sock", st.sock),
            ("shmem", st.shmem),
        )
        if value is not None
    ]
    for i, (name, value) in enumerate(parts):
        out.append(", " if i else "")
        out.append(f"{name} ")
        out.append(human_bytes(value), style="bold")
    if st.kernel is None and st.sock is None:
        out.append("  (kernel, sock: not on v1)", style="dim")
    return out


def _throttled(st: CpuStat) -> Text:
    pct = st.throttled_percent
    if pct is None:
        return Text("no enforcement periods yet", style="dim")
    out = Text(f"{pct:g}% of periods", style="bold" if st.nr_throttled else "green")
    out.append(f"  ({st.nr_throttled} of {st.nr_periods}", style="dim")
    if st.throttled_usec is not None:
        out.append(f", {st.throttled_usec / 1_000_000:.3g} s in all", style="dim")
    out.append(")", style="dim")
    return out


def _pressure_line(p: Pressure) -> Text:
    out = Text()
    for name, line in (("some", p.some), ("full", p.full)):
        if line is None:
            continue
        out.append(f"{name} ")
        style = "bold yellow" if max(line.avg10, line.avg60) >= 10 else ""
        out.append(f"{line.avg10:.2f} {line.avg60:.2f} {line.avg300:.2f}", style=style)
        out.append("   ")
    return out


def _pressure_section(report: CgroupReport, section: Callable[[str, list[tuple[str, Text]]], None]) -> None:
    if not report.pressure:
        section("pressure", [("", safe(report.pressure_reason or "n/a", "dim"))])
        return
    rows: list[tuple[str, Text]] = [("% stalled, avg 10/60/300 s", Text(""))]
    for cp in report.pressure:
        who = Text()
        who.append_text(safe(cp.cgroup, "bold"))
        who.append(
            "  its own cgroup" if not cp.binds else f"  sets the {', '.join(cp.binds)} limit", style="dim"
        )
        rows.append(("cgroup", who))
        for r in PRESSURE_RESOURCES:
            pr = cp.get(r)
            rows.append((f"  {r}", _pressure_line(pr) if pr else Text("n/a", style="dim")))
    section("pressure", rows)


def _delegation_section(report: CgroupReport, section: Callable[[str, list[tuple[str, Text]]], None]) -> None:
    if not report.delegation:
        section("delegation", [("", safe(report.delegation_reason or "n/a", "dim"))])
        return
    own = report.delegation[-1]
    have = (
        safe(" ".join(own.controllers)) if own.controllers is not None else Text("unreadable")
    )  # a kernel file: through the sanitizer
    rows: list[tuple[str, Text]] = [("controllers here", have)]
    for r in RESOURCES:
        gap = undelegated(report.delegation, r)
        if gap is None:
            continue
        why = Text("not delegated below ", style="red")
        why.append_text(safe(gap[0], "bold red"))
        why.append(f" (its cgroup.subtree_control lacks {r}): no {r} limit can be set on ", style="red")
        why.append_text(safe(gap[1], "red"))
        why.append(" or below; its processes count against the limits of ", style="red")
        why.append_text(safe(gap[0], "red"))
        why.append(" and above", style="red")
        rows.append((r, why))
    if len(rows) == 1:
        rows.append(("path", Text("every controller is delegated down to it", style="green")))
    section("delegation", rows)
