"""What a container may do to its host, on real containers: `nsview diff`'s Privileges section
and `nsview ps`'s PRIVILEGES column, each value checked against a second source: `docker
inspect` / `podman inspect` (HostConfig.CapAdd, CapDrop, SecurityOpt, Mounts), `capsh --decode`
of the masks in /proc/PID/status, the Seccomp and NoNewPrivs lines the test reads itself, the
devices cgroup's devices.list, and the namespace links of /proc. Containers are removed by id
(conftest's docker_run and podman_run)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.support import live

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="Linux only"), pytest.mark.live]

# `--privileged` cannot start on these machines (the sandbox withholds CAP_SYS_RESOURCE, so runc
# cannot apply "all"); this grants everything else it grants: privileged-equivalent.
PRIVILEGED_EQUIVALENT = (
    "--cap-add",
    "ALL",
    "--cap-drop",
    "SYS_RESOURCE",
    "--security-opt",
    "seccomp=unconfined",
    "--security-opt",
    "apparmor=unconfined",
    "--device-cgroup-rule",
    "a *:* rwm",
)


def _status(pid: int) -> dict[str, str]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def _capsh(mask: str) -> list[str]:
    """`capsh --decode=MASK` -> names as nsview spells them (CAP_ and lower case dropped)."""
    live.need(shutil.which("capsh") is not None, "needs capsh (Debian libcap2-bin; .ci/run installs it)")
    out = live.run("capsh", f"--decode={mask}").stdout.strip()
    names = out.split("=", 1)[1] if "=" in out else ""
    return [n.removeprefix("cap_").upper() for n in names.split(",") if n]


def _devices_list(pid: int) -> list[str] | None:
    """The v1 devices cgroup's rules for ``pid``, read by the test; None on a v2-only host."""
    for line in open(f"/proc/{pid}/cgroup").read().splitlines():
        _hid, controllers, path = line.split(":", 2)
        if "devices" in controllers.split(","):
            with open(f"/sys/fs/cgroup/devices{path}/devices.list") as f:
                return f.read().split("\n")[:-1]
    return None


def _diff_priv(nsview_cmd, pid: int) -> dict:
    r = nsview_cmd("diff", "--json", str(pid))
    assert r.returncode in (0, 6), r.stdout + r.stderr
    return json.loads(r.stdout)["sections"]["privileges"]


def _ps_priv(nsview_cmd, cid: str) -> dict:
    r = nsview_cmd("ps", "--json")
    assert r.returncode == 0, r.stderr
    rows = [c for c in json.loads(r.stdout)["containers"] if c["id"] == cid]
    assert len(rows) == 1, f"{cid} not listed once"
    return rows[0]["privileges"]


def _strip(names: list[str] | None) -> list[str]:
    return [n.removeprefix("CAP_") for n in names or []]


def _check_caps_against_kernel(priv: dict, pid: int) -> None:
    """The sets nsview names are the masks of /proc/PID/status as capsh decodes them."""
    status = _status(pid)
    caps = priv["capabilities"]
    for key, name in (("CapBnd", "bounding"), ("CapEff", "effective"), ("CapPrm", "permitted")):
        assert caps["masks"][key] == status[key]
        assert caps[name] == _capsh(status[key]), key
    assert priv["seccomp"]["mode"] == int(status["Seccomp"])
    if "Seccomp_filters" in status:
        assert priv["seccomp"]["filters"] == int(status["Seccomp_filters"])
    assert priv["no_new_privs"] == (status["NoNewPrivs"] == "1")


