"""docs/hardening.md rows 26, 27, 47, 48, 49: snapshots (`nsview snapshot`, `--from FILE`).

Row 26: an archive given to --from is hostile input. Each archive here is built by the test
(tarfile, or GNU tar for a real sparse member) and read by the real CLI in a subprocess with
TMPDIR pointed at a directory the test watches: one line on stderr naming the member and why,
exit 10, no traceback, nothing written anywhere (the canary outside stays absent, the private
temporary directory is gone).
"""

from __future__ import annotations

import gzip
import io
import json
import lzma
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

from nsview.answers import redact_argv
from nsview.errors import ExitCode
from tests.support import live
from tests.support.paths import FIXTURES

MANIFEST = json.dumps({"format": 1, "nsview_version": "0.1.0"}).encode()


def _member(name: str, data: bytes = b"", **kw) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for k, v in kw.items():
        setattr(info, k, v)
    return info, data


def _archive(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], *, manifest: bool = True) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        if manifest:
            tar.addfile(*_as_file(_member("manifest.json", MANIFEST)))
        for info, data in members:
            tar.addfile(*_as_file((info, data)))
    return path


def _as_file(m: tuple[tarfile.TarInfo, bytes]):
    info, data = m
    return (info, io.BytesIO(data)) if info.isreg() and data else (info,)


