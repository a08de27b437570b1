"""Where the tests find things: the repository, its captured and hand-made trees under fixtures/,
and the (hidden) options that point nsview at such a tree instead of the live host."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"


def tree_roots(tree: Path) -> tuple[str, str, str, str]:
    """``--proc-root TREE/proc --sys-root TREE/sys``: nsview reads TREE, never this machine."""
    return ("--proc-root", str(tree / "proc"), "--sys-root", str(tree / "sys"))
