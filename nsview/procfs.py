"""The only place nsview touches /proc and /sys, and the only place OSError is translated.

The root is a parameter (``ProcFS("/proc")``, ``ProcFS("fixtures/docker-hybrid/proc")``), never a
global: tests, captured snapshots and the live host go through the same code.
"""

from __future__ import annotations

import binascii
import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path
from stat import S_ISCHR, S_ISDIR, S_ISREG
from typing import TYPE_CHECKING

from nsview import answers
from nsview.errors import AccessDenied, FileMissing, NoSuchProcess, NotAvailable, Unsupported

if TYPE_CHECKING:
    import sqlite3

# Files we read whole are small; cmdline and mountinfo can be large. A cap keeps a hostile
# process (argv of hundreds of MiB) from exhausting memory; callers see ``truncated``.
MAX_READ = 4 * 1024 * 1024
# An engine's SQLite database (podman's db.sql): read whole into a private copy, at most this
# large, at most this many rows a query, at most this many virtual-machine steps in all.
SQLITE_LIMIT = 64 * 1024 * 1024
SQLITE_ROWS = 100_000
SQLITE_STEPS = 50_000_000
SQLITE_VALUE = 16 * 1024 * 1024  # the longest value (text or blob) a query may make

_GONE = (errno.ENOENT, errno.ESRCH)
_DENIED = (errno.EACCES, errno.EPERM)
# bpf(2)'s system call number per architecture (asm/unistd.h); Python has no os.bpf.
_CGROUP2_MAGIC = 0x63677270  # statfs f_type of cgroup2 (linux/magic.h CGROUP2_SUPER_MAGIC)
_BPF_SYSCALL = {"x86_64": 321, "aarch64": 280, "ppc64le": 361, "s390x": 351}


# --host-root (nsview/hostview.py): when nsview runs inside a container, the live procfs goes with
# the host's filesystem mounted elsewhere (/host), the host's /sys there, and the host's mount table
# is its init's ("1"), not nsview's own. Set once per command by the CLI, keyed by the procfs root.
_HOST_VIEWS: dict[Path, tuple[Path, str]] = {}
_SYS_ROOTS: dict[Path, Path] = {}


def bind_host_view(
    proc_root: str | os.PathLike[str] | None,
    host_root: str | os.PathLike[str] | None = None,
    sys_root: str | os.PathLike[str] | None = None,
    viewpoint: str = "self",
) -> None:
    """Say (or, with ``proc_root`` None, forget) which host tree goes with the procfs at
    ``proc_root``: ``host_root_for`` then answers ``host_root``, ``SysFS("/sys")`` reads
    ``sys_root``, and ``ProcFS.viewpoint`` (whose mountinfo is the host's) is ``viewpoint``."""
    _HOST_VIEWS.clear()
    _SYS_ROOTS.clear()
    if proc_root is None or host_root is None:
        return
    _HOST_VIEWS[Path(proc_root)] = (Path(host_root), viewpoint)
    if sys_root is not None:
        _SYS_ROOTS[Path("/sys")] = Path(sys_root)


def host_root_for(proc_root: str | os.PathLike[str]) -> Path:
    """The host filesystem that goes with a procfs, for host files nsview reads (engines' state,
    overlay2 short links): "/" for the live /proc (or the tree ``--host-root`` names when nsview
    runs in a container); for a fixture or snapshot at ``X/proc``, the ``X/host`` tree it
    captured beside it, so a snapshot is never decoded against this machine."""
    root = Path(proc_root)
    bound = _HOST_VIEWS.get(root)
    if bound is not None:
        return bound[0]
    if root.resolve() == Path("/proc"):
        return Path("/")
    return root.parent / "host"


