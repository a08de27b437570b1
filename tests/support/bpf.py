"""A real BPF device program on a real cgroup v2 directory, for tests: the shape runc gives
every container on a v2 host (docs/security-review.md, devices). The program allows every
device (r0 = 1; exit), so attaching it changes nothing a process may do. Root only."""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import struct
from collections.abc import Iterator

_NR = {"x86_64": 321, "aarch64": 280, "ppc64le": 361, "s390x": 351}
_PROG_LOAD, _PROG_ATTACH, _PROG_DETACH = 5, 8, 9
_CGROUP_DEVICE_PROG, _CGROUP_DEVICE_ATTACH = 15, 6  # BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE


def _bpf(cmd: int, attr: bytes) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(attr.ljust(128, b"\0"), 128)
    r = libc.syscall(_NR[platform.machine()], cmd, buf, 128)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return int(r)


@contextlib.contextmanager
def device_program_on(cgroup_dir: str) -> Iterator[int]:
    """Load an allow-all device program and attach it to ``cgroup_dir``; detached and closed
    after, whatever happens. Yields the program's fd."""
    insns = struct.pack("<BBhi", 0xB7, 0, 0, 1) + struct.pack("<BBhi", 0x95, 0, 0, 0)
    code, lic = ctypes.create_string_buffer(insns, len(insns)), ctypes.create_string_buffer(b"GPL")
    prog = _bpf(
        _PROG_LOAD,
        struct.pack("=IIQQ", _CGROUP_DEVICE_PROG, 2, ctypes.addressof(code), ctypes.addressof(lic)),
    )
    cg = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _bpf(_PROG_ATTACH, struct.pack("=IIII", cg, prog, _CGROUP_DEVICE_ATTACH, 0))
        try:
            yield prog
        finally:
            _bpf(_PROG_DETACH, struct.pack("=IIII", cg, prog, _CGROUP_DEVICE_ATTACH, 0))
    finally:
        os.close(cg)
        os.close(prog)
