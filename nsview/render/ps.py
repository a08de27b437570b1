"""``nsview ps``: ContainerScan -> a rich Table (one row per container) and -> a JSON-able dict."""

from __future__ import annotations

from typing import Any

from nsview.model.containers import Container, ContainerScan, MemoryLimit

# The column registry: (header, JSON key it shows). The table and docs follow this order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("RUNTIME", "runtime"),
    ("ID", "short_id"),
    ("NAME", "name"),
    ("PID", "init_pid"),
    ("PROCS", "processes"),
    ("ISOLATED", "isolated"),
    ("HOSTNAME", "hostname"),
    ("MEMORY", "memory_limit"),
    ("ROOTFS", "rootfs_type"),
)


def ps_to_dict(scan: ContainerScan) -> dict[str, Any]:
    return {
        "containers": [container_to_dict(c) for c in scan.containers],
        "host_reference": {
            "pid": scan.host.pid,
            "source": scan.host.source,
            "namespaces": {t: str(ref) for t, ref in sorted(scan.host.namespaces.items())},
        },
        "scanned": scan.scanned,
        "vanished": scan.vanished,
        "unreadable": scan.unreadable,
        "unreadable_reasons": list(scan.unreadable_why),
        "notes": list(scan.notes),
    }


def container_to_dict(c: Container) -> dict[str, Any]:
    return {
        "runtime": c.runtime,
        "id": c.id,
        "short_id": c.short_id,
        "name": c.name,
        "namespace": c.namespace,
        "engine": c.engine,
        "pod_uid": c.pod_uid,
        "init_pid": c.init_pid,
        "processes": len(c.pids),
        "pids": list(c.pids),
        "isolated": None if c.isolated is None else list(c.isolated),
        "namespaces": {t: str(ref) for t, ref in sorted(c.namespaces.items())},
        "hostname": c.hostname,
        "memory_limit": _memory_dict(c.memory_limit),
        "rootfs_type": c.rootfs_type,
        "evidence": list(c.evidence),
        "errors": dict(c.errors),
    }


def _memory_dict(m: MemoryLimit | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"bytes": m.bytes, "unlimited": m.unlimited, "source": m.source}


def format_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    return f"{n} B"  # unreachable


def _memory_cell(m: MemoryLimit | None) -> str:
    if m is None:
        return "n/a"
    if m.unlimited:
        return "unlimited"
    return format_bytes(m.bytes) if m.bytes is not None else "n/a"


def render_ps(scan: ContainerScan):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from nsview.render.sanitize import safe

    table = Table(box=None, pad_edge=False, header_style="bold")
    for header, key in COLUMNS:
        # names and hostnames are what may be long: they fold; the rest keeps its shape
        flexible = key in ("name", "hostname")
        table.add_column(
            header,
            no_wrap=not flexible,
            min_width=8 if key in ("name", "hostname") else None,
            overflow="fold" if flexible else "ellipsis",
            justify="right" if key in ("init_pid", "processes") else "left",
        )
    for c in scan.containers:
        cid = c.short_id if c.namespace is None else f"{c.namespace}/{c.short_id}"
        table.add_row(
            Text(c.runtime, style="green" if c.runtime != "namespaces only" else "yellow"),
            safe(cid if cid is not None else "-", "cyan"),
            safe(c.name if c.name is not None else "-"),
            Text(str(c.init_pid)),
            Text(str(len(c.pids))),
            Text(",".join(c.isolated) if c.isolated else ("none" if c.isolated == () else "n/a")),
            safe(c.hostname) if c.hostname is not None else Text("n/a", style="dim"),
            Text(_memory_cell(c.memory_limit), style="dim" if c.memory_limit is None else ""),
            safe(c.rootfs_type) if c.rootfs_type is not None else Text("n/a", style="dim"),
        )
    parts: list[Any] = [table] if scan.containers else [Text("no containers found", style="dim")]
    parts.extend(_footer(scan))
    return Group(*parts)


def _footer(scan: ContainerScan):
    from rich.text import Text

    from nsview.render.sanitize import safe

    lines = []
    if scan.vanished:
        lines.append(Text(f"note: {scan.vanished} process(es) exited during the scan and are not shown", style="yellow"))
    if scan.unreadable:
        why = "; ".join(scan.unreadable_why) or "unknown"
        lines.append(
            Text.assemble(
                (f"note: {scan.unreadable} process(es) could not be read and are not classified: ", "yellow"),
                safe(why),
                " (run as root; even root can be refused by a sandbox policy)",
            )
        )
    for note in scan.notes:
        lines.append(Text.assemble(("note: ", "yellow"), safe(note)))
    return lines
