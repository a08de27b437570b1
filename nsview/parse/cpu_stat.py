"""cpu.stat of a cgroup: CFS bandwidth throttling (flat keyed).

v2 (cgroup-v2.rst "CPU Interface Files"; the last three when cpu is enabled in the cgroup):

    usage_usec 2203457
    user_usec 1541010
    system_usec 662447
    nr_periods 32
    nr_throttled 12
    throttled_usec 1204231

v1 (scheduler/sched-bwc.rst; the cpu controller's own cpu.stat, nanoseconds):

    nr_periods 32
    nr_throttled 12
    throttled_time 1204231000
"""

from __future__ import annotations

from nsview.errors import ParseError
from nsview.model.cgroup import CpuStat
from nsview.parse.cgroupfs import parse_keyed  # the flat-keyed format, one reader


def parse_cpu_stat(text: str, version: int) -> CpuStat:
    stat = parse_keyed(text, "cpu.stat")
    if any(v < 0 for v in stat.values()):
        raise ParseError("cpu.stat", "negative counter")
    throttled = stat.get("throttled_usec")
    if version == 1 and "throttled_time" in stat:
        throttled = stat["throttled_time"] // 1000
    periods, nr_throttled = stat.get("nr_periods"), stat.get("nr_throttled")
    if periods is not None and nr_throttled is not None and nr_throttled > periods:
        raise ParseError("cpu.stat", f"nr_throttled {nr_throttled} above nr_periods {periods}")
    return CpuStat(
        nr_periods=periods,
        nr_throttled=nr_throttled,
        throttled_usec=throttled,
        usage_usec=stat.get("usage_usec"),
    )
