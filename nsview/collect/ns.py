"""/proc/PID/ns/*: namespace identity (namespaces(7))."""

from __future__ import annotations

import re

from nsview.errors import AccessDenied, NoSuchProcess, NotAvailable, NsviewError, ParseError
from nsview.model.process import NAMESPACE_TYPES, NamespaceRef
from nsview.procfs import ProcFS

# readlink(/proc/PID/ns/net) -> "net:[4026531833]". The same text in a fixture tree (a symlink
# to that literal target) reads the same way.
_NS_LINK = re.compile(r"^([a-z_]+):\[(\d+)\]$")


def parse_ns_link(text: str) -> NamespaceRef:
    m = _NS_LINK.match(text)
    if not m:
        raise ParseError("namespace link", repr(text))
    return NamespaceRef(m.group(1), int(m.group(2)))


def read_namespaces(proc: ProcFS, pid: int) -> tuple[dict[str, NamespaceRef], dict[str, str]]:
    """Every namespace of ``pid`` it can read, and for the rest why not.

    Raises NoSuchProcess only when the process is gone. A type this kernel lacks (no
    ``time`` before 5.6) is simply absent from both dicts.
    """
    found: dict[str, NamespaceRef] = {}
    failed: dict[str, str] = {}
    for ns_type in NAMESPACE_TYPES:
        try:
            found[ns_type] = parse_ns_link(proc.pid_readlink(pid, f"ns/{ns_type}"))
        except NoSuchProcess:
            raise
        except AccessDenied:
            failed[ns_type] = "permission denied"
        except NotAvailable as err:
            if err.why != "does not exist":
                failed[ns_type] = err.why
        except NsviewError as err:
            failed[ns_type] = str(err)
    return found, failed
