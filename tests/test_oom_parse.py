"""The kernel log and its OOM-killer lines, one case per kernel wording or log shape."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nsview.model.oom import KernelRecord
from nsview.parse.kmsg import parse_kmsg, parse_log
from nsview.parse.oom import parse_oom_kills

CID = "aeb7703fd67c3cbce57f4b46d88763c5bfd0606e55ca73ca143c90801d0ed881"

# Linux 6.18, a Docker container run with -m 16m (cgroup v1 memory), as /dev/kmsg gives it.
KMSG_618 = (
    f"6,430,4596279122,-;Tasks state (memory values in pages):\n"
    f"6,435,4596279330,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset={CID},mems_allowed=0,"
    f"oom_memcg=/docker/{CID},task_memcg=/docker/{CID},task=tail,pid=313,uid=0\n"
    f" SUBSYSTEM=memory\n"
    f"3,436,4596279385,-;Memory cgroup out of memory: Killed process 313 (tail) total-vm:17848kB, "
    f"anon-rss:15616kB, file-rss:608kB, shmem-rss:0kB, UID:0 pgtables:72kB oom_score_adj:0\n"
).encode()


def test_kmsg_records_and_continuations():
    recs = parse_kmsg(KMSG_618)
    assert [r.seq for r in recs] == [430, 435, 436]  # the " SUBSYSTEM=" continuation is not a record
    assert recs[1].usec == 4596279330 and recs[1].text.startswith("oom-kill:")


def test_memcg_kill_joins_its_two_lines():
    (k,) = parse_oom_kills(parse_kmsg(KMSG_618))
    assert (k.pid, k.comm, k.uid, k.constraint) == (313, "tail", 0, "cgroup")
    assert k.oom_memcg == k.task_memcg == f"/docker/{CID}" and k.whose_limit == "own"
    assert (k.anon_rss_kb, k.file_rss_kb, k.shmem_rss_kb, k.rss_kb, k.total_vm_kb) == (
        15616,
        608,
        0,
        16224,
        17848,
    )
    assert k.oom_score_adj == 0 and k.complete and k.usec == 4596279330


def rec(text: str) -> KernelRecord:
    return KernelRecord(text=text, usec=1_000_000)


@pytest.mark.parametrize(
    "lines, expect",
    [
        pytest.param(
            [
                "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
                "oom_memcg=/kubepods/burstable/pod1,task_memcg=/kubepods/burstable/pod1/c1,task=java,pid=9,uid=1000",
                "Memory cgroup out of memory: Killed process 9 (java) total-vm:9kB, anon-rss:8kB, file-rss:1kB, "
                "shmem-rss:0kB, UID:1000 pgtables:4kB oom_score_adj:-997",
            ],
            dict(
                pid=9,
                whose="ancestor",
                oom="/kubepods/burstable/pod1",
                task="/kubepods/burstable/pod1/c1",
                adj=-997,
            ),
            id="pod-limit-hit-by-a-container-the-ancestor-case",
        ),
        pytest.param(
            [
                "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,"
                "task_memcg=/user.slice/user-1000.slice/session-2.scope,task=stress,pid=4242,uid=1000",
                "Out of memory: Killed process 4242 (stress) total-vm:8405704kB, anon-rss:7912340kB, "
                "file-rss:4kB, shmem-rss:0kB, UID:1000 pgtables:15532kB oom_score_adj:0",
            ],
            dict(pid=4242, whose="host", oom="/", task="/user.slice/user-1000.slice/session-2.scope", adj=0),
            id="global-oom",
        ),
        pytest.param(
            [
                "oom-kill:constraint=CONSTRAINT_CPUSET,nodemask=(null),cpuset=pinned,mems_allowed=1,global_oom,"
                "task_memcg=/pinned,task=hog,pid=77,uid=0",
                "Out of memory: Killed process 77 (hog) total-vm:10kB, anon-rss:9kB, file-rss:0kB, shmem-rss:0kB, "
                "UID:0 pgtables:4kB oom_score_adj:0",
            ],
            dict(pid=77, whose="cpuset", oom="/", task="/pinned", adj=0),
            id="cpuset-constraint",
        ),
        pytest.param(
            [
                "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,task=x,pid=5,uid=0",
                "Out of memory: Killed process 5 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, "
                "UID:0 pgtables:4kB oom_score_adj:0",
            ],
            dict(pid=5, whose="host", oom=None, task=None, adj=0),
            id="kernel-without-memcg-prints-no-cgroups",
        ),
        pytest.param(
            [
                "Task in /docker/abc killed as a result of limit of /docker",
                "Memory cgroup out of memory: Kill process 1234 (nginx) score 1000 or sacrifice child",
                "Killed process 1234 (nginx) total-vm:12kB, anon-rss:8kB, file-rss:4kB, shmem-rss:0kB",
            ],
            dict(pid=1234, whose="ancestor", oom="/docker", task="/docker/abc", adj=None),
            id="linux-4.14-wording",
        ),
        pytest.param(
            [
                "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=a,mems_allowed=0,"
                "oom_memcg=/a,b,task_memcg=/a,b/c,d,task=x) total-vm:1,pid=6,uid=0",
                "Memory cgroup out of memory: Killed process 6 (x) total-vm:1) total-vm:3kB, anon-rss:2kB, "
                "file-rss:1kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0",
            ],
            dict(pid=6, whose="ancestor", oom="/a,b", task="/a,b/c,d", adj=0),
            id="commas-in-cgroup-names-and-a-comm-that-mimics-the-kernel",
        ),
    ],
)
def test_kill_wordings(lines, expect):
    (k,) = parse_oom_kills(tuple(rec(line) for line in lines))
    assert k.pid == expect["pid"] and k.whose_limit == expect["whose"]
    assert k.oom_memcg == expect["oom"] and k.task_memcg == expect["task"]
    assert k.oom_score_adj == expect["adj"] and k.complete


def test_a_kill_cut_off_by_the_ring_buffer_is_kept_as_partial():
    lines = [
        "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
        "oom_memcg=/x,task_memcg=/x,task=sh,pid=3,uid=0",
    ]
    (k,) = parse_oom_kills(tuple(rec(line) for line in lines))
    assert not k.complete and k.rss_kb is None and k.whose_limit == "own"
    # and the second line alone (its first scrolled out): the wording still says memcg
    (k2,) = parse_oom_kills(
        (
            rec(
                "Memory cgroup out of memory: Killed process 3 (sh) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB"
            ),
        )
    )
    assert k2.constraint == "cgroup" and k2.whose_limit == "unknown"


def test_hostile_names_are_kept_as_the_kernel_escaped_them():
    (k,) = parse_oom_kills(
        (
            rec(
                "Memory cgroup out of memory: Killed process 8 ([red]x\\x1b]0;pwn\\x07) total-vm:1kB, anon-rss:1kB, "
                "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0"
            ),
        )
    )
    assert k.comm == "[red]x\\x1b]0;pwn\\x07"


@pytest.mark.parametrize(
    "line, text, usec, has_wall",
    [
        ("[ 4596.279330] Out of memory: x", "Out of memory: x", 4596279330, False),
        ("<3>[ 4596.279330] Out of memory: x", "Out of memory: x", 4596279330, False),
        ("[Wed Dec  2 06:33:58 2026] Out of memory: x", "Out of memory: x", None, True),
        ("2026-12-02T06:33:58+0000 host kernel: Out of memory: x", "Out of memory: x", None, True),
        ("2026-12-02T06:33:58.123456+00:00 host kernel: Out of memory: x", "Out of memory: x", None, True),
        ("Dec 02 06:33:58 host kernel: Out of memory: x", "Out of memory: x", None, True),
        ("Out of memory: x", "Out of memory: x", None, False),
    ],
    ids=[
        "dmesg",
        "dmesg-r",
        "dmesg-T",
        "journalctl-short-iso",
        "journalctl-iso-colon",
        "journalctl-short",
        "bare",
    ],
)
def test_saved_log_shapes(line, text, usec, has_wall):
    (r,) = parse_log(line + "\n")
    assert r.text == text and r.usec == usec and (r.wall is not None) == has_wall


def test_dmesg_T_dates_are_local_time():
    (r,) = parse_log("[Wed Dec  2 06:33:58 2026] x")
    assert time.localtime(r.wall)[:6] == (2026, 12, 2, 6, 33, 58)


def test_a_saved_kmsg_file_reads_as_kmsg():
    assert [r.seq for r in parse_log(KMSG_618.decode())] == [430, 435, 436]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet="oom-kill:constraint=CONSTRAINT_MEMCG,pid=1Killed process (x) total-vm:kB, 0123456789 \\/",
            max_size=200,
        ),
        max_size=6,
    )
)
def test_fuzz_never_raises(lines):
    kills = parse_oom_kills(tuple(rec(line) for line in lines))
    assert all(k.pid >= 0 for k in kills)
    parse_log("\n".join(lines))
