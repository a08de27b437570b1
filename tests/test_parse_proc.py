"""Table-driven parser tests: one case per kernel quirk, named after the quirk.

The parsers are pure (bytes in, records out), so every case is the exact text the kernel (or a
hostile process shaping it) can produce, and the expected record is written out by hand.
"""

from __future__ import annotations

import pytest

from nsview.errors import ParseError
from nsview.model.process import NamespaceRef
from nsview.parse.cmdline import parse_cmdline
from nsview.parse.mountinfo import parse_mountinfo, parse_mountinfo_line
from nsview.parse.ns_link import parse_ns_link
from nsview.parse.proc_cgroup import parse_proc_cgroup
from nsview.parse.stat import parse_stat
from nsview.parse.status import parse_status


# ---- /proc/PID/stat -----------------------------------------------------------------------
def stat_line(
    pid: int,
    comm: bytes,
    state: bytes = b"S",
    ppid: int = 1,
    flags: int = 4194560,
    threads: int = 1,
    starttime: int = 123456,
) -> bytes:
    """A full 52-field stat line as Linux 6.x writes it, comm as raw bytes (no escaping)."""
    fields = [state, b"%d" % ppid, b"%d" % pid, b"%d" % pid, b"0", b"-1", b"%d" % flags]
    fields += [b"0"] * 10  # minflt .. priority/nice region (fields 10-19)
    fields += [b"%d" % threads, b"0", b"%d" % starttime]  # (20) (21) (22)
    fields += [b"0"] * 30  # vsize .. exit_code (23-52)
    return b"%d (%s) " % (pid, comm) + b" ".join(fields) + b"\n"


STAT_CASES = {
    "plain": (stat_line(3074, b"traefik", ppid=3050), "traefik", 3050),
    "comm_with_paren_state_ppid_forgery": (stat_line(40, b"a) S 1 (b", ppid=7), "a) S 1 (b", 7),
    "comm_ending_in_paren": (stat_line(41, b"x)", ppid=7), "x)", 7),
    "comm_with_spaces": (stat_line(42, b"my prog  x", ppid=7), "my prog  x", 7),
    "comm_with_newline": (stat_line(43, b"a\nb", ppid=7), "a\nb", 7),
    "comm_invalid_utf8": (stat_line(44, b"\xff\xfeab", ppid=7), "\\xff\\xfeab", 7),
    "comm_15_bytes_exactly": (stat_line(45, b"abcdefghijklmno", ppid=7), "abcdefghijklmno", 7),
    # TASK_COMM_LEN truncation can cut a UTF-8 sequence in half: 7 x "é" + first byte of another
    "comm_15_bytes_cut_utf8": (stat_line(46, "ééééééé".encode() + b"\xc3", ppid=7), "ééééééé\\xc3", 7),
    "comm_empty": (stat_line(47, b"", ppid=7), "", 7),
    "comm_with_escape_bytes": (stat_line(48, b"\x1b[2J[red]x", ppid=7), "\x1b[2J[red]x", 7),
    "pid_above_default_pid_max": (stat_line(4194303, b"big", ppid=4194302), "big", 4194302),
}


@pytest.mark.parametrize("data, comm, ppid", STAT_CASES.values(), ids=STAT_CASES.keys())
def test_parse_stat_quirks(data, comm, ppid):
    st = parse_stat(data)
    assert st.comm == comm
    assert st.ppid == ppid
    assert st.pid == int(data.split(b" ", 1)[0])
    assert st.state == "S"
    assert st.starttime == 123456
    assert st.kernel_thread is False


def test_parse_stat_kernel_thread_by_pf_kthread_flag():
    # kthreadd: flags 0x208040 has PF_KTHREAD (0x00200000); an empty cmdline is not the proof
    st = parse_stat(stat_line(2, b"kthreadd", ppid=0, flags=0x208040))
    assert st.kernel_thread is True and st.ppid == 0


def test_parse_stat_zombie_state():
    st = parse_stat(stat_line(50, b"sh", state=b"Z"))
    assert st.zombie is True and st.state == "Z"


