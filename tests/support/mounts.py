"""`nsview mounts --json` next to `findmnt -J`: the columns both have, compared record by record."""

from __future__ import annotations

import json
import shutil

from tests.support import live

# findmnt's columns that `nsview mounts --json` spells the same (with "_" for "-" and ":")
FINDMNT_COLUMNS = (
    "ID,PARENT,MAJ:MIN,FSROOT,TARGET,SOURCE,FSTYPE,OPTIONS,VFS-OPTIONS,FS-OPTIONS,OPT-FIELDS,PROPAGATION"
)


def key(column: str) -> str:
    return column.lower().replace("-", "_").replace(":", "_")


def findmnt(*args: str) -> list[dict]:
    live.need(shutil.which("findmnt") is not None, "needs findmnt (util-linux)")
    out = live.run("findmnt", "-J", *args).stdout
    return json.loads(out)["filesystems"] if out.strip() else []


def flat(nodes: list[dict]) -> list[dict]:
    """findmnt's tree as a list, parents before children."""
    out, stack = [], list(nodes)
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.get("children", []))
    return out


def mounts_json(nsview_cmd, *args: str) -> dict:
    r = nsview_cmd("mounts", "--json", *args)
    assert r.returncode in (0, 6), r.stderr
    return json.loads(r.stdout)


def assert_same_as_findmnt(nsview_cmd, pid: int) -> dict[int, dict]:
    """Every mount findmnt lists, with every shared column equal; the same tree; and no other
    mount. Returns nsview's mounts by id."""
    theirs = findmnt("--list", "-N", str(pid), "-o", FINDMNT_COLUMNS)
    doc = mounts_json(nsview_cmd, str(pid))
    mine = {m["id"]: m for m in doc["mounts"]}
    assert sorted(mine) == sorted(f["id"] for f in theirs)
    assert len(doc["mounts"]) == len(theirs) == doc["count"]
    diffs = [
        (f["id"], col, f[col], mine[f["id"]][key(col)])
        for f in theirs
        for col in f
        if mine[f["id"]][key(col)] != f[col]
    ]
    assert diffs == []
    # the tree: findmnt's nesting (it needs TARGET among the columns to nest) is nsview's children
    for node in flat(findmnt("-N", str(pid), "-o", "ID,TARGET")):
        assert sorted(mine[node["id"]]["children"]) == sorted(k["id"] for k in node.get("children", []))
    return mine
