"""overlayfs mount options (Documentation/filesystems/overlayfs.rst): lowerdir, upperdir, workdir.

In lowerdir a mounter writes ":" inside a path as "\\:" (and "," as "\\,", "\\" as "\\\\"); the
kernel shows the option as given, and mountinfo's octal escapes are already undone by the
mountinfo parser. A lone "::" starts data-only layers.
"""

from __future__ import annotations

import re


def split_lowerdir(value: str) -> list[tuple[str, bool]]:
    """``a\\:b:c::d`` -> [("a:b", False), ("c", False), ("d", True)]: split on unescaped ":",
    drop the backslash escapes; layers after a "::" are data-only."""
    layers: list[tuple[str, bool]] = []
    current: list[str] = []
    data_only = False
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            current.append(value[i + 1])
            i += 2
            continue
        if ch == ":":
            if current:
                layers.append(("".join(current), data_only))
                current = []
            elif layers:
                data_only = True  # an empty item after a layer: "::" starts the data-only ones
            i += 1
            continue
        current.append(ch)
        i += 1
    if current:
        layers.append(("".join(current), data_only))
    return layers


def unescape_option(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)