def test_parse_stat_huge_starttime_and_threads():
    st = parse_stat(stat_line(51, b"java", threads=4096, starttime=2**40))
    assert st.num_threads == 4096 and st.starttime == 2**40


STAT_BAD = {
    "no_parens": b"3074 traefik S 1 2 3\n",
    "truncated_after_comm": b"3074 (traefik) S 1\n",
    "pid_not_a_number": stat_line(1, b"x").replace(b"1 (x)", b"one (x)", 1),
    "empty": b"",
    "ppid_not_a_number": b"5 (x) S abc " + b"0 " * 50,
}


@pytest.mark.parametrize("data", STAT_BAD.values(), ids=STAT_BAD.keys())
def test_parse_stat_rejects(data):
    with pytest.raises(ParseError):
        parse_stat(data)


# ---- /proc/PID/status ---------------------------------------------------------------------
def status_text(
    name: str = "sleep", tgid: int = 9391, pid: int = 9391, ppid: int = 9370, nspid: str | None = "9391\t1"
) -> bytes:
    lines = [
        f"Name:\t{name}",
        "Umask:\t0022",
        "State:\tS (sleeping)",
        f"Tgid:\t{tgid}",
        "Ngid:\t0",
        f"Pid:\t{pid}",
        f"PPid:\t{ppid}",
        "TracerPid:\t0",
        "Uid:\t0\t0\t0\t0",
        "Gid:\t0\t0\t0\t0",
    ]
    if nspid is not None:
        lines += [f"NStgid:\t{nspid}", f"NSpid:\t{nspid}", f"NSpgid:\t{nspid}", f"NSsid:\t{nspid}"]
    lines += ["VmPeak:\t    4332 kB", "Threads:\t1", "voluntary_ctxt_switches:\t3"]
    return ("\n".join(lines) + "\n").encode()


STATUS_CASES = {
    "host_pid_namespace": (status_text(nspid="812"), (812,)),
    "one_nested_pid_namespace": (status_text(nspid="9391\t1"), (9391, 1)),
    "two_nested_pid_namespaces": (status_text(nspid="9391\t44\t1"), (9391, 44, 1)),
    "nspid_missing_before_linux_4_1": (status_text(nspid=None), (9391,)),
    "pid_above_default_pid_max": (status_text(pid=4194303, tgid=4194303, nspid="4194303\t1"), (4194303, 1)),
}


@pytest.mark.parametrize("data, nspid", STATUS_CASES.values(), ids=STATUS_CASES.keys())
def test_parse_status_nspid(data, nspid):
    st = parse_status(data)
    assert st.nspid == nspid
    assert st.pid == st.tgid
    assert st.uids == (0, 0, 0, 0)


def test_parse_status_thread_has_tgid_of_its_leader():
    st = parse_status(status_text(tgid=100, pid=105, nspid="105"))
    assert (st.tgid, st.pid) == (100, 105)


def test_parse_status_name_is_kernel_escaped():
    # status escapes "\n" in the name as the two characters backslash-n: one line per key
    st = parse_status(status_text(name="a\\nb"))
    assert st.name == "a\\nb"


STATUS_BAD = {
    "no_pid_line": b"Name:\tx\nTgid:\t1\n",
    "pid_not_a_number": status_text().replace(b"Pid:\t9391", b"Pid:\tx"),
    "nspid_not_numbers": status_text(nspid="9391\tone"),
    "empty": b"",
}


@pytest.mark.parametrize("data", STATUS_BAD.values(), ids=STATUS_BAD.keys())
def test_parse_status_rejects(data):
    with pytest.raises(ParseError):
        parse_status(data)


