"""/proc/PID/ns/* link text: a namespace's identity (namespaces(7))."""

from __future__ import annotations

import re

from nsview.errors import ParseError
from nsview.model.process import NamespaceRef

# readlink(/proc/PID/ns/net) -> "net:[4026531833]". The same text in a fixture tree (a symlink
# to that literal target) reads the same way.
# fullmatch and [0-9], not "$" and \d: "net:[1]\n" and non-ASCII digits are not kernel text.
_NS_LINK = re.compile(r"([a-z_]+):\[([0-9]+)\]")


def parse_ns_link(text: str) -> NamespaceRef:
    m = _NS_LINK.fullmatch(text)
    if not m:
        raise ParseError("namespace link", repr(text))
    return NamespaceRef(m.group(1), int(m.group(2)))
