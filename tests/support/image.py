"""Build a tiny busybox image as a docker-archive tar, with the standard library only.

`docker load` and `ctr image import` both accept it, so no registry is needed (offline).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "sleep", "hostname", "cat", "ls", "ip", "ps", "true", "echo", "mount", "id", "wc")
IMAGE_REF = "nsview-test/busybox:1"
# The same busybox layer with a second one on top holding files to change, delete and replace
# (`nsview changes` tests): every engine's container from it has two lower layers.
CHANGES_IMAGE_REF = "nsview-test/busybox-files:1"
FILES_MTIME = 1_700_000_000  # whole seconds, as a layer unpacked from a tar has them

# (path, content or None for a directory, mode)
FILES_LAYER: tuple[tuple[str, bytes | None, int], ...] = (
    ("etc", None, 0o755),
    ("etc/motd", b"hello\n", 0o644),
    ("etc/passwd", b"root:x:0:0::/:/bin/sh\n", 0o644),
    ("etc/group", b"root:x:0:\n", 0o644),
    ("etc/profile", b"PATH=/bin\n", 0o644),
    ("etc/app", None, 0o755),
    ("etc/app/a.conf", b"a\n", 0o644),
    ("etc/app/sub", None, 0o755),
    ("etc/app/sub/b.conf", b"b\n", 0o644),
    ("usr", None, 0o755),
    ("usr/share", None, 0o755),
    ("usr/share/doc", None, 0o755),
    ("usr/share/doc/readme", b"read me\n", 0o644),
    ("usr/share/doc/keep", b"keep\n", 0o644),
)


def _layer_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in ("bin", "etc", "tmp", "proc", "sys", "dev"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        data = BUSYBOX.read_bytes()
        info = tarfile.TarInfo("bin/busybox")
        info.size = len(data)
        info.mode = 0o755
        tar.addfile(info, io.BytesIO(data))
        for applet in APPLETS:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type = tarfile.SYMTYPE
            info.linkname = "busybox"
            tar.addfile(info)
    return buf.getvalue()


def _files_layer_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data, mode in FILES_LAYER:
            info = tarfile.TarInfo(path)
            info.mode, info.mtime = mode, FILES_MTIME
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def build_image_tar(dest: Path, ref: str = IMAGE_REF) -> Path:
    """The image as a `docker load` tar; ``CHANGES_IMAGE_REF`` gets the files layer on top."""
    layers = [_layer_tar()] + ([_files_layer_tar()] if ref == CHANGES_IMAGE_REF else [])
    diff_ids = [f"sha256:{hashlib.sha256(layer).hexdigest()}" for layer in layers]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/bin/sleep", "3600"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = ["layer.tar"] if len(layers) == 1 else [f"layer{i}.tar" for i in range(len(layers))]
    manifest = json.dumps([{"Config": config_name, "RepoTags": [ref], "Layers": names}]).encode()
    members = [("manifest.json", manifest), (config_name, config), *zip(names, layers, strict=True)]
    with tarfile.open(dest, "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return dest
