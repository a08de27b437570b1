"""``/etc/passwd``, for a user's home directory (rootless engines keep their state there).

  alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash
passwd(5): seven ":"-separated fields; the third is the uid, the sixth the home directory.
"""

from __future__ import annotations


def home_of(data: bytes, uid: int) -> str | None:
    """The home directory of ``uid`` (the first line for it), or None."""
    for raw in data.splitlines():
        fields = raw.decode("utf-8", "backslashreplace").split(":")
        if len(fields) != 7 or not fields[2].isdigit() or int(fields[2]) != uid:
            continue
        home = fields[5]
        return home if home.startswith("/") and ".." not in home.split("/") else None
    return None


def users(data: bytes) -> list[tuple[str, int, str]]:
    """(user, uid, home) of every well-formed line whose home is an absolute path."""
    out = []
    for raw in data.splitlines():
        fields = raw.decode("utf-8", "backslashreplace").split(":")
        if len(fields) != 7 or not fields[2].isdigit():
            continue
        home = fields[5]
        if home.startswith("/") and ".." not in home.split("/"):
            out.append((fields[0], int(fields[2]), home))
    return out
