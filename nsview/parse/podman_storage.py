"""containers/storage's files, as podman (and buildah, CRI-O) write them under a graph root:

  <graphroot>/overlay-containers/containers.json           every container the store keeps
  <graphroot>/overlay-containers/volatile-containers.json  the `--rm` ones (never fsync'ed)
    [{"id": "2f72...5e", "names": ["pm-web"], "image": "6f71...", "layer": "5504...",
      "metadata": "{\"image-name\":\"localhost/busybox:1\",\"name\":\"pm-web\",...}",
      "created": "2026-12-02T20:36:09.289182178Z"}]
  /etc/containers/storage.conf, ~/.config/containers/storage.conf (containers-storage.conf(5)):
    [storage]
    driver = "overlay"
    graphroot = "/var/lib/containers/storage"
    rootless_storage_path = "$HOME/.local/share/containers/storage"

The files are the store's, but names come from whoever ran the container (and a rootless
user's store is that user's own files): shapes are checked, values stay untrusted text.
"""

from __future__ import annotations

import json
import re

from nsview.errors import ParseError
from nsview.model.record import record

# containers/storage refuses no character in a name, podman refuses all but [a-zA-Z0-9_.-]
# (and 253 bytes); what nsview shows is at most this long, anything else is not a name
MAX_NAME = 253
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@record
class StoredContainer:
    """One entry of a store's containers.json."""

    id: str
    names: tuple[str, ...]
    created: str | None


def _name(value: object) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= MAX_NAME else None


def parse_storage_containers(data: bytes, what: str = "containers.json") -> list[StoredContainer]:
    """Entries with a 64-hex id; others (and names that are not short strings) are passed over."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise ParseError(what, str(err)[:200]) from None
    if not isinstance(doc, list):
        raise ParseError(what, "not a JSON array")
    out: list[StoredContainer] = []
    for entry in doc:
        if not isinstance(entry, dict):
            continue
        cid = entry.get("id")
        if not isinstance(cid, str) or not _HEX64.match(cid):
            continue
        raw = entry.get("names")
        names = tuple(n for n in (_name(v) for v in raw) if n is not None) if isinstance(raw, list) else ()
        created = entry.get("created")
        out.append(StoredContainer(cid, names, created if isinstance(created, str) else None))
    return out


_KEY = re.compile(r'^\s*([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\')\s*(?:#.*)?$')


def parse_storage_conf(text: str) -> dict[str, str]:
    """The string keys of storage.conf's ``[storage]`` table (TOML; only what nsview needs:
    ``graphroot``, ``rootless_storage_path``); other tables and non-string values are ignored."""
    out: dict[str, str] = {}
    table = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            table = stripped.strip("[] \t")
            continue
        if table != "storage":
            continue
        m = _KEY.match(line)
        if m is None:
            continue
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if m.group(2) is not None:
            value = value.replace('\\"', '"').replace("\\\\", "\\")
        out.setdefault(m.group(1), value)
    return out


def expand_rootless_path(template: str, home: str, uid: int, user: str) -> str | None:
    """``rootless_storage_path``'s ``$HOME``, ``$UID`` and ``$USER`` (the variables
    containers-storage.conf(5) documents), expanded; None when the result is not absolute."""
    path = template.replace("$HOME", home).replace("$UID", str(uid)).replace("$USER", user)
    return path if path.startswith("/") and ".." not in path.split("/") and "$" not in path else None
