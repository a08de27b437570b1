"""``nsview tree``: ProcessTree -> rich Tree (pstree -spa style)."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.text import Text
from rich.tree import Tree

from nsview.model.tree import ProcessTree, TreeNode
from nsview.render.sanitize import safe

_MAX_THREADS_SHOWN = 3


def render_tree(tree: ProcessTree) -> RenderableType:
    """A rich renderable. Every piece of process-controlled text goes through ``safe``."""

    root = Tree(_label(tree.root), guide_style="dim")
    stack = [(tree.root, root)]
    while stack:
        node, branch = stack.pop()
        for child in node.children:
            stack.append((child, branch.add(_label(child))))

    parts: list[RenderableType] = [root]
    if tree.container is not None and tree.container.nested_in:
        # the chain the cgroup path shows: no single shim in the lineage says all of it
        parts.append(Text.assemble(("nested: ", "bold green"), safe(tree.container.describe())))
    for note in tree.notes:
        parts.append(Text("note: ", style="yellow") + safe(note))
    return Group(*parts)


def _shown_args(comm: str, args: tuple[str, ...]) -> tuple[str, ...]:
    """Like pstree -a: the name, then the arguments after argv[0]. But when argv[0] is not the
    program the name says (a retitled process, "[lxc monitor] ...", "runc init" under the comm
    "runc:[2:INIT]", a name set with prctl), argv[0] is shown too, or the title would vanish."""
    if not args:
        return ()
    base = args[0].rsplit("/", 1)[-1]
    if comm and base.startswith(comm):  # comm is argv[0]'s basename cut to 15 bytes
        return args[1:]
    return args


def _label(node: TreeNode) -> Text | Group:
    p = node.process
    line = Text()
    line.append_text(safe(p.display_name, "bold" if node.is_target else ""))
    line.append(",")
    line.append(str(p.pid), style="cyan")
    if p.zombie:
        line.append(" <defunct>", style="red")
    shown = _shown_args(p.comm, p.args)
    if shown:
        line.append(" ")
        line.append_text(safe(" ".join(shown), "dim"))
    if p.args_truncated:
        line.append(" ...(truncated)", style="dim")
    if node.is_target:
        line.append("  ◀ target", style="bold magenta")

    notes: list[Text] = []
    if node.container is not None:
        notes.append(safe(node.container.describe(), "bold green"))
    if node.entered:
        notes.append(Text("entered " + " ".join(str(r) for r in node.entered), style="yellow"))
    if p.pid_in_namespace is not None:
        notes.append(Text(f"pid {p.pid_in_namespace} in its namespace", style="cyan"))
    threads = sorted(p.thread_namespaces.items())[:_MAX_THREADS_SHOWN]
    for tid, refs in threads:
        notes.append(Text(f"thread {tid} is elsewhere: " + " ".join(str(r) for r in refs), style="yellow"))
    if len(p.thread_namespaces) > len(threads):
        notes.append(
            Text(
                f"{len(p.thread_namespaces) - len(threads)} more thread(s) elsewhere (--json lists all)",
                style="yellow",
            )
        )
    if "namespaces" in p.errors:
        notes.append(Text("namespaces: ") + safe(p.errors["namespaces"], "red"))
    if node.children_elided:
        notes.append(Text(f"{node.children_elided} child(ren) not shown (--depth)", style="dim"))
    if not notes:
        return line

    return Group(line, *(_Remark(note) for note in notes))


class _Remark:
    """One "↳ remark" under a node, with a hanging indent: a wrapped inode list stays under
    its arrow instead of falling back to the tree's guide column."""

    _ARROW, _INDENT = "  ↳ ", "    "

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self.text.wrap(console, max(options.max_width - len(self._INDENT), 8))
        for i, line in enumerate(lines):
            yield Text(self._ARROW if i == 0 else self._INDENT, style="dim") + line
