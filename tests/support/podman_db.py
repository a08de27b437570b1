"""A podman ``db.sql`` written by a test, in the schema libpod's sqlite_state creates (podman
>= 4.8; this machine's podman may still use Bolt): the values are the test's own, so they are
the second source for what nsview reads back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE DBConfig(ID INTEGER PRIMARY KEY NOT NULL, SchemaVersion INTEGER NOT NULL, OS TEXT NOT NULL,
    StaticDir TEXT NOT NULL, TmpDir TEXT NOT NULL, GraphRoot TEXT NOT NULL, RunRoot TEXT NOT NULL,
    GraphDriver TEXT NOT NULL, VolumeDir TEXT NOT NULL, CHECK (ID IN (1)));
CREATE TABLE IDNamespace(ID TEXT PRIMARY KEY NOT NULL);
CREATE TABLE ContainerConfig(ID TEXT PRIMARY KEY NOT NULL, Name TEXT UNIQUE NOT NULL, PodID TEXT,
    JSON TEXT NOT NULL);
CREATE TABLE ContainerState(ID TEXT PRIMARY KEY NOT NULL, State INTEGER NOT NULL, ExitCode INTEGER,
    JSON TEXT NOT NULL, CHECK (ExitCode BETWEEN -1 AND 255));
CREATE TABLE PodConfig(ID TEXT PRIMARY KEY NOT NULL, Name TEXT UNIQUE NOT NULL, JSON TEXT NOT NULL);
CREATE TABLE PodState(ID TEXT PRIMARY KEY NOT NULL, InfraContainerID TEXT, JSON TEXT NOT NULL);
"""

RUNNING, EXITED = 3, 6


def write_db(
    path: Path,
    containers: list[dict],
    pods: list[dict] = (),  # type: ignore[assignment]
    *,
    wal: bool = False,
) -> None:
    """``containers``: {"id", "name", "pod" (id or None), "state", "exit_code", "oom",
    "started", "finished"}; ``pods``: {"id", "name", "infra" (container id or None)}.
    ``wal``: podman's journal mode, with the rows left in the -wal file (not checkpointed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.executescript(SCHEMA)
    for p in pods:
        conn.execute(
            "INSERT INTO PodConfig VALUES (?, ?, ?)",
            (p["id"], p["name"], json.dumps({"id": p["id"], "name": p["name"]})),
        )
        conn.execute("INSERT INTO PodState VALUES (?, ?, ?)", (p["id"], p.get("infra"), "{}"))
    for c in containers:
        config = {"id": c["id"], "name": c["name"], "pod": c.get("pod") or ""}
        state = {
            "state": c.get("state", EXITED),
            "exitCode": c.get("exit_code", 0),
            "oomKilled": c.get("oom", False),
            "startedTime": c.get("started", "0001-01-01T00:00:00Z"),
            "finishedTime": c.get("finished", "0001-01-01T00:00:00Z"),
        }
        conn.execute(
            "INSERT INTO ContainerConfig VALUES (?, ?, ?, ?)",
            (c["id"], c["name"], c.get("pod"), json.dumps(config)),
        )
        conn.execute(
            "INSERT INTO ContainerState VALUES (?, ?, ?, ?)",
            (c["id"], c.get("state", EXITED), c.get("exit_code", 0), json.dumps(state)),
        )
    if wal:
        # keep the -wal file as podman leaves it between checkpoints: copy both while open
        import shutil

        shutil.copy(path, path.with_name(path.name + ".main"))
        shutil.copy(path.with_name(path.name + "-wal"), path.with_name(path.name + ".wal"))
    conn.close()
    if wal:
        path.with_name(path.name + ".main").replace(path)
        path.with_name(path.name + ".wal").replace(path.with_name(path.name + "-wal"))
