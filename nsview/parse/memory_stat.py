"""memory.stat of a cgroup: where its memory went (flat keyed, bytes).

v2 (cgroup-v2.rst "Memory Interface Files"), among some 40 lines:

    anon 10915840
    file 3268608
    kernel 1236992        <- Linux >= 5.18; before, the sum of kernel_stack, pagetables, percpu, slab
    sock 0
    shmem 0
    inactive_file 2158592

v1 (cgroup-v1/memory.rst 5.2; the total_* lines are hierarchical, this cgroup and below):

    total_rss 10915840    <- anonymous and swap cache
    total_cache 3268608   <- page cache, shmem included
    total_shmem 0
    total_inactive_file 2158592
    hierarchical_memory_limit 9223372036854771712

v1 has no kernel or sock line (kernel memory is memory.kmem.usage_in_bytes; sockets are
memory.kmem.tcp.usage_in_bytes): those stay None.
"""

from __future__ import annotations

from nsview.errors import ParseError
from nsview.model.cgroup import MemoryStat
from nsview.parse.cgroupfs import parse_keyed  # the flat-keyed format, one reader


def parse_memory_stat(text: str, version: int) -> MemoryStat:
    stat = parse_keyed(text, "memory.stat")
    if any(v < 0 for k, v in stat.items() if k != "hierarchical_memory_limit"):
        raise ParseError("memory.stat", "negative value")
    if version == 1:
        return MemoryStat(
            anon=stat.get("total_rss", stat.get("rss")),
            file=stat.get("total_cache", stat.get("cache")),
            shmem=stat.get("total_shmem", stat.get("shmem")),
            inactive_file=stat.get("total_inactive_file", stat.get("inactive_file")),
            hierarchical_limit=stat.get("hierarchical_memory_limit"),
        )
    kernel = stat.get("kernel")
    if kernel is None and "kernel_stack" in stat:
        # before Linux 5.18: the parts that memory.stat lists (kernel_stack, slab, percpu)
        kernel = sum(stat.get(k, 0) for k in ("kernel_stack", "slab", "percpu", "pagetables"))
    return MemoryStat(
        anon=stat.get("anon"),
        file=stat.get("file"),
        kernel=kernel,
        sock=stat.get("sock"),
        shmem=stat.get("shmem"),
        inactive_file=stat.get("inactive_file"),
    )
