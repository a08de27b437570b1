"""Reading a snapshot given to ``--from``: an archive is hostile input (docs/hardening.md, row 26).

It is extracted only into a private temporary directory (mkdtemp: 0700, this user's), member by
member, each one checked before a byte of it is written: a plain name below ``proc/``, ``sys/``,
``host/`` or ``top/`` (a tree's cgroup mounts outside /sys; or the manifest and answers), no ``..``, not absolute, a regular file or a
directory (a snapshot holds no links, devices or FIFOs: link targets are recorded answers),
not sparse, at most MAX_MEMBER bytes, at most MAX_TOTAL bytes and MAX_MEMBERS members in all.
Anything else, or an archive that ends early, stops the reading with one BadSnapshot error and
the directory is removed.
"""

from __future__ import annotations

import json
import lzma
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import IO, Any

from nsview.errors import BadSnapshot

MAX_MEMBER = 80 * 1024 * 1024  # an engine's database (SQLITE_LIMIT is 64 MiB) fits
MAX_TOTAL = 2 * 1024 * 1024 * 1024
MAX_MEMBERS = 500_000
MAX_JSON = 256 * 1024 * 1024
MAX_TRAILER = 16 * 1024 * 1024  # zeros after the archive's end: tar pads to 10 KiB records
FORMATS = (1,)
_TOPS = ("proc", "sys", "host", "top")
_SPECIAL = ("manifest.json", "answers.json")


class Snapshot:
    """An extracted snapshot: ``base`` holds proc/, sys/, host/; remove it with ``close``."""

    def __init__(self, base: str, manifest: dict[str, Any], answers: dict[str, Any]) -> None:
        self.base = base
        self.manifest = manifest
        self.answers = answers

    @property
    def proc_root(self) -> Path:
        return Path(self.base, "proc")

    @property
    def sys_root(self) -> Path:
        return Path(self.base, "sys")

    def close(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def open_snapshot(path: Path) -> Snapshot:
    where = str(path)
    try:
        raw = open(path, "rb")  # noqa: SIM115  # closed below
    except OSError as err:
        raise BadSnapshot(where, f"cannot open it: {os.strerror(err.errno or 0)}") from None
    base = tempfile.mkdtemp(prefix="nsview-from-")
    try:
        with raw:
            if not os.path.isfile(path) and not _is_regular(raw):
                raise BadSnapshot(where, "not a regular file")
            manifest, recorded = _extract(raw, base, where)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise
    return Snapshot(base, manifest, recorded)


def _is_regular(raw: IO[bytes]) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(raw.fileno()).st_mode)


def _extract(raw: IO[bytes], base: str, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    special: dict[str, bytes] = {}
    total = 0
    count = 0
    seen: set[str] = set()
    try:
        with tarfile.open(fileobj=raw, mode="r|*") as tar:
            for member in tar:
                count += 1
                if count > MAX_MEMBERS:
                    raise BadSnapshot(where, f"more than {MAX_MEMBERS} members")
                name = _check_name(member.name, where)
                if member.isdir():
                    continue
                _check_kind(member, name, where)
                if member.size > MAX_MEMBER or member.size < 0:
                    raise BadSnapshot(where, f"member {name!r} is {member.size} bytes: larger than allowed")
                total += member.size
                if total > MAX_TOTAL:
                    raise BadSnapshot(where, f"its members add up to more than {MAX_TOTAL // 2**30} GiB")
                if name in seen:
                    raise BadSnapshot(where, f"member {name!r} appears twice")
                seen.add(name)
                source = tar.extractfile(member)
                if source is None:
                    raise BadSnapshot(where, f"member {name!r} has no data")
                if name in _SPECIAL:
                    special[name] = _read_exact(source, member.size, name, where)
                else:
                    _write_member(base, name, source, member.size, where)
            _check_complete(tar, where)
    except BadSnapshot:
        raise
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError, ValueError) as err:
        why = str(err) or type(err).__name__
        if isinstance(err, (EOFError, tarfile.ReadError)) and count:
            why = f"it ends early (truncated?): {why}"
        raise BadSnapshot(where, f"not a readable snapshot: {why[:200]}") from None
    if "manifest.json" not in special:
        raise BadSnapshot(where, "no manifest.json: not an nsview snapshot")
    manifest = _json(special["manifest.json"], "manifest.json", where)
    fmt = manifest.get("format")
    if fmt not in FORMATS:
        raise BadSnapshot(where, f"format {fmt!r}: this nsview reads format {', '.join(map(str, FORMATS))}")
    recorded = _json(special.get("answers.json", b"{}"), "answers.json", where)
    _check_answers(recorded, where)
    return manifest, recorded


# answers.json: what each section maps a key to (nsview/answers.py writes them).
_SHAPES: dict[str, tuple[type, ...]] = {
    "readlink": (str,),
    "listdir": (list,),
    "lexists": (bool,),
    "isdir": (bool,),
    "magic": (int, type(None)),
    "inode": (int,),
    "errors": (int,),
    "namespaces": (dict,),
    "mount_tables": (dict,),
}


