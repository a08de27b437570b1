"""Collect the lineage and the descendants of one pid, without scanning the host when the
kernel can tell us a process's children directly."""

from __future__ import annotations

from nsview.errors import AccessDenied, NoSuchProcess, NotAvailable, NsviewError
from nsview.model.attribution import classify_cgroup_path, pick_cgroup_paths
from nsview.model.process import NamespaceRef, Process
from nsview.model.supervisor import boundary_from_parent, boundary_of_self
from nsview.model.tree import ProcessTree, TargetContainer, TreeNode, entered_namespaces, known_namespaces
from nsview.procfs import KernelFS, ProcFS, host_root_for
from nsview.read.namespaces import host_reference
from nsview.read.process import read_proc_cgroup, read_process, read_stat
from nsview.read.procmount import hidepid_note, permission_hint


class ChildFinder:
    """Children of a pid from /proc/PID/task/TID/children (Linux >= 4.2 with
    CONFIG_PROC_CHILDREN; one file per thread, each listing the children that thread forked).
    Where that file is missing, falls back to one scan of every stat, done at most once."""

    def __init__(self, proc: ProcFS) -> None:
        self.proc = proc
        self._by_parent: dict[int, list[int]] | None = None

    def children(self, pid: int) -> list[int]:
        if self._by_parent is None:
            try:
                return self._from_task_files(pid)
            except NotAvailable:
                self._by_parent = self._scan()
        return self._by_parent.get(pid, [])

    def _from_task_files(self, pid: int) -> list[int]:
        kids: set[int] = set()
        for tid in self.proc.pid_listdir(pid, "task"):
            try:
                data = self.proc.pid_read(pid, f"task/{tid}/children")
            except NotAvailable:
                if self.proc.exists(f"{pid}/task/{tid}"):
                    raise  # the task is there but has no children file: kernel lacks it
                continue  # the thread exited between listdir and read
            kids.update(int(x) for x in data.split())
        return sorted(kids)

    def _scan(self) -> dict[int, list[int]]:
        by_parent: dict[int, list[int]] = {}
        for pid in self.proc.pids():
            try:
                by_parent.setdefault(read_stat(self.proc, pid).ppid, []).append(pid)
            except NsviewError:
                continue  # vanished or unreadable: a scan forgives
        return by_parent


def collect_tree(proc: ProcFS, pid: int, depth: int | None = None) -> ProcessTree:
    """The tree from the root of the visible process tree down to ``pid`` and below it.

    Strict about the target (NoSuchProcess if it does not exist), forgiving about the rest:
    an ancestor or descendant that vanishes or cannot be read is dropped and noted.
    """
    proc.check_mounted()
    target = read_process(proc, pid)
    notes: list[str] = []

    # Lineage, walking up. A loop guard: a snapshot could hold a ppid cycle.
    chain: list[Process] = [target]
    seen = {pid}
    while chain[-1].ppid != 0:
        ppid = chain[-1].ppid
        if ppid in seen:
            notes.append(f"parent cycle at pid {ppid}: lineage cut there")
            break
        try:
            parent = read_process(proc, ppid)
        except NoSuchProcess:
            notes.append(
                f"parent {ppid} of pid {chain[-1].pid} is not visible (exited, or hidden by hidepid)"
            )
            break
        except NsviewError as err:
            notes.append(f"parent {ppid} of pid {chain[-1].pid} cannot be read ({err}): lineage cut there")
            break
        if parent.starttime > chain[-1].starttime:
            # A parent cannot start after its child: the real parent exited and its pid was
            # reused between our two reads.
            notes.append(f"parent {ppid} of pid {chain[-1].pid} exited while being read: lineage cut there")
            break
        chain.append(parent)
        seen.add(ppid)
    chain.reverse()

    known: dict[str, NamespaceRef] = {}
    if chain[0].errors.get("namespaces") and chain[0].ppid == 0:
        # The root's namespaces cannot be read (some sandboxes refuse even root /proc/1/ns):
        # compare its children with the host reference instead, as diff and ps do, or an
        # `unshare` right below it would show no namespace change at all.
        ref = host_reference(proc)
        if ref.namespaces and ref.pid != chain[0].pid:
            known = dict(ref.namespaces)
            notes.append(f"namespace changes below pid {chain[0].pid} are relative to {ref.source}")
    contexts: list[dict[str, NamespaceRef]] = []  # what each lineage member inherited
    for p in chain:
        contexts.append(known)
        known = known_namespaces(p.namespaces, known)

    gone: list[int] = []
    unreadable: list[int] = []
    node = _descendants(proc, target, contexts[-1], depth, seen, gone, unreadable)
    # Wrap the target's subtree in its ancestors, root outermost.
    node = _node(target, chain[-2] if len(chain) > 1 else None, contexts[-1], node, is_target=True)
    for i in range(len(chain) - 2, -1, -1):
        p = chain[i]
        node = _node(p, chain[i - 1] if i > 0 else None, contexts[i], TreeNode(p, (node,)))

    if gone:
        notes.append(f"{len(gone)} process(es) exited while being read and are not shown")
    if unreadable:
        notes.append(f"{len(unreadable)} process(es) could not be read and are not shown")
    hidden = hidepid_note(proc)  # docs/hardening.md, row 10: others' pids give ENOENT, say so
    if hidden:
        notes.append(hidden)
    tree = ProcessTree(target=pid, root=node, lineage=tuple(p.pid for p in chain), notes=())
    denied = sum(1 for n in tree.walk() if AccessDenied.REASON in n.process.errors.get("namespaces", ""))
    if denied:
        notes.append(
            f"namespaces of {denied} process(es) could not be read: permission denied ("
            + permission_hint()
            + "); see docs/troubleshooting.md"
        )
    return ProcessTree(
        target=pid,
        root=node,
        lineage=tree.lineage,
        notes=tuple(notes),
        container=_target_container(proc, pid),
    )


