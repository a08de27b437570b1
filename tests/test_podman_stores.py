"""Where podman's stores are: the rootful graph root (storage.conf's `graphroot`, else the
default), and each user's rootless one (their own storage.conf, the system's
`rootless_storage_path`, else `~/.local/share/containers/storage`). A fixture copy of
fixtures/containers-podman gets the files: the values are the test's own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from nsview.procfs import KernelFS
from nsview.read.podman import graph_roots, podman_store
from tests.support.paths import FIXTURES

UNNAMED = "3f4e77aa0c1d2e3f4a5b6c7d8e9f0a1b4a5b6c7d8e9f0a1b4a5b6c7d8e9f0a1b"  # no conmon -n (pid 511)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _store(host: Path, root: str, cid: str, name: str) -> None:
    _write(
        host / root.lstrip("/") / "overlay-containers/containers.json",
        json.dumps([{"id": cid, "names": [name]}]),
    )


def test_rootless_and_configured_graph_roots(tmp_path, nsview_run):
    tree = tmp_path / "containers-podman"
    shutil.copytree(FIXTURES / "containers-podman", tree, symlinks=True)
    host = tree / "host"
    _write(
        host / "etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n"
        "bob:x:1001:1001::/home/bob:/bin/sh\ncarol:x:1002:1002::/home/carol:/bin/sh\n"
        "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n",
    )
    _write(host / "etc/containers/storage.conf", '[storage]\ngraphroot = "/srv/podman"\n')
    _write(host / "home/bob/.config/containers/storage.conf", '[storage]\ngraphroot = "/data/bob/store"\n')
    _store(host, "/srv/podman", "a" * 64, "rootful")
    _store(host, "/home/alice/.local/share/containers/storage", UNNAMED, "alices")
    _store(host, "/data/bob/store", "b" * 64, "bobs")
    (host / "home/carol").mkdir(parents=True)  # a home with no store: not a root

    fs = KernelFS(host)
    roots = graph_roots(fs)
    assert roots == ["/srv/podman", "/home/alice/.local/share/containers/storage", "/data/bob/store"]
    store = podman_store(fs, roots)
    assert store.name(UNNAMED) == (
        "alices",
        "/home/alice/.local/share/containers/storage/overlay-containers/containers.json",
    )

    r = nsview_run("ps", "--all", "--json", "--proc-root", str(tree / "proc"))
    assert r.returncode == 0, r.stderr
    rows = {c["id"]: c for c in json.loads(r.stdout)["containers"]}
    assert rows[UNNAMED]["name"] == "alices" and rows[UNNAMED]["running"] is True
    assert rows["a" * 64]["name"] == "rootful" and rows["b" * 64]["name"] == "bobs"
    assert rows["b" * 64]["running"] is False and rows["b" * 64]["exit"] is None

    # the system's rootless_storage_path, for a user without a storage.conf of their own
    _write(host / "etc/containers/storage.conf", '[storage]\nrootless_storage_path = "$HOME/ctr-$UID"\n')
    _store(host, "/home/carol/ctr-1002", "c" * 64, "carols")
    assert "/home/carol/ctr-1002" in graph_roots(fs) and "/var/lib/containers/storage" in graph_roots(fs)
