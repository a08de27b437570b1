#!/usr/bin/env python3
"""Write fixtures/privileges-shapes: a hand-made /proc and /sys tree for the Privileges section of
`nsview diff` and the PRIVILEGES column of `nsview ps`, with the shapes a test machine cannot
start: the real `docker run --privileged` of Docker 23+ (every capability of Linux 5.9+, 41 bits,
seccomp disabled, `a *:* rwm` in devices.list, /sys read-write), which the sandbox refuses here
(it withholds CAP_SYS_RESOURCE); an SELinux-labelled container with the engine socket and a host
directory mounted read-write; a user-namespaced container whose root is uid 100000 outside; an
AppArmor label carrying terminal escapes and rich markup (docs/hardening.md, row 40).

    python scripts/make_privileges_fixture.py              # rewrites fixtures/privileges-shapes
    python scripts/make_privileges_fixture.py --out DIR    # writes DIR/privileges-shapes instead
    python scripts/make_privileges_fixture.py TREE         # writes the tree at TREE itself

pid 1 is the host; 4100, 4200, 4300 and 4400 are the containers' inits (each the child of its
containerd-shim, so `nsview ps` attributes them as on a live host). Files are in the kernel's
formats: proc(5) status (Cap*, NoNewPrivs, Seccomp, Seccomp_filters), attr/current,
proc_pid_mountinfo(5), /proc/PID/cgroup, devices.list (cgroup-v1/devices.rst), uid_map.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAME = "privileges-shapes"

ALL_CAPS = "000001ffffffffff"  # CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40)
DOCKER_DEFAULT = "00000000a80425fb"  # the 14 of Docker's default (`capsh --decode` names them)
DOCKER_DEFAULT_ADMIN = "00000000a82425fb"  # the same with SYS_ADMIN (21)

HOST_NS = {
    "cgroup": 4026531835,
    "ipc": 4026531839,
    "mnt": 4026531841,
    "net": 4026531840,
    "pid": 4026531836,
    "time": 4026531834,
    "user": 4026531837,
    "uts": 4026531838,
}


def cid(n: int) -> str:
    return f"{n:04x}" * 16  # a 64-hex id


def ns_of(base: int, shared: tuple[str, ...] = ("time", "user", "cgroup")) -> dict[str, int]:
    return {t: (HOST_NS[t] if t in shared else base + i) for i, t in enumerate(sorted(HOST_NS))}


HOST_TABLE = [
    "21 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw",
    "22 21 0:20 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw",
    "23 21 0:5 / /dev rw,nosuid shared:3 - devtmpfs udev rw,mode=755",
    "24 21 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:4 - sysfs sysfs rw",
    "25 24 0:25 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:5 - tmpfs tmpfs ro,mode=755",
    "26 25 0:30 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:6 - cgroup cgroup rw,devices",
    "27 21 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:7 - tmpfs tmpfs rw,mode=755",
    "28 21 254:1 /var/lib/docker /var/lib/docker rw,relatime shared:8 - ext4 /dev/vda1 rw",
    "29 21 254:17 / /srv rw,relatime shared:9 - xfs /dev/vdb rw",
]


def overlay(mid: int, n: int) -> str:
    layer = f"/var/lib/docker/overlay2/{cid(n)[:24]}"
    return (
        f"{mid} 28 0:{60 + n} / / rw,relatime master:8 - overlay overlay "
        f"rw,lowerdir={layer}/l1,upperdir={layer}/diff,workdir={layer}/work"
    )


def own_files(mid: int, n: int) -> list[str]:
    """What Docker mounts for every container: proc, /dev, /sys (ro unless privileged), hostname."""
    return [
        f"{mid + 1} {mid} 0:{70 + n} / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
        f"{mid + 2} {mid} 0:{80 + n} / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755",
        f"{mid + 5} {mid} 254:1 /var/lib/docker/containers/{cid(n)}/hostname /etc/hostname "
        "rw,relatime - ext4 /dev/vda1 rw",
    ]


PRIVILEGED = 4100
SELINUX = 4200
USERNS = 4300
HOSTILE = 4400

CONTAINERS = {
    # pid: (id number, status masks (bnd, eff), seccomp, filters, nnp, attr/current, uid_map,
    #       namespaces, extra mounts, devices.list)
    PRIVILEGED: dict(
        n=1,
        caps=(ALL_CAPS, ALL_CAPS),
        seccomp=(0, 0),
        nnp=0,
        attr=b"unconfined\n",
        uid_map="         0          0 4294967295\n",
        ns=ns_of(4026532100),
        mounts=["304 300 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw"],
        devices="a *:* rwm\n",
    ),
    SELINUX: dict(
        n=2,
        caps=(DOCKER_DEFAULT, DOCKER_DEFAULT),
        seccomp=(2, 1),
        nnp=1,
        attr=b"system_u:system_r:container_t:s0:c123,c456\0",
        uid_map="         0          0 4294967295\n",
        ns=ns_of(4026532200, ("time", "user", "cgroup", "net")),
        mounts=[
            "404 400 0:21 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs rw",
            "406 400 0:24 /docker.sock /var/run/docker.sock rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw",
            "407 400 254:17 /exports /data rw,relatime - xfs /dev/vdb rw",
            "408 400 254:17 /configs /etc/app ro,relatime - xfs /dev/vdb rw",
        ],
        devices="c 1:3 rwm\nc 1:5 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 136:* rwm\nc *:* m\nb *:* m\n",
    ),
    USERNS: dict(
        n=3,
        caps=(DOCKER_DEFAULT_ADMIN, DOCKER_DEFAULT_ADMIN),
        seccomp=(2, 1),
        nnp=0,
        attr=b"docker-default (enforce)\n",
        uid_map="         0     100000      65536\n",
        ns=ns_of(4026532300, ("time",)),
        mounts=["504 500 0:21 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs rw"],
        devices="c 1:3 rwm\nc 1:5 rwm\nc *:* m\n",
    ),
    HOSTILE: dict(
        n=4,
        caps=(DOCKER_DEFAULT, DOCKER_DEFAULT),
        seccomp=(2, 1),
        nnp=0,
        # an AppArmor profile name is chosen by whoever loads it: escapes, OSC 8, markup, bidi
        attr="evil\x1b]0;pwned\x07[/bold][link=http://x]\u202e\x1b[2J (enforce)\n".encode(),
        uid_map="         0          0 4294967295\n",
        ns=ns_of(4026532400),
        mounts=["604 600 0:21 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs rw"],
        devices="c 1:3 rwm\n",
    ),
}


def stat_line(pid: int, ppid: int, comm: bytes, starttime: int) -> bytes:
    fields = [b"S", b"%d" % ppid, b"%d" % pid, b"%d" % pid, b"0", b"-1", b"%d" % 0x400100]
    fields += [b"0"] * 10 + [b"1", b"0", b"%d" % starttime] + [b"0"] * 30
    return b"%d (%s) " % (pid, comm) + b" ".join(fields) + b"\n"


def status_text(
    pid: int,
    ppid: int,
    comm: bytes,
    caps: tuple[str, str],
    seccomp: tuple[int, int],
    nnp: int,
    nspid: tuple[int, ...] = (),
) -> bytes:
    bnd, eff = caps
    lines = [
        b"Name:\t" + comm,
        b"State:\tS (sleeping)",
        b"Tgid:\t%d" % pid,
        b"Pid:\t%d" % pid,
        b"PPid:\t%d" % ppid,
        b"Uid:\t0\t0\t0\t0",
        b"Gid:\t0\t0\t0\t0",
        b"NSpid:\t" + b"\t".join(b"%d" % p for p in (pid, *nspid)),
        b"Threads:\t1",
        b"CapInh:\t0000000000000000",
        b"CapPrm:\t" + eff.encode(),
        b"CapEff:\t" + eff.encode(),
        b"CapBnd:\t" + bnd.encode(),
        b"CapAmb:\t0000000000000000",
        b"NoNewPrivs:\t%d" % nnp,
        b"Seccomp:\t%d" % seccomp[0],
        b"Seccomp_filters:\t%d" % seccomp[1],
    ]
    return b"\n".join(lines) + b"\n"


def cgroup_text(path: str) -> str:
    return f"5:devices:{path}\n0::{path}\n"


def write_process(
    proc: Path,
    pid: int,
    ppid: int,
    comm: bytes,
    *,
    status: bytes,
    ns: dict[str, int],
    cgroup: str,
    mountinfo: list[str] | None = None,
    attr: bytes | None = None,
    uid_map: str | None = None,
    argv: tuple[bytes, ...] = (),
) -> None:
    d = proc / str(pid)
    (d / "ns").mkdir(parents=True)
    (d / "stat").write_bytes(stat_line(pid, ppid, comm, pid * 10))
    (d / "status").write_bytes(status)
    (d / "cmdline").write_bytes(b"".join(a + b"\0" for a in (argv or (comm,))))
    (d / "cgroup").write_text(cgroup_text(cgroup))
    for t, inode in ns.items():
        os.symlink(f"{t}:[{inode}]", d / "ns" / t)
    if mountinfo is not None:
        (d / "mountinfo").write_text("".join(line + "\n" for line in mountinfo))
    if attr is not None:
        (d / "attr").mkdir()
        (d / "attr" / "current").write_bytes(attr)
    if uid_map is not None:
        (d / "uid_map").write_text(uid_map)
        (d / "gid_map").write_text(uid_map)


def write(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    proc = out / "proc"
    write_process(
        proc,
        1,
        0,
        b"systemd",
        status=status_text(1, 0, b"systemd", (ALL_CAPS, ALL_CAPS), (0, 0), 0),
        ns=HOST_NS,
        cgroup="/",
        mountinfo=HOST_TABLE,
        attr=b"unconfined\n",
        uid_map="         0          0 4294967295\n",
        argv=(b"/sbin/init",),
    )
    os.symlink("1", proc / "self")
    for pid, c in CONTAINERS.items():
        n = int(c["n"])  # type: ignore[call-overload]
        shim = pid - 10
        ident = cid(n)
        write_process(
            proc,
            shim,
            1,
            b"containerd-shim",
            status=status_text(shim, 1, b"containerd-shim", (ALL_CAPS, ALL_CAPS), (0, 0), 0),
            ns=HOST_NS,
            cgroup="/system.slice/containerd.service",
            argv=(
                b"/usr/bin/containerd-shim-runc-v2",
                b"-namespace",
                b"moby",
                b"-id",
                ident.encode(),
                b"-address",
                b"/run/containerd/containerd.sock",
            ),
        )
        mid = (pid - 4000) // 100 * 100 + 200  # 300, 400, 500, 600
        table = [overlay(mid, n), *own_files(mid, n), *c["mounts"]]  # type: ignore[misc]
        write_process(
            proc,
            pid,
            shim,
            b"sleep",
            status=status_text(pid, shim, b"sleep", c["caps"], c["seccomp"], c["nnp"], (1,)),  # type: ignore[arg-type]
            ns=c["ns"],  # type: ignore[arg-type]
            cgroup=f"/docker/{ident}",
            mountinfo=table,
            attr=c["attr"],  # type: ignore[arg-type]
            uid_map=c["uid_map"],  # type: ignore[arg-type]
            argv=(b"/bin/sleep", b"3600"),
        )
        dev = out / "sys" / "fs" / "cgroup" / "devices" / "docker" / ident
        dev.mkdir(parents=True)
        (dev / "devices.list").write_text(c["devices"])  # type: ignore[arg-type]
    root = out / "sys" / "fs" / "cgroup" / "devices"
    (root / "devices.list").write_text("a *:* rwm\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = ap.add_mutually_exclusive_group()
    where.add_argument(
        "tree",
        nargs="?",
        type=Path,
        help=f"the tree to write (replaced if it exists); default fixtures/{NAME}",
    )
    where.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"folder to write {NAME}/ into (default: the repository's fixtures/)",
    )
    args = ap.parse_args(argv)
    write(args.tree or (args.out or FIXTURES) / NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
