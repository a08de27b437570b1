"""Reading nsview's output in tests: the nodes of a `tree --json` tree."""

from __future__ import annotations

from collections.abc import Iterator


def tree_nodes(tree: dict) -> Iterator[dict]:
    """Every node of `nsview tree --json`'s "tree", parents before children, in printed order."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node["children"]))
