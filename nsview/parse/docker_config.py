"""Docker's per-container config, ``<data-root>/containers/<id>/config.v2.json``: the name.

  {"ID": "0ac9...54", "Name": "/web", "Config": {...}, "State": {...}, ...}
Docker writes names with a leading "/"; the file is the engine's, so its shape is checked, not
trusted.
"""

from __future__ import annotations

import json

from nsview.errors import ParseError


def docker_config_name(data: bytes, cid: str) -> str | None:
    """The container's name without the leading "/", or None when the file names another id
    or has no name."""
    try:
        doc = json.loads(data)
    except ValueError as err:
        raise ParseError("config.v2.json", str(err)) from None
    if not isinstance(doc, dict):
        raise ParseError("config.v2.json", "not a JSON object")
    name = doc.get("Name")
    if isinstance(name, str) and doc.get("ID") in (cid, None):
        return name.lstrip("/")
    return None
