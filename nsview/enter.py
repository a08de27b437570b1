"""Ask a question from inside one namespace of another process, in a throw-away child.

Some answers exist only from inside a namespace: the hostname of a UTS namespace (uname(2)),
the addresses of a network namespace (rtnetlink). docs/hardening.md, rule 3 says how to get them:
- pin the namespace first: open ``/proc/PID/ns/TYPE`` (an fd names that namespace for as long
  as it is open, whatever happens to the pid), then check the pid still is the same process
  (start time, rule 4) so a reused pid cannot swap the namespace under us;
- fork; the child setns()es into exactly that one namespace (never the mount namespace; the one
  exception, ``read_mount_table``, joins one and then runs nothing at all), runs a
  function that was fully prepared *before* the fork (no import, no attribute or name lookup that
  could load code after entering), writes raw bytes to a pipe and ``os._exit``s;
- the parent reads the pipe with a deadline, reaps the child (killing it if late) and parses the
  bytes itself, outside the namespace.
"""

from __future__ import annotations

import errno
import os
import select
import signal
import time
from collections.abc import Callable, Sequence

from nsview.errors import (
    AccessDenied,
    CommandNotFound,
    NoSuchProcess,
    NotAvailable,
    NsviewError,
    Unsupported,
    UsageError,
)
from nsview.model.record import record
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
_TOO_LARGE = b"L"  # never sent by the child: the parent's mark for a record it dropped
Record = tuple[bytes, bytes]  # (kind, data) as the child wrote it


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


def join_cgroup_namespace(proc: ProcFS, pid: int) -> str | None:
    """nsview itself joins ``pid``'s cgroup namespace (the host's, when nsview runs in a container:
    nsview/hostview.py), so /proc/PID/cgroup and the cgroup mounts read as that namespace has
    them. The only namespace nsview's own process ever enters: a cgroup namespace changes what
    paths look like, not what may be read. None when joined; else why not."""
    setns = _setns_function()
    try:
        fd = proc.pid_open_ns(pid, "cgroup")
    except NsviewError as err:
        return err.message
    try:
        setns(fd, CLONE_FLAGS["cgroup"])
        return None
    except OSError as err:
        return os.strerror(err.errno or 0)
    finally:
        os.close(fd)


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
    from nsview import answers as recorded

    if recorded.TAP is not None:  # a snapshot being taken or read (nsview/answers.py)
        return recorded.TAP.namespaces(
            targets,
            ns_type,
            lambda: _ask_each(proc, targets, ns_type, question, timeout=timeout),
        )
    return _ask_each(proc, targets, ns_type, question, timeout=timeout)


def _ask_each(
    proc: ProcFS,
    targets: Sequence[tuple[int, int | None]],
    ns_type: str,
    question: Callable[[], bytes],
    *,
    timeout: float,
) -> list[bytes | NsviewError]:
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
                    continue
            if _is_own(fd, ns_type):
                # the namespace nsview is in (the host side of a diff): asked here, no child;
                # nothing is entered either way, and the answer is the same
                pinned.pop()
                os.close(fd)
                answers[i] = _answer(_ask_here(question), f"/proc/{pid}/ns/{ns_type}", timeout)
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


def _is_own(fd: int, ns_type: str) -> bool:
    """Whether the namespace ``fd`` pins is nsview's own of that type (an nsfs inode is the
    namespace's identity; a file of a captured tree is never one)."""
    try:
        mine = os.stat(f"/proc/self/ns/{ns_type}")
        theirs = os.fstat(fd)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


def _ask_here(question: Callable[[], bytes]) -> Record:
    """``question`` in this process, recorded as the child would have sent it (capped alike)."""
    try:
        data = question()
    except Exception:
        return (_RAISED, b"")
    if len(data) > MAX_REPLY:
        return (_TOO_LARGE, b"")
    return (_OK, data)


def _check_same_process(proc: ProcFS, pid: int, starttime: int) -> None:
    from nsview.read.process import read_stat

    if read_stat(proc, pid).starttime != starttime:
        raise NoSuchProcess(pid, f"process {pid} exited (its pid now belongs to another process)")


def _fork_and_ask(
    fds: list[int], nstype: int, question: Callable[[], bytes], timeout: float
) -> list[Record | None]:
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
        records = _read_records(rfd, len(fds), deadline)
    finally:
        os.close(rfd)
        _reap(child, deadline)
    return records + [None] * (len(fds) - len(records))


