"""One error taxonomy and one exit-code enum for the whole tool.

Readers raise these (never a bare OSError); the CLI maps them to a message and an exit
status in exactly one place (``nsview.cli``).
"""

from __future__ import annotations

import os
import sys
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit status. Stable: scripts may test for these numbers."""

    OK = 0
    ERROR = 1  # anything unexpected, or a bug
    USAGE = 2  # bad arguments (click uses 2 as well)
    NO_SUCH_PROCESS = 3  # the target does not exist (or vanished)
    ACCESS_DENIED = 4  # the target exists but the kernel refused to show it
    UNSUPPORTED = 5  # no /proc, not Linux, a kernel feature missing
    PARTIAL = 6  # the answer was printed, but some sections could not be read
    NOT_FOUND = 7  # a container name/id that matches nothing
    AMBIGUOUS = 8  # a container prefix that matches several
    NOT_RUNNING = 9  # a container that exists on disk but does not run (exited, created)
    BAD_SNAPSHOT = 10  # --from FILE: not a snapshot nsview can read safely (refused, nothing used)
    NOT_EXECUTABLE = 126  # nsview exec: the command is there but cannot be run (as a shell says)
    COMMAND_NOT_FOUND = 127  # nsview exec: no such command where it was looked up


class NsviewError(Exception):
    """Base class: every error a user may see. ``str(err)`` is the one-line message."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def reason(self) -> str:
        """A short why, for a cell or section that could not be read ("permission denied")."""
        return self.message


class NoSuchProcess(NsviewError):
    exit_code = ExitCode.NO_SUCH_PROCESS

    def __init__(self, pid: int, message: str | None = None) -> None:
        super().__init__(message or f"no such process: {pid}")
        self.pid = pid

    @property
    def reason(self) -> str:
        return "process exited"


class ZombieProcess(NoSuchProcess):
    """The process has exited but was not reaped: only stat/status are left."""

    def __init__(self, pid: int) -> None:
        super().__init__(pid, f"process {pid} is a zombie (<defunct>)")


class AccessDenied(NsviewError):
    exit_code = ExitCode.ACCESS_DENIED
    # The reason a cell shows, and the one word a scan's footer counts and explains.
    REASON = "permission denied"

    def __init__(self, what: str, pid: int | None = None) -> None:
        super().__init__(f"permission denied reading {what}")
        self.what = what
        self.pid = pid

    @property
    def reason(self) -> str:
        return self.REASON


class NotAvailable(NsviewError):
    """A file the process should have is absent (old kernel, feature off, cgroup gone)."""

    def __init__(self, what: str, why: str = "not available") -> None:
        super().__init__(f"{what}: {why}")
        self.what = what
        self.why = why

    @property
    def reason(self) -> str:
        return self.why


class FileMissing(NotAvailable):
    """The file does not exist (ENOENT) while its process, if any, still does: a kernel without
    it, a controller not enabled, a root cgroup. Callers test the kind, never the wording."""

    def __init__(self, what: str) -> None:
        super().__init__(what, "does not exist")


class ParseError(NsviewError):
    """Kernel text that does not have the documented shape."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"cannot parse {what}: {detail}")
        self.what = what
        self.detail = detail


class Unsupported(NsviewError):
    exit_code = ExitCode.UNSUPPORTED


class UsageError(NsviewError):
    exit_code = ExitCode.USAGE


class CommandNotFound(NsviewError):
    """`nsview exec`: the command could not be run where it was looked up (exit codes as a
    shell gives them: 127 not found, 126 found but not executable)."""

    def __init__(self, message: str, *, not_executable: bool = False) -> None:
        super().__init__(message)
        self.exit_code = ExitCode.NOT_EXECUTABLE if not_executable else ExitCode.COMMAND_NOT_FOUND


class TargetNotFound(NsviewError):
    exit_code = ExitCode.NOT_FOUND


class AmbiguousTarget(NsviewError):
    exit_code = ExitCode.AMBIGUOUS

    def __init__(self, target: str, candidates: list[str]) -> None:
        listed = ", ".join(candidates[:10]) + (" ..." if len(candidates) > 10 else "")
        super().__init__(f"{target!r} matches {len(candidates)} containers: {listed}")
        self.target = target
        self.candidates = candidates


class NotRunning(NsviewError):
    """TARGET names a container its engine keeps on disk, none of whose processes runs: the
    message says how it ended; ``container`` is the record (for the JSON error object)."""

    exit_code = ExitCode.NOT_RUNNING

    def __init__(self, message: str, container: object) -> None:
        super().__init__(message)
        self.container = container


class NamesNeedRoot(NsviewError):
    """TARGET may be a container name, but the engines' files that hold names are unreadable
    to this user: no match proves nothing."""

    exit_code = ExitCode.ACCESS_DENIED


class BadSnapshot(NsviewError):
    """``--from FILE``: the archive is not a snapshot nsview reads (a member that could escape
    its directory, a link, a device, too large, truncated, no manifest): refused whole."""

    exit_code = ExitCode.BAD_SNAPSHOT

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where}: {why}")
        self.where = where
        self.why = why


def stdout_failed(err: OSError) -> ExitCode:
    """stdout itself failed: a full disk or a closed terminal (said in one line), or a reader
    that left (``nsview ... | head``: quiet). stdout is pointed at /dev/null so the
    interpreter's last flush cannot fail a second time. Returns the exit status."""
    if not isinstance(err, BrokenPipeError):
        sys.stderr.write(f"nsview: cannot write the output: {err.strerror or err}\n")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return ExitCode.ERROR