def _target_container(proc: ProcFS, pid: int) -> TargetContainer | None:
    """The container the target's cgroup path names, with the chain it is nested in; Docker
    names from config.v2.json under the data roots the host's files name (no scan)."""
    try:
        memberships = read_proc_cgroup(proc, pid)
    except NsviewError:
        return None
    for path in pick_cgroup_paths(memberships):
        m = classify_cgroup_path(path)
        if m is None:
            continue
        fs = KernelFS(host_root_for(proc.root))
        # a container: only now its model and the engines' files
        from nsview.model.container import NestedRef
        from nsview.read.engines import docker_names, docker_roots_on_disk

        ids = [cid for rt, cid in ((m.runtime, m.id), *m.outer) if rt == "docker"]
        names = docker_names(fs, docker_roots_on_disk(fs), ids) if ids else {}
        outer = tuple(
            NestedRef(
                rt, cid, names.get(cid, (None, ""))[0] if rt == "docker" else (cid if rt == "lxc" else None)
            )
            for rt, cid in m.outer
        )
        own = (
            names.get(m.id, (None, ""))[0]
            if m.runtime == "docker"
            else (m.id if m.runtime == "lxc" else None)
        )
        if m.runtime == "podman" and m.id is not None:
            from nsview.read.podman import graph_roots, podman_store  # only a podman target pays it

            stored = podman_store(fs, graph_roots(fs)).name(m.id)  # containers.json, db.sql
            own = stored[0] if stored is not None else None
        return TargetContainer(m.runtime, m.id, own, m.pod_uid, outer, m.evidence)
    return None


def _descendants(
    proc: ProcFS,
    top: Process,
    top_inherited: dict[str, NamespaceRef],
    depth: int | None,
    seen: set[int],
    gone: list[int],
    unreadable: list[int],
) -> TreeNode:
    """``top`` with all its descendants (down to ``depth`` levels), as an unwrapped TreeNode.

    Iterative, not recursive: a hostile container can fork a chain thousands deep, and a
    RecursionError must not be what the user sees.
    """
    finder = ChildFinder(proc)
    known_of = {top.pid: known_namespaces(top.namespaces, top_inherited)}
    parent_of: dict[int, Process] = {}
    kids_of: dict[int, list[Process]] = {}
    elided: dict[int, int] = {}
    order: list[Process] = []  # pre-order: every parent before its children
    stack: list[tuple[Process, int]] = [(top, 0)]
    while stack:
        p, level = stack.pop()
        order.append(p)
        try:
            kid_pids = finder.children(p.pid)
        except NsviewError:
            kid_pids = []  # p vanished (or its task dir is unreadable): keep what we have
        if depth is not None and level >= depth:
            elided[p.pid] = len(kid_pids)
            kid_pids = []
        kids: list[Process] = []
        for kid in kid_pids:
            if kid in seen:
                continue
            try:
                child = read_process(proc, kid)
            except NoSuchProcess:
                gone.append(kid)
                continue
            except NsviewError:
                unreadable.append(kid)
                continue
            if child.ppid != p.pid:
                gone.append(kid)  # exited after being listed; its pid now names another process
                continue
            seen.add(kid)
            kids.append(child)
            parent_of[kid] = p
            known_of[kid] = known_namespaces(child.namespaces, known_of[p.pid])
        kids_of[p.pid] = kids
        stack.extend((c, level + 1) for c in reversed(kids))

    built: dict[int, TreeNode] = {}
    for p in reversed(order):  # children are always built before their parent
        plain = TreeNode(
            process=p,
            children=tuple(built.pop(c.pid) for c in kids_of[p.pid]),
            children_elided=elided.get(p.pid, 0),
        )
        if p.pid == top.pid:
            return plain
        parent = parent_of[p.pid]
        built[p.pid] = _node(p, parent, known_of[parent.pid], plain)
    raise AssertionError("unreachable: the top process is always in the walk")


def _node(
    p: Process,
    parent: Process | None,
    inherited: dict[str, NamespaceRef],
    built: TreeNode,
    is_target: bool = False,
) -> TreeNode:
    container = boundary_of_self(p.comm, p.args)
    if container is None and parent is not None:
        container = boundary_from_parent(parent.comm, parent.args)
    return TreeNode(
        process=p,
        children=built.children,
        entered=entered_namespaces(p.namespaces, inherited),
        container=container,
        is_target=is_target,
        children_elided=built.children_elided,
    )
