"""``nsview exec --dry-run``: the plan in words, nothing entered."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from nsview.model.entry import EntryPlan
from nsview.render.sanitize import safe


def render_plan(plan: EntryPlan) -> RenderableType:
    lines: list[RenderableType] = []
    head = Text("would enter ", style="bold")
    head.append(", ".join(plan.enter) or "nothing", style="yellow")
    head.append(" of ")
    head.append_text(safe(plan.label, "bold"))
    head.append(f", pid {plan.pid}, pinned by {plan.method}")
    lines.append(head)
    for ns_type in plan.enter:
        ref = plan.namespaces.get(ns_type)
        lines.append(Text(f"  {ns_type:<7} {ref}", style="dim"))
    for ns_type, why in plan.skipped.items():
        lines.append(Text.assemble(f"  not entered: {ns_type}: ", safe(why, "dim")))
    run = Text("command: ")
    run.append_text(safe(" ".join(plan.command) or "(none given)", "bold"))
    where = "the container's own, looked up in its root" if plan.container_root else "the host's"
    run.append(f"  ({where}", style="dim")
    if plan.forks:
        run.append("; run in a child forked inside the pid namespace", style="dim")
    run.append(")", style="dim")
    lines.append(run)
    if plan.cwd:
        lines.append(Text.assemble("working directory: ", safe(plan.cwd)))
    if plan.cgroup_join:
        lines.append(Text("joins TARGET's cgroups first (--cgroup-join)"))
    return Group(*lines)
