"""dockerd's configuration file, ``/etc/docker/daemon.json`` (rootless:
``~/.config/docker/daemon.json``), for where it keeps its containers:

  {"data-root": "/srv/docker", "storage-driver": "overlay2", ...}
The key is "data-root" (dockerd's docs, "Daemon configuration file"); Docker before 17.05 called
it "graph", which dockerd still accepts.
"""

from __future__ import annotations

import json

from nsview.errors import ParseError


def daemon_data_root(data: bytes) -> str | None:
    """The data root a daemon.json sets, or None when it sets none."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise ParseError("daemon.json", str(err)[:200]) from None
    if not isinstance(doc, dict):
        raise ParseError("daemon.json", "not a JSON object")
    for key in ("data-root", "graph"):
        value = doc.get(key)
        if isinstance(value, str) and value.startswith("/"):
            return value.rstrip("/") or "/"
    return None