def _read(tmp_path: Path, archive: Path, *cmd: str) -> subprocess.CompletedProcess:
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmpdir), "COLUMNS": "200"}
    r = subprocess.run(
        [sys.executable, "-m", "nsview", *(cmd or ("ps",)), "--from", str(archive)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert "Traceback" not in r.stderr, r.stderr
    assert list(tmpdir.iterdir()) == [], "the private temporary directory was left behind"
    return r


def _refused(tmp_path: Path, archive: Path, words: str) -> str:
    r = _read(tmp_path, archive)
    assert r.returncode == ExitCode.BAD_SNAPSHOT, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nsview: "), r.stderr
    assert words in lines[0], lines[0]
    assert r.stdout == ""
    return lines[0]


# ---- row 26 ---------------------------------------------------------------------------------


def test_row26_dotdot_member_is_refused_and_writes_nothing(tmp_path):
    canary = tmp_path / "escaped"
    archive = _archive(tmp_path / "a.tar.gz", [_member("proc/../../escaped", b"x")])
    _refused(tmp_path, archive, "a name with '..'")
    assert not canary.exists()


def test_row26_absolute_member_is_refused(tmp_path):
    target = tmp_path / "abs-target"
    archive = _archive(tmp_path / "a.tar.gz", [_member(str(target), b"x")])
    _refused(tmp_path, archive, "an absolute name")
    assert not target.exists()


def test_row26_a_member_outside_the_three_roots_is_refused(tmp_path):
    archive = _archive(tmp_path / "a.tar.gz", [_member("etc/passwd", b"x")])
    _refused(tmp_path, archive, "not below proc/, sys/, host/ or top/")


@pytest.mark.parametrize(
    "info, words",
    [
        (_member("proc/1/stat", type=tarfile.SYMTYPE, linkname="/etc/passwd")[0], "a symbolic link"),
        (_member("proc/1/ns/net", type=tarfile.SYMTYPE, linkname="net:[4026531840]")[0], "a symbolic link"),
        (_member("proc/1/stat", type=tarfile.LNKTYPE, linkname="/etc/shadow")[0], "a hard link"),
        (_member("host/dev/kmsg", type=tarfile.CHRTYPE, devmajor=1, devminor=11)[0], "a device node"),
        (_member("host/dev/sda", type=tarfile.BLKTYPE, devmajor=8, devminor=0)[0], "a device node"),
        (_member("proc/1/stat", type=tarfile.FIFOTYPE)[0], "a FIFO"),
    ],
    ids=["symlink-out", "symlink-in", "hardlink", "chardev", "blockdev", "fifo"],
)
def test_row26_links_devices_and_fifos_are_refused(tmp_path, info, words):
    archive = _archive(tmp_path / "a.tar.gz", [(info, b"")])
    _refused(tmp_path, archive, words)
    assert not Path("/etc/passwd-nsview").exists()


def test_row26_a_10_gb_sparse_member_is_refused_unread(tmp_path):
    if shutil.which("tar") is None:
        pytest.skip("needs GNU tar to write a sparse member")
    src = tmp_path / "src"
    (src / "proc" / "1").mkdir(parents=True)
    (src / "manifest.json").write_bytes(MANIFEST)
    with open(src / "proc" / "1" / "stat", "wb") as f:
        f.truncate(10 * 1024**3)  # a hole: no disk used
    archive = tmp_path / "sparse.tar.gz"
    subprocess.run(
        ["tar", "-C", str(src), "--sparse", "-czf", str(archive), "manifest.json", "proc/1/stat"], check=True
    )
    assert archive.stat().st_size < 1024 * 1024
    line = _refused(tmp_path, archive, "proc/1/stat")
    assert "sparse" in line or "larger than allowed" in line


def test_row26_a_member_claiming_10_gb_is_refused_before_reading(tmp_path):
    info, _ = _member("proc/1/stat")
    info.size = 10 * 1024**3  # the header says so; the data is not there
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        tar.addfile(*_as_file(_member("manifest.json", MANIFEST)))
    head = raw.getvalue()[: 512 * 2]  # the manifest's header and data, without the end blocks
    archive = tmp_path / "huge.tar.gz"
    archive.write_bytes(gzip.compress(head + info.tobuf(tarfile.GNU_FORMAT) + b"\0" * 4096))
    _refused(tmp_path, archive, "larger than allowed")


def test_row26_a_bomb_of_zeros_is_refused_at_its_header(tmp_path):
    # 100 MiB of zeros, compressed to ~100 KiB: refused by its declared size, never inflated
    zeros = b"\0" * (100 * 1024 * 1024)
    archive = tmp_path / "bomb.tar.xz"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        tar.addfile(*_as_file(_member("manifest.json", MANIFEST)))
        tar.addfile(*_as_file(_member("sys/fs/cgroup/memory.max", zeros)))
    archive.write_bytes(lzma.compress(raw.getvalue(), preset=0))
    assert archive.stat().st_size < 2 * 1024 * 1024
    _refused(tmp_path, archive, "larger than allowed")
    assert not (tmp_path / "sys").exists()


def test_row26_a_truncated_snapshot_is_one_line(tmp_path):
    good = tmp_path / "good.tar.gz"
    fx = FIXTURES / "cri-containerd-systemd"
    r = subprocess.run(
        [sys.executable, "-m", "nsview", "snapshot", "--all", "--proc-root", str(fx / "proc"),
         "--sys-root", str(fx / "sys"), "-o", str(good)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert _read(tmp_path, good).returncode == 0  # whole, it reads
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 100):
        bad = tmp_path / f"cut-{cut}.tar.gz"
        bad.write_bytes(data[:cut])
        r = _read(tmp_path, bad)
        assert r.returncode == ExitCode.BAD_SNAPSHOT, (cut, r.stderr)
        assert len(r.stderr.splitlines()) == 1, r.stderr


@pytest.mark.parametrize(
    "content, words",
    [
        (b"this is no archive at all\n" * 40, "not a readable snapshot"),
        (None, "no manifest.json"),
        (json.dumps({"format": 99}).encode(), "format 99"),
        (b"[1, 2, 3]", "not a JSON object"),
        (b"{not json", "not valid JSON"),
    ],
    ids=["garbage", "no-manifest", "future-format", "manifest-not-object", "manifest-not-json"],
)
def test_row26_not_a_snapshot(tmp_path, content, words):
    archive = tmp_path / "x.tar.gz"
    if content is not None and words == "not a readable snapshot":
        archive.write_bytes(content)
    elif content is None:
        _archive(archive, [_member("proc/1/stat", b"1 (x) S 0")], manifest=False)
    else:
        _archive(archive, [_member("manifest.json", content)], manifest=False)
    _refused(tmp_path, archive, words)


def test_row26_a_duplicate_member_is_refused(tmp_path):
    archive = _archive(tmp_path / "a.tar.gz", [_member("proc/1/stat", b"a"), _member("proc/1/stat", b"b")])
    _refused(tmp_path, archive, "appears twice")


# ---- row 48: the recorded answers are input too ---------------------------------------------


@pytest.mark.parametrize(
    "answers, words",
    [
        ({"readlink": {"proc/1/ns/net": 5}}, "readlink"),
        ({"listdir": {"proc": ["1", "../../etc"]}}, "listdir"),
        ({"errors": {"read:proc/1/stat": "EACCES"}}, "errors"),
        ({"errors": {"read:proc/1/stat": 10**9}}, "errors"),
        ({"layers": {"lstat:/x": [1, 2]}}, "layers"),
        ({"layers": {"names:/x": ["a/b"]}}, "layers"),
        ({"namespaces": []}, "namespaces is not an object"),
        ({"own_pid": "self"}, "own_pid"),
    ],
    ids=["link-not-text", "listing-with-slash", "errno-not-number", "errno-huge", "short-lstat",
         "name-with-slash", "section-not-object", "own-pid-text"],
)  # fmt: skip
def test_row48_malformed_answers_are_refused(tmp_path, answers, words):
    archive = _archive(tmp_path / "a.tar.gz", [_member("answers.json", json.dumps(answers).encode())])
    _refused(tmp_path, archive, words)


def test_row48_hostile_text_in_a_snapshot_prints_inert(tmp_path):
    """A snapshot's files are as untrusted as the live ones: a process name with escapes and
    markup, replayed, prints inert (rule 1), as it would live."""
    evil = "\x1b]0;pwned\x07[red]x\x1b[2J"
    stat_line = f"4242 ({evil}) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0".encode()
    members = [
        _member("proc/4242/stat", stat_line),
        _member("proc/4242/cmdline", evil.encode() + b"\0"),
        _member("proc/4242/status", f"Name:\t{evil}\nPPid:\t1\n".encode()),
    ]
    answers = {"listdir": {"proc": ["4242"]}, "lexists": {"proc/4242/stat": True}}
    archive = _archive(
        tmp_path / "a.tar.gz", [*members, _member("answers.json", json.dumps(answers).encode())]
    )
    r = _read(tmp_path, archive, "tree", "4242", "--color=always")
    assert r.returncode in (0, 6), r.stderr
    assert "\x1b]0;" not in r.stdout and "\x07" not in r.stdout and "\x1b[2J" not in r.stdout
    assert "\\x1b" in r.stdout


# ---- row 47: the destination of `snapshot -o` -----------------------------------------------


def _snapshot(out: Path, *extra: str) -> subprocess.CompletedProcess:
    fx = FIXTURES / "cgroup-v2"
    return subprocess.run(
        [sys.executable, "-m", "nsview", "snapshot", "--all", "--proc-root", str(fx / "proc"),
         "--sys-root", str(fx / "sys"), "-o", str(out), *extra],
        capture_output=True, text=True,
    )  # fmt: skip


def test_row47_an_existing_file_is_never_overwritten(tmp_path):
    out = tmp_path / "s.tar.gz"
    out.write_bytes(b"precious")
    r = _snapshot(out)
    assert r.returncode == ExitCode.USAGE and "exists" in r.stderr and "Traceback" not in r.stderr
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize("dangling", [True, False], ids=["dangling-link", "link-to-a-file"])
def test_row47_a_symlink_at_the_destination_is_never_followed(tmp_path, dangling):
    victim = tmp_path / "victim"
    if not dangling:
        victim.write_bytes(b"precious")
    out = tmp_path / "s.tar.gz"
    out.symlink_to(victim)
    r = _snapshot(out)
    assert r.returncode == ExitCode.USAGE, r.stderr
    assert out.is_symlink()
    assert (not victim.exists()) if dangling else victim.read_bytes() == b"precious"


def test_row47_written_0600_whatever_the_umask(tmp_path):
    out = tmp_path / "s.tar.gz"
    old = os.umask(0)
    try:
        r = _snapshot(out)
    finally:
        os.umask(old)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(out.lstat().st_mode) == 0o600


def test_row47_an_unwritable_place_is_one_line(tmp_path):
    r = _snapshot(tmp_path / "no" / "such" / "dir" / "s.tar.gz")
    assert r.returncode == ExitCode.USAGE and len(r.stderr.splitlines()) == 1, r.stderr
    assert "cannot create" in r.stderr


# ---- row 49: a target that is gone, or goes, while the capture runs -------------------------


@pytest.mark.live
def test_row49_a_target_that_is_gone_is_in_the_manifest_and_the_rest_captured(tmp_path, spawn):
    p = spawn(["sleep", "3600"])
    gone = spawn(["sleep", "3600"])
    gone.kill()
    gone.wait()
    out = tmp_path / "s.tar.gz"
    r = subprocess.run(
        [sys.executable, "-m", "nsview", "snapshot", str(p.pid), str(gone.pid), "-o", str(out), "--json"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    commands = {c["command"]: c["error"] for c in json.loads(r.stdout)["manifest"]["commands"]}
    assert commands[f"resolve {gone.pid}"] == f"no such process: {gone.pid}"
    assert commands[f"tree {p.pid}"] is None
    t = _read(tmp_path, out, "tree", str(p.pid), "--json")
    assert t.returncode == 0 and json.loads(t.stdout)["target"] == p.pid
    g = _read(tmp_path, out, "tree", str(gone.pid))
    assert g.returncode == ExitCode.NO_SUCH_PROCESS, g.stderr  # as it was live at capture time


# ---- row 27: secrets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, kept, masked",
    [
        (["app", "--password=hunter2"], ["app", "--password=***"], ["--password="]),
        (["app", "--token", "abc123", "-v"], ["app", "--token", "***", "-v"], ["--token VALUE"]),
        (["curl", "https://bob:s3cr3t@example.com/x"], ["curl", "https://bob:***@example.com/x"], None),
        (["env", "AWS_SECRET_ACCESS_KEY=zzz", "MY_API_KEY=k"], ["env", "AWS_SECRET_ACCESS_KEY=***", "MY_API_KEY=***"], None),
        (["x", "GITHUB_TOKEN=ghp_1"], ["x", "GITHUB_TOKEN=***"], ["GITHUB_TOKEN="]),
        (["sleep", "3600", "--verbose"], ["sleep", "3600", "--verbose"], []),
    ],
)  # fmt: skip
def test_row27_argv_secrets_are_masked(argv, kept, masked):
    data, what = redact_argv(b"\0".join(a.encode() for a in argv) + b"\0")
    assert data.split(b"\0")[:-1] == [k.encode() for k in kept]
    if masked is not None:
        assert what == masked
    assert bool(what) == (kept != argv)


@pytest.mark.live
def test_row27_password_and_token_never_reach_the_archive(tmp_path, spawn):
    live.need(live.is_root(), "needs root (a host-wide capture)")
    # values of this run only: another process on the host may show the same words in its argv
    tag = uuid.uuid4().hex[:8]
    hunter, tok, env_value = f"hunter2-{tag}", f"tok-sekrit-{tag}", f"abc-{tag}"
    code = "import time; time.sleep(3600)"
    p = spawn([sys.executable, "-c", code, f"--password={hunter}", "--token", tok],
              env={**os.environ, "TOKEN": env_value})  # fmt: skip
    assert f"TOKEN={env_value}".encode() in Path(f"/proc/{p.pid}/environ").read_bytes()  # there live
    assert hunter.encode() in Path(f"/proc/{p.pid}/cmdline").read_bytes()
    out = tmp_path / "s.tar.gz"
    r = subprocess.run(
        [sys.executable, "-m", "nsview", "snapshot", "--all", str(p.pid), "-o", str(out), "--json"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    plain = gzip.decompress(out.read_bytes())
    for secret in (hunter.encode(), tok.encode(), env_value.encode()):
        assert secret not in plain, secret
    manifest = json.loads(r.stdout)["manifest"]
    masked = {m["path"]: m["what"] for m in manifest["masked"]}
    assert masked[f"proc/{p.pid}/cmdline"] == ["--password=", "--token VALUE"]
    assert hunter not in r.stdout and manifest["environments"] == "never captured"
    # what --from shows is the masked argv
    t = _read(tmp_path, out, "tree", str(p.pid), "--json")
    args = json.loads(t.stdout)["process"]["args"] if "process" in json.loads(t.stdout) else None
    assert hunter not in t.stdout and "--password=***" in t.stdout, args
    # --no-redact keeps argv (asked for), never the environment
    kept = tmp_path / "kept.tar.gz"
    r = subprocess.run(
        [sys.executable, "-m", "nsview", "snapshot", str(p.pid), "--no-redact", "-o", str(kept)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    plain = gzip.decompress(kept.read_bytes())
    assert hunter.encode() in plain and env_value.encode() not in plain


@pytest.mark.docker
def test_row27_engine_files_keep_no_environment_or_secret_argv(tmp_path, docker_run):
    """Docker's own record of a container (config.v2.json: Config.Env, Args, Cmd) holds the
    same secrets as the process: the archive keeps the file, not them; the container still
    answers from the snapshot as it did live."""
    name = live.unique_name("nsv-secret")
    tag = uuid.uuid4().hex[:8]  # this run's values: nothing else on the host has them
    token, pw, hunter = f"TOKEN=abc-{tag}", f"pw-sekrit-{tag}", f"hunter2-{tag}"
    info = docker_run("--name", name, "-e", token, "-e", f"DB_PASSWORD={pw}",
                      cmd=("sh", "-c", "exec sleep 3600", "x", f"--password={hunter}"))  # fmt: skip
    config = Path(f"/var/lib/docker/containers/{info['Id']}/config.v2.json").read_bytes()
    assert token.encode() in config and hunter.encode() in config  # docker's file has them live
    out = tmp_path / "s.tar.gz"
    r = subprocess.run(
        [sys.executable, "-m", "nsview", "snapshot", name, "-o", str(out), "--json"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    plain = gzip.decompress(out.read_bytes())
    assert b"config.v2.json" in plain  # the file is there (names, state, labels come from it)
    for secret in (hunter, token, pw):
        assert secret.encode() not in plain, secret
    masked = {m["path"]: m["what"] for m in json.loads(r.stdout)["manifest"]["masked"]}
    (kinds,) = [w for p, w in masked.items() if p.endswith(f"{info['Id']}/config.v2.json")]
    assert any("Env" in k for k in kinds) and "--password=" in kinds
    live_ps = json.loads(subprocess.run([sys.executable, "-m", "nsview", "ps", "--json"],
                                        capture_output=True, text=True).stdout)  # fmt: skip
    snap_ps = json.loads(_read(tmp_path, out, "ps", "--json").stdout)
    (a,) = [c for c in live_ps["containers"] if c["id"] == info["Id"]]
    (b,) = [c for c in snap_ps["containers"] if c["id"] == info["Id"]]
    assert (a["name"], a["init_pid"], a["memory_limit"]) == (b["name"], b["init_pid"], b["memory_limit"]) == (
        name, info["State"]["Pid"], a["memory_limit"])  # fmt: skip


def test_row27_podman_database_rows_are_redacted(tmp_path):
    """podman's db.sql holds each container's spec (its env and args) as JSON text: the
    snapshot keeps one rebuilt database with those cells redacted, no write-ahead log, and
    no freed page with the old value (VACUUM INTO)."""
    import sqlite3

    from nsview.answers import redact_sqlite

    db = tmp_path / "db.sql"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE ContainerConfig (ID TEXT PRIMARY KEY, Name TEXT, JSON TEXT)")
    spec = {
        "name": "pm-web",
        "spec": {"process": {"env": ["TOKEN=abc"], "args": ["app", "--token", "tok-sekrit"]}},
    }
    conn.execute("INSERT INTO ContainerConfig VALUES (?, ?, ?)", ("c1", "pm-web", json.dumps(spec)))
    conn.commit()
    wal = Path(str(db) + "-wal").read_bytes() if Path(str(db) + "-wal").exists() else None
    main = db.read_bytes()
    assert b"tok-sekrit" in main + (wal or b"")
    clean, masked = redact_sqlite(main, wal)
    conn.close()
    assert clean is not None and clean.startswith(b"SQLite format 3\x00")
    for secret in (b"TOKEN=abc", b"tok-sekrit"):
        assert secret not in clean
    assert masked and any("env" in m for m in masked)
    back = tmp_path / "back.sql"
    back.write_bytes(clean)
    (row,) = sqlite3.connect(back).execute("SELECT Name, JSON FROM ContainerConfig").fetchall()
    assert row[0] == "pm-web" and json.loads(row[1])["name"] == "pm-web"  # what nsview reads stays
    assert redact_sqlite(b"SQLite format 3\x00" + b"\xff" * 200, None)[0] is None  # garbage: left out