class KernelFS:
    """A kernel pseudo-filesystem mounted at ``root`` (live, fixture or snapshot)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def read_bytes(self, rel: str, limit: int = MAX_READ, *, nofollow: bool = False) -> bytes:
        """Read a file below the root. Raises NotAvailable / AccessDenied, never OSError.
        ``nofollow``: a symlink in the last component is refused (ELOOP), not followed."""
        try:
            return _read_capped(self.root / rel, limit, nofollow)
        except OSError as err:
            raise self._translate(err, rel) from err

    def read_text(self, rel: str, limit: int = MAX_READ) -> str:
        return self.read_bytes(rel, limit).decode("utf-8", "backslashreplace")

    def read_log(self, rel: str, limit: int = MAX_READ) -> bytes:
        """A kernel log: /dev/kmsg gives one record per read() and EAGAIN once the ring buffer is
        read (opened O_NONBLOCK, it never waits for new ones); EPIPE means the next record was
        overwritten meanwhile, and reading goes on. A regular file (a snapshot's copy) reads whole."""
        path = self.root / rel
        tap = answers.TAP
        if isinstance(tap, answers.Replayer):  # a snapshot's copy: a regular file
            return self.read_bytes(rel, limit)
        if isinstance(tap, answers.Recorder):
            try:
                return bytes(tap.call("read", path, lambda: self._read_log_live(rel, limit, raw=True)))
            except OSError as err:
                raise self._translate(err, rel) from err
        return self._read_log_live(rel, limit)

    def _read_log_live(self, rel: str, limit: int, raw: bool = False) -> bytes:
        path = self.root / rel
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            if raw:
                raise
            raise self._translate(err, rel) from err
        chunks: list[bytes] = []
        total = 0
        try:
            if not S_ISCHR(os.fstat(fd).st_mode):
                os.close(fd)
                fd = -1
                return _read_capped(path, limit) if raw else self.read_bytes(rel, limit)
            while total < limit:
                try:
                    chunk = os.read(fd, 8192)  # a record is at most 8 KiB (CONSOLE_EXT_LOG_MAX)
                except BlockingIOError:
                    break
                except BrokenPipeError:
                    continue
                except OSError as err:
                    if raw:
                        raise
                    raise self._translate(err, rel) from err
                if not chunk:
                    break
                chunks.append(chunk if chunk.endswith(b"\n") else chunk + b"\n")
                total += len(chunk)
        finally:
            if fd >= 0:
                os.close(fd)
        return b"".join(chunks)

    def open_for_writing(self, rel: str) -> int:
        """An fd to write to ``root/rel`` (a cgroup's ``cgroup.procs``, for nsview exec
        --cgroup-join); the caller closes it. Never creates a file, never follows a FIFO."""
        try:
            return os.open(self.root / rel, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            raise self._translate(err, rel) from err

    def open_namespace_file(self, rel: str) -> tuple[int, int]:
        """(fd, inode) of a namespace file: an nsfs bind mount such as ``run/netns/NAME``, read
        from the host's own mount table. The caller closes the fd; the inode names the namespace
        (``mnt:[INODE]``), so a file swapped since the table was read is noticed."""
        tap = answers.TAP
        if isinstance(tap, answers.Replayer):
            try:
                inode = tap.call("inode", self.root / rel, lambda: None)
            except OSError as err:
                raise self._translate(err, rel) from err
            if inode is None:
                raise FileMissing(str(self.root / rel))
            return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC), int(inode)
        try:
            fd = os.open(self.root / rel, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError as err:
            if isinstance(tap, answers.Recorder):
                tap.failed("inode", self.root / rel, err)
            raise self._translate(err, rel) from err
        try:
            if tap is not None:
                return fd, tap.call("inode", self.root / rel, lambda: os.fstat(fd).st_ino)
            return fd, os.fstat(fd).st_ino
        except OSError as err:
            os.close(fd)
            raise self._translate(err, rel) from err

    def readlink(self, rel: str) -> str:
        try:
            return _readlink(self.root / rel)
        except OSError as err:
            raise self._translate(err, rel) from err

    def listdir(self, rel: str = "") -> list[str]:
        try:
            return _listdir(self.root / rel)
        except OSError as err:
            raise self._translate(err, rel) from err

    def exists(self, rel: str) -> bool:
        if answers.TAP is not None:
            return bool(
                answers.TAP.call("lexists", self.root / rel, lambda: os.path.lexists(self.root / rel))
            )
        return os.path.lexists(self.root / rel)

    def is_dir(self, rel: str) -> bool:
        if answers.TAP is not None:
            return bool(answers.TAP.call("isdir", self.root / rel, lambda: os.path.isdir(self.root / rel)))
        return os.path.isdir(self.root / rel)

    def fs_magic(self, rel: str = "") -> int | None:
        """statfs(2) ``f_type`` of the filesystem holding ``root/rel`` (e.g. CGROUP2_SUPER_MAGIC);
        None when it cannot be asked. Python has no binding, so libc's statfs via ctypes."""
        if answers.TAP is not None:
            try:
                found = answers.TAP.call("magic", self.root / rel, lambda: self._fs_magic_live(rel))
            except OSError:
                return None
            return int(found) if found is not None else None
        return self._fs_magic_live(rel)

    def _fs_magic_live(self, rel: str) -> int | None:
        import ctypes  # here, not at the top: every command imports procfs, few ask statfs

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            # struct statfs is at most 120 bytes on Linux; f_type (__fsword_t, a long) is first.
            buf = ctypes.create_string_buffer(256)
            if libc.statfs(os.fsencode(self.root / rel), buf) != 0:
                return None
            return ctypes.c_long.from_buffer(buf).value & 0xFFFFFFFF
        except (OSError, AttributeError):
            return None

    def cgroup_device_programs(self, rel: str) -> int:
        """How many BPF device programs are in effect on the v2 cgroup ``root/rel`` (its own
        and inherited ones): bpf(BPF_PROG_QUERY, BPF_CGROUP_DEVICE, BPF_F_QUERY_EFFECTIVE).
        On v2 these programs are the device rules; none means every device may be opened.
        Needs CAP_SYS_ADMIN (else AccessDenied). Python has no binding: the syscall via ctypes."""
        import ctypes
        import platform
        import struct

        if self.fs_magic(rel) != _CGROUP2_MAGIC:  # a captured tree: no kernel object to ask
            raise NotAvailable(str(self.root / rel), "not a live cgroup2 directory (a captured tree?)")
        number = _BPF_SYSCALL.get(platform.machine())
        if number is None:
            raise NotAvailable(str(self.root / rel), f"bpf(2) number unknown on {platform.machine()}")
        try:
            fd = os.open(self.root / rel, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as err:
            raise self._translate(err, rel) from None
        try:
            # union bpf_attr, its query member: target_fd, attach_type, query_flags,
            # attach_flags (u32 each), prog_ids (u64, NULL: the count only), prog_cnt (u32)
            attr = ctypes.create_string_buffer(struct.pack("=IIIIQI4x", fd, 6, 1, 0, 0, 0), 32)
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.syscall(number, 16, attr, 32) != 0:  # 16: BPF_PROG_QUERY
                code = ctypes.get_errno()
                raise self._translate(OSError(code, os.strerror(code)), rel) from None
            return int(struct.unpack_from("=I", attr.raw, 24)[0])
        finally:
            os.close(fd)

    def sqlite_rows(
        self, rel: str, queries: dict[str, str], limit: int = SQLITE_LIMIT
    ) -> dict[str, list[tuple[object, ...]] | None]:
        """Rows of each query of an SQLite database below the root (podman's ``db.sql``), read
        without touching the engine's file as a database: the file and its write-ahead log
        (``-wal``, where the newest changes may still be) are read like any file (no symlink
        followed, never blocking, capped at ``limit``), copied into a private directory, and
        only the copy is opened. A query whose table is missing, or is no table (a view could
        run anything), gives None; each query stops at ``SQLITE_ROWS`` rows and every query at
        ``SQLITE_STEPS`` virtual-machine steps (a hostile file cannot hang the reader).
        docs/hardening.md, row 37."""

        data = self.read_bytes(rel, limit + 1, nofollow=True)
        what = answers.shown(self.root / rel)
        if len(data) > limit:
            raise NotAvailable(what, f"larger than {limit // (1024 * 1024)} MiB: not read")
        if not data.startswith(b"SQLite format 3\x00"):
            raise NotAvailable(what, "not an SQLite database")
        try:
            wal: bytes | None = self.read_bytes(rel + "-wal", limit + 1, nofollow=True)
        except FileMissing:
            wal = None
        if wal is not None and len(wal) > limit:
            wal = None  # too large to copy: the main file alone (the last checkpoint)
        out: dict[str, list[tuple[object, ...]] | None] = {}

        def _query(conn: sqlite3.Connection) -> None:
            tables = {
                str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            for key, sql in queries.items():
                table = sql.rsplit(" FROM ", 1)[-1].split()[0]
                out[key] = conn.execute(sql).fetchmany(SQLITE_ROWS) if table in tables else None

        with_private_sqlite(data, wal, _query, what)
        return out

    def _translate(self, err: OSError, rel: str) -> Exception:
        what = answers.shown(self.root / rel)
        if err.errno in _DENIED:
            return AccessDenied(what)
        if err.errno in _GONE:
            return FileMissing(what)
        return NotAvailable(what, os.strerror(err.errno or 0) or type(err).__name__)


def with_private_sqlite(
    main: bytes,
    wal: bytes | None,
    work: Callable[[sqlite3.Connection], None],
    what: str,
    *,
    vacuum: bool = False,
) -> bytes | None:
    """Run ``work`` on a private copy of an SQLite database (``main`` and its ``-wal``), never
    on the engine's own file: written 0600 into a fresh private directory, opened with
    ``trusted_schema`` off, values capped at ``SQLITE_VALUE`` (Python >= 3.11) and every
    statement within ``SQLITE_STEPS`` virtual-machine steps, so a hostile file can neither run
    schema functions nor hang the reader (docs/hardening.md, rows 27 and 37). With ``vacuum``,
    the copy as it is after ``work``, rebuilt by VACUUM INTO (no freed page keeps an old value),
    is returned. Errors are NotAvailable about ``what``."""
    import shutil
    import sqlite3
    import tempfile

    tmp = tempfile.mkdtemp(prefix="nsview-db-")
    try:
        copy = os.path.join(tmp, "db.sql")
        for path, content in ((copy, main), (copy + "-wal", wal)):
            if content is None:
                continue
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                view = memoryview(content)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        conn = sqlite3.connect(copy, isolation_level=None)
        try:
            # a value the schema computes (a generated column) may not grow past 16 MiB,
            # and functions in the schema run only when SQLite marks them innocuous
            limit_length = getattr(sqlite3, "SQLITE_LIMIT_LENGTH", None)  # Python >= 3.11
            setlimit = getattr(conn, "setlimit", None)
            if limit_length is not None and setlimit is not None:
                setlimit(limit_length, SQLITE_VALUE)
            conn.execute("PRAGMA trusted_schema = OFF")
            steps = [0]

            def _budget() -> int:
                steps[0] += 1
                return 1 if steps[0] > SQLITE_STEPS // 1000 else 0

            conn.set_progress_handler(_budget, 1000)
            work(conn)
            if vacuum:
                clean = os.path.join(tmp, "clean.sql")
                conn.execute("VACUUM INTO ?", (clean,))
        finally:
            conn.close()
        return (
            _read_capped_live(clean, SQLITE_LIMIT * 2, nofollow=True) if vacuum else None
        )  # our own copy: never recorded
    except sqlite3.Error as err:
        raise NotAvailable(what, f"not a readable SQLite database ({str(err)[:120]})") from None
    except OSError as err:
        raise NotAvailable(what, f"cannot copy it: {os.strerror(err.errno or 0)}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class ProcFS(KernelFS):
    """procfs. Per-process reads translate "gone" the way psutil learned to: ENOENT on a file
    means the process is gone only if ``/proc/PID/stat`` is gone too; otherwise the file is
    merely not available (kernel too old, feature off)."""

    def __init__(self, root: str | os.PathLike[str] = "/proc") -> None:
        super().__init__(root)
        # whose mount table stands for the host's: nsview's own, or (in a container that
        # shares the host's pid namespace) the host's init's; see bind_host_view
        self.viewpoint = _HOST_VIEWS.get(self.root, (self.root, "self"))[1]

    def check_mounted(self) -> None:
        # A fixture tree has no "self" but has pids; an empty dir has neither.
        if (
            not self.exists("self")
            and not self.exists("1")
            and not any(name.isdigit() for name in self._safe_listdir())
        ):
            raise Unsupported(
                f"no process information at {answers.shown(self.root)}: is this Linux with /proc mounted?"
            )

    def _safe_listdir(self) -> list[str]:
        try:
            return _listdir(self.root)
        except OSError:
            return []

    def pids(self) -> list[int]:
        """Every visible pid (thread-group leaders only, as /proc lists them)."""
        return sorted(int(name) for name in self._safe_listdir() if name.isdigit())

    def pid_exists(self, pid: int) -> bool:
        if answers.TAP is not None:
            return self.exists(f"{pid}/stat")
        return os.path.exists(self.root / str(pid) / "stat")

    def pid_read(self, pid: int, name: str, limit: int = MAX_READ) -> bytes:
        """Read ``/proc/PID/name``; raises NoSuchProcess when the process is gone."""
        try:
            return _read_capped(f"{self.root}/{pid}/{name}", limit)  # str: scans call this per pid
        except OSError as err:
            raise self._pid_translate(err, pid, name) from err

    def pid_read_attr(self, pid: int, name: str, limit: int = 4096) -> bytes | None:
        """Read an LSM attribute, ``/proc/PID/attr/...``; None when no LSM provides it (the
        kernel answers EINVAL: attr/current with no LSM loaded). NoSuchProcess when gone."""
        try:
            return _read_capped(f"{self.root}/{pid}/{name}", limit)
        except OSError as err:
            if err.errno == errno.EINVAL and self.pid_exists(pid):
                return None
            raise self._pid_translate(err, pid, name) from err

    def pid_readlink(self, pid: int, name: str) -> str:
        try:
            return _readlink(f"{self.root}/{pid}/{name}")
        except OSError as err:
            raise self._pid_translate(err, pid, name) from err

    def pid_listdir(self, pid: int, name: str) -> list[str]:
        try:
            return _listdir(self.root / str(pid) / name)
        except OSError as err:
            raise self._pid_translate(err, pid, name) from err

    def pid_open_ns(self, pid: int, ns_type: str) -> int:
        """Open ``/proc/PID/ns/TYPE`` and return the fd: a pin on that namespace that stays valid
        (and names the same namespace) even if the process exits or its pid is reused."""
        try:
            return os.open(self.root / str(pid) / "ns" / ns_type, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as err:
            raise self._pid_translate(err, pid, f"ns/{ns_type}") from err

    def pid_stat_and_links(
        self, pid: int, links: tuple[str, ...]
    ) -> tuple[bytes, dict[str, str], dict[str, str]]:
        """``stat`` and several links of one process through one directory fd: the fast path of
        host-wide scans (path lookups dominate them), and every read hits the same process (a
        reused pid makes the old fd fail, never answer for the new process). Returns (stat
        bytes, link targets, reasons for links that failed); NoSuchProcess when it is gone."""
        if answers.TAP is not None:  # a snapshot: path by path, each read recorded or replayed
            stat = self.pid_read(pid, "stat", 4096)
            found: dict[str, str] = {}
            failed: dict[str, str] = {}
            for name in links:
                try:
                    found[name] = self.pid_readlink(pid, name)
                except AccessDenied:
                    failed[name] = AccessDenied.REASON
                except FileMissing:
                    pass
                except NotAvailable as err:
                    failed[name] = err.why
            return stat, found, failed
        try:
            dfd = os.open(f"{self.root}/{pid}", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as err:
            raise self._pid_translate(err, pid, "") from err
        try:
            try:
                sfd = os.open("stat", os.O_RDONLY | os.O_CLOEXEC, dir_fd=dfd)
                try:
                    stat = os.read(sfd, 4096)
                finally:
                    os.close(sfd)
            except OSError as err:
                raise self._pid_translate(err, pid, "stat") from err
            found = {}
            failed = {}
            for name in links:
                try:
                    # interned: 10 000 processes name a few dozen namespaces (~7 MB less)
                    found[name] = sys.intern(os.readlink(name, dir_fd=dfd))
                except OSError as err:
                    if err.errno in (errno.ENOENT, errno.ESRCH) and not self.pid_exists(pid):
                        raise NoSuchProcess(pid) from err
                    if err.errno in _DENIED:
                        failed[name] = AccessDenied.REASON
                    elif err.errno not in _GONE:
                        failed[name] = os.strerror(err.errno or 0)
            return stat, found, failed
        finally:
            os.close(dfd)

    def _pid_translate(self, err: OSError, pid: int, name: str) -> Exception:
        what = f"/proc/{pid}/{name}"
        if err.errno in _DENIED:
            return AccessDenied(what, pid)
        if err.errno in _GONE or err.errno == errno.EINVAL:
            # EINVAL: mountinfo of a zombie; ENOENT/ESRCH: gone, or a file this kernel lacks.
            if not self.pid_exists(pid):
                return NoSuchProcess(pid)
            return FileMissing(what) if err.errno in _GONE else NotAvailable(what, os.strerror(err.errno))
        return NotAvailable(what, os.strerror(err.errno or 0) or type(err).__name__)


class SysFS(KernelFS):
    def __init__(self, root: str | os.PathLike[str] = "/sys") -> None:
        super().__init__(_SYS_ROOTS.get(Path(root), root))


def _readlink(path: str | Path) -> str:
    if answers.TAP is not None:
        return str(answers.TAP.call("readlink", path, lambda: os.readlink(path)))
    return os.readlink(path)


def _listdir(path: str | Path) -> list[str]:
    if answers.TAP is not None:
        return list(answers.TAP.call("listdir", path, lambda: os.listdir(path)))
    return os.listdir(path)


def _read_capped(path: str | Path, limit: int, nofollow: bool = False) -> bytes:
    if answers.TAP is not None:
        return bytes(answers.TAP.call("read", path, lambda p=path: _read_capped_live(p, limit, nofollow)))
    return _read_capped_live(path, limit, nofollow)


def _read_capped_live(path: str | Path, limit: int, nofollow: bool = False) -> bytes:
    # O_NONBLOCK: a FIFO planted where a regular file is expected must not hang us.
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_NOFOLLOW if nofollow else 0)
    fd = os.open(path, flags)
    try:
        chunks: list[bytes] = []
        total = 0
        while total < limit:
            chunk = os.read(fd, min(65536, limit - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


# ---- overlay layers: directories walked by fd, never by path ---------------------------------
#
# `nsview changes` reads the layer directories of a container's overlay root (docs/hardening.md,
# rule 2 and row 29). A layer is the container's own data: any name in it may be a symlink
# planted to point at the host, a FIFO, a device node. So below a layer's root nothing is ever
# resolved as a path: each step opens one name relative to its parent's fd with O_NOFOLLOW (a
# symlink fails with ELOOP instead of being followed), entries are lstat'ed through the parent
# fd (fstatat with AT_SYMLINK_NOFOLLOW), and no file in a layer is ever opened for reading.

_DIR_OPEN = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_NO_XATTR = (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP)


class LayerDir:
    """One directory inside an overlay layer, held by an fd (see the comment above)."""

    __slots__ = ("fd", "where")

    def __init__(self, fd: int, where: str) -> None:
        self.fd = fd
        self.where = where  # for messages only: never opened by this name

    @classmethod
    def open(cls, root: KernelFS, path: str) -> LayerDir:
        """A layer's root directory, ``path`` as the host's mount options name it (below
        ``root``, the host filesystem). Its last component is not followed if it is a link."""
        if answers.TAP is not None:
            return cls._tapped_open(lambda: os.open(root.path(path.lstrip("/")), _DIR_OPEN), path)
        try:
            return cls(os.open(root.path(path.lstrip("/")), _DIR_OPEN), path)
        except OSError as err:
            raise _layer_error(err, path) from err

    @classmethod
    def _tapped_open(cls, live: Callable[[], int], where: str) -> LayerDir:
        """A snapshot being taken (the open recorded) or read (a directory that exists only as
        its recorded listing: fd -1, every method answers from the recording)."""
        tap = answers.TAP
        try:
            if isinstance(tap, answers.Replayer):
                if not tap.has_layer(where):
                    raise NotAvailable(where, "not in the snapshot (nsview snapshot --changes captures it)")
                tap.layer("open", where, lambda: None)
                return cls(-1, where)
            fd: list[int] = []

            def opened() -> bool:
                fd.append(live())
                return True

            assert tap is not None
            tap.layer("open", where, opened)
            return cls(fd[0], where)
        except OSError as err:
            raise _layer_error(err, where) from err

    def child(self, name: bytes) -> LayerDir:
        """The sub-directory ``name``; a symlink or a non-directory there is NotAvailable."""
        where = f"{self.where}/{os.fsdecode(name)}"
        if answers.TAP is not None:
            return self._tapped_open(lambda: os.open(name, _DIR_OPEN, dir_fd=self.fd), where)
        try:
            return LayerDir(os.open(name, _DIR_OPEN, dir_fd=self.fd), where)
        except OSError as err:
            raise _layer_error(err, where) from err

    def names(self) -> list[bytes]:
        """Every name in the directory, in the order the filesystem returns them."""
        try:
            if answers.TAP is not None:
                listed = answers.TAP.layer("names", self.where, lambda: os.listdir(self.fd))
                return [os.fsencode(n) for n in listed]
            return [os.fsencode(n) for n in os.listdir(self.fd)]
        except OSError as err:
            raise _layer_error(err, self.where) from err

    def lstat(self, name: bytes) -> os.stat_result | None:
        """lstat of ``name`` in this directory; None when it is not there (or went away)."""
        try:
            if answers.TAP is not None:
                found = answers.TAP.layer(
                    "lstat", f"{self.where}/{os.fsdecode(name)}", lambda: _stat_fields(name, self.fd)
                )
                return None if found is None else _Stat(*found)  # type: ignore[return-value]
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            raise _layer_error(err, f"{self.where}/{os.fsdecode(name)}") from err

    def xattrs(self, attrs: tuple[str, ...], name: bytes | None = None) -> dict[str, bytes]:
        """The values of those of ``attrs`` that are set, on this directory or on its entry
        ``name``. An entry must be a regular file or a directory, checked on the fd that is
        read (a name swapped for a link or a FIFO meanwhile is not read): otherwise {}."""
        if answers.TAP is not None:
            where = self.where if name is None else f"{self.where}/{os.fsdecode(name)}"
            try:
                found = answers.TAP.layer(
                    "xattrs:" + ",".join(attrs), where, lambda: _b64_values(self._xattrs_live(attrs, name))
                )
            except OSError as err:
                raise _layer_error(err, where) from err
            return {k: binascii.a2b_base64(v) for k, v in found.items()}
        return self._xattrs_live(attrs, name)

    def _xattrs_live(self, attrs: tuple[str, ...], name: bytes | None) -> dict[str, bytes]:
        if name is None:
            return self._read_xattrs(self.fd, attrs, self.where)
        where = f"{self.where}/{os.fsdecode(name)}"
        try:
            fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.fd)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ENOTDIR):
                return {}
            raise _layer_error(err, where) from err
        try:
            mode = os.fstat(fd).st_mode
            if not (S_ISREG(mode) or S_ISDIR(mode)):
                return {}
            # An O_PATH fd has no fgetxattr; its /proc/self/fd link reaches exactly the inode
            # the fd holds (nsview's own fd table, not a path of the layer or the container).
            return self._read_xattrs(f"/proc/self/fd/{fd}", attrs, where)
        finally:
            os.close(fd)

    @staticmethod
    def _read_xattrs(target: int | str, attrs: tuple[str, ...], where: str) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for attr in attrs:
            try:
                found[attr] = os.getxattr(target, attr)
            except OSError as err:
                if err.errno in _NO_XATTR or err.errno == errno.ENOENT:
                    continue
                raise _layer_error(err, where) from err
        return found

    def dup(self) -> LayerDir:
        """Another handle on the same directory (a snapshot's recorded one has no fd: -1)."""
        return LayerDir(os.dup(self.fd) if self.fd >= 0 else -1, self.where)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> LayerDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Stat:
    """The lstat fields a layer walk uses, as a snapshot recorded them."""

    __slots__ = ("st_gid", "st_mode", "st_mtime_ns", "st_rdev", "st_size", "st_uid")

    def __init__(self, mode: int, uid: int, gid: int, rdev: int, size: int, mtime_ns: int) -> None:
        self.st_mode, self.st_uid, self.st_gid = mode, uid, gid
        self.st_rdev, self.st_size, self.st_mtime_ns = rdev, size, mtime_ns


def _stat_fields(name: bytes, dir_fd: int) -> list[int] | None:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise
    return [st.st_mode, st.st_uid, st.st_gid, st.st_rdev, st.st_size, st.st_mtime_ns]


def _b64_values(found: dict[str, bytes]) -> dict[str, str]:
    return {k: binascii.b2a_base64(v, newline=False).decode("ascii") for k, v in found.items()}


def _layer_error(err: OSError, where: str) -> Exception:
    if err.errno == errno.ENOENT and err.strerror and "snapshot" in err.strerror:
        return NotAvailable(where, err.strerror)
    if err.errno in _DENIED:
        return AccessDenied(where)
    if err.errno in _GONE:
        return FileMissing(where)
    if err.errno == errno.ELOOP:
        return NotAvailable(where, "a symlink, not followed")
    if err.errno == errno.ENOTDIR:
        return NotAvailable(where, "not a directory")
    return NotAvailable(where, os.strerror(err.errno or 0) or type(err).__name__)