def _answer(record: Record | None, what: str, timeout: float) -> bytes | NsviewError:
    if record is None:
        return NotAvailable(what, f"no answer within {timeout:g}s")
    kind, data = record
    if kind == _OK:
        return data
    if kind == _TOO_LARGE:
        return NotAvailable(what, f"answer too large (over {MAX_REPLY // (1024 * 1024)} MiB)")
    if kind == _SETNS_FAILED:
        errnum = int(data or b"0")
        if errnum in (1, 13):  # EPERM, EACCES
            return NotAvailable(what, "cannot enter: permission denied")
        return NotAvailable(what, f"cannot enter: {os.strerror(errnum)}")
    return NotAvailable(what, "the helper process failed inside the namespace")


def _read_records(rfd: int, wanted: int, deadline: float) -> list[Record]:
    """The child's records as they arrive, until EOF, the deadline, or ``wanted`` of them.
    Each record is capped on its own: one runaway answer (a huge route table) is dropped as
    _TOO_LARGE while it streams past, and the answers before and after it still count."""
    records: list[Record] = []
    buf = bytearray()
    skipping = 0  # bytes of an oversized record still to discard
    while len(records) < wanted:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([rfd], [], [], left)
        if not ready:
            break
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        if skipping:
            dropped = min(skipping, len(chunk))
            skipping -= dropped
            chunk = chunk[dropped:]
        buf += chunk
        while len(records) < wanted and len(buf) >= 5 and not skipping:
            size = int.from_bytes(buf[1:5], "big")
            if size > MAX_REPLY:
                records.append((_TOO_LARGE, b""))
                skipping = max(0, size - (len(buf) - 5))
                del buf[: 5 + size]
            elif len(buf) >= 5 + size:
                records.append((bytes(buf[:1]), bytes(buf[5 : 5 + size])))
                del buf[: 5 + size]
            else:
                break
    return records


def _reap(child: int, deadline: float) -> None:
    if _wait_exit(child, deadline):
        return
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


def _wait_exit(child: int, deadline: float) -> bool:
    """Reap ``child`` as soon as it exits, by its pidfd (Linux >= 5.3): the child has just
    written its answer and is exiting, and a 5 ms poll made every forked question cost 5 ms
    more (`nsview diff` asks 2 to 4). False when there is no pidfd or the deadline passed."""
    done, _ = os.waitpid(child, os.WNOHANG)
    if done:
        return True
    try:
        fd = os.pidfd_open(child)
    except (AttributeError, OSError):  # Python or kernel without pidfd_open
        return False
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)  # a pidfd is readable once its process has exited
        poller.poll(max(0, int((deadline - time.monotonic()) * 1000)))
    finally:
        os.close(fd)
    done, _ = os.waitpid(child, os.WNOHANG)
    return bool(done)


# ---- a mount namespace no process is in ---------------------------------------------------------
#
# A mount namespace kept alive only by an nsfs bind mount (`unshare --mount=FILE`, a leaked
# namespace under /run/netns or /run/docker/netns) has no /proc/PID/mountinfo to read. Its table
# is read from outside: a child setns()es into it and then runs nothing at all (it blocks in
# read() on a pipe, bound before the fork), while the parent reads /proc/CHILD/mountinfo, from the
# host, and then closes the pipe. Nothing runs inside the namespace; no path in it is resolved
# (docs/hardening.md, rule 3 and row 36).


