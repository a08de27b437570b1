"""`nsview ps` in a narrow terminal: PID, ID, NAME and RUNTIME stay whole; the least telling
columns fold or go, and one note says which. Rendered on fixed-width rich Consoles.

Expected values come from the fixture files (stat, config.v2.json), not from nsview."""

from __future__ import annotations

import io
import json

import pytest

from nsview.collect.ps import scan_containers
from nsview.model.container import Container, ContainerScan
from nsview.model.process import HostReference
from nsview.procfs import ProcFS
from nsview.render.json.ps import COLUMNS
from nsview.render.text.ps import fit_columns, render_ps
from tests.support.paths import FIXTURES

HEADERS = [h for h, _ in COLUMNS]


def show(scan: ContainerScan, width: int) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, color_system=None, markup=False, emoji=False, highlight=False).print(
        render_ps(scan)
    )
    return out.getvalue()


def table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("note:")]


def docker_fixture() -> tuple[ContainerScan, dict[int, str]]:
    """The systemd-driver fixture's scan and, from its own files, init pid -> docker name."""
    base = FIXTURES / "containers-systemd-driver"
    expected = {}
    for cfg in (base / "host" / "srv" / "docker" / "containers").glob("*/config.v2.json"):
        data = json.loads(cfg.read_text())
        expected[data["State"]["Pid"]] = data["Name"].lstrip("/")
    return scan_containers(ProcFS(base / "proc"), None), expected


def big_pid_scan() -> ContainerScan:
    """What the trial user saw: a 5-digit pid and a bare unshare group, plus pid_max-sized pids
    (docs/hardening.md, row 24) and a containerd namespace/id."""
    host = HostReference(1, "pid 1", {})
    rows = (
        Container(
            "docker",
            "a" * 64,
            "web-frontend-1",
            27772,
            (27772, 27790),
            isolated=("ipc", "mnt", "net", "pid", "uts"),
            hostname="a-rather-long-hostname.example",
            rootfs_type="overlay",
            state="sleeping",
        ),
        Container(
            "containerd",
            "web1",
            None,
            4194301,
            (4194301,),
            namespace="acme",
            isolated=("ipc", "mnt", "net", "pid", "uts"),
            hostname="h",
            rootfs_type="overlay",
            state="paused",
        ),
        Container(
            "namespaces only",
            None,
            None,
            4194303,
            (4194303, 4194304),
            isolated=("mnt", "net", "pid", "uts"),
            hostname="vm",
            rootfs_type="ext4",
            state="sleeping",
        ),
    )
    return ContainerScan(rows, host, scanned=10)


@pytest.mark.parametrize("width", [60, 200])
def test_fixture_rows_keep_pid_id_name_runtime_whole(width):
    scan, expected = docker_fixture()
    text = show(scan, width)
    assert "…" not in text
    lines = table_lines(text)
    for pid, name in expected.items():
        c = next(c for c in scan.containers if c.init_pid == pid)
        row = next(line for line in lines if f" {pid}" in line)
        words = row.split()
        # every kept cell on one line, whole: the pid from the fixture's config, the name too
        assert words[:4] == ["docker", c.id[:12], name, str(pid)]
        assert len(row.rstrip()) <= width


def test_narrow_terminal_hides_columns_and_says_so():
    scan = big_pid_scan()
    text = show(scan, 60)
    assert "…" not in text
    lines = table_lines(text)
    header = lines[0].split()
    assert header[:4] == ["RUNTIME", "ID", "NAME", "PID"]
    for c in scan.containers:
        cid = c.short_id if c.namespace is None else f"{c.namespace}/{c.short_id}"
        row = next(line for line in lines if f" {c.init_pid}" in line)
        assert str(c.init_pid) in row.split() and (cid or "-") in row.split()
        assert (c.name or "-") in row.split()
        assert len(row.rstrip()) <= 60
    assert "namespaces only" in text  # the runtime is never cut either
    hidden = [h for h in HEADERS if h not in header]
    assert hidden[:2] == ["HOSTNAME", "ROOTFS"] or set(hidden) >= {"HOSTNAME", "ROOTFS"}
    notes = [line for line in text.replace("\n", " ").split("note: ")[1:] if "hidden" in line]
    assert len(notes) == 1
    for h in hidden:
        assert h in notes[0]
    assert "--json" in notes[0]


def test_wide_terminal_shows_everything_without_note():
    scan = big_pid_scan()
    text = show(scan, 200)
    assert table_lines(text)[0].split() == HEADERS
    assert "hidden" not in text and "…" not in text
    for c in scan.containers:
        assert str(c.init_pid) in text and c.hostname in text and c.state in text


def test_too_narrow_for_the_kept_columns_folds_never_cuts():
    """Below the width of RUNTIME+ID+NAME+PID the kept cells wrap onto more lines: every
    character still printed (no "…"), no line wider than the terminal."""
    scan = big_pid_scan()
    text = show(scan, 40)
    assert "…" not in text
    assert all(len(line.rstrip()) <= 40 for line in text.splitlines())
    lines = table_lines(text)
    for c in scan.containers:
        assert str(c.init_pid) in text.split()
    # the NAME column, read down from under its header: the whole name, folded
    start = lines[0].index("NAME")
    column = "".join(line[start:].split(" ", 1)[0] for line in lines[1:])
    assert "web-frontend-1" in column


def test_drop_order_is_rootfs_then_hostname_then_isolated():
    natural = {k: len(h) for h, k in COLUMNS} | {
        "runtime": 15,
        "short_id": 12,
        "name": 14,
        "init_pid": 7,
        "hostname": 30,
        "isolated": 19,
    }
    full = sum(natural.values()) + 2 * (len(natural) - 1)
    widths, hidden = fit_columns(natural, full)
    assert hidden == () and widths == natural
    # one column short: the hostname folds (down to 8) before anything goes
    widths, hidden = fit_columns(natural, full - 5)
    assert hidden == () and widths["hostname"] == natural["hostname"] - 5
    # less room than a folded hostname gives back: ROOTFS goes first, then HOSTNAME, ISOLATED
    seen = []
    for width in range(full - 1, 20, -1):
        _, hidden = fit_columns(natural, width)
        for key in hidden:
            if key not in seen:
                seen.append(key)
    assert seen[:3] == ["rootfs_type", "hostname", "isolated"]
    assert not {"runtime", "short_id", "name", "init_pid"} & set(seen)


def test_cli_narrow_columns_keeps_pids(nsview_run):
    """End to end through the real CLI with COLUMNS=60: the fixture's pids and names whole."""
    _, expected = docker_fixture()
    proc = str(FIXTURES / "containers-systemd-driver" / "proc")
    r = nsview_run("ps", "--proc-root", proc, env={"COLUMNS": "60"})
    assert r.returncode == 0, r.stderr
    assert "…" not in r.stdout
    for pid, name in expected.items():
        assert any(line.split()[2:4] == [name, str(pid)] for line in r.stdout.splitlines() if line.strip())
