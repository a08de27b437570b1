"""``nsview ps --pods``: one row a pod, its containers under it, the sandbox (pause) first."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nsview.model.container import Container, ContainerScan, group_pods
from nsview.render.sanitize import safe
from nsview.render.text.ps import scan_footer


def render_pods(scan: ContainerScan) -> RenderableType:
    pods = group_pods(scan.containers)
    in_pods = {id(c) for p in pods for c in p.containers}
    outside = sum(1 for c in scan.containers if id(c) not in in_pods)
    lines: list[RenderableType] = []
    if not pods:
        lines.append(Text("no Kubernetes pods found", style="dim"))
    else:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for header in ("POD / CONTAINER", "ID", "PID", "STATE", "PROCS", "ENGINE", "IN"):
            table.add_column(header, no_wrap=True, justify="right" if header in ("PID", "PROCS") else "left")
        for pod in pods:
            table.add_row(
                Text.assemble(safe(pod.label(), "bold"), ("  uid ", "dim"), safe(pod.uid or "?", "dim")),
                Text(f"{len(pod.containers)} container(s)", style="dim"),
                "",
                "",
                "",
                "",
                "",
            )
            for i, c in enumerate(pod.containers):
                table.add_row(*_member(c, last=i == len(pod.containers) - 1))
        lines.append(table)
    if outside:
        lines.append(Text(f"{outside} container(s) outside any pod: see `nsview ps`", style="dim"))
    return Group(*lines, *scan_footer(scan))


def _member(c: Container, last: bool) -> list[Text]:
    branch = "└─ " if last else "├─ "
    if c.pod is not None and c.pod.sandbox:
        who = Text.assemble(branch, ("sandbox (pause)", "yellow"))
    elif c.pod is not None and c.pod.container:
        who = Text.assemble(branch, safe(c.pod.container))
    else:
        who = Text.assemble(branch, ("? (name not on disk)", "dim"))
    state = c.state or "n/a"
    return [
        who,
        safe(c.short_id or "-", "cyan"),
        Text(str(c.init_pid)),
        Text(state, style="green" if state == "running" else ""),
        Text(str(len(c.pids))),
        safe(c.engine or (c.pod.engine if c.pod else None) or "?", "dim"),
        safe(c.nesting() or "-", "" if c.nested_in else "dim"),
    ]