def read_mount_table(proc: ProcFS, fd: int, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """The mountinfo of the mount namespace the nsfs file ``fd`` names. Errors: NotAvailable."""
    read, write, close, exit_, setns = os.read, os.write, os.close, os._exit, _setns_function()
    ok, failed, newns = _OK, _SETNS_FAILED, CLONE_NEWNS
    try:
        status_r, status_w = os.pipe()
    except OSError as err:
        raise NotAvailable("a pipe to the helper process", os.strerror(err.errno or 0)) from err
    try:
        hold_r, hold_w = os.pipe()
    except OSError as err:
        os.close(status_r)
        os.close(status_w)
        raise NotAvailable("a pipe to the helper process", os.strerror(err.errno or 0)) from err
    try:
        child = os.fork()
    except OSError as err:
        for p in (status_r, status_w, hold_r, hold_w):
            os.close(p)
        raise NotAvailable("the helper process", f"cannot fork: {os.strerror(err.errno or 0)}") from err
    if child == 0:  # ---- the child: setns, then nothing but a blocking read ----
        code = 0
        try:
            close(status_r)
            close(hold_w)
            try:
                setns(fd, newns)
            except OSError as err:
                write(status_w, failed + str(err.errno or 0).encode())
                exit_(1)
            write(status_w, ok)
            read(hold_r, 1)  # until the parent has read our mountinfo and closes its end
        except BaseException:
            code = 1
        exit_(code)
    # ---- the parent ----
    os.close(status_w)
    os.close(hold_r)
    deadline = time.monotonic() + timeout
    try:
        status = _first_record(status_r, deadline)
        if status is None:
            raise NotAvailable("the bound mount namespace", f"no answer within {timeout:g}s")
        if status[:1] == _SETNS_FAILED:
            errnum = int(status[1:] or b"0")
            why = "permission denied" if errnum in (1, 13) else os.strerror(errnum)
            raise NotAvailable("the bound mount namespace", f"cannot enter: {why}")
        if status[:1] != _OK:
            raise NotAvailable("the bound mount namespace", "the helper process failed")
        return proc.pid_read(child, "mountinfo")
    finally:
        os.close(status_r)
        os.close(hold_w)
        _reap(child, deadline)


def _first_record(rfd: int, deadline: float) -> bytes | None:
    """The first record on a status pipe: up to 32 bytes, or None by the deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    ready, _, _ = select.select([rfd], [], [], left)
    if not ready:
        return None
    return os.read(rfd, 32)


# ---- nsview exec: run a command inside another process's namespaces ----------------------------
#
# Unlike a question, a command is the user's own: it may enter the mount namespace too (then it is
# the container's binary that runs). Identity is pinned first: a pidfd (pidfd_open, Linux >= 5.3)
# names one process and never another, and setns(pidfd, flags) (Linux >= 5.8) enters all chosen
# namespaces of exactly that process in one call, or fails with ESRCH when it has exited. Without
# it, every /proc/PID/ns/TYPE is opened first, and then the start time must still be the same.

CLONE_NEWNS = 0x00020000
ENTER_FLAGS: dict[str, int] = {**CLONE_FLAGS, "mnt": CLONE_NEWNS}

# First byte of the child's report on the status pipe (none at all: the command was exec'ed).
_ENTER_FAILED, _CHDIR_FAILED, _EXEC_FAILED, _JOIN_FAILED = b"S", b"C", b"E", b"J"


@record
class Pin:
    """A process held still: a pidfd, or one fd per namespace type (the old-kernel way)."""

    pid: int
    pidfd: int | None
    fds: dict[str, int]

    @property
    def method(self) -> str:
        return "pidfd" if self.pidfd is not None else "namespace fds"

    def close(self) -> None:
        for fd in ([self.pidfd] if self.pidfd is not None else []) + list(self.fds.values()):
            os.close(fd)


def pidfd_setns_supported() -> bool:
    """setns(2) takes a pidfd since Linux 5.8; Python has pidfd_open since 3.9."""
    if not hasattr(os, "pidfd_open"):
        return False
    try:
        major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (5, 8)


def pin_process(proc: ProcFS, pid: int, starttime: int, types: tuple[str, ...], *, pidfd: bool) -> Pin:
    """Hold ``pid`` (whose start time was ``starttime`` when TARGET was resolved) before anything
    is entered; NoSuchProcess when it exited or its pid now belongs to another process."""
    if pidfd:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            raise NoSuchProcess(pid, f"process {pid} exited before it could be entered") from None
        except OSError as err:
            raise NotAvailable(f"pidfd of {pid}", os.strerror(err.errno or 0)) from err
        pin = Pin(pid, fd, {})
    else:
        fds: dict[str, int] = {}
        try:
            for ns_type in types:
                fds[ns_type] = proc.pid_open_ns(pid, ns_type)
        except NsviewError:
            for opened in fds.values():
                os.close(opened)
            raise
        pin = Pin(pid, None, fds)
    try:
        _check_same_process(proc, pid, starttime)  # the pid was not reused before the pin
    except NsviewError:
        pin.close()
        raise
    return pin


def run_inside(
    pin: Pin,
    types: tuple[str, ...],
    command: tuple[str, ...],
    *,
    forks: bool,
    cwd: str | None = None,
    join_fds: tuple[int, ...] = (),
    label: str = "TARGET",
    in_container_root: bool = False,
) -> int:
    """Run ``command`` in ``types`` of the pinned process and wait for it. Returns its exit
    code, or minus the signal that killed it. ``join_fds``: ``cgroup.procs`` files, opened for
    writing, that the command joins before entering (--cgroup-join). The child enters; nsview
    itself never leaves its own namespaces. Errors: NoSuchProcess, AccessDenied,
    CommandNotFound, Unsupported."""
    if not command:
        raise UsageError("no COMMAND: give one after --, e.g. nsview exec web --net -- ip addr")
    setns = _setns_function()
    order = [t for t in ("user", "cgroup", "ipc", "uts", "net", "time", "mnt", "pid") if t in types]
    flags = 0
    for t in order:
        flags |= ENTER_FLAGS[t]
    steps = [(pin.fds[t], ENTER_FLAGS[t]) for t in order] if pin.pidfd is None else [(pin.pidfd, flags)]
    argv = list(command)
    env = dict(os.environ)
    write, exit_, fork, waitpid, chdir, execvpe = (
        os.write,
        os._exit,
        os.fork,
        os.waitpid,
        os.chdir,
        os.execvpe,
    )
    getpid, kill, sig_fn, sig_dfl, sig_ign = os.getpid, os.kill, signal.signal, signal.SIG_DFL, signal.SIG_IGN
    waitstatus = os.waitstatus_to_exitcode
    rfd, wfd = os.pipe2(os.O_CLOEXEC)  # closed by a successful exec: EOF means the command runs
    try:
        child = fork()
    except OSError as err:
        os.close(rfd)
        os.close(wfd)
        raise NotAvailable("a child process", f"cannot fork: {os.strerror(err.errno or 0)}") from err
    if child == 0:  # ---- the child: everything it calls was bound above; no imports ----
        try:
            os.close(rfd)
            mine = str(getpid()).encode()
            for fd in join_fds:
                try:
                    write(fd, mine)
                except OSError as err:
                    write(wfd, _JOIN_FAILED + str(err.errno or 0).encode())
                    exit_(1)
            for fd, flag in steps:
                try:
                    setns(fd, flag)
                except OSError as err:
                    write(wfd, _ENTER_FAILED + str(err.errno or 0).encode())
                    exit_(1)
            if cwd is not None:
                try:
                    chdir(cwd)
                except OSError as err:
                    write(wfd, _CHDIR_FAILED + str(err.errno or 0).encode())
                    exit_(1)
            if forks:  # pid and time namespaces are for children: the command is one
                grandchild = fork()
                if grandchild != 0:
                    sig_fn(2, sig_ign)  # SIGINT, SIGQUIT: the command decides; we relay
                    sig_fn(3, sig_ign)
                    status = waitstatus(waitpid(grandchild, 0)[1])
                    if status < 0:
                        sig_fn(-status, sig_dfl)
                        kill(getpid(), -status)
                    exit_(status & 0xFF if status >= 0 else 128 - status)
            try:
                execvpe(argv[0], argv, env)
            except OSError as err:
                write(wfd, _EXEC_FAILED + str(err.errno or 0).encode())
                exit_(127)
        except BaseException:
            exit_(1)
    # ---- the parent: wait, relay ----
    os.close(wfd)
    previous = (signal.signal(signal.SIGINT, signal.SIG_IGN), signal.signal(signal.SIGQUIT, signal.SIG_IGN))
    try:
        report = b""
        while True:
            chunk = os.read(rfd, 64)
            if not chunk:
                break
            report += chunk
        status = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    finally:
        os.close(rfd)
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGQUIT, previous[1])
    if report:
        raise _exec_error(report, pin.pid, label, command[0], in_container_root)
    return status


def _exec_error(report: bytes, pid: int, label: str, program: str, in_root: bool) -> NsviewError:
    kind, errnum = report[:1], int(report[1:] or b"0")
    words = os.strerror(errnum)
    if kind == _ENTER_FAILED:
        if errnum == errno.ESRCH:
            return NoSuchProcess(pid, f"{label} exited before it could be entered (nothing was run)")
        if errnum == errno.EPERM:
            return AccessDenied(
                f"the namespaces of {label}: entering needs root (CAP_SYS_ADMIN); a rootless "
                "container's namespaces are owned by its user namespace: add --user"
            )
        return Unsupported(f"the kernel refused to enter the namespaces of {label}: {words}")
    if kind == _JOIN_FAILED:
        return AccessDenied(f"the cgroups of {label} (--cgroup-join): {words}")
    if kind == _CHDIR_FAILED:
        return UsageError(f"--wd: cannot change to that directory inside {label}: {words}")
    where = "in the container's root (--mount)" if in_root else "on the host"
    if errnum == errno.ENOENT:
        return CommandNotFound(f"command not found {where}: {program}")
    return CommandNotFound(f"cannot run {program} {where}: {words}", not_executable=True)
