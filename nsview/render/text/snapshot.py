"""``nsview snapshot``: one line saying what was written, then what the manifest says about it."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from nsview.model.snapshot import SnapshotResult
from nsview.render.sanitize import escape
from nsview.render.units import human_bytes


def render_snapshot(result: SnapshotResult) -> RenderableType:
    m = result.manifest
    lines = [
        Text(f"wrote {escape(result.path)}: {human_bytes(result.size)}, {result.members} members"),
        Text(
            f"host {escape(str(m.get('host_name')))}, boot id {escape(str(m.get('boot_id')))}, taken {m.get('taken_at')}"
        ),
    ]
    failed = [c for c in m.get("commands", []) if c.get("error")]
    for c in failed:
        lines.append(Text(f"  {escape(c['command'])}: {escape(c['error'])}"))
    unreadable = m.get("unreadable", [])
    if unreadable:
        lines.append(Text(f"{len(unreadable)} paths could not be read (the manifest lists them and why)"))
    masked = m.get("masked", [])
    if masked:
        lines.append(Text(f"masked secrets in {len(masked)} command lines (--no-redact keeps them)"))
    elif not m.get("redacted"):
        lines.append(Text("not redacted (--no-redact): command lines kept whole"))
    lines.append(Text("read it with: nsview COMMAND --from FILE"))
    return Group(*lines)
