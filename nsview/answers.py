"""Recorded answers: the one layer that lets every reader run on a snapshot (docs/design.md,
"Snapshots").

Every file nsview reads goes through ``nsview.procfs``; every answer that exists only inside a
namespace goes through ``nsview.enter``. Both consult ``TAP`` here, and nothing else does:

- ``TAP is None`` (always, on the live host): the readers call the kernel, and this module
  costs one global lookup per call.
- a ``Recorder`` (while ``nsview snapshot`` runs the commands): each call is made live and its
  result recorded, keyed by the path below the roots of the capture (``proc/12/stat``,
  ``sys/fs/cgroup/...``, ``host/var/lib/docker/...``): file contents, link targets, directory
  listings, existence, errors (as errno), namespace inodes, filesystem magics, and the bytes
  a child read inside a namespace (hostnames, rtnetlink dumps, mount tables).
- a ``Replayer`` (``--from FILE``): file contents are the extracted files themselves; every
  other answer comes from the recorded ``answers.json``; an error recorded for a path is raised
  again as the same errno, so "permission denied" at capture time is "permission denied" now.
"""

from __future__ import annotations

import binascii  # base64 without the base64 module: one C module, no start-up cost
import errno
import functools
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

TAP: Recorder | Replayer | None = None

# (op, key) answers besides file contents: op is one of these.
OPS = ("readlink", "listdir", "lexists", "isdir", "magic", "inode")


def shown(path: str | os.PathLike[str]) -> str:
    """A path as a message names it: on a snapshot, below the root it was captured from
    (``/sys/fs/cgroup/...``), not below the temporary directory it was extracted into."""
    text = os.fspath(path)
    tap = TAP
    if not isinstance(tap, Replayer):
        return text
    key = tap.roots.key(text)
    if key is None:
        return text
    top, _, rest = key.partition("/")
    original = tap.original.get(top)
    if not isinstance(original, str):
        return text
    return os.path.join(original, rest) if rest else original


def wall_time(live: Callable[[], float]) -> float:
    """The time records were read: now on the live host; the capture's time on a snapshot
    (recorded the first time it is asked while taking it)."""
    tap = TAP
    if isinstance(tap, Recorder):
        return float(tap.answers.setdefault("time", live()))
    if isinstance(tap, Replayer):
        recorded = tap.answers.get("time")
        if isinstance(recorded, (int, float)) and not isinstance(recorded, bool):
            return float(recorded)
    return live()


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


class _Roots:
    """Maps an absolute path to its key in a capture: ``proc/...``, ``sys/...``, ``host/...``."""

    def __init__(self, proc: str, sys: str, host: str, top: str | None = None) -> None:
        self.proc = os.path.abspath(proc)
        self.sys = os.path.abspath(sys)
        self.host = os.path.abspath(host)
        # a tree's own top (the parent of its sys/): where it keeps cgroup mounts outside /sys
        # (read/cgroupfs.host_location); "/" on the live host, which is host/ already
        self.top = os.path.dirname(self.sys) if top is None else os.path.abspath(top)

    def key(self, path: str | os.PathLike[str]) -> str | None:
        p = os.path.abspath(os.fspath(path))
        for name, root in (("proc", self.proc), ("sys", self.sys)):
            if p == root:
                return name
            if p.startswith(root + "/"):
                return f"{name}/{p[len(root) + 1 :]}"
        if self.host == "/":
            return "host" + p if p != "/" else "host"
        if p == self.host:
            return "host"
        if p.startswith(self.host + "/"):
            return f"host/{p[len(self.host) + 1 :]}"
        if self.top != "/" and p.startswith(self.top + "/"):
            return f"top/{p[len(self.top) + 1 :]}"
        return None


# ---- redaction ------------------------------------------------------------------------------
# argv words that carry a secret: the value is masked, the word's shape kept (docs/hardening.md,
# row 27). A name with "=" or an option followed by its value.
_SECRET_NAME = r"(?:[A-Za-z0-9_.-]*(?:passw(?:or)?d|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)[A-Za-z0-9_.-]*|[A-Za-z0-9_]*_KEY)"
MASK = b"***"


@functools.cache
def _secret_patterns() -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    # compiled on first use: every command imports this module (procfs asks it for TAP), only
    # `nsview snapshot` redacts
    name = _SECRET_NAME.encode()
    return (
        re.compile(rb"^(--?" + name + rb")=(.+)$", re.IGNORECASE),
        re.compile(rb"^--?" + name + rb"$", re.IGNORECASE),
        re.compile(rb"^(" + name + rb")=(.+)$", re.IGNORECASE),
        re.compile(rb"([A-Za-z][A-Za-z0-9+.-]*://)([^/@\s:]+):([^/@\s]+)@"),
    )