# ---- /proc/PID/cmdline --------------------------------------------------------------------
CMDLINE_CASES = {
    "nul_separated_trailing_nul": (b"sleep\x00600\x00", ("sleep", "600")),
    "argument_with_spaces_kept_whole": (b"sh\x00-c\x00sleep 1; echo\x00", ("sh", "-c", "sleep 1; echo")),
    "empty_argument_in_the_middle": (b"a\x00\x00b\x00", ("a", "", "b")),
    "nul_separated_no_trailing_nul": (b"a\x00b", ("a", "b")),
    "padded_with_trailing_nuls": (b"a\x00b\x00\x00\x00\x00", ("a", "b")),
    "space_separated_rewrite": (
        b"nginx: master process /usr/sbin/nginx",
        ("nginx:", "master", "process", "/usr/sbin/nginx"),
    ),
    # setproctitle that keeps the final NUL (psutil issue 1179): one NUL-terminated string
    "space_separated_rewrite_with_trailing_nul": (
        b"postgres: checkpointer  \x00",
        ("postgres:", "checkpointer"),
    ),
    "space_separated_rewrite_padded": (
        b"nginx: worker process\x00\x00\x00\x00",
        ("nginx:", "worker", "process"),
    ),
    "empty_kernel_thread_or_zombie": (b"", ()),
    "invalid_utf8": (b"\xff\x00a\x00", ("\\xff", "a")),
    "escape_and_markup_kept_raw": (b"x\x00[/bold]\x00\x1b]0;t\x07\x00", ("x", "[/bold]", "\x1b]0;t\x07")),
}


@pytest.mark.parametrize("data, args", CMDLINE_CASES.values(), ids=CMDLINE_CASES.keys())
def test_parse_cmdline_quirks(data, args):
    assert parse_cmdline(data) == args


# ---- /proc/PID/ns/* -----------------------------------------------------------------------
NS_GOOD = {
    "net": ("net:[4026531833]", NamespaceRef("net", 4026531833)),
    "pid_for_children_reads_as_pid": ("pid:[4026532472]", NamespaceRef("pid", 4026532472)),
    "inode_above_2_to_32": ("mnt:[4294967297]", NamespaceRef("mnt", 4294967297)),
    "time": ("time:[4026531834]", NamespaceRef("time", 4026531834)),
}


@pytest.mark.parametrize("text, ref", NS_GOOD.values(), ids=NS_GOOD.keys())
def test_parse_ns_link_good(text, ref):
    got = parse_ns_link(text)
    assert got == ref
    assert str(got) == text  # identity is the kernel's own text, round-trip exact


NS_BAD = {
    "no_brackets": "net:4026531833",
    "not_a_number": "net:[abc]",
    "empty": "",
    "a_path_not_a_ns_link": "/proc/1/ns/net",
    "trailing_newline": "net:[4026531833]\n",
    "uppercase_type": "NET:[1]",
    "non_ascii_digits": "net:[\u0663\u0663]",
    "trailing_garbage": "net:[1]x",
}


@pytest.mark.parametrize("text", NS_BAD.values(), ids=NS_BAD.keys())
def test_parse_ns_link_bad(text):
    with pytest.raises(ParseError):
        parse_ns_link(text)


# ---- /proc/PID/mountinfo ------------------------------------------------------------------
MOUNT_CASES = {
    "optional_fields_shared_and_master": (
        b"36 35 98:0 /mnt1 /mnt2 rw,noatime shared:1 master:2 - ext3 /dev/root rw,errors=continue",
        dict(
            mount_id=36,
            parent_id=35,
            major=98,
            minor=0,
            root="/mnt1",
            target="/mnt2",
            optional=("shared:1", "master:2"),
            fstype="ext3",
            source="/dev/root",
            options=("rw", "noatime"),
            super_options=("rw", "errors=continue"),
        ),
    ),
    "no_optional_fields": (
        b"22 27 0:21 / /proc rw,relatime - proc proc rw",
        dict(optional=(), fstype="proc", source="proc", target="/proc"),
    ),
    "unbindable_and_propagate_from": (
        b"40 1 0:5 / /x rw unbindable propagate_from:3 - tmpfs tmpfs rw",
        dict(optional=("unbindable", "propagate_from:3"), target="/x"),
    ),
    "empty_source_double_space": (
        b"50 27 0:60 / /mnt/x rw,relatime - tmpfs  rw,size=4k",
        dict(source="", fstype="tmpfs", super_options=("rw", "size=4k")),
    ),
    "octal_space_tab_newline_backslash": (
        b"51 27 0:61 / /mnt/a\\040b\\011c\\012d\\134e rw - tmpfs tmpfs rw",
        dict(target="/mnt/a b\tc\nd\\e"),
    ),
    "dir_named_backslash_040x_stays_literal": (
        b"52 27 0:62 / /mnt/\\134040x rw - tmpfs tmpfs rw",
        dict(target="/mnt/\\040x"),
    ),
    "comma_inside_super_option_value": (
        b"53 27 0:63 / /m rw - overlay overlay rw,lowerdir=/a\\054b:/c,upperdir=/u",
        dict(super_options=("rw", "lowerdir=/a,b:/c", "upperdir=/u")),
    ),
    "no_super_options": (
        b"54 27 0:64 / /n rw - tmpfs tmpfs",
        dict(super_options=(), source="tmpfs"),
    ),
    "invalid_utf8_path": (
        b"55 27 0:65 / /mnt/\xff rw - tmpfs tmpfs rw",
        dict(target="/mnt/\\xff"),
    ),
}


