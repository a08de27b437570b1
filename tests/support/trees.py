"""Compare two directory trees exactly: the set of paths, each file's bytes, each symlink's target.

Symlinks are never followed (a fixture's ``proc/self`` -> ``4194303`` and ``ns/net`` ->
``net:[4026531840]`` are compared as link text, as ``os.readlink`` reads them), so a tree compares
the same whether or not its links resolve. File modes and timestamps are not compared.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# one entry: ("dir", None), ("file", bytes), ("link", target text) or ("other", st_mode)
Entry = tuple[str, bytes | str | int | None]


def snapshot(root: Path) -> dict[str, Entry]:
    """Every path under ROOT (ROOT itself excluded), relative and with "/" separators."""
    out: dict[str, Entry] = {}

    def walk(directory: Path, prefix: str) -> None:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            rel = prefix + entry.name
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                out[rel] = ("link", os.readlink(entry.path))
            elif stat.S_ISDIR(mode):
                out[rel] = ("dir", None)
                walk(Path(entry.path), rel + "/")
            elif stat.S_ISREG(mode):
                out[rel] = ("file", Path(entry.path).read_bytes())
            else:
                out[rel] = ("other", mode)

    if root.is_dir() and not root.is_symlink():
        walk(root, "")
    return out


def tree_differences(expected: Path, actual: Path) -> list[str]:
    """One line per differing path, in path order; empty when the trees are the same."""
    want, got = snapshot(expected), snapshot(actual)
    lines = []
    for rel in sorted(want.keys() | got.keys()):
        a, b = want.get(rel), got.get(rel)
        if a == b:
            continue
        if b is None:
            lines.append(f"{rel}: only in {expected}")
        elif a is None:
            lines.append(f"{rel}: only in {actual}")
        elif a[0] != b[0]:
            lines.append(f"{rel}: a {a[0]} in {expected}, a {b[0]} in {actual}")
        elif a[0] == "link":
            lines.append(f"{rel}: symlink target {a[1]!r} != {b[1]!r}")
        elif a[0] == "file":
            lines.append(f"{rel}: contents differ ({_first_difference(a[1], b[1])})")
        else:
            lines.append(f"{rel}: mode {a[1]:o} != {b[1]:o}")
    return lines


def assert_same_tree(expected: Path, actual: Path, *, show: int = 10) -> None:
    """Fail with the first SHOW differing paths when ACTUAL is not exactly EXPECTED."""
    if not expected.is_dir():
        raise AssertionError(f"{expected} is not a directory")
    if not actual.is_dir():
        raise AssertionError(f"{actual} is not a directory")
    diffs = tree_differences(expected, actual)
    if diffs:
        more = f"\n  ... and {len(diffs) - show} more" if len(diffs) > show else ""
        raise AssertionError(
            f"{actual} differs from {expected} at {len(diffs)} path(s):\n  "
            + "\n  ".join(diffs[:show])
            + more
        )


def _first_difference(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    line = a.count(b"\n", 0, at) + 1
    return f"{len(a)} vs {len(b)} bytes, first at byte {at}, line {line}: {a[at : at + 20]!r} != {b[at : at + 20]!r}"