def redact_argv(data: bytes) -> tuple[bytes, list[str]]:
    """A /proc/PID/cmdline with secret-looking values masked, and what kinds were masked
    (never the values): ``--password=`` / ``--token X`` / ``NAME_KEY=`` / ``user:pass@``."""
    opt_eq, opt_alone, env_pair, url_auth = _secret_patterns()
    words = data.split(b"\0")
    masked: list[str] = []
    out: list[bytes] = []
    mask_next = False
    for word in words:
        if mask_next and word:
            out.append(MASK)
            mask_next = False
            continue
        mask_next = False
        if m := opt_eq.match(word):
            out.append(m.group(1) + b"=" + MASK)
            masked.append(m.group(1).decode("ascii", "replace") + "=")
            continue
        if opt_alone.match(word):
            out.append(word)
            masked.append(word.decode("ascii", "replace") + " VALUE")
            mask_next = True
            continue
        if m := env_pair.match(word):
            out.append(m.group(1) + b"=" + MASK)
            masked.append(m.group(1).decode("ascii", "replace") + "=")
            continue
        if url_auth.search(word):
            out.append(url_auth.sub(lambda u: u.group(1) + u.group(2) + b":" + MASK + b"@", word))
            masked.append("user:password@ in a URL")
            continue
        out.append(word)
    return b"\0".join(out), masked


# Engines' own records of a container hold its environment and its command line too (Docker's
# config.v2.json Config.Env and Args, an OCI bundle's process.env and process.args, podman's
# db.sql rows): nsview reads none of those keys, so the snapshot keeps them out or masked.
_ENV_KEYS = frozenset({"env"})
_ARGV_KEYS = frozenset({"args", "cmd", "entrypoint"})


