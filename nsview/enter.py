"""Ask a question from inside one namespace of another process, in a throw-away child.

Some answers exist only from inside a namespace: the hostname of a UTS namespace (uname(2)),
the addresses of a network namespace (rtnetlink). docs/hardening.md, rule 3 says how to get them:
- pin the namespace first: open ``/proc/PID/ns/TYPE`` (an fd names that namespace for as long
  as it is open, whatever happens to the pid), then check the pid still is the same process
  (start time, rule 4) so a reused pid cannot swap the namespace under us;
- fork; the child setns()es into exactly that one namespace (never the mount namespace), runs a
  function that was fully prepared *before* the fork (no import, no attribute or name lookup that
  could load code after entering), writes raw bytes to a pipe and ``os._exit``s;
- the parent reads the pipe with a deadline, reaps the child (killing it if late) and parses the
  bytes itself, outside the namespace.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable, Sequence

from nsview.errors import NoSuchProcess, NotAvailable, NsviewError
from nsview.procfs import ProcFS

# <sched.h> CLONE_NEW* flags: setns(fd, nstype) checks the fd really is a namespace of that type.
CLONE_FLAGS: dict[str, int] = {
    "cgroup": 0x02000000,
    "ipc": 0x08000000,
    "net": 0x40000000,
    "pid": 0x20000000,
    "time": 0x00000080,
    "user": 0x10000000,
    "uts": 0x04000000,
}

MAX_REPLY = 16 * 1024 * 1024  # a netlink dump of thousands of routes fits; a runaway child does not
DEFAULT_TIMEOUT = 5.0

# First byte of the child's reply.
_OK, _SETNS_FAILED, _RAISED = b"O", b"S", b"X"


def _setns_function() -> Callable[[int, int], None]:
    """os.setns (3.12+) or libc's setns via ctypes, resolved *before* any fork."""
    # getattr: os.setns is not in the 3.10 stubs mypy checks against, and not at run time before 3.12.
    native: Callable[[int, int], None] | None = getattr(os, "setns", None)
    if native is not None:
        return native
    import ctypes  # only where os.setns is missing, and never at start-up

    libc = ctypes.CDLL(None, use_errno=True)
    call = libc.setns
    call.argtypes = (ctypes.c_int, ctypes.c_int)
    call.restype = ctypes.c_int
    get_errno = ctypes.get_errno

    def setns(fd: int, nstype: int) -> None:
        if call(fd, nstype) != 0:
            raise OSError(get_errno(), "setns")

    return setns


