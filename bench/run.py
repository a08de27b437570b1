#!/usr/bin/env python3
"""nsview against the classic tools it replaces, side by side, on a loaded host.

Run as root, on demand (never as a test: timings on shared machines are noisy, so this
prints medians and ratios of one run, not assertions):

    python3 bench/run.py                 # N=3000 processes, 7 alternating runs per pair
    python3 bench/run.py --procs 600 --repeat 3 --sweep 25,100 --containers 6
    python3 bench/run.py --scale         # the cost curve at 1000:25, 3000:100, 10000:250 procs:groups
    python3 bench/run.py --json          # the same numbers for machines (progress on stderr)

What it does, in order: pick a container-like target (a Docker container from the local
image, else an `unshare` group), measure start-up beside `import typer` / `import typer,
rich.console`, `nsview tree` and the newer commands (mounts, exec, oom) on the idle host, load
the host with N processes in 25, 100 and 250 groups (real Docker containers among them) for
`ps`, then the other pairs at 100 groups; print medians, ratios and PASS/MISS/TODO against the
targets of the performance issues, and remove everything it started (process groups by id,
the Docker containers and the target by id, kernel.pid_max restored), also on Ctrl-C.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.support.image builds the offline image; nsview's parsers

MiB = 1024 * 1024
IMAGE_REF = "nsview-test/busybox:1"
PID_MAX = Path("/proc/sys/kernel/pid_max")

# The issues' targets: (label, measured key, limit). ratio keys are nsview/classic. The first
# performance round's, then the second's (start-up, cost per container, the newer commands).
TARGETS = (
    ("ps: time <= 0.5 x lsns -J (100 groups)", "ps.ratio", 0.5),
    ("ps: time <= 0.5 x lsns -J (250 groups)", "ps@250g.ratio", 0.5),
    ("ps: 250 groups <= 1.3 x 25 groups", "ps_groups.ratio", 1.3),
    ("ps: peak RSS <= 80 MiB", "ps.nsview_rss_mib", 80.0),
    ("tree: time <= 0.5 x pstree -spa", "tree.ratio", 0.5),
    ("tree: loaded / idle <= 1.3 x", "tree_growth.ratio", 1.3),
    ("diff: time <= 0.5 x the seed's chain", "diff.ratio", 0.5),
    ("start-up: tree <= 1.15 x import typer, rich", "startup.tree_ratio", 1.15),
    ("start-up: tree --json <= 1.1 x import typer", "startup.tree_json_ratio", 1.1),
    ("start-up: --help <= 1.0 x import typer", "startup.help_ratio", 1.0),
    ("mounts: 1000 mounts <= 1.5 x the target's few", "mounts_1000.vs_small", 1.5),
    ("exec: added latency <= 1.1 x tree --json", "exec.added_vs_tree_json", 1.1),
    ("oom: full ring buffer <= 1.5 x the fixture's 6", "oom_full.vs_small", 1.5),
    ("snapshot --all: time <= 0.2 x the commands it stands for", "snapshot.vs_commands", 0.2),
    ("snapshot --all: archive <= 1 KiB a process", "snapshot.kib_per_process", 1.0),
)
# --scale: the peak RSS of `ps --json` at the largest point.
SCALE_TARGETS = (("ps: peak RSS at 10 000 processes <= 40 MiB", 10000, 40.0),)

# Limit files `nsview cgroup` is about, per hierarchy; the classic side cats those that exist.
V1_FILES = {
    "memory": (
        "memory.limit_in_bytes",
        "memory.soft_limit_in_bytes",
        "memory.memsw.limit_in_bytes",
        "memory.usage_in_bytes",
        "memory.max_usage_in_bytes",
    ),
    "cpu": ("cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares"),
    "cpuset": ("cpuset.cpus", "cpuset.mems"),
    "pids": ("pids.max", "pids.current"),
}
V2_FILES = (
    "memory.max",
    "memory.high",
    "memory.swap.max",
    "memory.current",
    "cpu.max",
    "cpu.weight",
    "cpuset.cpus.effective",
    "cpuset.mems.effective",
    "pids.max",
    "pids.current",
    "io.max",
)
# Modules that make start-up heavy; reported per command from -X importtime.
HEAVY = (
    "rich",
    "typer",
    "click",
    "psutil",
    "pygments",
    "markdown_it",
    "rich.markdown",
    "rich.syntax",
    "rich.traceback",
    "rich.table",
    "typer.rich_utils",
)


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---- one timed run ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float  # seconds, spawn to reap
    rss_kib: int  # peak RSS of the child and the children it reaped (wait4 rusage)
    rc: int


_ENV = dict(os.environ, COLUMNS="160", NO_COLOR="1")


def run_once(argv: list[str]) -> Sample:
    """posix_spawn + wait4: the same cheap launch for both sides, rusage of exactly this run."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, _ENV, file_actions=actions)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    return Sample(wall, ru.ru_maxrss, os.waitstatus_to_exitcode(status))


