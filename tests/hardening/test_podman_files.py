"""docs/hardening.md, rows 37-38: podman's files (containers/storage's containers.json, podman's
db.sql) hold names whoever ran the container chose, and a rootless user's store is that user's
own files: hostile names print inert, a file that is huge, a symlink, a FIFO or malformed is
passed over with a note, a database is read from a private copy with a step budget. A container
that stops (or starts) between the process scan and the read of its files shows once, with
what its files say.

Fixture copies (fixtures/containers-podman, fixtures/dockerd-roots) get the files in a temporary
directory: the values are the test's own (the second source); this machine's podman writes a
Bolt database, not db.sql (the live tests in tests/test_stopped_live.py cover that)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.hardening import util
from tests.support import live
from tests.support.paths import FIXTURES
from tests.support.podman_db import EXITED, RUNNING, write_db

HOSTILE = "pm\x1b[31m-\x07[red]x[/red]\u202e:smile:\nline2"  # escapes, BEL, markup, bidi, newline
NAMED = "3f4e9a1c2b7d8e6f0a1b2c3d4e5f6a7b0a1b2c3d4e5f6a7b0a1b2c3d4e5f6a7b"  # conmon -n web (pid 501)
UNNAMED = "3f4e77aa0c1d2e3f4a5b6c7d8e9f0a1b4a5b6c7d8e9f0a1b4a5b6c7d8e9f0a1b"  # no -n (pid 511)
GONE = "c" * 64  # kept on disk, no process
STORE = "host/var/lib/containers/storage"


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest, symlinks=True)
    return dest


def _store_json(tree: Path, entries: list[dict], name: str = "containers.json") -> Path:
    path = tree / STORE / "overlay-containers" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries))
    return path


def _ps(nsview_run, tree: Path, *args: str) -> dict:
    r = nsview_run("ps", "--proc-root", str(tree / "proc"), "--json", *args)
    util.no_traceback(r)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _row(data: dict, cid: str) -> dict | None:
    return next((c for c in data["containers"] if c["id"] == cid), None)


def test_row37_hostile_store_names_print_inert(tmp_path, nsview_run):
    tree = _copy("containers-podman", tmp_path)
    _store_json(tree, [{"id": UNNAMED, "names": [HOSTILE]}, {"id": "d" * 64, "names": ["ok-name"]}])
    _store_json(tree, [{"id": GONE, "names": [HOSTILE + "-rm"]}], "volatile-containers.json")
    data = _ps(nsview_run, tree, "--all")
    assert _row(data, UNNAMED)["name"] == HOSTILE  # raw in JSON
    assert (
        "name from /var/lib/containers/storage/overlay-containers/containers.json"
        in _row(data, UNNAMED)["evidence"]
    )
    assert _row(data, NAMED)["name"] == "web"  # conmon -n first
    assert _row(data, GONE)["name"] == HOSTILE + "-rm" and _row(data, GONE)["running"] is False
    for mode, r in util.run_modes(nsview_run, ["ps", "--all", "--proc-root", str(tree / "proc")]):
        util.no_traceback(r)
        assert r.returncode == 0, (mode, r.stderr)
        util.assert_inert(r.stdout + r.stderr, forced=(mode == "forced"))
        util.assert_literal(r.stdout, ("[red]x[/red]", ":smile:"))
        assert "\\x1b" in r.stdout and "\\x0aline2" in r.stdout.replace("\\n", "\\x0a"), mode
    # not a string, too long, not a list, an id that is no id: not shown, never a crash
    _store_json(
        tree,
        [
            {"id": UNNAMED, "names": [{"x": 1}, "y" * 254]},
            {"id": "../../etc", "names": ["climb"]},
            {"id": GONE, "names": "not-a-list"},
            "not an object",
        ],
    )
    (tree / STORE / "overlay-containers" / "volatile-containers.json").unlink()
    data = _ps(nsview_run, tree, "--all")
    assert _row(data, UNNAMED)["name"] is None and _row(data, GONE)["name"] is None
    assert not util.json_contains(data, "climb") and not util.json_contains(data, "y" * 254)


@pytest.mark.parametrize("shape", ["huge", "symlink", "fifo", "malformed", "directory"])
def test_row37_odd_store_files_are_passed_over(tmp_path, nsview_run, shape):
    tree = _copy("containers-podman", tmp_path)
    path = tree / STORE / "overlay-containers" / "containers.json"
    path.parent.mkdir(parents=True)
    good = json.dumps([{"id": UNNAMED, "names": ["followed"]}])
    if shape == "huge":
        path.write_text(good[:-1] + ", " + json.dumps({"pad": "x" * (17 << 20)}) + "]")
    elif shape == "symlink":
        (tmp_path / "elsewhere.json").write_text(good)
        os.symlink(tmp_path / "elsewhere.json", path)
    elif shape == "fifo":
        os.mkfifo(path)
    elif shape == "malformed":
        path.write_text(good[:-3])
    else:
        path.mkdir()
    data = _ps(nsview_run, tree, "--all")
    assert _row(data, UNNAMED)["name"] is None and not util.json_contains(data, "followed")
    if shape in ("huge", "malformed"):
        note = next(n for n in data["notes"] if "containers.json" in n)
        assert ("larger than 16 MiB" in note) if shape == "huge" else ("cannot parse" in note)


def _db(tree: Path) -> Path:
    return tree / STORE / "libpod" / "db.sql"


def test_row37_db_sql_names_pods_and_states_from_a_private_copy(tmp_path, nsview_run):
    tree = _copy("containers-podman", tmp_path)
    pod = "e" * 64
    write_db(
        _db(tree),
        [
            {"id": UNNAMED, "name": "in-pod", "pod": pod, "state": RUNNING},
            {"id": "f" * 64, "name": "infra", "pod": pod, "state": EXITED, "exit_code": 0},
            {
                "id": GONE,
                "name": HOSTILE,
                "state": EXITED,
                "exit_code": 137,
                "oom": True,
                "started": "2026-12-01T21:35:50.123456789Z",
                "finished": "2026-12-01T21:35:58.987654321Z",
            },
        ],
        [{"id": pod, "name": "shop", "infra": "f" * 64}],
        wal=True,  # the rows are in db.sql-wal only, as podman leaves them between checkpoints
    )
    assert (_db(tree).parent / "db.sql-wal").stat().st_size > 0
    before = sorted(p.name for p in _db(tree).parent.iterdir())
    data = _ps(nsview_run, tree, "--all")
    assert sorted(p.name for p in _db(tree).parent.iterdir()) == before  # nothing written there
    row = _row(data, UNNAMED)
    assert row["name"] == "in-pod" and row["pod"]["name"] == "shop" and row["pod"]["uid"] == pod
    assert row["pod"]["engine"] == "podman" and row["pod"]["sandbox"] is None
    infra = _row(data, "f" * 64)
    assert infra["running"] is False and infra["pod"]["sandbox"] is True and infra["exit"]["exit_code"] == 0
    gone = _row(data, GONE)
    assert gone["exit"] == {
        "status": "exited",
        "exit_code": 137,
        "oom_killed": True,
        "started_at": "2026-12-01T21:35:50.123456789Z",
        "finished_at": "2026-12-01T21:35:58.987654321Z",
        "source": "/var/lib/containers/storage/libpod/db.sql",
    }
    r = nsview_run("tree", GONE[:12], "--proc-root", str(tree / "proc"))
    assert r.returncode == 9 and r.stderr.count("\n") == 1
    assert "is not running: exited 137 at 2026-12-01T21:35:58Z, killed by the kernel OOM killer" in r.stderr
    util.assert_inert(r.stderr, forced=False)
    pods = nsview_run("ps", "--pods", "--no-color", "--proc-root", str(tree / "proc"))
    assert pods.returncode == 0 and pods.stdout.splitlines()[1].startswith("shop  uid " + pod)


@pytest.mark.parametrize("shape", ["garbage", "looping view", "huge value", "symlink", "bolt", "fifo"])
def test_row37_hostile_db_sql_is_a_note_not_a_hang(tmp_path, nsview_run, shape):
    tree = _copy("containers-podman", tmp_path)
    db = _db(tree)
    db.parent.mkdir(parents=True)
    if shape == "garbage":
        db.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    elif shape == "looping view":
        # a table name podman's schema has, made a view that never ends: never run
        conn = sqlite3.connect(db)
        conn.executescript(
            "CREATE VIEW ContainerConfig AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n) "
            "SELECT i AS ID, 'x' AS Name, NULL AS PodID FROM n;"
            "CREATE TABLE ContainerState(ID TEXT, State INTEGER, ExitCode INTEGER, JSON TEXT);"
            f"INSERT INTO ContainerState VALUES ('{GONE}', 6, 1, '{{\"state\": 6, \"exitCode\": 1}}');"
        )
        conn.close()
    elif shape == "huge value":
        # a generated column that makes a 200 MB name out of a small file: refused, not built
        conn = sqlite3.connect(db)
        conn.executescript(
            "CREATE TABLE ContainerConfig(ID TEXT, Pad INTEGER, PodID TEXT,"
            " Name TEXT GENERATED ALWAYS AS (printf('%.*c', Pad, 'x')) VIRTUAL);"
            f"INSERT INTO ContainerConfig(ID, Pad, PodID) VALUES ('{UNNAMED}', 200000000, NULL);"
        )
        conn.close()
    elif shape == "symlink":
        write_db(tmp_path / "elsewhere.sql", [{"id": UNNAMED, "name": "followed"}])
        os.symlink(tmp_path / "elsewhere.sql", db)
    elif shape == "bolt":
        (db.parent / "bolt_state.db").write_bytes(b"\x00" * 4096)
    else:
        os.mkfifo(db)
    data = _ps(nsview_run, tree, "--all")
    assert _row(data, UNNAMED)["name"] is None and not util.json_contains(data, "followed")
    notes = " ".join(data["notes"])
    if shape == "garbage":
        assert "db.sql: not a readable SQLite database" in notes
    if shape == "huge value":  # the value is never made: SQLite gives NULL past the 16 MiB limit
        from nsview.parse.podman_db import QUERIES
        from nsview.procfs import KernelFS

        rows = KernelFS(tree / "host").sqlite_rows(str(db.relative_to(tree / "host")), QUERIES)
        assert rows["containers"] == [(UNNAMED, None, None)]
    if shape == "bolt":
        assert "bolt_state.db is a Bolt database" in notes
    if shape == "looping view":
        assert _row(data, GONE) is None  # a state with no config row is no container


def test_row38_files_that_say_running_without_a_process(tmp_path, nsview_run):
    """The scan saw no process of it, its file says it runs: it started or stopped between the
    two reads. Listed once, with no state made up, and a TARGET says so (exit 9)."""
    docker = _copy("dockerd-roots", tmp_path)
    cid = "9" * 64
    d = docker / "host/var/lib/docker/containers" / cid
    d.mkdir(parents=True)
    d.joinpath("config.v2.json").write_text(
        json.dumps(
            {
                "ID": cid,
                "Name": "/racy",
                "State": {"Running": True, "Pid": 4242, "ExitCode": 0, "StartedAt": "2026-12-01T21:35:50Z"},
            }
        )
    )
    data = _ps(nsview_run, docker, "--all")
    rows = [c for c in data["containers"] if c["id"] == cid]
    assert len(rows) == 1 and rows[0]["running"] is False and rows[0]["exit"] is None
    assert "says running, but no process of it was found" in rows[0]["errors"]["exit"]
    r = nsview_run("cgroup", "racy", "--proc-root", str(docker / "proc"))
    assert r.returncode == 9 and "container racy is not running (" in r.stderr

    tree = _copy("containers-podman", tmp_path)
    write_db(
        _db(tree),
        [{"id": GONE, "name": "racy-pm", "state": RUNNING}, {"id": UNNAMED, "name": "x", "state": EXITED}],
    )
    data = _ps(nsview_run, tree, "--all")
    assert "says running" in _row(data, GONE)["errors"]["exit"]
    assert _row(data, UNNAMED)["running"] is True  # a process runs: the database's word is old


@pytest.mark.docker
def test_row38_a_container_that_stops_during_scans_shows_once(nsview_cmd, docker_run):
    """Live: scans while a container ends. In each, it is one row: running (with its pid) or
    stopped (with its exit), never both, never missing."""
    name = live.unique_name("nsview-race")
    info = docker_run("--name", name, cmd=("sh", "-c", "sleep 2"))
    seen = set()
    for _ in range(60):
        data = json.loads(nsview_cmd("ps", "--all", "--json", "--runtime", "docker").stdout)
        rows = [c for c in data["containers"] if c["id"] == info["Id"]]
        assert len(rows) == 1, rows
        seen.add(rows[0]["running"])
        if rows[0]["running"] is False and rows[0]["exit"] is not None:
            assert rows[0]["exit"]["exit_code"] == 0 == live.docker_inspect(info["Id"])["State"]["ExitCode"]
            break
    assert seen == {True, False} or seen == {False}


def test_row38_a_target_that_stops_after_it_was_resolved(tmp_path):
    """Resolved while it ran, gone when the command reads it: the command's NoSuchProcess
    becomes NOT_RUNNING with what its file now says (cli.execute asks explain_gone)."""
    from nsview.errors import NoSuchProcess, NotRunning
    from nsview.targets import RESOLVED, explain_gone, resolve

    tree = _copy("dockerd-stopped", tmp_path)
    RESOLVED.clear()
    assert resolve(tree / "proc", "api").pid == 111
    # it ends: its processes go, dockerd writes its State
    for pid in ("111", "110"):
        shutil.rmtree(tree / "proc" / pid)
    config = next((tree / "host/var/lib/docker/containers").glob("72756e53*/config.v2.json"))
    doc = json.loads(config.read_text())
    doc["State"].update(Running=False, Pid=0, ExitCode=143, FinishedAt="2026-12-01T22:00:01.5Z")
    config.write_text(json.dumps(doc))
    err = explain_gone(NoSuchProcess(111))
    assert isinstance(err, NotRunning) and err.exit_code == 9
    assert err.message == "container api is not running: exited 143 at 2026-12-01T22:00:01Z"
    # a pid TARGET (nothing resolved by name) keeps its NoSuchProcess
    RESOLVED.clear()
    gone = NoSuchProcess(111)
    assert explain_gone(gone) is gone
