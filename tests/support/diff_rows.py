"""What `nsview diff`'s text must name, worked out from its `--json` (which keeps everything):
each row that differs, is isolated, could not be read or carries a finding by name on a row of
its own (or, for a finding, on the findings list), and each row equal on both sides by name on
its section's collapsed line. Used by tests/test_diff_rows.py (fixture trees) and
tests/test_diff_short_live.py (a live Docker container).

The expectations come from the JSON values, not from the renderer's words: two sides are equal
when their JSON values are, so a renderer that collapses a row whose values differ fails."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TITLES = ("Namespaces", "Hostname (UTS)", "Network", "Mounts", "Limits (cgroup)", "Privileges")
_TITLE = re.compile(r"^(" + "|".join(re.escape(t) for t in TITLES) + r")(?:  |$)", re.M)
_LIMIT_LABELS = {"memory_swap": "memory+swap", "cpuset_cpus": "cpuset cpus"}
_COLLAPSED = ("equal: ", "shared with the host: ", "same namespace on both sides: ")
_NA_LINE = "not available on either side: "


@dataclass
class Expected:
    rows: dict[str, list[str]] = field(default_factory=dict)  # section -> names with a row
    collapsed: dict[str, list[str]] = field(default_factory=dict)  # section -> names on one line
    unreadable: dict[str, list[str]] = field(default_factory=dict)  # section -> names neither side read
    findings: list[tuple[str, str]] = field(default_factory=list)  # (severity, item)

    def row(self, section: str, name: str) -> None:
        self.rows.setdefault(section, []).append(name)

    def equal(self, section: str, name: str) -> None:
        self.collapsed.setdefault(section, []).append(name)


def sections(text: str) -> dict[str, str]:
    """The text of each section, by title (the title's line included)."""
    marks = [(m.group(1), m.start()) for m in _TITLE.finditer(text)]
    return {
        title: text[start : marks[i + 1][1] if i + 1 < len(marks) else len(text)]
        for i, (title, start) in enumerate(marks)
    }


def _side_by_side(exp: Expected, section: str, name: str, ref: Any, tgt: Any, errors: dict) -> None:
    if ref is None and tgt is None and errors.get("reference") == errors.get("target"):
        exp.unreadable.setdefault(section, []).append(name)
    elif ref is None or tgt is None or ref != tgt:
        exp.row(section, name)
    else:
        exp.equal(section, name)


def expected(doc: dict[str, Any]) -> Expected:
    s = doc["sections"]
    exp = Expected()
    for row in s["namespaces"]["rows"]:
        (exp.equal if row["shared"] is True else exp.row)("Namespaces", row["type"])
    um = s["user_maps"]
    for name in ("uid_map", "gid_map"):
        ref = um["reference"][name] if um["reference"] else None
        tgt = um["target"][name] if um["target"] else None
        if ref is not None and tgt is not None and ref == tgt:
            exp.equal("Namespaces", name)
        elif ref is None and tgt is None and um["errors"]["reference"] == um["errors"]["target"]:
            exp.unreadable.setdefault("Namespaces", []).append("user " + name)
        else:
            exp.row("Namespaces", "user " + name)
    uts = s["uts"]
    for name in ("hostname", "domainname"):
        ref = uts["reference"][name] if uts["reference"] else None
        tgt = uts["target"][name] if uts["target"] else None
        _side_by_side(exp, "Hostname (UTS)", name, ref, tgt, uts["errors"])
    net = s["network"]
    for name in ("interfaces", "routes"):
        ref, tgt = net["reference"], net["target"]
        if ref is None and tgt is None and net["errors"]["reference"] == net["errors"]["target"]:
            exp.unreadable.setdefault("Network", []).append(name)
        else:
            exp.row("Network", name)  # always a row: the target's network is shown whole
    m = s["mounts"]
    if m["reference"] and m["target"]:
        exp.row("Mounts", "root fs")
    lim = s["limits"]
    ref_l = lim["reference"]["limits"] if lim["reference"] else None
    tgt_l = lim["target"]["limits"] if lim["target"] else None
    if ref_l is None or tgt_l is None:
        _side_by_side(exp, "Limits (cgroup)", "cgroup", None, None, lim["errors"])
    for key in dict.fromkeys([*(ref_l or {}), *(tgt_l or {})]):
        ref = (ref_l or {}).get(key)
        tgt = (tgt_l or {}).get(key)
        label = _LIMIT_LABELS.get(key, key)
        if ref is not None and tgt is not None and ref["text"] == tgt["text"]:
            exp.equal("Limits (cgroup)", label)
        else:
            exp.row("Limits (cgroup)", label)
    _privileges(exp, doc)
    return exp


def _privileges(exp: Expected, doc: dict[str, Any]) -> None:
    p = doc["sections"]["privileges"]
    if p is None:
        return
    ref, tgt = p["reference"], p["target"]
    exp.findings = [(f["severity"], f["item"]) for f in p["findings"]]
    if ref is None or tgt is None:
        return
    serious = {f["item"] for f in p["findings"] if f["severity"] in ("high", "medium")}

    def caps(side: dict, key: str) -> Any:
        c = side["capabilities"]
        if c is None:
            return None
        if key == "effective":  # shown as "= bounding" when it is
            return "= bounding" if c["effective"] == c["bounding"] else c["effective"]
        return c["bounding"]

    def user(side: dict) -> Any:
        return None if side["user"] is None else side["user"]["text"]

    def devices(side: dict) -> Any:
        d = side["devices"]
        return None if d is None else (d["rules"], d["every_device"], d["bpf_programs"], d["note"])

    def lsm(side: dict) -> Any:
        x = side["lsm"]
        return None if x is None else (x["lsm"], x["label"], x["mode"])

    compared = {
        "summary": (lambda side: side["summary"], "summary"),
        "capabilities": (lambda side: caps(side, "bounding"), "capabilities"),
        "effective": (lambda side: caps(side, "effective"), "effective"),
        "seccomp": (lambda side: side["seccomp"], "seccomp"),
        "no_new_privs": (lambda side: side["no_new_privs"], "no_new_privs"),
        "LSM": (lsm, "lsm"),
        "user": (user, "user"),
        "devices": (devices, "devices"),
    }
    for name, (value, item) in compared.items():
        a, b = value(ref), value(tgt)
        if a is None and b is None:
            continue  # unreadable on both sides: a row or the "not available" line, either is fine
        if a is None or b is None or a != b or item in serious:
            if a is not None and b is not None and a == b:
                continue  # equal, kept for a serious finding: a row or collapsed, not checked
            exp.row("Privileges", name)
        else:
            exp.equal("Privileges", name)
    against = doc["reference"]["role"] != "host"
    if tgt["mounts"]:
        exp.row("Privileges", "mounts into host")
    elif tgt["mounts"] == [] and not against and "mounts" not in serious:
        exp.equal("Privileges", "mounts into host")


def _row_names(section_text: str) -> set[str]:
    """The name of each side-by-side row: the words before the first run of two spaces."""
    names = set()
    for line in section_text.splitlines()[1:]:
        m = re.match(r"(\S+(?: \S+)*)\s{2,}\S", line)
        if m and not line.startswith(_COLLAPSED):
            names.add(m.group(1))
    return names


def _named_on(lines: list[str], name: str) -> bool:
    pattern = re.compile(rf"(?:: |, ){re.escape(name)}(?= |,|;|$)")
    return any(pattern.search(" ".join(x.split())) for x in lines)


def _joined_lines(section_text: str, starts: tuple[str, ...]) -> list[str]:
    """Lines that begin with one of ``starts``, each joined with its continuation lines (a
    collapsed line wraps at a narrow width; its continuations do not look like rows)."""
    out: list[str] = []
    current: str | None = None
    for line in section_text.splitlines():
        if line.startswith(starts):
            if current is not None:
                out.append(current)
            current = line
        elif current is not None and line.strip() and not re.match(r"\S+(?: \S+)*\s{2,}\S", line):
            current += " " + line.strip()
        else:
            if current is not None:
                out.append(current)
            current = None
    if current is not None:
        out.append(current)
    return out


def problems(text: str, doc: dict[str, Any]) -> list[str]:
    """Each name the text fails to show as the JSON says it must, as a readable complaint."""
    exp = expected(doc)
    by_title = sections(text)
    out = []
    for title in TITLES:
        body = by_title.get(title)
        if body is None:
            out.append(f"no section {title!r}")
            continue
        rows = _row_names(body)
        folded = _joined_lines(body, _COLLAPSED)
        na = _joined_lines(body, (_NA_LINE,))
        for name in exp.rows.get(title, []):
            if name not in rows:
                out.append(f"{title}: {name!r} differs (per --json) but has no row")
        for name in exp.collapsed.get(title, []):
            if not _named_on(folded, name):
                out.append(f"{title}: {name!r} is equal (per --json) but not on a collapsed line")
        for name in exp.unreadable.get(title, []):
            if not _named_on(na, name) and name not in rows:
                out.append(f"{title}: {name!r} could not be read and is not said")
    priv = by_title.get("Privileges", "")
    for severity, item in exp.findings:
        if not re.search(rf"^{re.escape(severity)}\s+{re.escape(item)}\s", priv, re.M):
            out.append(f"finding {severity} {item} is not listed")
    return out