def test_docker_default_is_default(docker_run, nsview_cmd):
    info = docker_run()
    pid, cid = info["State"]["Pid"], info["Id"]
    assert not info["HostConfig"]["CapAdd"] and not info["HostConfig"]["CapDrop"]
    section = _diff_priv(nsview_cmd, pid)
    priv = section["target"]
    _check_caps_against_kernel(priv, pid)
    assert priv["engine"] == "docker" and priv["capabilities"]["compared_with"] == "docker default"
    assert priv["capabilities"]["added"] == [] and priv["capabilities"]["dropped"] == []
    assert priv["summary"].split(", ")[0] == "default"
    assert priv["privileged"] is False
    assert priv["seccomp"]["mode_name"] == "filter"
    rules = _devices_list(pid)
    if rules is not None:
        assert priv["devices"]["rules"] == rules and priv["devices"]["every_device"] is False
    assert not [f for f in section["findings"] if f["severity"] == "high"], section["findings"]
    assert priv["user"]["root_is_host_root"] is True  # Docker makes no user namespace by default
    assert _ps_priv(nsview_cmd, cid)["summary"] == priv["summary"]


def test_cap_add_and_drop_are_named(docker_run, nsview_cmd):
    info = docker_run("--cap-add", "SYS_ADMIN", "--cap-drop", "NET_RAW")
    pid, cid = info["State"]["Pid"], info["Id"]
    priv = _diff_priv(nsview_cmd, pid)["target"]
    _check_caps_against_kernel(priv, pid)
    assert priv["capabilities"]["added"] == _strip(info["HostConfig"]["CapAdd"]) == ["SYS_ADMIN"]
    assert priv["capabilities"]["dropped"] == _strip(info["HostConfig"]["CapDrop"]) == ["NET_RAW"]
    assert priv["summary"].startswith("+SYS_ADMIN -NET_RAW")
    high = [f for f in priv["findings"] if f["severity"] == "high"]
    assert any(f["item"] == "capabilities" and "SYS_ADMIN" in f["reason"] for f in high), priv["findings"]
    row = _ps_priv(nsview_cmd, cid)
    assert row["summary"] == priv["summary"]
    r = nsview_cmd("ps", "--runtime", "docker")
    line = next(ln for ln in r.stdout.splitlines() if info["Id"][:12] in ln)
    assert "+SYS_ADMIN -NET_RAW" in line


def test_seccomp_unconfined(docker_run, nsview_cmd):
    info = docker_run("--security-opt", "seccomp=unconfined")
    pid = info["State"]["Pid"]
    assert "seccomp=unconfined" in info["HostConfig"]["SecurityOpt"]
    priv = _diff_priv(nsview_cmd, pid)["target"]
    _check_caps_against_kernel(priv, pid)
    assert _status(pid)["Seccomp"] == "0"
    assert priv["seccomp"]["mode_name"] == "disabled"
    assert "unconfined" in priv["summary"].split(", ")
    assert {
        "severity": "medium",
        "item": "seccomp",
        "reason": "no seccomp filter: every system call is allowed",
    } in priv["findings"]
    assert _ps_priv(nsview_cmd, info["Id"])["summary"] == priv["summary"]


def test_no_new_privileges(docker_run, nsview_cmd):
    info = docker_run("--security-opt", "no-new-privileges")
    pid = info["State"]["Pid"]
    priv = _diff_priv(nsview_cmd, pid)["target"]
    assert _status(pid)["NoNewPrivs"] == "1"
    assert priv["no_new_privs"] is True
    assert not [f for f in priv["findings"] if f["item"] == "no_new_privs"]
    r = nsview_cmd("diff", str(pid))
    assert re.search(r"^no_new_privs\s+no\s+yes\s+differs\s*$", r.stdout, flags=re.M), r.stdout


