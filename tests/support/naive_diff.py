"""An independent `docker diff`: moby's ChangesDirs (the "naive diff" Docker's overlay2 driver
uses for `docker diff`), re-implemented over two mounted trees: the container's merged root and
a mount of its lower layers alone. Nothing of nsview is used; tests compare nsview's answer for
engines that have no diff (containerd) and for test-made overlays against it."""

from __future__ import annotations

import os
import stat

Info = tuple[os.stat_result, bytes | None, dict[str, "Info"] | None]


def _info(path: str) -> Info:
    st = os.lstat(path)
    cap = None
    if stat.S_ISREG(st.st_mode):
        try:
            cap = os.getxattr(path, "security.capability", follow_symlinks=False)
        except OSError:
            cap = None
    children = None
    if stat.S_ISDIR(st.st_mode):
        children = {n: _info(os.path.join(path, n)) for n in os.listdir(path)}
    return st, cap, children


def _same_time(a: int, b: int) -> bool:
    (a_s, a_n), (b_s, b_n) = divmod(a, 10**9), divmod(b, 10**9)
    return a_s == b_s and (a_n == b_n or a_n == 0 or b_n == 0)


def _stat_different(old: os.stat_result, new: os.stat_result) -> bool:
    if (old.st_mode, old.st_uid, old.st_gid, old.st_rdev) != (
        new.st_mode,
        new.st_uid,
        new.st_gid,
        new.st_rdev,
    ):
        return True
    if not stat.S_ISDIR(old.st_mode):
        return old.st_size != new.st_size or not _same_time(old.st_mtime_ns, new.st_mtime_ns)
    return False


def _add(path: str, new: Info, old: Info | None, out: list[str], listed: bool) -> None:
    at = len(out)
    if old is None:
        out.append(f"A {path}")
        listed = True
    olds = dict(old[2] or {}) if old is not None and new[2] is not None else {}
    for name in sorted(new[2] or {}):
        child = new[2][name]  # type: ignore[index]
        cpath = f"{path.rstrip('/')}/{name}"
        before = olds.pop(name, None)
        child_listed = False
        if before is not None and (_stat_different(before[0], child[0]) or before[1] != child[1]):
            out.append(f"C {cpath}")
            child_listed = True
        _add(cpath, child, before, out, child_listed)
    for name in sorted(olds):
        out.append(f"D {path.rstrip('/')}/{name}")
    if len(out) > at and new[2] is not None and not listed and path != "/":
        out.insert(at, f"C {path}")


def naive_changes(new_root: str, old_root: str) -> list[str]:
    """`docker diff`'s lines for the tree ``new_root`` against ``old_root``."""
    out: list[str] = []
    _add("/", _info(new_root), _info(old_root), out, True)
    return out


def parents_first(lines: list[str]) -> list[str]:
    """The lines whose listed parent directory comes after them (none, in a valid order)."""
    seen: set[str] = set()
    listed = {line[2:] for line in lines}
    wrong = []
    for line in lines:
        path = line[2:]
        parent = path.rsplit("/", 1)[0]
        if parent and parent in listed and parent not in seen:
            wrong.append(line)
        seen.add(path)
    return wrong
