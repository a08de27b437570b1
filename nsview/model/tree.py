"""The process tree around one target: its lineage up to the root and its descendants."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from nsview.model.process import NAMESPACE_TYPES, NamespaceRef, Process
from nsview.model.record import record
from nsview.model.supervisor import ContainerBoundary

if TYPE_CHECKING:  # loaded when a tree holds a container, not for every tree
    from nsview.model.container import NestedRef


@record
class TreeNode:
    process: Process
    children: tuple[TreeNode, ...] = ()
    # namespaces this process is in that differ from the nearest ancestor whose namespace of
    # that type could be read (pstree -S names only types, and skips what it cannot read)
    entered: tuple[NamespaceRef, ...] = ()
    container: ContainerBoundary | None = None
    is_target: bool = False
    # children exist but were not followed (--depth reached)
    children_elided: int = 0


@record
class TargetContainer:
    """The container the target's own cgroup path names (the innermost, when nested), and the
    containers it runs inside."""

    runtime: str
    id: str
    name: str | None
    pod_uid: str | None
    nested_in: tuple[NestedRef, ...]  # outermost first
    evidence: str

    def describe(self) -> str:
        from nsview.model.container import NestedRef

        inner = NestedRef(self.runtime, self.id, self.name).label()
        chain = " in ".join(o.label() for o in reversed(self.nested_in))
        return f"{inner} in {chain}" if chain else inner


@record
class ProcessTree:
    target: int
    root: TreeNode
    lineage: tuple[int, ...]  # pids from the root down to the target
    notes: tuple[str, ...] = ()  # honest remarks about partial data (one line each)
    container: TargetContainer | None = None  # from the target's cgroup path

    def walk(self) -> Iterator[TreeNode]:
        """Every node, pre-order: a parent before its children, children in order."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def entered_namespaces(
    own: Mapping[str, NamespaceRef], inherited: Mapping[str, NamespaceRef]
) -> tuple[NamespaceRef, ...]:
    """Namespaces in ``own`` that differ from what the ancestors were last known to be in."""
    return tuple(own[t] for t in NAMESPACE_TYPES if t in own and t in inherited and own[t] != inherited[t])


def known_namespaces(
    own: Mapping[str, NamespaceRef], inherited: Mapping[str, NamespaceRef]
) -> dict[str, NamespaceRef]:
    """What descendants compare against: own where readable, else the ancestors' last known."""
    merged = dict(inherited)
    merged.update(own)
    return merged