def test_docker_socket_mount(docker_run, nsview_cmd):
    live.need(os.path.exists("/var/run/docker.sock"), "needs /var/run/docker.sock")
    info = docker_run("-v", "/var/run/docker.sock:/var/run/docker.sock")
    pid = info["State"]["Pid"]
    priv = _diff_priv(nsview_cmd, pid)["target"]
    [mount] = [m for m in info["Mounts"] if m["Destination"] == "/var/run/docker.sock"]
    risks = [m for m in priv["mounts"] if m["kind"] == "engine socket"]
    assert [m["target"] for m in risks] == [mount["Destination"]]
    # the host path as the host's mount table has it: docker's Source, /var/run being /run
    assert os.path.realpath(risks[0]["host_path"]) == os.path.realpath(mount["Source"])
    assert risks[0]["read_only"] is (not mount["RW"])
    assert any(f["severity"] == "high" and f["item"] == "mounts" for f in priv["findings"])
    assert "docker.sock" in priv["summary"].split(", ")
    assert "docker.sock" in _ps_priv(nsview_cmd, info["Id"])["summary"]


def test_host_pid_and_net(docker_run, nsview_cmd):
    info = docker_run("--pid", "host", "--net", "host")
    pid = info["State"]["Pid"]
    priv = _diff_priv(nsview_cmd, pid)["target"]
    mine, its = live.ns_links(os.getpid()), live.ns_links(pid)  # the test runs in the host's
    shared = sorted(t for t in its if its[t] == mine.get(t))
    assert {"pid", "net"} <= set(shared)
    assert sorted(priv["shared_namespaces"]) == shared
    assert "host pid,net" in priv["summary"].split(", ")
    reasons = {f["reason"] for f in priv["findings"] if f["severity"] == "high" and f["item"] == "namespaces"}
    assert any("pid namespace" in r for r in reasons) and any("network namespace" in r for r in reasons)
    assert _ps_priv(nsview_cmd, info["Id"])["summary"] == priv["summary"]


def test_privileged_equivalent(docker_run, nsview_cmd):
    info = docker_run(*PRIVILEGED_EQUIVALENT)
    pid = info["State"]["Pid"]
    section = _diff_priv(nsview_cmd, pid)
    priv = section["target"]
    _check_caps_against_kernel(priv, pid)
    host = section["reference"]
    # every capability the host has (the sandbox's bounding set, without SYS_RESOURCE here) but
    # those newer than the engine knows (Docker 20.10's ALL ends at AUDIT_READ), named
    missing = [c for c in host["capabilities"]["bounding"] if c not in priv["capabilities"]["bounding"]]
    assert len(missing) <= 3 and "SYS_ADMIN" not in missing
    [reason] = [f["reason"] for f in priv["findings"] if f["reason"].startswith("privileged")]
    assert all(c in reason for c in missing), reason
    assert priv["privileged"] is True and priv["summary"].split(", ")[0] == "privileged"
    rules = _devices_list(pid)
    if rules is not None:
        assert rules == ["a *:* rwm"] and priv["devices"]["every_device"] is True
        assert any(f["item"] == "devices" and f["severity"] == "high" for f in priv["findings"])
    assert any(
        f["item"] == "capabilities" and f["severity"] == "high" and f["reason"].startswith("privileged")
        for f in section["findings"]
    )
    row = _ps_priv(nsview_cmd, info["Id"])
    assert row["privileged"] is True and row["summary"] == priv["summary"]
    # the CI gate of docs/security-review.md: a high finding fails it
    high = [f for f in row["findings"] if f["severity"] == "high"]
    assert high


def test_podman_default_names_the_difference_from_docker(podman_run, nsview_cmd):
    info = podman_run()
    pid, cid = info["State"]["Pid"], info["Id"]
    priv = _diff_priv(nsview_cmd, pid)["target"]
    _check_caps_against_kernel(priv, pid)
    assert priv["engine"] == "podman" and priv["summary"].split(", ")[0] == "default"
    docker_default = set(_capsh("00000000a80425fb"))  # Docker's documented default set
    missing = docker_default - set(priv["capabilities"]["bounding"])
    assert missing == set(_strip(info["HostConfig"]["CapDrop"])) == {"NET_RAW", "MKNOD", "AUDIT_WRITE"}
    assert _ps_priv(nsview_cmd, cid)["summary"] == priv["summary"]
    text = nsview_cmd("diff", str(pid)).stdout
    assert "podman default (11) (= Docker's without NET_RAW MKNOD AUDIT_WRITE)" in text, text


