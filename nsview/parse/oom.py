"""OOM-killer lines of the kernel log into kills (mm/oom_kill.c, mm/memcontrol.c).

One kill, as Linux >= 4.19 logs it (two records, the second names the same pid):
  oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=5744e5...,mems_allowed=0,oom_memcg=/docker/5744e5...,task_memcg=/docker/5744e5...,task=sh,pid=32764,uid=0
  Memory cgroup out of memory: Killed process 32764 (sh) total-vm:2268kB, anon-rss:0kB, file-rss:1380kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0
A global OOM: "constraint=CONSTRAINT_NONE,...,global_oom,task_memcg=..." and "Out of memory: Killed
process ...". Older kernels (4.x) log instead:
  Task in /docker/abc killed as a result of limit of /docker/abc
  Memory cgroup out of memory: Kill process 1234 (x) score 1000 or sacrifice child
  Killed process 1234 (x) total-vm:12kB, anon-rss:8kB, file-rss:4kB, shmem-rss:0kB
Cgroup paths and process names are the kernel's text of names a process chose: a name may hold
"," or ")", so fields are taken between the kernel's own keys, the name up to the *last* key.
"""

from __future__ import annotations

import re
from dataclasses import replace

from nsview.model.oom import CONSTRAINTS, KernelRecord, OomKill

_OOM_KILL = re.compile(
    r"oom-kill:constraint=(?P<constraint>[A-Z_]+)"
    r"(?:,nodemask=(?P<nodemask>.*?))?,cpuset=(?P<cpuset>.*?),mems_allowed=(?P<mems>.*?)"
    r"(?P<global>,global_oom)?(?:,oom_memcg=(?P<oom_memcg>.*?))?(?:,task_memcg=(?P<task_memcg>.*?))?"
    r",task=(?P<task>.*),pid=(?P<pid>[0-9]+),uid=(?P<uid>[0-9]+)$"
)
_KILLED = re.compile(
    r"(?P<why>Memory cgroup out of memory: |Out of memory(?: \(oom_kill_allocating_task\))?: |)"
    r"Killed process (?P<pid>[0-9]+) \((?P<comm>.*)\) total-vm:(?P<vm>[0-9]+)kB, anon-rss:(?P<anon>[0-9]+)kB, "
    r"file-rss:(?P<file>[0-9]+)kB, shmem-rss:(?P<shmem>[0-9]+)kB"
    r"(?:, UID:(?P<uid>[0-9]+))?(?: pgtables:[0-9]+kB)?(?: oom_score_adj:(?P<adj>-?[0-9]+))?"
)
_TASK_IN = re.compile(r"Task in (?P<task>.*) killed as a result of limit of (?P<limit>.*)$")
_KILL_PROCESS = re.compile(r"(?P<why>Memory cgroup out of memory|Out of memory): Kill process [0-9]+ ")


def parse_oom_kills(records: tuple[KernelRecord, ...]) -> tuple[OomKill, ...]:
    """Every kill the records describe, oldest first. A kill whose second line is missing (the
    ring buffer wrapped, or the log was cut) is kept with ``complete=False``."""
    kills: list[OomKill] = []
    pending: dict[int, int] = {}  # pid -> index in kills of its oom-kill line, awaiting "Killed"
    older: dict[str, str] = {}  # 4.x: what "Task in ..." and "Kill process" said of the next kill
    for rec in records:
        text = rec.text
        if "kill" not in text and "Kill" not in text:
            continue  # every line below says kill or Kill: most of a log is skipped by this test
        m = _OOM_KILL.search(text)
        if m:
            pid = int(m.group("pid"))
            kills.append(
                OomKill(
                    pid=pid,
                    comm=m.group("task"),
                    uid=int(m.group("uid")),
                    constraint=CONSTRAINTS.get(m.group("constraint"), m.group("constraint").lower()),
                    oom_memcg=m.group("oom_memcg") or ("/" if m.group("global") else None),
                    task_memcg=m.group("task_memcg"),
                    cpuset=m.group("cpuset"),
                    usec=rec.usec,
                    wall=rec.wall,
                    complete=False,
                )
            )
            pending[pid] = len(kills) - 1
            continue
        m = _KILLED.search(text)
        if m:
            pid = int(m.group("pid"))
            sized = _sizes(m, pending.pop(pid, None), kills)
            if sized is not None:
                kills[sized[0]] = sized[1]
                continue
            why = m.group("why") or older.get("why", "")
            constraint = "cgroup" if why.startswith("Memory cgroup") else "host" if why else None
            bare = OomKill(
                pid=pid,
                comm=m.group("comm"),
                uid=None if m.group("uid") is None else int(m.group("uid")),
                constraint=constraint,
                oom_memcg=older.get("limit") if constraint == "cgroup" else "/" if constraint else None,
                task_memcg=older.get("task"),
                usec=rec.usec,
                wall=rec.wall,
                complete=constraint is not None,
            )
            kills.append(_with_sizes(bare, m))
            older.clear()
            continue
        m = _TASK_IN.search(text)
        if m:
            older.update(task=m.group("task"), limit=m.group("limit"))
            continue
        m = _KILL_PROCESS.search(text)
        if m:
            older["why"] = m.group("why")
    return tuple(kills)


def _sizes(m: re.Match[str], index: int | None, kills: list[OomKill]) -> tuple[int, OomKill] | None:
    """The "Killed process" line completing the oom-kill line at ``index``, if there is one."""
    if index is None:
        return None
    return index, replace(_with_sizes(kills[index], m), comm=m.group("comm"), complete=True)


def _with_sizes(kill: OomKill, m: re.Match[str]) -> OomKill:
    return replace(
        kill,
        total_vm_kb=int(m.group("vm")),
        anon_rss_kb=int(m.group("anon")),
        file_rss_kb=int(m.group("file")),
        shmem_rss_kb=int(m.group("shmem")),
        oom_score_adj=None if m.group("adj") is None else int(m.group("adj")),
    )
