"""The Privileges section of ``nsview diff``: what each side may do to the host, then the target's
findings, most severe first. Labels and paths come from the process: all through ``safe``."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from nsview.model.diff import Pair, Reading
from nsview.model.privileges import (
    DOCKER_DEFAULT_CAPS,
    ENGINE_DEFAULT_CAPS,
    SECCOMP_MODES,
    Privileges,
)
from nsview.render.sanitize import safe

DIFF_STYLE = "bold yellow"
NA_STYLE = "red"
SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "", "info": "dim"}


def _na(error: str | None) -> Text:
    return Text("not available: ", style=NA_STYLE) + safe(error or "", NA_STYLE)


def _caps(p: Privileges) -> Text:
    status = p.status.value
    if status is None:
        return _na(p.status.error)
    if status.caps is None:
        return Text("no capability lines in status", style="dim")
    n = len(status.caps.bounding)
    extra = ""
    if p.all_caps:
        words = "every capability the host has"
        if p.cap_missing:
            words += " but " + " ".join(p.cap_missing)
    elif p.engine in ENGINE_DEFAULT_CAPS:
        words = f"{p.engine} default"
        if p.cap_added or p.cap_dropped:
            words = " ".join([*("+" + c for c in p.cap_added), *("-" + c for c in p.cap_dropped)])
            words += f" vs {p.engine} default"
        base = ENGINE_DEFAULT_CAPS[p.engine or ""]
        fewer = [c for c in DOCKER_DEFAULT_CAPS if c not in base]
        if fewer:  # podman: name what it drops beyond Docker's default
            extra = f" (= Docker's without {' '.join(fewer)})"
    elif not (p.cap_added or p.cap_dropped):
        words = "the host's set"
    else:
        words = " ".join([*("+" + c for c in p.cap_added), *("-" + c for c in p.cap_dropped)])
    return safe(f"{words} ({n}){extra}")


def _effective(p: Privileges) -> Text:
    status = p.status.value
    if status is None or status.caps is None:
        return _na(p.status.error) if status is None else Text("")
    caps = status.caps
    if caps.effective == caps.bounding:
        return Text("= bounding", style="dim")
    return safe(" ".join(caps.effective) or "none")


def _seccomp(p: Privileges) -> Text:
    s = p.status.value
    if s is None:
        return _na(p.status.error)
    if s.seccomp is None:
        return Text("no Seccomp line (kernel without seccomp)", style="dim")
    text = SECCOMP_MODES.get(s.seccomp, f"mode {s.seccomp}")
    if s.seccomp == 2 and s.seccomp_filters is not None:
        text += f" ({s.seccomp_filters} filter{'s' if s.seccomp_filters != 1 else ''})"
    return Text(text, style=DIFF_STYLE if s.seccomp == 0 else "")


def _nnp(p: Privileges) -> Text:
    s = p.status.value
    if s is None:
        return _na(p.status.error)
    return Text("n/a" if s.no_new_privs is None else ("yes" if s.no_new_privs else "no"))


def _reading(r: Reading[object], words: str | None) -> Text:
    return _na(r.error) if r.value is None else safe(words or "")


def _shared(p: Privileges, reference: bool) -> Text:
    if reference:
        return Text("(the host)", style="dim")
    r = p.shared_namespaces
    if r.value is None:
        return _na(r.error)
    shown = [t for t in r.value if t != "time"]
    return Text(
        ", ".join(shown) or "none", style=DIFF_STYLE if {"pid", "net", "mnt", "ipc"} & set(shown) else ""
    )


def _mounts(p: Privileges, reference: bool) -> Text:
    if reference:
        return Text("(the host)", style="dim")
    r = p.mounts
    if r.value is None:
        return _na(r.error)
    if not r.value:
        return Text("none", style="dim")
    cell = Text()
    for i, m in enumerate(r.value):
        if i:
            cell.append("\n")
        cell.append_text(safe(m.target, "bold"))
        cell.append(" ← ", style="dim")
        cell.append_text(safe(m.host_path or "?"))
        cell.append(f" {m.kind}", style=SEVERITY_STYLE.get(m.severity, ""))
        if not m.kind.endswith((" rw", " writable")):  # "host path rw" says it already
            cell.append(" ro" if m.read_only else " rw")
    return cell


# Each row's name, and the item its findings carry (model/privileges.py, ``Finding.item``).
ROW_ITEMS = {
    "summary": "summary",
    "capabilities": "capabilities",
    "effective": "effective",  # a capabilities finding is about the set: the capabilities row
    "seccomp": "seccomp",
    "no_new_privs": "no_new_privs",
    "LSM": "lsm",
    "user": "user",
    "devices": "devices",
    "host namespaces": "namespaces",
    "mounts into host": "mounts",
}
# An equal row keeps its own row when a finding this severe is about it; milder findings are in
# the list of findings below the table, by item, with their reason.
KEEP_SEVERITIES = ("high", "medium")


def privileges_parts(
    pair: Pair[Privileges], ref_label: str, tgt_label: str, repeat_namespaces: bool = True
) -> list[RenderableType]:
    """``repeat_namespaces`` False: against the host, the host namespaces row says what the
    Namespaces section above says (by inode), and is left out."""
    from nsview.render.text.diff import Rows

    out = Rows(ref_label, tgt_label)
    sides = [pair.reference, pair.target]
    host_side = ref_label == "host"
    values = [r.value for r in sides]
    rows = (
        ("summary", lambda p, ref: safe(p.summary, "bold")),
        ("capabilities", lambda p, ref: _caps(p)),
        ("effective", lambda p, ref: _effective(p)),
        ("seccomp", lambda p, ref: _seccomp(p)),
        ("no_new_privs", lambda p, ref: _nnp(p)),
        ("LSM", lambda p, ref: _reading(p.lsm, p.lsm.value.words() if p.lsm.value else None)),
        ("user", lambda p, ref: _reading(p.user, p.user.value.words() if p.user.value else None)),
        ("devices", lambda p, ref: _reading(p.devices, p.devices.value.words() if p.devices.value else None)),
        ("host namespaces", _shared),
        ("mounts into host", _mounts),
    )
    tgt = pair.target.value
    serious = {f.item for f in tgt.findings if f.severity in KEEP_SEVERITIES} if tgt is not None else set()
    for label, cell in rows:
        cells = []
        readable = True
        for i, (r, v) in enumerate(zip(sides, values, strict=True)):
            if v is None:
                cells.append(_na(r.error))
                readable = False
                continue
            c = cell(v, i == 0 and host_side)
            readable = readable and not c.plain.startswith("not available: ")
            cells.append(c)
        if label == "host namespaces" and not repeat_namespaces and readable:
            continue
        keep = not readable or ROW_ITEMS[label] in serious
        if not keep and cells[0].plain == cells[1].plain:
            out.same(label, cells[0].plain)
            continue
        if not keep and host_side and cells[0].plain == "(the host)" and cells[1].plain == "none":
            out.same(label, "none")  # nothing of the kind, as on the host itself
            continue
        differ = readable and cells[0].plain not in ("(the host)", cells[1].plain)
        out.add(label, cells[0], cells[1], Text("differs", style=DIFF_STYLE) if differ else None)
    parts = out.parts()
    if tgt is not None:
        if tgt.findings:
            parts.append(Text(f"findings for the {tgt_label} ({len(tgt.findings)})", style="bold"))
            ft = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
            ft.add_column(no_wrap=True)
            ft.add_column(no_wrap=True)
            ft.add_column(overflow="fold")
            for f in tgt.findings:
                ft.add_row(
                    Text(f.severity, style=SEVERITY_STYLE.get(f.severity, "")), Text(f.item), safe(f.reason)
                )
            parts.append(ft)
        else:
            parts.append(Text("findings: none", style="dim"))
    return parts
