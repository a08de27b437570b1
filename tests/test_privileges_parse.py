"""Parsers of the Privileges items, table by table (one case per kernel or engine shape), and the
pure assessment of model/privileges.py. Masks are checked against `capsh --decode` where it is
installed (the second source), else against the capability numbers of capabilities(7)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from nsview.errors import ParseError
from nsview.model.diff import IdMapRange, Reading, UserMaps
from nsview.model.mount import Mount
from nsview.model.mount_tree import build_tree
from nsview.model.privileges import (
    DOCKER_DEFAULT_CAPS,
    PODMAN_DEFAULT_CAPS,
    LsmLabel,
    Privileges,
    assess,
    mount_risks,
    user_mapping,
)
from nsview.parse.devices_list import parse_devices_list
from nsview.parse.lsm import parse_attr_current
from nsview.parse.status import CAP_NAMES, decode_mask, parse_security_status

DOCKER_STATUS = (
    b"Name:\tsleep\nPid:\t7\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n"
    b"CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\n"
    b"NoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\n"
)


@pytest.mark.parametrize(
    "mask",
    ["00000000a80425fb", "00000000800405fb", "000001ffffffffff", "0000003fffffffff", "0000000000000000"],
)
def test_decode_mask_agrees_with_capsh(mask):
    names = decode_mask(mask)
    if shutil.which("capsh"):
        out = subprocess.run(["capsh", f"--decode={mask}"], capture_output=True, text=True, check=True).stdout
        want = [n.removeprefix("cap_").upper() for n in out.strip().split("=", 1)[1].split(",") if n]
        assert list(names) == want
    assert len(names) == bin(int(mask, 16)).count("1")


def test_docker_default_mask_is_the_documented_list():
    assert decode_mask("00000000a80425fb") == DOCKER_DEFAULT_CAPS
    assert decode_mask("00000000800405fb") == PODMAN_DEFAULT_CAPS
    assert len(CAP_NAMES) == 41 and CAP_NAMES[21] == "SYS_ADMIN" and CAP_NAMES[40] == "CHECKPOINT_RESTORE"


def test_decode_mask_bit_newer_than_the_table():
    assert decode_mask("0000020000000000") == ("CAP_41",)  # kept, named by its number


@pytest.mark.parametrize("bad", ["", "xyz", "1" * 17, "-1", "0x10"])
def test_decode_mask_rejects(bad):
    with pytest.raises(ParseError):
        decode_mask(bad)


def test_parse_security_status_docker_default():
    s = parse_security_status(DOCKER_STATUS)
    assert s.caps is not None and s.caps.bounding == DOCKER_DEFAULT_CAPS and s.caps.ambient == ()
    assert (s.seccomp, s.seccomp_filters, s.no_new_privs) == (2, 1, False)
    assert s.caps.masks["CapBnd"] == "00000000a80425fb"


@pytest.mark.parametrize(
    "drop, field, value",
    [
        (b"Seccomp_filters", "seccomp_filters", None),  # Linux < 5.9
        (b"NoNewPrivs", "no_new_privs", None),  # Linux < 4.10
        (b"Seccomp:", "seccomp", None),  # CONFIG_SECCOMP off (both seccomp lines go)
    ],
)
def test_parse_security_status_older_kernels(drop, field, value):
    data = b"\n".join(line for line in DOCKER_STATUS.split(b"\n") if not line.startswith(drop))
    assert getattr(parse_security_status(data), field) is value


def test_parse_security_status_without_cap_amb():  # Linux < 4.3
    data = b"\n".join(line for line in DOCKER_STATUS.split(b"\n") if not line.startswith(b"CapAmb"))
    s = parse_security_status(data)
    assert s.caps is not None and s.caps.ambient == () and "CapAmb" not in s.caps.masks


@pytest.mark.parametrize("line", [b"Seccomp:\tx", b"CapEff:\tzz", b"NoNewPrivs:\t-1"])
def test_parse_security_status_rejects(line):
    with pytest.raises(ParseError):
        parse_security_status(DOCKER_STATUS + line + b"\n")


@pytest.mark.parametrize(
    "data, lsm, label, mode, unconfined",
    [
        (b"docker-default (enforce)\n", "apparmor", "docker-default", "enforce", False),
        (b"unconfined\n", "apparmor", "unconfined", "unconfined", True),
        (
            b"cri-containerd.apparmor.d (complain)\n",
            "apparmor",
            "cri-containerd.apparmor.d",
            "complain",
            False,
        ),
        (b"my (odd) profile (enforce)\n", "apparmor", "my (odd) profile", "enforce", False),
        (
            b"system_u:system_r:container_t:s0:c123,c456\x00",
            "selinux",
            "system_u:system_r:container_t:s0:c123,c456",
            None,
            False,
        ),
        (b"system_u:system_r:spc_t:s0\x00", "selinux", "system_u:system_r:spc_t:s0", None, True),
        (
            b"unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023\x00",
            "selinux",
            "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023",
            None,
            True,
        ),
        (b"_\x00", "smack", "_", None, True),
    ],
    ids=[
        "aa-enforce",
        "aa-unconfined",
        "aa-complain",
        "aa-parens",
        "selinux",
        "selinux-spc",
        "selinux-unconfined",
        "smack",
    ],
)
def test_parse_attr_current(data, lsm, label, mode, unconfined):
    got = parse_attr_current(data)
    assert (got.lsm, got.label, got.mode, got.unconfined) == (lsm, label, mode, unconfined)


def test_parse_attr_apparmor_subdir_is_apparmor():
    assert parse_attr_current(b"docker-default (enforce)\n", "attr/apparmor/current").lsm == "apparmor"


def test_no_lsm_words():
    assert LsmLabel(None, None).words() == "no LSM loaded on this host" and LsmLabel(None, None).unconfined


def test_parse_attr_current_two_lines_rejected():
    with pytest.raises(ParseError):
        parse_attr_current(b"a\nb\n")


@pytest.mark.parametrize(
    "text, every",
    [
        ("a *:* rwm\n", True),
        ("c 1:3 rwm\nc 136:* rwm\nb *:* m\n", False),
        ("a *:* m\n", False),  # mknod of anything, but no read or write
        ("", False),
    ],
)
def test_parse_devices_list(text, every):
    rules = parse_devices_list(text)
    assert any(r.every_device for r in rules) is every
    assert [str(r) for r in rules] == text.splitlines()


@pytest.mark.parametrize("bad", ["x 1:3 rwm", "c 1 rwm", "c 1:3 rwx", "c a:3 r", "c 1:3"])
def test_parse_devices_list_rejects(bad):
    with pytest.raises(ParseError):
        parse_devices_list(bad + "\n")


@pytest.mark.parametrize(
    "ranges, own, words, root",
    [
        ([(0, 0, 4294967295)], False, "no user namespace: root in the container is root on the host", 0),
        (
            [(0, 0, 4294967295)],
            True,
            "user namespace maps uid 0 to 0: root in the container is root on the host",
            0,
        ),
        ([(0, 100000, 65536)], True, "root inside is uid 100000 outside", 100000),
        ([(0, 1000, 1)], True, "root inside is uid 1000 outside", 1000),  # unshare --map-root-user
        ([(1, 100000, 65536)], True, "user namespace without uid 0: nobody is root inside", None),
    ],
)
def test_user_mapping_words(ranges, own, words, root):
    m = user_mapping(UserMaps(tuple(IdMapRange(*r) for r in ranges), ()), own)
    assert m.words() == words and m.root_outside == root


def _priv(status: bytes, engine: str | None = "docker", shared: tuple[str, ...] = ()) -> Privileges:
    p = Privileges(
        pid=7,
        engine=engine,
        status=Reading(parse_security_status(status)),
        lsm=Reading(LsmLabel(None, None)),
        user=Reading(user_mapping(UserMaps((IdMapRange(0, 0, 4294967295),), ()), False)),
        devices=Reading(error="not read"),
        shared_namespaces=Reading(shared),
        mounts=Reading(()),
    )
    return assess(p, host_bounding=CAP_NAMES, every_cap=CAP_NAMES)


def _with(mask: str, seccomp: int = 2) -> bytes:
    return DOCKER_STATUS.replace(b"a80425fb", mask.encode()).replace(
        b"Seccomp:\t2", b"Seccomp:\t%d" % seccomp
    )


@pytest.mark.parametrize(
    "status, engine, shared, summary",
    [
        (DOCKER_STATUS, "docker", (), "default, partial"),
        (DOCKER_STATUS, "podman", (), "+NET_RAW +MKNOD +AUDIT_WRITE, partial"),
        (_with("a82405fb"), "docker", (), "+SYS_ADMIN -NET_RAW, partial"),
        (_with("800405fb"), "docker", (), "-NET_RAW -MKNOD -AUDIT_WRITE, partial"),
        (
            _with("a80425fb", 0),
            "docker",
            ("pid", "net", "time"),
            "default, unconfined, host pid,net, partial",
        ),
        (
            DOCKER_STATUS.replace(b"00000000a80425fb", b"000001ffffffffff").replace(
                b"Seccomp:\t2", b"Seccomp:\t0"
            ),
            "docker",
            (),
            "privileged, partial",
        ),
        (DOCKER_STATUS.replace(b"00000000a80425fb", b"000001ffffffffff"), "docker", (), "all caps, partial"),
    ],
    ids=[
        "docker-default",
        "docker-set-as-podman",
        "add-drop",
        "podman-set-as-docker",
        "unconfined-hostns",
        "privileged",
        "all-caps-seccomp",
    ],
)
def test_assess_summary(status, engine, shared, summary):
    assert _priv(status, engine, shared).summary == summary  # "partial": devices were not read


def test_assess_privileged_missing_newest_caps_is_named():
    """Docker 20.10's ALL ends at AUDIT_READ (37): every capability but the three newest."""
    p = _priv(
        DOCKER_STATUS.replace(b"00000000a80425fb", b"0000003fffffffff").replace(
            b"Seccomp:\t2", b"Seccomp:\t0"
        )
    )
    assert p.privileged is True and p.cap_missing == ("PERFMON", "BPF", "CHECKPOINT_RESTORE")
    [f] = [f for f in p.findings if f.item == "capabilities"]
    assert f.severity == "high" and "but PERFMON BPF CHECKPOINT_RESTORE" in f.reason