@pytest.mark.parametrize("as_nobody", [False, True], ids=["as-root", "as-nobody"])
def test_unshare_map_root_user(spawn, nsview_cmd, as_nobody):
    live.need(live.is_root(), "needs root")
    live.need(shutil.which("unshare") is not None and shutil.which("setpriv") is not None, "needs util-linux")
    uid = 65534 if as_nobody else 0
    argv = ["unshare", "--user", "--map-root-user", "sleep", "600"]
    if as_nobody:
        argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *argv]
    p = spawn(argv)
    live.wait_for(lambda: live.ns_links(p.pid).get("user") != live.ns_links(os.getpid()).get("user"))
    uid_map = open(f"/proc/{p.pid}/uid_map").read().split()
    assert uid_map == ["0", str(uid), "1"]
    priv = _diff_priv(nsview_cmd, p.pid)["target"]
    user = priv["user"]
    assert user["own_namespace"] is True and user["root_outside"] == uid
    if as_nobody:
        assert user["text"] == f"root inside is uid {uid} outside"
        assert f"userns {uid}" in priv["summary"].split(", ")
    else:
        assert user["text"] == "user namespace maps uid 0 to 0: root in the container is root on the host"
    r = nsview_cmd("diff", str(p.pid))
    assert user["text"] in r.stdout


def test_host_paths_mounted(docker_run, nsview_cmd, tmp_path):
    """The host's root (read-only, recursive: its submounts come along), /proc, /dev and /run,
    and a host directory read-write: each named, its host path the one docker inspect gives."""
    data = tmp_path / "data"
    data.mkdir()
    info = docker_run(
        "-v",
        "/:/host:ro",
        "-v",
        "/proc:/hostproc",
        "-v",
        "/dev:/hostdev",
        "-v",
        "/run:/hostrun",
        "-v",
        f"{data}:/data",
    )
    priv = _diff_priv(nsview_cmd, info["State"]["Pid"])["target"]
    kinds = {m["target"]: m for m in priv["mounts"]}
    sources = {m["Destination"]: m["Source"] for m in info["Mounts"]}
    want = {
        "/host": "host root",
        "/hostproc": "host /proc",
        "/hostdev": "host /dev",
        "/hostrun": "host /run",
        "/data": "host path rw",
    }
    assert {t: kinds[t]["kind"] for t in want if t in kinds} == want
    for target in want:
        assert os.path.realpath(kinds[target]["host_path"]) == os.path.realpath(sources[target]), target
    assert kinds["/host"]["read_only"] is True and kinds["/data"]["read_only"] is False
    # the host's mounts that came along below /host are folded into the one finding
    assert not [t for t in kinds if t.startswith("/host/")]
    summary = priv["summary"].split(", ")
    assert {"host root", "host /proc", "host /dev", "host /run"} <= set(summary)
    findmnt = json.loads(live.run("findmnt", "-J", "-N", str(info["State"]["Pid"]), "-R", "/host").stdout)
    below = len(findmnt["filesystems"][0].get("children", []))
    if below:
        assert "more below it" in kinds["/host"]["reason"]


def test_containerd_default_is_dockers(ctr_run, nsview_cmd):
    """ctr's default spec (containerd's oci defaultUnixCaps) is Docker's 14: "default" against it."""
    ns, cid = "nsview-priv", f"priv-{os.getpid()}"
    pid = ctr_run(ns, cid)
    # by pid (ctr's cgroup path /NAMESPACE/ID names no engine: its shim's argv does) and by
    # the TARGET namespace/id
    by_pid = _diff_priv(nsview_cmd, pid)["target"]
    r = nsview_cmd("diff", "--json", f"{ns}/{cid}")
    priv = json.loads(r.stdout)["sections"]["privileges"]["target"]
    assert by_pid == priv
    _check_caps_against_kernel(priv, pid)
    assert priv["engine"] == "containerd" and priv["capabilities"]["compared_with"] == "containerd default"
    assert _status(pid)["CapBnd"] == "00000000a80425fb"  # the kernel: Docker's documented set
    assert priv["summary"].split(", ")[0] == "default"
    r = nsview_cmd("ps", "--json", "--runtime", "containerd")
    [row] = [c for c in json.loads(r.stdout)["containers"] if c["id"] == cid]
    assert row["privileges"]["summary"] == priv["summary"]