def check_once(argv: list[str], ok: tuple[int, ...], output: bool = True) -> str | None:
    """Untimed warm-up that also proves the command works: None, or why it does not. The
    output goes to a file, not into this process: the bench must stay small (see peak_rss)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        r = subprocess.run(argv, stdout=out, stderr=err, env=_ENV, stdin=subprocess.DEVNULL)
        wrote = out.seek(0, os.SEEK_END) > 0
        out.seek(0)
        err.seek(0)
        if r.returncode in ok and (wrote or not output):
            return None
        first = (err.read(4096) or out.read(4096)).decode("utf-8", "replace").strip().splitlines()
    return f"exit {r.returncode}: {first[0][:160] if first else '(no output)'}"


def peak_rss_kib(argv: list[str]) -> int | None:
    """Peak RSS of one run, from GNU time (a small C parent that forks the command). Not the
    wait4 rusage of the timed runs: a child spawned by this process inherits this process's
    high-water mark when it execs (exec_mmap records the old mm's), so once the bench itself
    has grown, every child would seem at least as big as the bench."""
    gnu_time = "/usr/bin/time"
    if not os.access(gnu_time, os.X_OK):
        return None
    with tempfile.NamedTemporaryFile(prefix="nsview-bench-rss-") as f:
        subprocess.run(
            [gnu_time, "-f", "%M", "-o", f.name, *argv],
            env=_ENV,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        text = Path(f.name).read_text().split()
    return int(text[-1]) if text and text[-1].isdigit() else None


@dataclass
class Side:
    argv: list[str]
    samples: list[Sample] = field(default_factory=list)
    rss_probe_kib: int | None = None  # peak_rss_kib, when measured

    @property
    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def rss_mib(self) -> float:
        if self.rss_probe_kib is not None:
            return self.rss_probe_kib / 1024
        return max(s.rss_kib for s in self.samples) / 1024

    def probe_rss(self) -> None:
        self.rss_probe_kib = peak_rss_kib(self.argv)

    def summary(self) -> dict:
        return {
            "argv": self.argv,
            "median_s": round(self.median, 4),
            "min_s": round(min(s.wall for s in self.samples), 4),
            "max_s": round(max(s.wall for s in self.samples), 4),
            "peak_rss_mib": round(self.rss_mib, 1),
            "exit_codes": sorted({s.rc for s in self.samples}),
        }


def alternate(a: Side, b: Side | None, repeat: int) -> None:
    """ABAB... with the order flipped every round, so drift and caches hit both sides alike."""
    for i in range(repeat):
        order = (a, b) if i % 2 == 0 else (b, a)
        for side in order:
            if side is not None:
                side.samples.append(run_once(side.argv))


def syscall_count(argv: list[str]) -> int | None:
    """System calls of one run (strace -f -c): a cost measure that noise cannot move. Equal
    counts idle and loaded mean the command's work does not follow the size of the host."""
    if not shutil.which("strace"):
        return None
    with tempfile.NamedTemporaryFile(prefix="nsview-bench-strace-") as out:
        subprocess.run(
            ["strace", "-f", "-c", "-o", out.name, *argv],
            env=_ENV,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        text = Path(out.name).read_text()
    # summary's last line:  100.00    0.000989           1       638        61 total
    for line in reversed(text.splitlines()):
        parts = line.split()
        if parts and parts[-1] == "total" and len(parts) >= 4:
            return int(parts[3])
    return None


# ---- nsview launcher and command availability ---------------------------------------------------


def nsview_launchers() -> dict[str, list[str]]:
    """How nsview can be started: the console script next to this interpreter, the module,
    and (if different) whatever `nsview` on PATH is (a pyenv shim is a bash script: slow)."""
    out: dict[str, list[str]] = {}
    script = Path(sys.executable).parent / "nsview"
    if script.is_file():
        out["script"] = [str(script)]
    out["module"] = [sys.executable, "-m", "nsview"]
    on_path = shutil.which("nsview")
    if on_path and Path(on_path).resolve() != script.resolve():
        out["path"] = [on_path]
    return out


def has_command(nsview: list[str], name: str) -> bool:
    r = subprocess.run([*nsview, name, "--help"], capture_output=True, stdin=subprocess.DEVNULL)
    return r.returncode == 0


# ---- the load: N processes in M namespace groups ------------------------------------------------

# One `unshare` per group; its shell (pid 1 of the new pid namespace) forks K sleeps, says
# "ready", then waits (if it exited, the kernel would kill the whole namespace).
GROUP_SH = r"""
i=0
while [ "$i" -lt "$1" ]; do sleep infinity </dev/null >/dev/null 2>&1 & i=$((i+1)); done
echo ready
exec >/dev/null
wait
"""
UNSHARE = ("unshare", "--uts", "--ipc", "--net", "--pid", "--mount", "--fork")


class Load:
    """N processes: per group one unshare + one sh + K sleeps, each group its own session and
    process group, so one killpg removes it whole."""

    def __init__(self, procs: int, groups: int) -> None:
        self.procs = procs
        self.groups = max(1, min(groups, procs // 3)) if procs >= 3 else 0
        self.popens: list[subprocess.Popen] = []

    def __enter__(self) -> Load:
        try:
            return self._start()
        except BaseException:  # Ctrl-C or a failed group mid-start: `with` will not call __exit__
            self.stop()
            raise

    def _start(self) -> Load:
        if not self.groups:
            return self
        sleeps = self.procs - 2 * self.groups
        per = [sleeps // self.groups + (1 if i < sleeps % self.groups else 0) for i in range(self.groups)]
        t0 = time.monotonic()
        for k in per:
            self.popens.append(
                subprocess.Popen(
                    [*UNSHARE, "sh", "-c", GROUP_SH, "nsview-bench-load", str(k)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        waiting = {p.stdout.fileno(): p for p in self.popens}
        deadline = time.monotonic() + 120 + self.procs / 50
        while waiting:
            if time.monotonic() > deadline:
                raise RuntimeError(f"load: {len(waiting)} group(s) not ready in time")
            ready, _, _ = select.select(list(waiting), [], [], 1.0)
            for fd in ready:
                p = waiting.pop(fd)
                if p.stdout.readline().strip() != b"ready":
                    raise RuntimeError(f"load: group {p.pid} failed (exit {p.poll()})")
        log(
            f"load: {self.procs} processes in {self.groups} namespace groups, started in "
            f"{time.monotonic() - t0:.1f}s"
        )
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        # Signals blocked: a second Ctrl-C must not interrupt the clean-up itself.
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
        try:
            for p in self.popens:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            left = 0
            for p in self.popens:
                p.wait()
                p.stdout.close()
                deadline = time.monotonic() + 30
                # The group is gone when no process is left in it (killpg with signal 0).
                while _group_alive(p.pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                left += _group_alive(p.pid)
            if self.popens:
                log(f"load: removed {len(self.popens)} groups" + (f", {left} STILL ALIVE" if left else ""))
            self.popens.clear()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@contextmanager
def pid_max_for(procs: int) -> Iterator[None]:
    """Raise kernel.pid_max when N would come near it; restore the old value after."""
    old = int(PID_MAX.read_text())
    present = sum(1 for d in os.listdir("/proc") if d.isdigit())
    need = (present + procs) * 2 + 1000  # headroom: pids are handed out cyclically
    if need <= old:
        yield
        return
    new = min(max(need, 65536), 4194304)
    PID_MAX.write_text(str(new))
    log(f"kernel.pid_max raised {old} -> {new}")
    try:
        yield
    finally:
        PID_MAX.write_text(str(old))
        log(f"kernel.pid_max restored to {old}")


# ---- the target: a container-like process -------------------------------------------------------


@dataclass
class Target:
    pid: int
    kind: str  # "docker <short id>" or "unshare group"


def docker_ok() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@contextmanager
def target_process(use_docker: bool) -> Iterator[Target]:
    if use_docker and docker_ok():
        ensure_image()
        cid = subprocess.run(
            [
                "docker",
                "run",
                "-d",
                "--memory",
                "256m",
                "--pids-limit",
                "500",
                "--cpus",
                "0.5",
                "--hostname",
                "bench-target",
                "--label",
                "nsview-bench=1",
                IMAGE_REF,
                "/bin/sleep",
                "3600",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        try:
            pid = 0
            for _ in range(100):
                pid = int(
                    subprocess.run(
                        ["docker", "inspect", "-f", "{{.State.Pid}}", cid], capture_output=True, text=True
                    ).stdout.strip()
                    or 0
                )
                if pid:
                    break
                time.sleep(0.1)
            if not pid:
                raise RuntimeError(f"container {cid[:12]} has no pid")
            log(f"target: docker container {cid[:12]}, pid {pid}")
            time.sleep(2)  # let the engine settle, or its start-up work lands in the idle numbers
            yield Target(pid, f"docker {cid[:12]}")
        finally:
            subprocess.run(["docker", "rm", "-f", cid], capture_output=True)
            log(f"target: container {cid[:12]} removed")
        return
    # No Docker: a one-process unshare group; its sleep (pid 1 inside) is the target.
    p = subprocess.Popen(
        [*UNSHARE, "sh", "-c", "hostname bench-target; echo ready; exec sleep infinity"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        p.stdout.readline()
        from tests.support.live import children_of, wait_for

        pid = wait_for(lambda: children_of(p.pid) and children_of(p.pid)[0])
        log(f"target: unshare group, pid {pid}")
        yield Target(pid, "unshare group")
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        p.stdout.close()


def ensure_image() -> None:
    if subprocess.run(["docker", "image", "inspect", IMAGE_REF], capture_output=True).returncode:
        from tests.support.image import build_image_tar  # offline: build and load it

        with tempfile.TemporaryDirectory() as tmp:
            tar = build_image_tar(Path(tmp) / "busybox.tar")
            subprocess.run(["docker", "load", "-i", str(tar)], check=True, capture_output=True)


class Fleet:
    """Real Docker containers in the load (one `sleep` each, from the local image): their
    per-container files (config.v2.json, overlay layers, engine cgroups) are what `ps` reads
    for a real container. Grown on demand; removed by id, all together, on exit."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and docker_ok()
        self.ids: list[str] = []

    def __enter__(self) -> Fleet:
        if self.enabled:
            ensure_image()
        return self

    def grow(self, count: int) -> None:
        if not self.enabled or count <= len(self.ids):
            return
        t0 = time.monotonic()
        while len(self.ids) < count:
            r = subprocess.run(
                [
                    "docker",
                    "run",
                    "-d",
                    "--label",
                    "nsview-bench=1",
                    "--memory",
                    "64m",
                    IMAGE_REF,
                    "/bin/sleep",
                    "3600",
                ],
                capture_output=True,
                text=True,
            )
            if r.returncode:
                log(f"fleet: docker run failed: {r.stderr.strip()[:160]}")
                break
            self.ids.append(r.stdout.strip())
        log(f"fleet: {len(self.ids)} docker containers ({time.monotonic() - t0:.1f} s to start)")

    def __exit__(self, *exc) -> None:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
        try:
            if self.ids:
                subprocess.run(["docker", "rm", "-f", *self.ids], capture_output=True)
                left = subprocess.run(
                    ["docker", "ps", "-aq", "--no-trunc", *(f"--filter=id={i}" for i in self.ids)],
                    capture_output=True,
                    text=True,
                ).stdout.split()
                log(f"fleet: removed {len(self.ids)} containers" + (f", {len(left)} LEFT" if left else ""))
                self.ids.clear()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


# One process in its own mount namespace with ``count`` mounts more than the host's: a tmpfs on
# a directory nsview made, and count-1 tmpfs inside it; all vanish with the namespace.
MOUNTS_SH = r"""
mount -t tmpfs nsview-bench "$1"
i=1
while [ "$i" -lt "$2" ]; do mkdir "$1/$i" && mount -t tmpfs nsview-bench "$1/$i" || exit 1; i=$((i+1)); done
echo ready
exec sleep infinity
"""


@contextmanager
def many_mounts(count: int) -> Iterator[int]:
    """The pid of a process whose mount namespace holds ``count`` extra mounts."""
    where = tempfile.mkdtemp(prefix="nsview-bench-mnt-")
    p = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNTS_SH, "sh", where, str(count)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        if p.stdout.readline().strip() != b"ready":
            raise RuntimeError("many_mounts: the mount namespace did not come up")
        yield p.pid  # unshare (no --fork) execs sh, which execs sleep: one process throughout
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        p.stdout.close()
        os.rmdir(where)


def full_ring_buffer_log(path: Path) -> tuple[int, int]:
    """A saved kernel log as large as this kernel's ring buffer (klogctl SIZE_BUFFER), made of
    the OOM reports of fixtures/kernel-logs/dmesg-oom.txt again and again, each copy later in
    time: (bytes, kills). What `nsview oom` parses when the ring buffer is full of kills."""
    import ctypes

    try:
        size = ctypes.CDLL(None, use_errno=True).klogctl(10, None, 0)
    except (OSError, AttributeError):
        size = 0
    size = size if size > 0 else 1 << 18
    lines = (REPO / "fixtures/kernel-logs/dmesg-oom.txt").read_text().splitlines()[1:]  # no banner
    out: list[str] = []
    total, kills, shift = 0, 0, 0.0
    while total < size:
        for line in lines:
            stamp, _, rest = line.partition("] ")
            t = float(stamp.strip("[ ")) + shift
            text = f"[{t:12.6f}] {rest}\n"
            out.append(text)
            total += len(text)
            kills += "Killed process" in rest
        shift += 3000.0
    path.write_text("".join(out))
    return total, kills


def limit_files(pid: int) -> list[str]:
    """The cgroup limit files of pid (v1 per controller, v2 unified), those that exist,
    found with nsview's own /proc/PID/cgroup and mountinfo parsers."""
    from nsview.procfs import ProcFS
    from nsview.read.process import read_mountinfo, read_proc_cgroup

    proc = ProcFS("/proc")
    mounts = [m for m in read_mountinfo(proc, "self") if m.fstype in ("cgroup", "cgroup2")]
    files: list[str] = []
    for member in read_proc_cgroup(proc, pid):
        for m in mounts:
            if member.unified != (m.fstype == "cgroup2"):
                continue
            if not member.unified and not set(member.controllers) <= set(m.super_options):
                continue
            rel = member.path
            if m.root != "/" and rel.startswith(m.root):
                rel = rel[len(m.root) :]
            base = Path(m.target) / rel.lstrip("/")
            names = (
                V2_FILES if member.unified else [n for c in member.controllers for n in V1_FILES.get(c, ())]
            )
            files += [str(base / n) for n in names if (base / n).is_file()]
            break
    return files


def memory_limit_file(files: list[str]) -> str | None:
    for f in files:
        if f.endswith(("/memory.limit_in_bytes", "/memory.max")):
            return f
    return None


# `nsview tree PID` by the library alone (no typer): a diagnostic row in the start-up table.
LIBRARY_TREE = """
import sys
from nsview.collect.tree import collect_tree
from nsview.procfs import ProcFS
from nsview.render.text.tree import render_tree
from rich.console import Console
tree = collect_tree(ProcFS("/proc"), int(sys.argv[1]))
Console(markup=False, emoji=False, highlight=False).print(render_tree(tree))
"""

# ---- start-up and import time ---------------------------------------------------------------------


def _compile_bytecode() -> None:
    """Byte-compile nsview as `pip install` does. Where PYTHONDONTWRITEBYTECODE is set (this
    machine's environment) a source tree otherwise recompiles every module on every start
    (~25 ms for `tree`), while typer and rich, installed by pip, load from their .pyc files:
    compiling first compares like with like."""
    import compileall

    compileall.compile_dir(str(REPO / "nsview"), quiet=1)


def import_profile(argv: list[str], baseline: dict | None = None) -> dict:
    """`python -X importtime`: top 10 by cumulative time and which heavy packages load; with a
    ``baseline`` profile (`-c 'import typer'`), also the modules loaded beyond it and their
    own (self) time: what the command adds to its frameworks."""
    r = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        env=_ENV,
        stdin=subprocess.DEVNULL,
    )
    rows: list[tuple[int, int, str]] = []
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:") :].split("|", 2)
        rows.append((int(self_us), int(cum_us), name.rstrip()))
    names = {n.strip() for _, _, n in rows}
    top_level = sum(cum for _, cum, n in rows if not n.startswith("  ") and n.strip() != "site")
    beyond: dict = {}
    if baseline is not None:
        base = set(baseline["modules"])
        extra = sorted(((s, n.strip()) for s, _, n in rows if n.strip() not in base), reverse=True)
        beyond = {
            "beyond_baseline_count": len(extra),
            "beyond_baseline_self_ms": round(sum(s for s, _ in extra) / 1000, 1),
            "beyond_baseline_top": [{"module": n, "self_ms": round(s / 1000, 1)} for s, n in extra[:8]],
        }
    return {
        **beyond,
        "modules": sorted(names),
        "argv": argv,
        "total_import_ms": round(sum(s for s, _, _ in rows) / 1000, 1),
        "nsview_import_ms": round(top_level / 1000, 1),
        "module_count": len(rows),
        "heavy_loaded": [h for h in HEAVY if h in names],
        "top10": [
            {
                "module": n.strip(),
                "depth": (len(n) - len(n.lstrip())) // 2,
                "cumulative_ms": round(c / 1000, 1),
                "self_ms": round(s / 1000, 1),
            }
            for s, c, n in sorted(rows, key=lambda x: -x[1])[:10]
        ],
    }


# One `ps --json` run in-process under cProfile: the cumulative time of each step, per container.
_BREAKDOWN = """
import cProfile, io, json, pstats, sys
sys.argv = ["nsview", "ps", "--json"]
from nsview import cli
prof = cProfile.Profile()
out, sys.stdout = sys.stdout, io.StringIO()
prof.enable()
try:
    cli.main()
except SystemExit:
    pass
prof.disable()
doc, sys.stdout = sys.stdout.getvalue(), out
st = pstats.Stats(prof).stats
steps = {
    "processes (stat, ns links, cgroup)": ("collect/ps.py", "_read_processes"),
    "hostnames (one forked child)": ("collect/ps.py", "_hostnames"),
    "podman names (store, db.sql)": ("collect/ps.py", "_with_podman"),
    "memory limit": ("collect/cgroup.py", "of"),
    "mountinfo (rootfs)": ("collect/ps.py", "_mount_table"),
    "privileges": ("collect/ps.py", "_with_privileges"),
    "  of which mount risks": ("collect/privileges.py", "_mount_risks"),
    "frozen (freezer)": ("read/cgroupfs.py", "state"),
    "ring buffer (last OOM)": ("collect/oom.py", "ring_buffer_kills"),
    "JSON encoding": ("render/json/encode.py", "write_json"),
    "whole command": ("nsview/cli.py", "main"),
}
res = {}
for label, (file, fn) in steps.items():
    # None, not 0, when no profiled function matches: a renamed step must not read as free
    hits = [v[3] for k, v in st.items() if k[0].endswith(file) and k[2] == fn]
    res[label] = round(sum(hits), 4) if hits else None
print(json.dumps({"steps_s": res, "containers": len(json.loads(doc)["containers"])}))
"""


def ps_breakdown() -> dict:
    """Where one `ps --json` run spends its time, step by step (cProfile: its overhead inflates
    every number alike, so read the shares; per container = the step / containers)."""
    r = subprocess.run(
        [sys.executable, "-c", _BREAKDOWN], capture_output=True, text=True, env=_ENV, stdin=subprocess.DEVNULL
    )
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": (r.stderr or "no output").strip()[-300:]}


# Profile one run in-process; the work itself, with import machinery filtered out (the
# import share is what -X importtime shows). Stats go to stderr, nsview's output to stdout.
_PROFILE = """
import cProfile, pstats, runpy, sys
sys.argv = ["nsview", *sys.argv[1:]]
prof = cProfile.Profile()
prof.enable()
try:
    runpy.run_module("nsview", run_name="__main__")
except SystemExit:
    pass
prof.disable()
stats = pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative")
stats.print_stats(r"^(?!.*(importlib|<module>|builtins.exec|runpy|_call_with_frames))", LINES)
"""


def cprofile_top(argv: list[str], lines: int = 25) -> str:
    """cProfile of one nsview run, sorted by cumulative time: attached to a MISS."""
    r = subprocess.run(
        [sys.executable, "-c", _PROFILE.replace("LINES", str(lines)), *argv],
        capture_output=True,
        text=True,
        env=_ENV,
        stdin=subprocess.DEVNULL,
    )
    out = r.stderr.splitlines()
    head = next((ln.strip() for ln in out if "function calls" in ln), "(no profile)")
    start = next((i for i, ln in enumerate(out) if ln.strip().startswith("ncalls")), len(out))
    return "\n".join([head, *(ln for ln in out[start : start + lines + 1] if ln.strip())])


# ---- the benchmark ---------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        launchers = nsview_launchers()
        self.launcher_name = args.launcher if args.launcher in launchers else "module"
        self.nsview = launchers[self.launcher_name]
        self.launchers = launchers
        self.available = {
            c: has_command(self.nsview, c)
            for c in ("tree", "ps", "diff", "cgroup", "mounts", "exec", "oom", "snapshot")
        }
        self.result: dict = {
            "machine": {
                "kernel": platform.release(),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "processes_before": sum(1 for d in os.listdir("/proc") if d.isdigit()),
            },
            "config": {
                "procs": args.procs,
                "groups": args.groups,
                "repeat": args.repeat,
                "nsview": self.nsview,
                "launcher": self.launcher_name,
            },
            "available": self.available,
            "pairs": {},
            "skipped": {},
        }
        self.misses: list[tuple[str, list[str]]] = []

    # A pair: nsview side and classic side, alternated; skipped with a line when unavailable.
    def pair(
        self,
        key: str,
        command: str,
        ns_args: list[str],
        classic: list[str] | None,
        repeat: int | None = None,
        store: dict | None = None,
        count: bool = False,
        output: bool = True,
        wrap: list[str] | None = None,
    ) -> dict | None:
        """``wrap``: argv put before nsview's (a shell that gives each run its own output file)."""
        store = self.result["pairs"] if store is None else store
        if not self.available.get(command):
            self.result["skipped"][key] = f"nsview {command}: not available yet"
            log(f"{key}: skipped, `nsview {command}` not available yet")
            return None
        a = Side([*(wrap or []), *self.nsview, *ns_args])
        b = Side(classic) if classic else None
        for side, ok in ((a, (0, 6)), (b, tuple(range(256)))):
            if side is not None and (why := check_once(side.argv, ok, output)):
                self.result["skipped"][key] = f"{' '.join(side.argv[-3:])} failed: {why}"
                log(f"{key}: skipped, {why}")
                return None
        alternate(a, b, repeat or self.args.repeat)
        a.probe_rss()
        if b is not None:
            b.probe_rss()
        entry = {"nsview": a.summary()}
        if b is not None:
            entry["classic"] = b.summary()
            entry["ratio"] = round(a.median / b.median, 3)
        entry["nsview_rss_mib"] = round(a.rss_mib, 1)
        if count:
            entry["nsview_syscalls"] = syscall_count(a.argv)
        store[key] = entry
        log(
            f"{key}: nsview {a.median * 1000:.0f} ms"
            + (f", classic {b.median * 1000:.0f} ms, ratio {entry['ratio']:.2f}" if b else "")
        )
        return entry

    def startup(self) -> None:
        """Start-up on the idle host, nsview beside its own frameworks: `python -c 'import typer'`
        and `import typer, rich.console` in the same interpreter (same site, same .pth files and
        editable-install finder), all round-robin in one run."""
        _compile_bytecode()
        out: dict = {}
        py = sys.executable
        floor = Side([py, "-c", "pass"])
        sides = {
            "python -c pass": floor,
            "import typer": Side([py, "-c", "import typer"]),
            "import typer, rich.console": Side([py, "-c", "import typer, rich.console"]),
        }
        for name, argv in self.launchers.items():
            sides[f"--help ({name})"] = Side([*argv, "--help"])
        sides["tree <own pid>"] = Side([*self.nsview, "tree", str(os.getpid())])
        sides["tree <own pid> --json"] = Side([*self.nsview, "tree", str(os.getpid()), "--json"])
        # The same work without the CLI framework: what typer/click add to a command.
        sides["tree <own pid>, no CLI layer"] = Side([py, "-c", LIBRARY_TREE, str(os.getpid())])
        for side in sides.values():
            if why := check_once(side.argv, (0, 6), output=len(side.argv) > 3 or side.argv[-1] == "--help"):
                log(f"start-up: {side.argv} failed: {why}")
        names = list(sides)
        for i in range(max(self.args.repeat, 11)):  # round-robin, so drift spreads over all of them
            for n in names if i % 2 == 0 else reversed(names):
                sides[n].samples.append(run_once(sides[n].argv))
        for n, side in sides.items():
            side.probe_rss()
            out[n] = side.summary()
        self.result["startup"] = out
        typer_s = sides["import typer"].median
        rich_s = sides["import typer, rich.console"].median
        self.result["pairs"]["startup"] = {
            "tree_ratio": round(sides["tree <own pid>"].median / rich_s, 3),
            "tree_json_ratio": round(sides["tree <own pid> --json"].median / typer_s, 3),
            "help_ratio": round(sides[f"--help ({self.launcher_name})"].median / typer_s, 3),
        }
        pid = str(os.getpid())
        base_typer = import_profile(["-c", "import typer"])
        base_rich = import_profile(["-c", "import typer, rich.console"])
        launch = ["-m", "nsview"]
        self.result["importtime"] = {
            "--help": import_profile([*launch, "--help"], base_typer),
            "tree": import_profile([*launch, "tree", pid], base_rich),
            "tree --json": import_profile([*launch, "tree", pid, "--json"], base_typer),
        }
        for prof in self.result["importtime"].values():
            prof.pop("modules", None)
        log("start-up: " + ", ".join(f"{n} {s.median * 1000:.0f} ms" for n, s in sides.items()))

    def tree_args(self, pid: int) -> tuple[list[str], list[str]]:
        return ["tree", str(pid)], ["pstree", "-spa", str(pid)]

    def groups_sweep(self, fleet: Fleet) -> None:
        """The same N processes in 25, 100 and 250 groups (``--sweep``), real Docker
        containers among them: `ps` must follow processes, not containers."""
        args = self.args
        for g in args.sweep:
            fleet.grow(min(args.containers, g // 2))
            docker = min(len(fleet.ids), g)
            with Load(args.procs - docker, max(1, g - docker)) as load:
                key = "ps" if g == 100 else f"ps@{g}g"
                entry = self.pair(key, "ps", ["ps", "--json"], ["lsns", "-J"], count=(g == 100))
                if entry is not None:
                    entry["groups"] = {"unshare": load.groups, "docker": docker}
                if g == max(args.sweep):
                    self.result["ps_breakdown"] = ps_breakdown()
        low, high = min(args.sweep), max(args.sweep)
        lo = self.result["pairs"].get("ps" if low == 100 else f"ps@{low}g")
        hi = self.result["pairs"].get("ps" if high == 100 else f"ps@{high}g")
        if lo and hi:
            self.result["pairs"]["ps_groups"] = {
                "low_groups": low,
                "high_groups": high,
                "low_s": lo["nsview"]["median_s"],
                "high_s": hi["nsview"]["median_s"],
                "ratio": round(hi["nsview"]["median_s"] / lo["nsview"]["median_s"], 3),
            }

    def newer_commands(self, target: Target) -> None:
        """mounts, exec and oom beside their classic twins (changes: `--changes`; snapshot:
        a placeholder until the command exists)."""
        pid = str(target.pid)
        few = self.pair("mounts_small", "mounts", ["mounts", pid, "--json"], ["findmnt", "-J", "-N", pid])
        with many_mounts(self.args.mounts) as mpid:
            many = self.pair(
                "mounts_1000",
                "mounts",
                ["mounts", str(mpid), "--json"],
                ["findmnt", "-J", "-N", str(mpid)],
            )
        if few and many:
            many["vs_small"] = round(many["nsview"]["median_s"] / few["nsview"]["median_s"], 3)
        # exec: nsview's added latency over nsenter for the same namespaces (net, uts, ipc, pid)
        ex = self.pair(
            "exec",
            "exec",
            ["exec", pid, "--", "/bin/true"],
            ["nsenter", "-t", pid, "-n", "-u", "-i", "-p", "/bin/true"],
            output=False,
        )
        tj = self.pair("tree_json_idle", "tree", ["tree", pid, "--json"], None)
        if ex and tj:
            added = ex["nsview"]["median_s"] - ex["classic"]["median_s"]
            ex["added_ms"] = round(added * 1000, 1)
            ex["added_vs_tree_json"] = round(added / tj["nsview"]["median_s"], 3)
        with tempfile.TemporaryDirectory(prefix="nsview-bench-oom-") as tmp:
            big = Path(tmp) / "full.log"
            size, kills = full_ring_buffer_log(big)
            small = str(REPO / "fixtures/kernel-logs/dmesg-oom.txt")
            grep = ["grep", "-i", "-E", "oom-kill|killed process"]
            full = self.pair("oom_full", "oom", ["oom", "--log", str(big), "--json"], [*grep, str(big)])
            few = self.pair("oom_small", "oom", ["oom", "--log", small, "--json"], [*grep, small])
            if full and few:
                full["log_bytes"], full["kills"] = size, kills
                full["vs_small"] = round(full["nsview"]["median_s"] / few["nsview"]["median_s"], 3)

    def snapshot_pair(self) -> None:
        """`snapshot --all` under the load (its containers and processes) beside `ps --json` on
        the same host: a snapshot reads what ps reads and each process's files more, then
        compresses. Each run writes its own archive (the command never overwrites one) into a
        directory removed afterwards; the archives' median size is reported per container."""
        with tempfile.TemporaryDirectory(prefix="nsview-bench-snapshot-") as tmp:
            fresh = ["sh", "-c", f'exec "$@" -o "$(mktemp -u -p {tmp} XXXXXXXX).tar.gz"', "sh"]
            snap = self.pair(
                "snapshot", "snapshot", ["snapshot", "--all"], [*self.nsview, "ps", "--json"], wrap=fresh
            )
            sizes = sorted(p.stat().st_size for p in Path(tmp).glob("*.tar.gz"))
            if snap is None or not sizes:
                return
            scan = subprocess.run(
                [*self.nsview, "ps", "--json"],
                capture_output=True,
                text=True,
                env=_ENV,
                stdin=subprocess.DEVNULL,
            )
            try:
                containers = len(json.loads(scan.stdout)["containers"])
            except (ValueError, KeyError):
                containers = 0
            size = sizes[len(sizes) // 2]
            processes = sum(1 for d in os.listdir("/proc") if d.isdigit())
            snap["archive_bytes"] = size
            snap["containers"] = containers
            snap["processes"] = processes
            snap["kib_per_container"] = round(size / 1024 / containers, 2) if containers else None
            snap["kib_per_process"] = round(size / 1024 / processes, 3)
            snap["ps_s"] = snap["classic"]["median_s"]

    def snapshot_versus_commands(self) -> None:
        """What the snapshot stands for: `ps --json` once and, per container, `tree`, `cgroup`,
        `diff`, `mounts --json` and `oom` (the loaded pairs' medians; oom's from the idle host),
        each a command of its own. Called when those pairs have run."""
        pairs = self.result["pairs"]
        snap = pairs.get("snapshot")
        per = [pairs.get(k) for k in ("tree", "cgroup", "diff", "mounts", "oom_small")]
        if not snap or "containers" not in snap or any(p is None for p in per):
            return
        each = sum(p["nsview"]["median_s"] for p in per if p is not None)
        total = snap["ps_s"] + snap["containers"] * each
        snap["commands_s"] = round(total, 3)
        snap["vs_commands"] = round(snap["nsview"]["median_s"] / total, 3)

    def run(self) -> dict:
        args = self.args
        with ExitStack() as stack:
            target = stack.enter_context(target_process(not args.no_docker))
            self.result["target"] = {"pid": target.pid, "kind": target.kind}
            files = limit_files(target.pid)
            self.result["target"]["limit_files"] = files

            log("idle host: start-up and tree")
            self.startup()
            idle: dict = {}
            self.pair("tree_idle", "tree", *self.tree_args(target.pid), store=idle, count=True)
            self.pair("ps_idle", "ps", ["ps", "--json"], ["lsns", "-J"], store=idle, count=True)
            self.result["idle"] = idle
            if not args.scale:
                self.newer_commands(target)

            stack.enter_context(pid_max_for(max([args.procs, *args.scale_points_n])))
            fleet = stack.enter_context(Fleet(not args.no_docker and args.containers > 0))
            if args.scale:
                self.scale(target, fleet)
                return self.result

            self.groups_sweep(fleet)
            fleet.grow(min(args.containers, args.groups // 2))
            docker = min(len(fleet.ids), args.groups)
            stack.enter_context(Load(args.procs - docker, max(1, args.groups - docker)))
            self.result["machine"]["processes_loaded"] = sum(1 for d in os.listdir("/proc") if d.isdigit())
            pid = str(target.pid)
            if "ps" not in self.result["pairs"]:
                self.pair("ps", "ps", ["ps", "--json"], ["lsns", "-J"], count=True)
            self.pair("tree", "tree", *self.tree_args(target.pid), count=True)
            mem = memory_limit_file(files)
            chain = (
                f"pstree -spa {pid}; nsenter -t {pid} -u hostname; nsenter -t {pid} -n ip addr; "
                f"findmnt -N {pid}" + (f"; cat {mem}" if mem else "")
            )
            self.pair("diff", "diff", ["diff", pid], ["sh", "-c", chain])
            self.pair("cgroup", "cgroup", ["cgroup", pid], ["cat", *files] if files else None)
            self.pair("mounts", "mounts", ["mounts", pid, "--json"], ["findmnt", "-J", "-N", pid])
            # who holds a path: the classic answer greps every process's mount table
            held = "/var/lib/docker"
            self.pair(
                "holding",
                "mounts",
                ["mounts", "--holding", held, "--json"],
                ["sh", "-c", f"grep -l ' {held}' /proc/[0-9]*/mountinfo; true"],
            )
            self.snapshot_pair()
            self.snapshot_versus_commands()
            loaded, base = self.result["pairs"].get("tree"), idle.get("tree_idle")
            if loaded and base:
                self.result["pairs"]["tree_growth"] = {
                    "idle_s": base["nsview"]["median_s"],
                    "loaded_s": loaded["nsview"]["median_s"],
                    "ratio": round(loaded["nsview"]["median_s"] / base["nsview"]["median_s"], 3),
                    "syscalls_idle": base.get("nsview_syscalls"),
                    "syscalls_loaded": loaded.get("nsview_syscalls"),
                }
            self.judge()  # still loaded: a MISS is profiled under the load that caused it
        return self.result

    def scale(self, target: Target, fleet: Fleet) -> None:
        curve = []
        idle = self.result["idle"]
        curve.append(
            self._point(
                0, 0, self.result["machine"]["processes_before"], idle.get("ps_idle"), idle.get("tree_idle")
            )
        )
        for n, g in self.args.scale_points:
            fleet.grow(min(self.args.containers, g // 2))
            docker = min(len(fleet.ids), g)
            with Load(n - docker, max(1, g - docker)):
                present = sum(1 for d in os.listdir("/proc") if d.isdigit())
                store: dict = {}
                ps = self.pair(f"ps@{n}", "ps", ["ps", "--json"], ["lsns", "-J"], store=store, count=True)
                tree = self.pair(f"tree@{n}", "tree", *self.tree_args(target.pid), store=store, count=True)
                curve.append(self._point(n, g, present, ps, tree))
        self.result["scale"] = curve
        verdicts = []
        for label, n, limit in SCALE_TARGETS:
            point = next((p for p in curve if p["load"] == n), None)
            value = point["ps_rss_mib"] if point else None
            verdict = "SKIP" if value is None else ("PASS" if value <= limit else "MISS")
            verdicts.append({"target": label, "value": value, "limit": limit, "verdict": verdict})
        self.result["targets"] = verdicts

    @staticmethod
    def _point(n: int, groups: int, present: int, ps: dict | None, tree: dict | None) -> dict:
        def ms(entry: dict | None, side: str) -> float | None:
            return round(entry[side]["median_s"] * 1000, 1) if entry and side in entry else None

        return {
            "load": n,
            "groups": groups,
            "processes": present,
            "ps_ms": ms(ps, "nsview"),
            "lsns_ms": ms(ps, "classic"),
            "ps_rss_mib": ps["nsview_rss_mib"] if ps else None,
            "tree_ms": ms(tree, "nsview"),
            "pstree_ms": ms(tree, "classic"),
            "ps_syscalls": ps.get("nsview_syscalls") if ps else None,
            "tree_syscalls": tree.get("nsview_syscalls") if tree else None,
        }

    def judge(self) -> None:
        verdicts = []
        for label, key, limit in TARGETS:
            pair, _, metric = key.partition(".")
            value = self.result["pairs"].get(pair, {}).get(metric)
            if limit is None:
                verdict = "TODO"  # a row kept for a command that is not there yet: no number
            else:
                verdict = "SKIP" if value is None else ("PASS" if value <= limit else "MISS")
            verdicts.append({"target": label, "value": value, "limit": limit, "verdict": verdict})
            if verdict == "MISS" and self.args.profile and pair in ("ps", "tree", "tree_growth", "diff"):
                argv = self.result["pairs"][pair if pair != "tree_growth" else "tree"]["nsview"]["argv"]
                self.misses.append((label, argv[len(self.nsview) :]))
        self.result["targets"] = verdicts
        if self.misses:
            self.result["profiles"] = {}
            for _label, ns_args in self.misses:
                key = " ".join(ns_args)
                if key not in self.result["profiles"]:
                    log(f"profiling nsview {key}")
                    self.result["profiles"][key] = cprofile_top(ns_args)


# ---- nsview changes vs docker diff -------------------------------------------------------------

# Files made in the container, DIRS directories of FILES/DIRS files each, and one changed,
# chmod-ed and deleted image file: the upper layer the walk reads. busybox sh has `:` as a
# builtin, so 100 000 files cost no fork each.
CHANGES_SCRIPT = """
b=/bin/busybox
for d in $($b seq 1 {dirs}); do
  $b mkdir -p /data/$d
  for f in $($b seq 1 {per}); do : > /data/$d/$f; done
done
$b chmod 700 /tmp
$b rm /bin/wc
"""


def changes_bench(args: argparse.Namespace) -> dict:
    """`nsview changes` on a container whose upper layer holds ``args.changes_files`` files,
    beside `docker diff` of the same container (which walks in dockerd: its RSS is not the CLI's)."""
    launchers = nsview_launchers()
    # the launcher asked for, unless the nsview it starts has no `changes` (an older install)
    picked = next(
        n for n in (args.launcher, "module") if n in launchers and has_command(launchers[n], "changes")
    )
    nsview = launchers[picked]
    if not docker_ok():
        raise SystemExit("bench/run.py --changes: needs a running Docker engine")
    dirs = max(1, args.changes_files // 1000)
    per = max(1, args.changes_files // dirs)
    result: dict = {
        "machine": {
            "kernel": platform.release(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "config": {"files": dirs * per, "dirs": dirs, "repeat": args.repeat, "nsview": nsview},
        "pairs": {},
    }
    with target_process(True) as target:
        cid = target.kind.split()[-1]
        t0 = time.perf_counter()
        subprocess.run(
            ["docker", "exec", "-i", cid, "/bin/sh"],
            input=CHANGES_SCRIPT.format(dirs=dirs, per=per).encode(),
            check=True,
            capture_output=True,
        )
        log(f"changes: {dirs * per} files made in {time.perf_counter() - t0:.1f} s")
        ours = subprocess.run([*nsview, "changes", cid], capture_output=True, env=_ENV).stdout.split(b"\n")
        theirs = subprocess.run(["docker", "diff", cid], capture_output=True).stdout.split(b"\n")
        result["same_lines"] = sorted(ours) == sorted(theirs)
        result["lines"] = len([line for line in ours if line])
        dockerd = _dockerd_rss_kib()
        for key, ns_args, classic in (
            ("changes", ["changes", cid], ["docker", "diff", cid]),
            ("changes_json", ["changes", cid, "--json"], None),
            ("changes_summary", ["changes", cid, "--summary"], None),
            ("changes_limit", ["changes", cid, "--limit", "1000"], None),
        ):
            a = Side([*nsview, *ns_args])
            b = Side(classic) if classic else None
            alternate(a, b, args.repeat)
            a.probe_rss()
            if b is not None:
                b.probe_rss()
            entry = {"nsview": a.summary(), "nsview_rss_mib": round(a.rss_mib, 1)}
            if b is not None:
                entry["classic"] = b.summary()
                entry["ratio"] = round(a.median / b.median, 3)
            result["pairs"][key] = entry
            log(
                f"{key}: nsview {a.median * 1000:.0f} ms"
                + (f", docker diff {b.median * 1000:.0f} ms" if b else "")
            )
        after = _dockerd_rss_kib()
        result["dockerd_rss_mib"] = {
            "before": round(dockerd / 1024, 1) if dockerd else None,
            "after": round(after / 1024, 1) if after else None,
        }
    return result


def _dockerd_rss_kib() -> int | None:
    """dockerd's peak RSS so far (VmHWM): where `docker diff` really does its walk."""
    for pid in (d for d in os.listdir("/proc") if d.isdigit()):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "dockerd":
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            continue
    return None


def changes_report(r: dict) -> str:
    m, c = r["machine"], r["config"]
    lines = [
        f"nsview changes benchmark: Linux {m['kernel']}, {m['cpus']} CPUs, Python {m['python']}",
        f"upper layer: {c['files']} files in {c['dirs']} directories; repeat {c['repeat']}, alternating; medians",
        f"nsview changes == docker diff (as sorted lines): {r['same_lines']} ({r['lines']} lines)",
    ]
    for key, e in r["pairs"].items():
        row = f"  {key:<16} nsview {e['nsview']['median_s'] * 1000:8.1f} ms  peak RSS {e['nsview_rss_mib']:6.1f} MiB"
        if "classic" in e:
            row += (
                f" | docker diff {e['classic']['median_s'] * 1000:8.1f} ms  CLI peak RSS "
                f"{e['classic']['peak_rss_mib']:6.1f} MiB | ratio {e['ratio']:.2f}x"
            )
        lines.append(row)
    d = r["dockerd_rss_mib"]
    lines.append(
        f"  dockerd peak RSS (VmHWM) before {d['before']} MiB, after the docker diff runs {d['after']} MiB"
    )
    return "\n".join(lines)


# ---- plain-text report ------------------------------------------------------------------------------


def report(r: dict) -> str:
    L: list[str] = []
    m, c = r["machine"], r["config"]
    L.append(f"nsview benchmark: Linux {m['kernel']}, {m['cpus']} CPUs, Python {m['python']}")
    L.append(
        f"nsview launched as: {' '.join(c['nsview'])} ({c['launcher']}); repeat {c['repeat']}, "
        f"alternating; times are medians"
    )
    t = r.get("target", {})
    L.append(
        f"target: pid {t.get('pid')} ({t.get('kind')}); processes idle {m['processes_before']}"
        + (f", loaded {m['processes_loaded']}" if "processes_loaded" in m else "")
    )
    L.append(
        "commands available: "
        + ", ".join(f"{k} {'yes' if v else 'NOT YET'}" for k, v in r["available"].items())
    )

    L.append("\n== start-up (idle host) ==")
    for name, s in r.get("startup", {}).items():
        L.append(f"  {name:<28} {s['median_s'] * 1000:8.1f} ms   peak RSS {s['peak_rss_mib']:6.1f} MiB")
    st = r.get("pairs", {}).get("startup")
    if st:
        L.append(
            f"  ratios: tree / import typer,rich {st['tree_ratio']:.2f}x | tree --json / import typer "
            f"{st['tree_json_ratio']:.2f}x | --help / import typer {st['help_ratio']:.2f}x"
        )
    for name, prof in r.get("importtime", {}).items():
        L.append(
            f"  -X importtime, nsview {name}: {prof['module_count']} modules, "
            f"{prof['total_import_ms']:.0f} ms in imports; heavy loaded: {', '.join(prof['heavy_loaded']) or 'none'}"
        )
        if "beyond_baseline_count" in prof:
            top = ", ".join(f"{m['module']} {m['self_ms']:.1f}" for m in prof["beyond_baseline_top"])
            L.append(
                f"      beyond its frameworks: {prof['beyond_baseline_count']} modules, "
                f"{prof['beyond_baseline_self_ms']:.1f} ms self ({top})"
            )

    def pair_lines(title: str, key: str, entry: dict | None, classic_name: str) -> None:
        if entry is None:
            L.append(f"  {title:<36} {r['skipped'].get(key, 'not run')}")
            return
        ns = entry["nsview"]
        line = f"  {title:<36} nsview {ns['median_s'] * 1000:8.1f} ms"
        if "classic" in entry:
            line += f" | {classic_name} {entry['classic']['median_s'] * 1000:8.1f} ms | ratio {entry['ratio']:5.2f}x"
        line += f" | nsview peak RSS {entry['nsview_rss_mib']:.1f} MiB"
        if entry.get("nsview_syscalls") is not None:
            line += f" | {entry['nsview_syscalls']} syscalls"
        if ns["exit_codes"] != [0]:
            line += f" | exit {ns['exit_codes']}"
        L.append(line)

    idle = r.get("idle", {})
    L.append("\n== idle host ==")
    pair_lines("nsview tree PID vs pstree -spa PID", "tree_idle", idle.get("tree_idle"), "pstree")
    pair_lines("nsview ps --json vs lsns -J", "ps_idle", idle.get("ps_idle"), "lsns")

    pairs = r["pairs"]
    if "scale" not in r:
        L.append("\n== newer commands (idle host) ==")
        pair_lines(
            "mounts PID --json vs findmnt (target)", "mounts_small", pairs.get("mounts_small"), "findmnt"
        )
        many = pairs.get("mounts_1000")
        pair_lines("mounts PID --json vs findmnt (1000)", "mounts_1000", many, "findmnt")
        if many and "vs_small" in many:
            L.append(f"  {'':<36} 1000 mounts / the target's: {many['vs_small']:.2f}x")
        ex = pairs.get("exec")
        pair_lines("exec PID -- true vs nsenter -nuip", "exec", ex, "nsenter")
        if ex and "added_ms" in ex:
            L.append(
                f"  {'':<36} added latency {ex['added_ms']:.1f} ms = {ex['added_vs_tree_json']:.2f} x `tree PID --json`"
            )
        full = pairs.get("oom_full")
        pair_lines("oom --log <full ring buffer> --json", "oom_full", full, "grep")
        pair_lines("oom --log <fixture: 6 kills> --json", "oom_small", pairs.get("oom_small"), "grep")
        if full and "vs_small" in full:
            L.append(
                f"  {'':<36} log {full['log_bytes']} bytes, {full['kills']} kills; full / fixture {full['vs_small']:.2f}x"
            )
        if "snapshot" in pairs:
            snap = pairs["snapshot"]
            pair_lines("snapshot --all vs ps --json (loaded)", "snapshot", snap, "ps --json")
            if snap.get("archive_bytes"):
                L.append(
                    f"  {'':<36} archive {snap['archive_bytes'] / 1024:.1f} KiB (median) for "
                    f"{snap['containers']} containers and {snap['processes']} processes: "
                    f"{snap['kib_per_container']} KiB a container, {snap['kib_per_process']} KiB a process"
                )
            if snap.get("commands_s"):
                L.append(
                    f"  {'':<36} the commands it stands for (ps + tree, cgroup, diff, mounts, oom a "
                    f"container): {snap['commands_s']:.1f} s; snapshot / them {snap['vs_commands']:.2f}x"
                )

    if "scale" in r:
        L.append("\n== scale: median ms vs processes on the host ==")
        L.append(
            f"  {'load':>6} {'groups':>6} {'procs':>6} {'ps':>9} {'lsns':>9} {'ps RSS':>8} {'tree':>9} {'pstree':>9}"
            f" {'ps sysc.':>9} {'tree sysc.':>10}"
        )

        def f(v: float | None, w: int = 9) -> str:
            return f"{v:>{w}.1f}" if v is not None else f"{'-':>{w}}"

        def n(v: int | None, w: int) -> str:
            return f"{v:>{w}}" if v is not None else f"{'-':>{w}}"

        for p in r["scale"]:
            L.append(
                f"  {p['load']:>6} {p.get('groups', 0):>6} {p['processes']:>6} {f(p['ps_ms'])} {f(p['lsns_ms'])} "
                f"{f(p['ps_rss_mib'], 8)} {f(p['tree_ms'])} {f(p['pstree_ms'])}"
                f" {n(p['ps_syscalls'], 9)} {n(p['tree_syscalls'], 10)}"
            )
        L.append("  (ms: medians; RSS in MiB; sysc.: system calls of one nsview run, strace -f -c)")
        L.append("\n== targets ==")
        for v in r.get("targets", []):
            val = "-" if v["value"] is None else f"{v['value']:.2f}"
            L.append(f"  {v['verdict']:<4}  {v['target']:<46} measured {val}")
        return "\n".join(L)

    L.append(f"\n== ps: {c['procs']} processes in 25, 100, 250 groups (docker containers among them) ==")
    for key in sorted(
        (k for k in pairs if k == "ps" or k.startswith("ps@")),
        key=lambda k: (
            pairs[k]["groups"]["unshare"] + pairs[k]["groups"]["docker"] if "groups" in pairs[k] else 0
        ),
    ):
        e = pairs[key]
        g = e.get("groups", {})
        pair_lines(
            f"ps --json, {g.get('unshare', 0) + g.get('docker', 0)} groups ({g.get('docker', 0)} docker)",
            key,
            e,
            "lsns",
        )
    pg = pairs.get("ps_groups")
    if pg:
        L.append(
            f"  {'ps: ' + str(pg['high_groups']) + ' groups vs ' + str(pg['low_groups']):<36} "
            f"{pg['high_s'] * 1000:8.1f} ms vs {pg['low_s'] * 1000:8.1f} ms | ratio {pg['ratio']:5.2f}x"
        )
    bd = r.get("ps_breakdown")
    if bd and "steps_s" in bd:
        n = bd["containers"] or 1
        L.append(
            f"  where one ps --json run goes at the largest point (cProfile, {bd['containers']} containers):"
        )
        for label, sec in bd["steps_s"].items():
            if sec is None:
                L.append(f"      {label:<36} not in the profile (not called here, or renamed)")
            else:
                L.append(f"      {label:<36} {sec * 1000:8.1f} ms  {sec * 1000 / n:6.2f} ms per container")
    elif bd:
        L.append(f"  ps breakdown failed: {bd.get('error')}")

    L.append(f"\n== loaded host ({c['procs']} processes in {c['groups']} groups) ==")
    pair_lines("nsview tree PID vs pstree -spa PID", "tree", pairs.get("tree"), "pstree")
    g = pairs.get("tree_growth")
    if g:
        L.append(
            f"  {'nsview tree PID: loaded vs idle':<36} loaded {g['loaded_s'] * 1000:8.1f} ms | idle "
            f"{g['idle_s'] * 1000:8.1f} ms | ratio {g['ratio']:5.2f}x"
            + (
                f" | syscalls {g['syscalls_loaded']} loaded, {g['syscalls_idle']} idle"
                if g.get("syscalls_idle") is not None
                else ""
            )
        )
    pair_lines("nsview diff PID vs seed chain", "diff", pairs.get("diff"), "chain")
    pair_lines("nsview cgroup PID vs cat limits", "cgroup", pairs.get("cgroup"), "cat")
    pair_lines("nsview mounts PID --json vs findmnt", "mounts", pairs.get("mounts"), "findmnt")
    pair_lines("mounts --holding vs grep mountinfo", "holding", pairs.get("holding"), "grep")
    L.append(
        f"  (limit files: {len(t.get('limit_files', []))}; "
        f"chain = pstree; nsenter -u hostname; nsenter -n ip addr; findmnt -N; cat memory limit)"
    )

    L.append("\n== targets ==")
    for v in r.get("targets", []):
        val = "-" if v["value"] is None else f"{v['value']:.2f}"
        L.append(f"  {v['verdict']:<4}  {v['target']:<46} measured {val}")
    for key, text in r.get("profiles", {}).items():
        L.append(f"\n== cProfile of nsview {key} (cumulative) ==")
        L.extend("  " + line for line in text.splitlines())
    return "\n".join(L)


# ---- entry point ------------------------------------------------------------------------------------


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds through every finally: the load is removed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--procs", type=int, default=3000, help="processes to load the host with (default 3000)")
    ap.add_argument(
        "--groups", type=int, default=None, help="namespace groups of the loaded pairs (default 100)"
    )
    ap.add_argument(
        "--sweep",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[25, 100, 250],
        help="ps at the same --procs in these numbers of groups (default 25,100,250)",
    )
    ap.add_argument(
        "--containers", type=int, default=50, help="real Docker containers among the groups (default 50)"
    )
    ap.add_argument("--mounts", type=int, default=1000, help="mounts in the `mounts` pair's namespace")
    ap.add_argument("--repeat", type=int, default=7, help="timed runs per side (default 7)")
    ap.add_argument("--scale", action="store_true", help="ps and tree at several loads: the cost curve")
    ap.add_argument(
        "--scale-points",
        type=lambda s: [tuple(int(v) for v in x.split(":")) for x in s.split(",")],
        default=[(1000, 25), (3000, 100), (10000, 250)],
        help="PROCS:GROUPS,... for --scale (default 1000:25,3000:100,10000:250)",
    )
    ap.add_argument(
        "--launcher",
        choices=("script", "module", "path"),
        default="script",
        help="start nsview as the console script (default), python -m nsview, or PATH's nsview",
    )
    ap.add_argument("--no-docker", action="store_true", help="use an unshare group as the target")
    ap.add_argument(
        "--profile", action="store_true", help="on a MISS, print a cProfile of that nsview command"
    )
    ap.add_argument(
        "--changes", action="store_true", help="only nsview changes vs docker diff on a big upper layer"
    )
    ap.add_argument(
        "--changes-files", type=int, default=100_000, help="files in that upper layer (default 100000)"
    )
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--save", type=Path, help="also write the JSON results to this file")
    args = ap.parse_args(argv)
    if args.groups is None:
        args.groups = 100
    args.scale_points_n = [n for n, _ in args.scale_points] if args.scale else []
    if os.geteuid() != 0:
        print("bench/run.py: run as root (it creates namespaces and reads every process)", file=sys.stderr)
        return 2
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    try:
        result = changes_bench(args) if args.changes else Bench(args).run()
    except KeyboardInterrupt:
        print("bench/run.py: interrupted; everything started was removed", file=sys.stderr)
        return 130
    if args.save:
        args.save.write_text(json.dumps(result, indent=2) + "\n")
    text = changes_report(result) if args.changes else report(result)
    print(json.dumps(result, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
