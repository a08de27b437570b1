"""What podman keeps on the host's disk, read from the host filesystem (never from inside a
container, never by asking podman): the graph roots (rootful and each user's rootless one, or
what storage.conf says), containers/storage's ``containers.json`` and ``volatile-containers.json``
for names, and podman's database ``libpod/db.sql`` for pods and states (older podman keeps
those in a Bolt file, ``libpod/bolt_state.db``, which nsview does not read and says so)."""

from __future__ import annotations

from dataclasses import field

from nsview.errors import AccessDenied, FileMissing, NsviewError
from nsview.model.record import record
from nsview.parse.passwd import users
from nsview.parse.podman_db import QUERIES, PodmanRecord, podman_records
from nsview.parse.podman_storage import (
    StoredContainer,
    expand_rootless_path,
    parse_storage_conf,
    parse_storage_containers,
)
from nsview.procfs import KernelFS

DEFAULT_GRAPH_ROOT = "/var/lib/containers/storage"
STORAGE_CONF = "/etc/containers/storage.conf"
ROOTLESS_GRAPH_ROOT = ".local/share/containers/storage"  # $XDG_DATA_HOME/containers/storage
ROOTLESS_STORAGE_CONF = ".config/containers/storage.conf"
_STORE_FILES = ("containers.json", "volatile-containers.json")
_JSON_LIMIT = 16 * 1024 * 1024
_SMALL_FILE = 256 * 1024


@record
class PodmanStore:
    """Every podman container the graph roots hold, and what could not be read."""

    stored: dict[str, tuple[StoredContainer, str]] = field(default_factory=dict)  # id -> (entry, file)
    records: dict[str, tuple[PodmanRecord, str]] = field(default_factory=dict)  # id -> (db row, file)
    roots: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # a Bolt database, a file that could not be parsed
    denied: tuple[str, ...] = ()  # graph roots whose files need root

    def name(self, cid: str) -> tuple[str, str] | None:
        """(name, the file it came from): the database first, then containers.json."""
        if cid in self.records and self.records[cid][0].name:
            return self.records[cid][0].name or "", self.records[cid][1]
        if cid in self.stored and self.stored[cid][0].names:
            return self.stored[cid][0].names[0], self.stored[cid][1]
        return None


def _conf(fs: KernelFS, path: str) -> dict[str, str]:
    try:
        return parse_storage_conf(fs.read_text(path.lstrip("/"), _SMALL_FILE))
    except NsviewError:
        return {}


def graph_roots(fs: KernelFS, seen: tuple[str, ...] = ()) -> list[str]:
    """Graph roots to look in: the ones conmon's argv named (``seen``), storage.conf's
    ``graphroot`` (else the default), and each user's rootless one (their storage.conf's
    ``graphroot``, the system's ``rootless_storage_path``, else ``~/.local/share/...``)."""
    system = _conf(fs, STORAGE_CONF)
    roots = [*seen, system.get("graphroot") or DEFAULT_GRAPH_ROOT]
    try:
        passwd = users(fs.read_bytes("etc/passwd", _SMALL_FILE))
    except NsviewError:
        passwd = []
    for user, uid, home in passwd:
        if uid == 0 or home in ("/", "/nonexistent"):
            continue
        own = _conf(fs, f"{home.rstrip('/')}/{ROOTLESS_STORAGE_CONF}").get("graphroot")
        template = system.get("rootless_storage_path")
        root = own or (expand_rootless_path(template, home, uid, user) if template else None)
        root = root or f"{home.rstrip('/')}/{ROOTLESS_GRAPH_ROOT}"
        if root.startswith("/") and fs.is_dir(root.lstrip("/")):
            roots.append(root)
    out: list[str] = []
    for root in roots:
        root = root.rstrip("/") or "/"
        if root not in out:
            out.append(root)
    return out


def podman_store(fs: KernelFS, roots: list[str]) -> PodmanStore:
    """Read each graph root's store files and database (a root that is not there is skipped;
    one that is there but unreadable is named in ``denied``)."""
    stored: dict[str, tuple[StoredContainer, str]] = {}
    records: dict[str, tuple[PodmanRecord, str]] = {}
    notes: list[str] = []
    denied: list[str] = []
    for root in roots:
        base = root.strip("/")
        try:
            fs.listdir(base)
        except AccessDenied:  # root's store (mode 0700), read by another user
            denied.append(root)
            continue
        except NsviewError:
            continue
        for name in _STORE_FILES:
            path = f"{root}/overlay-containers/{name}"
            try:
                data = fs.read_bytes(path.lstrip("/"), _JSON_LIMIT + 1, nofollow=True)
                if len(data) > _JSON_LIMIT:
                    notes.append(f"{path}: larger than {_JSON_LIMIT >> 20} MiB, not read")
                    continue
                entries = parse_storage_containers(data, path)
            except FileMissing:
                continue
            except AccessDenied:
                if root not in denied:
                    denied.append(root)
                continue
            except NsviewError as err:
                notes.append(f"{path}: {err.reason}")
                continue
            for entry in entries:
                stored.setdefault(entry.id, (entry, path))
        db = f"{root}/libpod/db.sql"
        try:
            rows = fs.sqlite_rows(db.lstrip("/"), QUERIES)
        except FileMissing:
            if fs.exists(f"{base}/libpod/bolt_state.db"):
                notes.append(
                    f"podman pods and states are unavailable: {root}/libpod/bolt_state.db is a Bolt "
                    "database (older podman; names come from containers.json)"
                )
            continue
        except AccessDenied:
            if root not in denied:
                denied.append(root)
            continue
        except NsviewError as err:
            notes.append(f"{db}: {err.reason}")
            continue
        for cid, found in podman_records(rows, db).items():
            records.setdefault(cid, (found, db))
    return PodmanStore(stored, records, tuple(roots), tuple(notes), tuple(denied))