def _check_answers(recorded: dict[str, Any], where: str) -> None:
    for section, kinds in _SHAPES.items():
        values = recorded.get(section, {})
        if not isinstance(values, dict):
            raise BadSnapshot(where, f"answers.json: {section} is not an object")
        for key, value in values.items():
            ok = isinstance(value, kinds) and not (bool not in kinds and isinstance(value, bool))
            if ok and section == "listdir":
                ok = all(isinstance(v, str) and v and "/" not in v and v not in (".", "..") for v in value)
            if ok and section == "errors":
                ok = 0 < value < 4096
            if ok and section in ("namespaces", "mount_tables"):
                ok = all(isinstance(v, (str, int, type(None))) for v in value.values())
            if not ok:
                raise BadSnapshot(where, f"answers.json: {section} {key[:100]!r} has a bad value")
    for key, value in recorded.get("layers", {}).items() if isinstance(recorded.get("layers"), dict) else ():
        op = key.split(":", 1)[0]
        if op == "open":
            ok = value is True
        elif op == "names":
            ok = isinstance(value, list) and all(isinstance(v, str) and v and "/" not in v for v in value)
        elif op == "lstat":
            ok = value is None or (
                isinstance(value, list) and len(value) == 6 and all(type(v) is int and v >= 0 for v in value)
            )
        elif op == "xattrs":
            ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        else:
            ok = False
        if not ok:
            raise BadSnapshot(where, f"answers.json: layers {key[:100]!r} has a bad value")
    if not isinstance(recorded.get("layers", {}), dict):
        raise BadSnapshot(where, "answers.json: layers is not an object")
    if not isinstance(recorded.get("own_pid", 0), int):
        raise BadSnapshot(where, "answers.json: own_pid is not a number")


def _check_complete(tar: tarfile.TarFile, where: str) -> None:
    """The compressed stream must end where its format says it ends (gzip's and xz's trailers,
    with their checksums): a file cut after the archive's last member is truncated too. What
    follows the end of the archive is read (bounded), not trusted."""
    stream = tar.fileobj
    left = MAX_TRAILER
    while left > 0:
        chunk = stream.read(min(1 << 16, left)) if stream is not None else b""
        if not chunk:
            break
        left -= len(chunk)
    if left <= 0:
        raise BadSnapshot(where, f"more than {MAX_TRAILER // 2**20} MiB after the end of the archive")
    decompressor = getattr(stream, "cmp", None)
    if decompressor is not None and getattr(decompressor, "eof", True) is False:
        raise BadSnapshot(where, "it ends early (truncated?): the compressed stream has no end")


def _check_name(name: str, where: str) -> str:
    shown = repr(name[:200])
    if not name or "\0" in name:
        raise BadSnapshot(where, f"member {shown}: an empty or NUL name")
    if name.startswith("/"):
        raise BadSnapshot(where, f"member {shown}: an absolute name")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise BadSnapshot(where, f"member {shown}: a name with '..'")
    if not parts:
        raise BadSnapshot(where, f"member {shown}: an empty name")
    clean = "/".join(parts)
    if clean not in _SPECIAL and parts[0] not in _TOPS:
        raise BadSnapshot(where, f"member {shown}: not below proc/, sys/, host/ or top/")
    return clean


def _check_kind(member: tarfile.TarInfo, name: str, where: str) -> None:
    kind = None
    if member.issym():
        kind = "a symbolic link"
    elif member.islnk():
        kind = "a hard link"
    elif member.ischr() or member.isblk():
        kind = "a device node"
    elif member.isfifo():
        kind = "a FIFO"
    elif member.issparse():
        kind = "a sparse file"
    elif not member.isreg():
        kind = "not a regular file"
    if kind is not None:
        raise BadSnapshot(where, f"member {name!r} is {kind}: a snapshot holds only regular files")


def _read_exact(source: IO[bytes], size: int, name: str, where: str) -> bytes:
    data = source.read(size + 1)
    if len(data) != size:
        raise BadSnapshot(where, f"member {name!r} ends early (truncated?)")
    return data


def _write_member(base: str, name: str, source: IO[bytes], size: int, where: str) -> None:
    # base is ours (mkdtemp, 0700) and holds no links (none is ever extracted): plain paths
    # below it stay below it. O_EXCL | O_NOFOLLOW all the same.
    path = os.path.join(base, name)
    parent = os.path.dirname(path)
    try:
        os.makedirs(parent, mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as err:
        raise BadSnapshot(
            where, f"member {name!r}: cannot extract it ({os.strerror(err.errno or 0)})"
        ) from None
    left = size
    try:
        while left > 0:
            chunk = source.read(min(1 << 20, left))
            if not chunk:
                raise BadSnapshot(where, f"member {name!r} ends early (truncated?)")
            os.write(fd, chunk)
            left -= len(chunk)
    finally:
        os.close(fd)


def _json(data: bytes, name: str, where: str) -> dict[str, Any]:
    if len(data) > MAX_JSON:
        raise BadSnapshot(where, f"{name} is too large")
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        raise BadSnapshot(where, f"{name} is not valid JSON") from None
    if not isinstance(value, dict):
        raise BadSnapshot(where, f"{name} is not a JSON object")
    return value