# ---- cgroup v2 device rules: BPF programs, counted as bpftool counts them --------------------


def _bpftool_device_programs(directory: str) -> int:
    r = live.run("bpftool", "-j", "cgroup", "show", directory, "effective")
    listed = json.loads(r.stdout) if r.stdout.strip() else []
    return sum(1 for p in listed if p["attach_type"] in ("cgroup_device", "device"))


@pytest.fixture
def v2_cgroup():
    """A fresh directory in this host's cgroup v2 hierarchy (the unified one of a hybrid host),
    with a child; both removed after."""
    live.need(live.is_root(), "needs root (bpf and cgroup directories)")
    live.need(shutil.which("bpftool") is not None, "bpftool (Debian's bpftool) is not installed")
    base = next(
        (
            line.split()[4]
            for line in open("/proc/self/mountinfo")
            if line.split(" - ")[1].split()[0] == "cgroup2"
        ),
        None,
    )
    live.need(base is not None, "no cgroup v2 hierarchy is mounted")
    top = f"{base}/{live.unique_name('nsv-bpf')}"
    os.makedirs(f"{top}/child")
    try:
        yield top
    finally:
        os.rmdir(f"{top}/child")
        os.rmdir(top)


def test_v2_device_programs_counted_as_bpftool_counts_them(v2_cgroup):
    """The reader behind `devices.bpf_programs`: none on a fresh cgroup (every device: the
    kernel checks nothing), one once a device program is attached, inherited by the child."""
    from nsview.procfs import KernelFS
    from tests.support.bpf import device_program_on

    fs = KernelFS("/")
    for d in (v2_cgroup, f"{v2_cgroup}/child"):
        assert fs.cgroup_device_programs(d.lstrip("/")) == _bpftool_device_programs(d) == 0
    with device_program_on(v2_cgroup):
        for d in (v2_cgroup, f"{v2_cgroup}/child"):
            assert fs.cgroup_device_programs(d.lstrip("/")) == _bpftool_device_programs(d) == 1
    assert fs.cgroup_device_programs(v2_cgroup.lstrip("/")) == 0  # detached again


def test_v2_device_programs_as_nobody_are_not_known(v2_cgroup):
    """Not root: the kernel refuses BPF_PROG_QUERY (EPERM): access denied, never a guess
    (docs/hardening.md, row 42)."""
    import tempfile
    from pathlib import Path

    from tests.hardening.util import unprivileged_python

    work = Path(tempfile.mkdtemp(prefix="nsview-nobody-"))  # pytest's tmp is 0700: nobody can't read it
    try:
        work.chmod(0o755)
        run = unprivileged_python(work)
        live.need(run is not None, "cannot run python as nobody here")
        assert run is not None
        prefix, env = run
        r = _query_as(prefix, env, v2_cgroup)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert r.stdout.strip() == "denied", r.stderr


def _query_as(prefix: list[str], env: dict[str, str], v2_cgroup: str) -> subprocess.CompletedProcess:
    code = (
        "from nsview.procfs import KernelFS\nfrom nsview.errors import AccessDenied\n"
        f"try:\n    KernelFS('/').cgroup_device_programs({v2_cgroup.lstrip('/')!r})\n"
        "except AccessDenied:\n    print('denied')\n"
    )
    return subprocess.run([*prefix, "-c", code], env=env, capture_output=True, text=True, cwd="/")
