"""The only place nsview touches /proc and /sys, and the only place OSError is translated.

The root is a parameter (``ProcFS("/proc")``, ``ProcFS("fixtures/docker-hybrid/proc")``), never a
global: tests, captured snapshots and the live host go through the same code.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from stat import S_ISCHR

from nsview.errors import AccessDenied, FileMissing, NoSuchProcess, NotAvailable, Unsupported

# Files we read whole are small; cmdline and mountinfo can be large. A cap keeps a hostile
# process (argv of hundreds of MiB) from exhausting memory; callers see ``truncated``.
MAX_READ = 4 * 1024 * 1024

_GONE = (errno.ENOENT, errno.ESRCH)
_DENIED = (errno.EACCES, errno.EPERM)


def host_root_for(proc_root: str | os.PathLike[str]) -> Path:
    """The host filesystem that goes with a procfs, for host files nsview reads (engines' state,
    overlay2 short links): "/" for the live /proc; for a fixture or snapshot at ``X/proc``, the
    ``X/host`` tree it captured beside it, so a snapshot is never decoded against this machine."""
    root = Path(proc_root)
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
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            raise self._translate(err, rel) from err
        chunks: list[bytes] = []
        total = 0
        try:
            if not S_ISCHR(os.fstat(fd).st_mode):
                os.close(fd)
                fd = -1
                return self.read_bytes(rel, limit)
            while total < limit:
                try:
                    chunk = os.read(fd, 8192)  # a record is at most 8 KiB (CONSOLE_EXT_LOG_MAX)
                except BlockingIOError:
                    break
                except BrokenPipeError:
                    continue
                except OSError as err:
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
        try:
            fd = os.open(self.root / rel, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError as err:
            raise self._translate(err, rel) from err
        try:
            return fd, os.fstat(fd).st_ino
        except OSError as err:
            os.close(fd)
            raise self._translate(err, rel) from err

    def readlink(self, rel: str) -> str:
        try:
            return os.readlink(self.root / rel)
        except OSError as err:
            raise self._translate(err, rel) from err

    def listdir(self, rel: str = "") -> list[str]:
        try:
            return os.listdir(self.root / rel)
        except OSError as err:
            raise self._translate(err, rel) from err

    def exists(self, rel: str) -> bool:
        return os.path.lexists(self.root / rel)

    def is_dir(self, rel: str) -> bool:
        return os.path.isdir(self.root / rel)

    def fs_magic(self, rel: str = "") -> int | None:
        """statfs(2) ``f_type`` of the filesystem holding ``root/rel`` (e.g. CGROUP2_SUPER_MAGIC);
        None when it cannot be asked. Python has no binding, so libc's statfs via ctypes."""
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

    def _translate(self, err: OSError, rel: str) -> Exception:
        what = str(self.root / rel)
        if err.errno in _DENIED:
            return AccessDenied(what)
        if err.errno in _GONE:
            return FileMissing(what)
        return NotAvailable(what, os.strerror(err.errno or 0) or type(err).__name__)


class ProcFS(KernelFS):
    """procfs. Per-process reads translate "gone" the way psutil learned to: ENOENT on a file
    means the process is gone only if ``/proc/PID/stat`` is gone too; otherwise the file is
    merely not available (kernel too old, feature off)."""

    def __init__(self, root: str | os.PathLike[str] = "/proc") -> None:
        super().__init__(root)

    def check_mounted(self) -> None:
        # A fixture tree has no "self" but has pids; an empty dir has neither.
        if (
            not (self.root / "self").exists()
            and not (self.root / "1").exists()
            and not any(name.isdigit() for name in self._safe_listdir())
        ):
            raise Unsupported(f"no process information at {self.root}: is this Linux with /proc mounted?")

    def _safe_listdir(self) -> list[str]:
        try:
            return os.listdir(self.root)
        except OSError:
            return []

    def pids(self) -> list[int]:
        """Every visible pid (thread-group leaders only, as /proc lists them)."""
        return sorted(int(name) for name in self._safe_listdir() if name.isdigit())

    def pid_exists(self, pid: int) -> bool:
        return os.path.exists(self.root / str(pid) / "stat")

    def pid_read(self, pid: int, name: str, limit: int = MAX_READ) -> bytes:
        """Read ``/proc/PID/name``; raises NoSuchProcess when the process is gone."""
        try:
            return _read_capped(f"{self.root}/{pid}/{name}", limit)  # str: scans call this per pid
        except OSError as err:
            raise self._pid_translate(err, pid, name) from err

    def pid_readlink(self, pid: int, name: str) -> str:
        try:
            return os.readlink(f"{self.root}/{pid}/{name}")
        except OSError as err:
            raise self._pid_translate(err, pid, name) from err

    def pid_listdir(self, pid: int, name: str) -> list[str]:
        try:
            return os.listdir(self.root / str(pid) / name)
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
            found: dict[str, str] = {}
            failed: dict[str, str] = {}
            for name in links:
                try:
                    found[name] = os.readlink(name, dir_fd=dfd)
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
        super().__init__(root)


def _read_capped(path: str | Path, limit: int, nofollow: bool = False) -> bytes:
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
