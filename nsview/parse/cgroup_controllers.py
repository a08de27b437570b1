"""cgroup.controllers and cgroup.subtree_control (cgroup-v2.rst "Core Interface Files"): the
controllers a cgroup has, and the ones it hands to its children. Space-separated words:

    cpuset cpu io memory hugetlb pids rdma misc

A controller is usable in a cgroup only when its parent's cgroup.subtree_control lists it
(the top-down constraint, cgroup-v2.rst "Enabling and Disabling").
"""

from __future__ import annotations

import re

from nsview.errors import ParseError

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,31}")


def parse_controller_list(text: str, what: str = "cgroup.controllers") -> tuple[str, ...]:
    words = text.split()
    for w in words:
        if not _NAME.fullmatch(w):
            raise ParseError(what, f"not a controller name: {w[:40]!r}")
    if len(text.splitlines()) > 1:
        raise ParseError(what, "more than one line")
    return tuple(words)