def _mount(mid: int, parent: int, dev: str, root: str, target: str, fstype: str, opts: str = "rw") -> Mount:
    major, minor = (int(x) for x in dev.split(":"))
    return Mount(mid, parent, major, minor, root, target, tuple(opts.split(",")), (), fstype, fstype, ())


@pytest.mark.parametrize(
    "mount, kind",
    [
        (_mount(2, 1, "0:24", "/docker.sock", "/var/run/docker.sock", "tmpfs"), "engine socket"),
        (_mount(2, 1, "0:24", "/containerd/containerd.sock", "/run/ctr.sock", "tmpfs"), "engine socket"),
        (_mount(2, 1, "254:1", "/", "/host", "ext4", "ro"), "host root"),
        (_mount(2, 1, "0:20", "/", "/hostproc", "proc"), "host /proc"),
        (_mount(2, 1, "0:5", "/", "/hostdev", "devtmpfs"), "host /dev"),
        (_mount(2, 1, "0:21", "/", "/sys", "sysfs"), "/sys writable"),
        (_mount(2, 1, "0:24", "/", "/hostrun", "tmpfs"), "host /run"),
        (_mount(2, 1, "254:1", "/srv/data", "/data", "ext4"), "host path rw"),
        (_mount(2, 1, "254:1", "/srv/data", "/data", "ext4", "ro"), None),
        (_mount(2, 1, "254:1", "/var/lib/docker/containers/x/hostname", "/etc/hostname", "ext4"), None),
        (_mount(2, 1, "0:99", "/", "/proc", "proc"), None),  # its own proc
        (_mount(2, 1, "0:21", "/", "/sys", "sysfs", "ro"), None),
    ],
    ids=lambda v: v if isinstance(v, str) or v is None else v.target,
)
def test_mount_risks(mount, kind):
    host = build_tree(
        (
            _mount(21, 1, "254:1", "/", "/", "ext4"),
            _mount(22, 21, "0:20", "/", "/proc", "proc"),
            _mount(23, 21, "0:5", "/", "/dev", "devtmpfs"),
            _mount(24, 21, "0:21", "/", "/sys", "sysfs"),
            _mount(27, 21, "0:24", "/", "/run", "tmpfs"),
        )
    )
    from nsview.collect.mounts import with_sources
    from nsview.procfs import KernelFS

    root = _mount(1, 0, "0:60", "/", "/", "overlay")
    tree = with_sources(build_tree((root, mount)), host, KernelFS("/nonexistent"), ())
    risks = mount_risks(tree)
    assert [r.kind for r in risks] == ([kind] if kind else [])