def redact_json(value: Any, masked: list[str]) -> Any:
    """An engine's JSON document with every ``env``/``Env`` list emptied and secret-looking
    words of ``args``/``Cmd``/``Entrypoint`` lists masked as in ``redact_argv``."""
    if isinstance(value, list):
        return [redact_json(v, masked) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        low = k.lower() if isinstance(k, str) else k
        if low in _ENV_KEYS and isinstance(v, list):
            if v:
                masked.append(f"{k} (an environment: left out)")
            out[k] = []
        elif low in _ARGV_KEYS and isinstance(v, list) and all(isinstance(w, str) for w in v):
            data, kinds = redact_argv("\0".join(v).encode("utf-8", "surrogateescape"))
            masked.extend(kinds)
            out[k] = data.decode("utf-8", "surrogateescape").split("\0") if v else []
        else:
            out[k] = redact_json(v, masked)
    return out


def redact_json_file(data: bytes) -> tuple[bytes, list[str]]:
    """A JSON file of an engine, redacted; one nsview cannot parse is not kept at all (it
    could hold anything, and nsview would not read it either)."""
    import json

    try:
        doc = json.loads(data)
    except ValueError:
        return b"", ["an engine file that is not JSON (left out)"]
    masked: list[str] = []
    clean = redact_json(doc, masked)
    if not masked:
        return data, []
    return json.dumps(clean).encode(), masked


def redact_sqlite(main: bytes, wal: bytes | None) -> tuple[bytes | None, list[str]]:
    """podman's db.sql (and its write-ahead log) as one database whose JSON text cells are
    redacted like engine files, rebuilt with VACUUM INTO so no freed page keeps an old value.
    None when it cannot be done safely (then the database is left out of the snapshot)."""
    import json
    import sqlite3

    from nsview.errors import NsviewError
    from nsview.procfs import with_private_sqlite

    masked: list[str] = []

    def _redact(conn: sqlite3.Connection) -> None:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({quoted})")]
            for rowid, *cells in conn.execute(f"SELECT rowid, * FROM {quoted}").fetchall():
                for col, cell in zip(cols, cells, strict=False):
                    if not isinstance(cell, str) or not cell.lstrip().startswith(("{", "[")):
                        continue
                    try:
                        doc = json.loads(cell)
                    except ValueError:
                        continue
                    found: list[str] = []
                    clean = redact_json(doc, found)
                    if found:
                        masked.extend(found)
                        qcol = '"' + str(col).replace('"', '""') + '"'
                        conn.execute(
                            f"UPDATE {quoted} SET {qcol} = ? WHERE rowid = ?", (json.dumps(clean), rowid)
                        )

    try:
        return with_private_sqlite(main, wal, _redact, "podman's db.sql", vacuum=True), masked
    except NsviewError:
        return None, ["podman's db.sql (could not be redacted: left out)"]


# members the recorder treats apart (patterns: compiled by re's own cache on first use)
_CMDLINE = r"^proc/\d+/(?:task/\d+/)?cmdline$"
_ENGINE_JSON = r"^host/.*\.json$"
_SQLITE = r"^host/.*/db\.sql(-wal)?$"
_NEVER = r"^proc/\d+/(?:task/\d+/)?environ$"


class Recorder:
    """Records every answer the readers get while ``nsview snapshot`` runs the commands."""

    def __init__(self, proc: str, sys: str, host: str, *, own_pid: int, redact: bool = True) -> None:
        self.roots = _Roots(proc, sys, host)
        self.own_pid = own_pid
        self.redact = redact
        self.files: dict[str, bytes] = {}
        self.answers: dict[str, Any] = {op: {} for op in OPS}
        self.answers["errors"] = {}
        self.answers["namespaces"] = {}
        self.answers["mount_tables"] = {}
        self.answers["layers"] = {}
        self.answers["roots"] = {
            "proc": str(proc),
            "sys": str(sys),
            "host": str(host),
            "top": str(Path(sys).parent),
        }
        self.redacted: dict[str, list[str]] = {}  # key -> kinds masked
        self._raw_db: dict[str, bytes] = {}  # db.sql and its -wal as read, until redacted
        self.outside: set[str] = set()  # paths below none of the roots: not captured

    def _key(self, path: str | os.PathLike[str]) -> str | None:
        key = self.roots.key(path)
        if key is None:
            self.outside.add(os.fspath(path))
            return None
        for me in ("proc/self", "proc/thread-self"):
            if key == me or key.startswith(me + "/"):
                key = f"proc/{self.own_pid}" + key[len(me) :]
        return key

    def call(self, op: str, path: str | os.PathLike[str], live: Callable[..., Any]) -> Any:
        key = self._key(path)
        try:
            value = live()
        except OSError as err:
            if key is not None and err.errno is not None:
                self.answers["errors"][f"{op}:{key}"] = err.errno
            raise
        if key is None:
            return value
        if op == "read":
            self._keep(key, value)
        elif op == "listdir":
            self.answers["listdir"][key] = sorted(value)
        else:
            self.answers[op][key] = value
        return value

    def failed(self, op: str, path: str | os.PathLike[str], err: OSError) -> None:
        key = self._key(path)
        if key is not None and err.errno is not None:
            self.answers["errors"][f"{op}:{key}"] = err.errno

    def _keep(self, key: str, data: bytes) -> None:
        if re.match(_NEVER, key):
            return
        masked: list[str] = []
        if self.redact and re.match(_CMDLINE, key):
            data, masked = redact_argv(data)
        elif self.redact and re.match(_ENGINE_JSON, key):
            data, masked = redact_json_file(data)
        elif self.redact and (m := re.match(_SQLITE, key)):
            # the database and its log become one redacted database; the log is not kept
            main_key = key[: -len("-wal")] if m.group(1) else key
            if m.group(1):
                self._raw_db[main_key + "-wal"] = data
            else:
                self._raw_db[main_key] = data
            raw = self._raw_db.get(main_key)
            if raw is None:
                return
            clean, masked = redact_sqlite(raw, self._raw_db.get(main_key + "-wal"))
            self.redacted[main_key] = sorted(set(masked))
            if clean is None:
                self.files.pop(main_key, None)
            else:
                self.files[main_key] = clean
            return
        if masked:
            self.redacted[key] = sorted(set(masked))
        if len(data) >= len(self.files.get(key, b"")):
            self.files[key] = data

    def layer(self, op: str, where: str, live: Callable[[], Any]) -> Any:
        """An overlay layer's directory walked by fd (``nsview changes``, procfs.LayerDir):
        opened, listed, lstat'ed, its xattrs; keyed by the layer path the host names."""
        key = f"{op}:{where}"
        try:
            value = live()
        except OSError as err:
            if err.errno is not None:
                self.answers["errors"][f"layer-{key}"] = err.errno
            raise
        self.answers["layers"][key] = sorted(value) if op == "names" else value
        return value

    def namespaces(
        self, targets: Sequence[tuple[int, int | None]], ns_type: str, live: Callable[[], list[Any]]
    ) -> list[Any]:
        replies = live()
        for (pid, _start), reply in zip(targets, replies, strict=True):
            self.answers["namespaces"][f"{ns_type}:{pid}"] = _store(reply)
        return replies

    def mount_table(self, inode: int, live: Callable[[], bytes]) -> bytes:
        try:
            data = live()
        except Exception as err:
            self.answers["mount_tables"][str(inode)] = _store(err)
            raise
        self.answers["mount_tables"][str(inode)] = _store(data)
        return data


class Replayer:
    """Answers from an extracted snapshot at ``base`` (its proc/, sys/, host/ and answers)."""

    def __init__(self, base: str, answers: dict[str, Any]) -> None:
        self.base = base
        self.roots = _Roots(
            os.path.join(base, "proc"), os.path.join(base, "sys"), os.path.join(base, "host"), top=base
        )
        self.answers = answers
        self.own_pid = int(answers.get("own_pid") or 0)
        roots = answers.get("roots")
        self.original: dict[str, Any] = roots if isinstance(roots, dict) else {}

    def call(self, op: str, path: str | os.PathLike[str], live: Callable[..., Any]) -> Any:
        key = self.roots.key(path)
        if key is None:  # below none of the captured roots: never looked up on this machine
            return _absent(op)
        for me in ("proc/self", "proc/thread-self"):
            if key == me or key.startswith(me + "/"):
                key = f"proc/{self.own_pid}" + key[len(me) :]
        code = self.answers.get("errors", {}).get(f"{op}:{key}")
        if code is not None:
            raise OSError(code, os.strerror(code))
        if op == "read":
            return live(os.path.join(self.base, key))  # the extracted file itself
        recorded = self.answers.get(op, {})
        if key in recorded:
            return recorded[key]
        return _absent(op)

    def has_layer(self, where: str) -> bool:
        key = f"open:{where}"
        return key in self.answers.get("layers", {}) or f"layer-{key}" in self.answers.get("errors", {})

    def layer(self, op: str, where: str, live: Callable[[], Any]) -> Any:
        key = f"{op}:{where}"
        code = self.answers.get("errors", {}).get(f"layer-{key}")
        if code is not None:
            raise OSError(code, os.strerror(code))
        found = self.answers.get("layers", {})
        if key not in found:
            if op == "open":
                raise OSError(errno.ENOENT, "not in the snapshot (nsview snapshot --changes captures it)")
            raise OSError(errno.ENOENT, "not in the snapshot")
        return found[key]

    def namespaces(
        self, targets: Sequence[tuple[int, int | None]], ns_type: str, live: Callable[[], list[Any]]
    ) -> list[Any]:
        from nsview.errors import NotAvailable

        found = self.answers.get("namespaces", {})
        out: list[Any] = []
        for pid, _start in targets:
            stored = found.get(f"{ns_type}:{pid}")
            out.append(
                _load(stored)
                if stored is not None
                else NotAvailable(f"/proc/{pid}/ns/{ns_type}", "not asked when the snapshot was taken")
            )
        return out

    def mount_table(self, inode: int, live: Callable[[], bytes]) -> bytes:
        from nsview.errors import NotAvailable

        stored = self.answers.get("mount_tables", {}).get(str(inode))
        if stored is None:
            raise NotAvailable(f"mnt:[{inode}]", "not read when the snapshot was taken")
        value = _load(stored)
        if isinstance(value, Exception):
            raise value
        return value  # type: ignore[no-any-return]


def _absent(op: str) -> Any:
    """The answer for something the snapshot does not hold: it is not there."""
    if op in ("lexists", "isdir"):
        return False
    if op in ("magic", "inode"):
        return None
    raise OSError(errno.ENOENT, "not in the snapshot")


def _store(value: Any) -> dict[str, Any]:
    """An answer (bytes) or the error that kept it from being read, as JSON."""
    from nsview.errors import AccessDenied, FileMissing, NoSuchProcess, NotAvailable, NsviewError

    if isinstance(value, bytes):
        return {"bytes": _b64(value)}
    if isinstance(value, NoSuchProcess):
        return {"error": "NoSuchProcess", "pid": value.pid}
    if isinstance(value, AccessDenied):
        return {"error": "AccessDenied", "what": value.what, "pid": value.pid}
    if isinstance(value, FileMissing):
        return {"error": "FileMissing", "what": value.what}
    if isinstance(value, NotAvailable):
        return {"error": "NotAvailable", "what": value.what, "why": value.why}
    if isinstance(value, NsviewError):
        return {"error": "NotAvailable", "what": "answer", "why": value.message}
    return {"error": "NotAvailable", "what": "answer", "why": str(value)}


def _load(stored: dict[str, Any]) -> Any:
    from nsview.errors import AccessDenied, FileMissing, NoSuchProcess, NotAvailable

    if "bytes" in stored:
        return binascii.a2b_base64(str(stored["bytes"]))
    kind = stored.get("error")
    if kind == "NoSuchProcess":
        return NoSuchProcess(int(stored.get("pid") or 0))
    if kind == "AccessDenied":
        pid = stored.get("pid")
        return AccessDenied(str(stored.get("what")), int(pid) if isinstance(pid, int) else None)
    if kind == "FileMissing":
        return FileMissing(str(stored.get("what")))
    return NotAvailable(str(stored.get("what")), str(stored.get("why")))
