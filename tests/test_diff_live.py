"""`nsview diff` against real kernel objects: an unshare'd process the test builds (hostname,
dummy interface, bind mount onto a path with a space, hand-made overlay root) and real Docker
containers. Every value is checked against a second source: nsenter, ip -j, findmnt -J,
docker inspect, or a direct read of /proc. Everything made here is removed by id."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.support import live

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Linux only")


def _diff(nsview_cmd, *args: str) -> tuple[int, dict]:
    r = nsview_cmd("diff", "--json", *args)
    assert r.stderr == "", r.stderr
    return r.returncode, json.loads(r.stdout)


def _flatten(fs: list[dict]) -> list[dict]:
    out = []
    for f in fs:
        out.append(f)
        out += _flatten(f.get("children", []))
    return out


@pytest.fixture
def overlay_box(tmp_path, spawn):
    """A process in new UTS/net/mount/pid namespaces whose root is a hand-made overlay, with a
    hostname, a dummy interface with an address and a bind mount onto "mnt/with space"."""
    live.need(live.is_root(), "needs root")
    for tool in ("unshare", "nsenter", "ip", "findmnt", "mount"):
        live.need(shutil.which(tool) is not None, f"needs {tool}")
    live.need(os.path.exists("/bin/busybox"), "needs busybox-static")
    lower, upper, work, merged, data = (tmp_path / n for n in ("lower", "upper", "work", "merged", "data dir"))
    for d in (lower / "bin", upper, work, merged, data, lower / "mnt" / "with space"):
        d.mkdir(parents=True)
    shutil.copy("/bin/busybox", lower / "bin" / "busybox")
    os.symlink("busybox", lower / "bin" / "sleep")
    script = (
        'set -e; mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"; '
        'mount --bind "$5" "$4/mnt/with space"; mount -o remount,bind,ro "$4/mnt/with space"; '
        "hostname boxA; "
        # a dummy interface; where the kernel has no dummy driver, a veth pair kept inside the box
        "ip link add d0 type dummy 2>/dev/null || { ip link add d0 type veth peer name d0p; ip link set d0p up; }; "
        "ip addr add 192.0.2.10/24 dev d0; ip link set d0 up; "
        "ip link set lo up; ip route add default via 192.0.2.1 dev d0; "
        'exec chroot "$4" /bin/sleep 600'
    )
    unshare = spawn(["unshare", "--uts", "--net", "--mount", "--pid", "--fork", "sh", "-c", script, "sh",
                     str(lower), str(upper), str(work), str(merged), str(data)])
    pid = live.wait_for(lambda: next((c for c in live.children_of(unshare.pid)
                                      if os.readlink(f"/proc/{c}/exe").endswith("busybox")), None))
    # the mounts live only in the box's mount namespace: they go when `spawn` kills it
    yield {"pid": pid, "lower": str(lower), "upper": str(upper), "work": str(work), "data": str(data)}


def test_unshare_box_against_nsenter_ip_and_findmnt(nsview_cmd, overlay_box):
    pid = overlay_box["pid"]
    code, out = _diff(nsview_cmd, str(pid))
    s = out["sections"]
    assert out["reference"]["role"] == "host" and out["reference"]["note"]

    # namespaces: inodes as /proc says; shared exactly where the inode is the same
    rows = {r["type"]: r for r in s["namespaces"]["rows"]}
    for ns_type in ("uts", "net", "mnt", "pid", "ipc", "user"):
        link = os.readlink(f"/proc/{pid}/ns/{ns_type}")
        assert rows[ns_type]["target"]["id"] == link
        mine = os.readlink(f"/proc/self/ns/{ns_type}")
        assert rows[ns_type]["shared"] is (mine == link)
    assert [rows[t]["shared"] for t in ("uts", "net", "mnt", "pid", "ipc")] == [False, False, False, False, True]

    # hostname: the kernel's value, as nsenter reads it
    expected = live.run("nsenter", "-t", str(pid), "-u", "hostname").stdout.strip()
    assert expected == "boxA"
    assert s["uts"]["target"]["hostname"] == expected and s["uts"]["same"] is False
    assert s["uts"]["reference"]["hostname"] == live.run("hostname").stdout.strip()

    # network: every interface, its state, MTU, MAC and addresses, as `ip -j addr` inside
    ip = json.loads(live.run("nsenter", "-t", str(pid), "-n", "ip", "-j", "addr").stdout)
    mine = {i["name"]: i for i in s["network"]["target"]["interfaces"]}
    assert set(mine) == {i["ifname"] for i in ip} and {"lo", "d0"} <= set(mine)
    for i in ip:
        m = mine[i["ifname"]]
        assert (m["operstate"], m["mtu"], m["mac"]) == (i["operstate"], i["mtu"], i["address"])
        assert {(a["address"], a["prefixlen"]) for a in m["addresses"]} == {
            (a["local"], a["prefixlen"]) for a in i["addr_info"]
        }
    assert "192.0.2.10" in {a["address"] for a in mine["d0"]["addresses"]}
    routes = json.loads(live.run("nsenter", "-t", str(pid), "-n", "ip", "-j", "route").stdout)
    default = [r for r in routes if r["dst"] == "default"]
    assert s["network"]["target"]["default_routes"] == [r["gateway"] for r in default] == ["192.0.2.1"]

    # mounts: root is the overlay made here; the bind with a space as findmnt -N shows it
    fm = _flatten(json.loads(live.run("findmnt", "-J", "-N", str(pid)).stdout)["filesystems"])
    root = s["mounts"]["target"]["root"]
    assert root["fstype"] == "overlay" == next(f for f in fm if f["target"] == "/")["fstype"]
    gd = root["overlay"]["graphdriver"]
    assert gd["LowerDir"] == overlay_box["lower"]
    assert (gd["UpperDir"], gd["WorkDir"]) == (overlay_box["upper"], overlay_box["work"])
    assert gd["MergedDir"] is None  # mounted only in the box's namespace, the host cannot see it
    only = {m["target"]: m for m in s["mounts"]["target"]["only_here"]}
    bind = only["/mnt/with space"]
    by_target = {f["target"]: f for f in fm}
    assert bind["findmnt_source"] == by_target["/mnt/with space"]["source"]
    assert bind["root"] == overlay_box["data"]
    assert bind["read_only"] is True and by_target["/mnt/with space"]["options"].startswith("ro")
    assert s["mounts"]["target"]["count"] == len(fm)
    assert code == 0, out


def test_text_output_shows_sections_and_classic_commands(nsview_cmd, overlay_box):
    pid = overlay_box["pid"]
    r = nsview_cmd("diff", "--no-color", str(pid))
    assert r.returncode == 0, r.stderr
    for needle in ("Namespaces", "isolated", "boxA", "192.0.2.10/24", "/mnt/with space",
                   f"nsenter -t {pid} -u hostname", f"findmnt -N {pid}", "reference: host = "):
        assert needle in r.stdout


def test_hostile_hostname_is_printed_inert(nsview_cmd, spawn):
    live.need(live.is_root(), "needs root")
    name = "\x1b]0;pwn\x07[red]x\u202e"
    p = spawn(["unshare", "--uts", sys.executable, "-c",
               f"import socket, time; socket.sethostname({name!r}); print(flush=True); time.sleep(600)"],
              stdout=subprocess.PIPE)
    p.stdout.readline()
    pid = live.wait_for(lambda: next(iter(live.children_of(p.pid)), None) or
                        (p.pid if os.readlink(f"/proc/{p.pid}/exe") != shutil.which("unshare") else None))
    r = nsview_cmd("diff", str(pid))
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout and "\u202e" not in r.stdout
    assert "[red]x" in r.stdout and "\\x1b]0;pwn\\x07" in r.stdout
    code, out = _diff(nsview_cmd, str(pid))
    assert out["sections"]["uts"]["target"]["hostname"] == name  # JSON keeps the raw value


def test_docker_container_hostname_overlay_limits(nsview_cmd, docker_run):
    info = docker_run("--hostname", "webhost", "-m", "256m", "--cpus", "0.5")
    pid = info["State"]["Pid"]
    code, out = _diff(nsview_cmd, str(pid))
    s = out["sections"]
    assert s["uts"]["target"]["hostname"] == "webhost" == info["Config"]["Hostname"]
    gd = s["mounts"]["target"]["root"]["overlay"]["graphdriver"]
    data = info["GraphDriver"]["Data"]
    for key in ("LowerDir", "UpperDir", "WorkDir", "MergedDir"):
        assert gd[key] == data[key], key
    assert s["mounts"]["target"]["root"]["overlay"]["driver"] == info["GraphDriver"]["Name"]
    only = {m["target"]: m for m in s["mounts"]["target"]["only_here"]}
    assert only["/etc/hostname"]["root"] == info["HostnamePath"]
    assert only["/proc"]["fstype"] == "proc"
    mem = s["limits"]["target"]["limits"]["memory"]
    assert mem == {"value": info["HostConfig"]["Memory"], "unlimited": False, "unit": "bytes", "text": "256 MiB"}
    assert s["limits"]["reference"]["limits"]["memory"]["value"] != mem["value"]
    # docker keeps --cpus as NanoCpus; the diff speaks in CPUs (a unit slip once showed "5 CPUs")
    cpus = s["limits"]["target"]["limits"]["cpus"]
    assert cpus["value"] == info["HostConfig"]["NanoCpus"] / 1e9 and cpus["text"] == "0.5 CPUs"
    rows = {r["type"]: r for r in s["namespaces"]["rows"]}
    for ns_type in ("uts", "net", "mnt", "pid", "ipc"):
        assert rows[ns_type]["shared"] is False
        assert rows[ns_type]["target"]["id"] == os.readlink(f"/proc/{pid}/ns/{ns_type}")
    # docker here gives a container only "lo" (dockerd --bridge=none)
    ip = json.loads(live.run("nsenter", "-t", str(pid), "-n", "ip", "-j", "addr").stdout)
    assert [i["name"] for i in s["network"]["target"]["interfaces"]] == [i["ifname"] for i in ip]
    assert code == 0


def test_docker_host_namespaces_are_shared(nsview_cmd, docker_run):
    info = docker_run("--network", "host", "--uts", "host", "--pid", "host")
    pid = info["State"]["Pid"]
    code, out = _diff(nsview_cmd, str(pid))
    rows = {r["type"]: r for r in out["sections"]["namespaces"]["rows"]}
    assert [rows[t]["shared"] for t in ("net", "uts", "pid")] == [True, True, True]
    assert rows["mnt"]["shared"] is False
    assert out["sections"]["uts"]["same"] is True
    assert out["sections"]["network"]["same"] is True
    assert code == 0


def test_against_compares_two_targets(nsview_cmd, docker_run):
    a = docker_run("--hostname", "alpha")["State"]["Pid"]
    b = docker_run("--hostname", "beta")["State"]["Pid"]
    code, out = _diff(nsview_cmd, str(a), "--against", str(b))
    assert out["reference"] == {"pid": b, "name": "sleep", "role": "against", "note": None}
    assert (out["sections"]["uts"]["reference"]["hostname"], out["sections"]["uts"]["target"]["hostname"]) == ("beta", "alpha")
    rows = {r["type"]: r for r in out["sections"]["namespaces"]["rows"]}
    assert rows["net"]["shared"] is False and rows["user"]["shared"] is True
    assert code == 0


def test_zombie_target_is_partial(nsview_cmd, spawn):
    p = spawn([sys.executable, "-c",
               "import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(600)"],
              stdout=subprocess.PIPE)
    zombie = int(p.stdout.readline())
    live.wait_for(lambda: open(f"/proc/{zombie}/stat").read().rsplit(")", 1)[1].split()[0] == "Z")
    code, out = _diff(nsview_cmd, str(zombie))
    assert code == 6 and out["partial"] is True
    s = out["sections"]
    assert "zombie" in s["uts"]["errors"]["target"] and s["uts"]["target"] is None
    assert "zombie" in s["network"]["errors"]["target"] and s["mounts"]["target"] is None
    assert s["uts"]["reference"] is not None  # the rest still shows


def test_kernel_thread_is_partial(nsview_cmd):
    code, out = _diff(nsview_cmd, "2")
    flags = int(open("/proc/2/stat").read().rsplit(")", 1)[1].split()[6])
    assert flags & 0x00200000  # PF_KTHREAD: pid 2 is kthreadd
    assert code == 6
    assert "kernel thread" in out["sections"]["uts"]["errors"]["target"]
    rows = {r["type"]: r for r in out["sections"]["namespaces"]["rows"]}
    assert rows["net"]["target"]["id"] == os.readlink("/proc/2/ns/net")


def test_missing_target(nsview_cmd):
    r = nsview_cmd("diff", "--json", "4194304999")
    assert r.returncode == 3
    assert json.loads(r.stdout)["error"]["exit_code"] == 3


def test_enter_pins_process_identity_and_reaps(spawn):
    from nsview.collect.stat import read_stat
    from nsview.collect.uts import read_uts
    from nsview.errors import NoSuchProcess
    from nsview.procfs import ProcFS

    live.need(live.is_root(), "needs root")
    p = spawn(["unshare", "--uts", "sh", "-c", "hostname pinned; exec sleep 600"])
    live.wait_for(lambda: os.readlink(f"/proc/{p.pid}/exe").endswith("sleep"))
    proc = ProcFS()
    start = read_stat(proc, p.pid).starttime
    assert read_uts(proc, p.pid, starttime=start).hostname == "pinned"
    with pytest.raises(NoSuchProcess):
        read_uts(proc, p.pid, starttime=start + 1)  # as if the pid had been reused
    assert live.children_of(os.getpid()) == [p.pid]  # no helper child left behind, not even a zombie