@pytest.mark.parametrize("line, expect", MOUNT_CASES.values(), ids=MOUNT_CASES.keys())
def test_parse_mountinfo_quirks(line, expect):
    m = parse_mountinfo_line(line)
    for key, value in expect.items():
        assert getattr(m, key) == value, key


def test_parse_mountinfo_many_lines_and_blank_tail():
    data = b"22 27 0:21 / /proc rw - proc proc rw\n23 27 0:22 / /sys rw - sysfs sysfs rw\n\n"
    assert [m.target for m in parse_mountinfo(data)] == ["/proc", "/sys"]


MOUNT_BAD = {
    "no_separator": b"22 27 0:21 / /proc rw proc proc rw",
    "too_few_fields": b"22 27 0:21 / - proc proc rw",
    "major_minor_not_numbers": b"22 27 x:y / /proc rw - proc proc rw",
    "tail_without_source": b"22 27 0:21 / /proc rw - proc",
}


@pytest.mark.parametrize("line", MOUNT_BAD.values(), ids=MOUNT_BAD.keys())
def test_parse_mountinfo_rejects(line):
    with pytest.raises(ParseError):
        parse_mountinfo_line(line)


# ---- /proc/PID/cgroup ---------------------------------------------------------------------
CGROUP_CASES = {
    "v1_controller": (b"12:pids:/docker/0ac9\n", (12, ("pids",), "/docker/0ac9", False)),
    "v1_comanaged_controllers": (
        b"4:cpu,cpuacct:/docker/0ac9\n",
        (4, ("cpu", "cpuacct"), "/docker/0ac9", False),
    ),
    "v1_named_hierarchy": (b"1:name=systemd:/\n", (1, ("name=systemd",), "/", False)),
    "v2_unified_line": (b"0::/docker/0ac9\n", (0, (), "/docker/0ac9", True)),
    "path_with_colons": (b"4:memory:/a:b::c\n", (4, ("memory",), "/a:b::c", False)),
    "outside_reader_cgroupns": (b"0::/../..\n", (0, (), "/../..", True)),
    "path_with_escape_bytes": (b"0::/x\x1b[2J\n", (0, (), "/x\x1b[2J", True)),
}


@pytest.mark.parametrize("data, expect", CGROUP_CASES.values(), ids=CGROUP_CASES.keys())
def test_parse_proc_cgroup_quirks(data, expect):
    (m,) = parse_proc_cgroup(data)
    assert (m.hierarchy_id, m.controllers, m.path, m.unified) == expect


def test_parse_proc_cgroup_hybrid_host_order_kept():
    data = b"9:name=systemd:/\n8:pids:/\n0::/\n"
    assert [m.hierarchy_id for m in parse_proc_cgroup(data)] == [9, 8, 0]


CGROUP_BAD = {
    "malformed_no_colons": b"garbage\n",
    "one_colon_only": b"0:/docker\n",
    "hierarchy_id_not_a_number": b"x:cpu:/\n",
}


@pytest.mark.parametrize("data", CGROUP_BAD.values(), ids=CGROUP_BAD.keys())
def test_parse_proc_cgroup_rejects(data):
    with pytest.raises(ParseError):
        parse_proc_cgroup(data)