def run_in_namespace(
    proc: ProcFS,
    pid: int,
    ns_type: str,
    question: Callable[[], bytes],
    *,
    starttime: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> bytes:
    """Run ``question`` in a child that entered ``ns_type`` of ``pid``; return its bytes.

    ``question`` must be self-contained: everything it calls bound before this is called.
    ``starttime`` (stat field 22) pins the process identity: if the pid now belongs to another
    process, NoSuchProcess. Errors: AccessDenied / NoSuchProcess / NotAvailable, never OSError.
    """
    (answer,) = run_in_each_namespace(proc, [(pid, starttime)], ns_type, question, timeout=timeout)
    if isinstance(answer, NsviewError):
        raise answer
    return answer


def run_in_each_namespace(
    proc: ProcFS,
    targets: Sequence[tuple[int, int | None]],
    ns_type: str,
    question: Callable[[], bytes],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[bytes | NsviewError]:
    """Ask ``question`` in the ``ns_type`` namespace of each (pid, starttime), with ONE child
    that enters them in turn (``nsview ps`` asks every container's hostname: a fork each would
    cost more than the whole scan). Still only that one namespace type is ever entered.
    Returns, per target, the answer or the error that kept it from being asked."""
    if ns_type not in CLONE_FLAGS:
        raise NotAvailable(f"{ns_type} namespace", "nsview does not enter this namespace type")
    answers: list[bytes | NsviewError | None] = [None] * len(targets)
    pinned: list[tuple[int, int]] = []  # (index into targets, fd pinning its namespace)
    try:
        for i, (pid, starttime) in enumerate(targets):
            try:
                fd = proc.pid_open_ns(pid, ns_type)
            except NsviewError as err:
                answers[i] = err
                continue
            pinned.append((i, fd))
            if starttime is not None:
                try:
                    _check_same_process(proc, pid, starttime)
                except NsviewError as err:
                    answers[i] = err
                    pinned.pop()
                    os.close(fd)
        if pinned:
            try:
                replies = _fork_and_ask([fd for _, fd in pinned], CLONE_FLAGS[ns_type], question, timeout)
            except NsviewError as err:  # no helper at all: each answer says why
                for i, _fd in pinned:
                    answers[i] = err
            else:
                for (i, _fd), reply in zip(pinned, replies, strict=True):
                    answers[i] = _answer(reply, f"/proc/{targets[i][0]}/ns/{ns_type}", timeout)
    finally:
        for _i, fd in pinned:
            os.close(fd)
    return answers  # type: ignore[return-value]  # every slot is filled above


def _check_same_process(proc: ProcFS, pid: int, starttime: int) -> None:
    from nsview.read.process import read_stat

    if read_stat(proc, pid).starttime != starttime:
        raise NoSuchProcess(pid, f"process {pid} exited (its pid now belongs to another process)")


def _fork_and_ask(
    fds: list[int], nstype: int, question: Callable[[], bytes], timeout: float
) -> list[tuple[bytes, bytes] | None]:
    """One child, one record per fd on the pipe: kind (1 byte), length (4 bytes), data.
    Returns (kind, data) per fd, None where the child never answered (timeout, crash)."""
    # Everything the child touches is bound here, before the fork.
    write, exit_, setns = os.write, os._exit, _setns_function()
    ok, failed, raised = _OK, _SETNS_FAILED, _RAISED
    try:
        rfd, wfd = os.pipe()
    except OSError as err:  # out of fds: every answer is missing, and says why
        raise NotAvailable("a pipe to the helper process", os.strerror(err.errno or 0)) from err
    try:
        child = os.fork()
    except OSError as err:  # EAGAIN/ENOMEM: no helper; nothing leaks, no raw OSError escapes
        os.close(rfd)
        os.close(wfd)
        raise NotAvailable("the helper process", f"cannot fork: {os.strerror(err.errno or 0)}") from err
    if child == 0:  # ---- the child: no imports, no lookups that could load code ----
        code = 0
        try:
            os.close(rfd)
            for fd in fds:
                try:
                    setns(fd, nstype)
                except OSError as err:
                    kind, data = failed, str(err.errno or 0).encode()
                else:
                    try:
                        kind, data = ok, question()
                    except BaseException:
                        kind, data = raised, b""
                view = memoryview(kind + len(data).to_bytes(4, "big") + data)
                while view:
                    view = view[write(wfd, view) :]
        except BaseException:
            code = 1
        exit_(code)
    # ---- the parent ----
    os.close(wfd)
    deadline = time.monotonic() + timeout
    try:
        reply = _read_until_eof(rfd, deadline)
    finally:
        os.close(rfd)
        _reap(child, deadline)
    records: list[tuple[bytes, bytes] | None] = []
    at = 0
    data = reply or b""
    while len(records) < len(fds) and at + 5 <= len(data):
        size = int.from_bytes(data[at + 1 : at + 5], "big")
        if at + 5 + size > len(data):
            break
        records.append((data[at : at + 1], data[at + 5 : at + 5 + size]))
        at += 5 + size
    return records + [None] * (len(fds) - len(records))


def _answer(record: tuple[bytes, bytes] | None, what: str, timeout: float) -> bytes | NsviewError:
    if record is None:
        return NotAvailable(what, f"no answer within {timeout:g}s")
    kind, data = record
    if kind == _OK:
        return data
    if kind == _SETNS_FAILED:
        errnum = int(data or b"0")
        if errnum in (1, 13):  # EPERM, EACCES
            return NotAvailable(what, "cannot enter: permission denied")
        return NotAvailable(what, f"cannot enter: {os.strerror(errnum)}")
    return NotAvailable(what, "the helper process failed inside the namespace")


def _read_until_eof(rfd: int, deadline: float) -> bytes | None:
    chunks: list[bytes] = []
    total = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([rfd], [], [], left)
        if not ready:
            return None
        chunk = os.read(rfd, 65536)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > MAX_REPLY:
            raise NotAvailable("namespace helper", "answer too large")
        chunks.append(chunk)


def _reap(child: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        done, _ = os.waitpid(child, os.WNOHANG)
        if done:
            return
        time.sleep(0.005)
    try:
        os.kill(child, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(child, 0)
