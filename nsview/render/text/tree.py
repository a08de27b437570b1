"""``nsview tree``: ProcessTree -> rich Tree (pstree -spa style)."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.text import Text
from rich.tree import Tree

from nsview.model.tree import ProcessTree, TreeNode
from nsview.render.sanitize import safe
from nsview.render.units import short_ids

_MAX_THREADS_SHOWN = 3


def render_tree(tree: ProcessTree, fold: bool = False) -> RenderableType:
    """A rich renderable. Every piece of process-controlled text goes through ``safe``.

    ``fold`` (a terminal, or COLUMNS given, and no --wide): each process line is cut to the
    width with an ellipsis and its long ids shortened, so a conmon or shim argv cannot bury
    the tree's shape (pstree cuts the same way without -l). Remarks under a node still wrap:
    they are nsview's own words, short, and losing one would lose a fact."""

    root = Tree(_label(tree.root, fold), guide_style="dim")
    stack = [(tree.root, root)]
    while stack:
        node, branch = stack.pop()
        for child in node.children:
            stack.append((child, branch.add(_label(child, fold))))

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


def _label(node: TreeNode, fold: bool) -> RenderableType:
    p = node.process
    line = Text()
    line.append_text(safe(p.display_name, "bold" if node.is_target else ""))
    line.append(",")
    line.append(str(p.pid), style="cyan")
    if p.zombie:
        line.append(" <defunct>", style="red")
    args = Text()
    shown = _shown_args(p.comm, p.args)
    if shown:
        argv = " ".join(shown)
        args.append(" ")
        args.append_text(safe(short_ids(argv) if fold else argv, "dim"))
    tail = Text()
    if p.args_truncated:  # in the tail: a cut line must still say the kernel's argv was cut
        tail.append(" ...(truncated)", style="dim")
    if node.is_target:
        tail.append("  ◀ target", style="bold magenta")

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
    head: RenderableType = _Folded(line, args, tail) if fold else Text.assemble(line, args, tail)
    if not notes:
        return head

    return Group(head, *(_Remark(note) for note in notes))


class _Folded:
    """A process line cut to the width left at its depth: the arguments end in "…" when cut,
    the name, the pid, "(truncated)" and the target mark always stay."""

    def __init__(self, name: Text, args: Text, tail: Text) -> None:
        self.name, self.args, self.tail = name, args, tail

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        room = options.max_width - self.name.cell_len - self.tail.cell_len
        args = self.args.copy()
        if args.cell_len > room:
            args.truncate(max(room, 2), overflow="ellipsis")
        line = Text.assemble(self.name, args, self.tail)
        if line.cell_len > options.max_width:  # a hostile name longer than the screen: cut it too
            line.truncate(max(options.max_width, 8), overflow="ellipsis")
        line.no_wrap = True
        yield line


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
