"""`nsview diff` against real kernel objects: an unshare'd process the test builds (hostname,
dummy interface, bind mount onto a path with a space, hand-made overlay root) and real Docker
containers. Every value is checked against a second source: nsenter, ip -j, findmnt -J,
docker inspect, or a direct read of /proc. Everything made here is removed by id."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import live

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="Linux only"), pytest.mark.live]


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
    lower, upper, work, merged, data = (
        tmp_path / n for n in ("lower", "upper", "work", "merged", "data dir")
    )
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
    unshare = spawn(
        [
            "unshare",
            "--uts",
            "--net",
            "--mount",
            "--pid",
            "--fork",
            "sh",
            "-c",
            script,
            "sh",
            str(lower),
            str(upper),
            str(work),
            str(merged),
            str(data),
        ]
    )
    pid = live.wait_for(
        lambda: next(
            (c for c in live.children_of(unshare.pid) if os.readlink(f"/proc/{c}/exe").endswith("busybox")),
            None,
        )
    )
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
    assert [rows[t]["shared"] for t in ("uts", "net", "mnt", "pid", "ipc")] == [
        False,
        False,
        False,
        False,
        True,
    ]

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
    for needle in (
        "Namespaces",
        "isolated",
        "boxA",
        "192.0.2.10/24",
        "/mnt/with space",
        f"nsenter -t {pid} -u hostname",
        f"findmnt -N {pid}",
        "reference: host = ",
    ):
        assert needle in r.stdout


def test_hostile_hostname_is_printed_inert(nsview_cmd, spawn):
    live.need(live.is_root(), "needs root")
    name = "\x1b]0;pwn\x07[red]x\u202e"
    p = spawn(
        [
            "unshare",
            "--uts",
            sys.executable,
            "-c",
            f"import socket, time; socket.sethostname({name!r}); print(flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
    )
    p.stdout.readline()
    pid = live.wait_for(
        lambda: (
            next(iter(live.children_of(p.pid)), None)
            or (p.pid if os.readlink(f"/proc/{p.pid}/exe") != shutil.which("unshare") else None)
        )
    )
    r = nsview_cmd("diff", str(pid))
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout and "\u202e" not in r.stdout
    assert "[red]x" in r.stdout and "\\x1b]0;pwn\\x07" in r.stdout
    _code, out = _diff(nsview_cmd, str(pid))
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
    # its own proc on the host's /proc: another instance on the same path, not an "only" row
    assert "/proc" not in only
    proc_row = next(x for x in s["mounts"]["target"]["other_instance"] if x["target"] == "/proc")
    assert proc_row["here"]["fstype"] == proc_row["other"]["fstype"] == "proc"
    mem = s["limits"]["target"]["limits"]["memory"]
    assert mem == {
        "value": info["HostConfig"]["Memory"],
        "unlimited": False,
        "unit": "bytes",
        "text": "256 MiB",
    }
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
    assert (
        out["sections"]["uts"]["reference"]["hostname"],
        out["sections"]["uts"]["target"]["hostname"],
    ) == ("beta", "alpha")
    rows = {r["type"]: r for r in out["sections"]["namespaces"]["rows"]}
    assert rows["net"]["shared"] is False and rows["user"]["shared"] is True
    assert code == 0


def test_zombie_target_is_partial(nsview_cmd, spawn):
    _, zombie = live.zombie(spawn)
    code, out = _diff(nsview_cmd, str(zombie))
    assert code == 6 and out["partial"] is True
    s = out["sections"]
    assert "zombie" in s["uts"]["errors"]["target"] and s["uts"]["target"] is None
    assert "zombie" in s["network"]["errors"]["target"] and s["mounts"]["target"] is None
    # its v1 cgroups now read "/": the root's limits must not pass for the zombie's
    assert "zombie" in s["limits"]["errors"]["target"] and s["limits"]["target"] is None
    assert s["uts"]["reference"] is not None  # the rest still shows


def test_kernel_thread_is_read_like_any_process(nsview_cmd):
    # kthreadd lives in the initial namespaces, entered through its ns links like any process
    code, out = _diff(nsview_cmd, "2")
    flags = int(live.stat_fields(2)[6])
    assert flags & 0x00200000  # PF_KTHREAD: pid 2 is kthreadd
    assert code == 0, out.get("notes")
    hostname = live.run("nsenter", "-t", "2", "-u", "hostname").stdout.strip()
    assert out["sections"]["uts"]["target"]["hostname"] == hostname
    rows = {r["type"]: r for r in out["sections"]["namespaces"]["rows"]}
    assert rows["net"]["target"]["id"] == os.readlink("/proc/2/ns/net")
    same_uts = os.readlink("/proc/2/ns/uts") == os.readlink("/proc/self/ns/uts")  # nsview ran beside us
    assert out["sections"]["uts"]["same"] is same_uts


def test_missing_target(nsview_cmd):
    r = nsview_cmd("diff", "--json", "4194304999")
    assert r.returncode == 3
    assert json.loads(r.stdout)["error"]["exit_code"] == 3


def test_enter_pins_process_identity_and_reaps(spawn):
    from nsview.errors import NoSuchProcess
    from nsview.procfs import ProcFS
    from nsview.read.hostname import read_uts
    from nsview.read.process import read_stat

    live.need(live.is_root(), "needs root")
    p = spawn(["unshare", "--uts", "sh", "-c", "hostname pinned; exec sleep 600"])
    live.wait_for(lambda: os.readlink(f"/proc/{p.pid}/exe").endswith("sleep"))
    proc = ProcFS()
    start = read_stat(proc, p.pid).starttime
    assert read_uts(proc, p.pid, starttime=start).hostname == "pinned"
    with pytest.raises(NoSuchProcess):
        read_uts(proc, p.pid, starttime=start + 1)  # as if the pid had been reused
    assert live.children_of(os.getpid()) == [p.pid]  # no helper child left behind, not even a zombie


def test_against_two_namespaces_with_equal_contents_are_not_the_same(nsview_cmd, docker_run):
    # Two containers with only "lo": identical network contents, two network namespaces.
    a_info = docker_run("--name", live.unique_name("fix1"), "--hostname", "twin")
    b_info = docker_run("--name", live.unique_name("fix1"), "--hostname", "twin")
    a, b = a_info["State"]["Pid"], b_info["State"]["Pid"]
    code, out = _diff(nsview_cmd, str(a), "--against", str(b))
    s = out["sections"]
    assert [i["name"] for i in s["network"]["target"]["interfaces"]] == ["lo"]
    assert (
        s["network"]["target"]["interfaces"] == s["network"]["reference"]["interfaces"]
    )  # equal contents...
    assert s["uts"]["target"] == s["uts"]["reference"] == {"hostname": "twin", "domainname": "(none)"}
    for section, ns_type in (("network", "net"), ("uts", "uts"), ("mounts", "mnt"), ("user_maps", "user")):
        # ...yet sameness is the namespace's inode, as readlink says
        same_inode = os.readlink(f"/proc/{a}/ns/{ns_type}") == os.readlink(f"/proc/{b}/ns/{ns_type}")
        assert s[section]["namespace"] == ns_type and s[section]["same"] is same_inode, section
    assert (s["network"]["same"], s["uts"]["same"], s["mounts"]["same"], s["user_maps"]["same"]) == (
        False,
        False,
        False,
        True,
    )
    assert s["limits"]["namespace"] is None

    # --against words: both pids in every classic line, rows say same/differs
    classic = {k: v["classic"] for k, v in s.items()}
    assert classic["uts"] == f"nsenter -t {a} -u hostname   vs   nsenter -t {b} -u hostname"
    for key in ("namespaces", "user_maps", "network", "mounts", "limits"):
        assert str(a) in classic[key] or a_info["Id"] in classic[key], key
        assert str(b) in classic[key] or b_info["Id"] in classic[key], key
    assert a_info["GraphDriver"]["Name"] == "overlay2" and "docker inspect" in classic["mounts"]
    r = nsview_cmd("diff", "--no-color", str(a), "--against", str(b))
    assert "same netns" not in r.stdout and "isolated" not in r.stdout and "shared" not in r.stdout
    rows = {
        line.split()[0]: line.split()
        for line in r.stdout.splitlines()
        if re.match(r"(net|user|uts) +[a-z]+:\[", line)
    }
    assert rows["net"][1:] == [os.readlink(f"/proc/{b}/ns/net"), os.readlink(f"/proc/{a}/ns/net"), "differs"]
    # the one shared namespace is named on the collapsed line, not a row of its own
    assert "user" not in rows
    [same_line] = [x for x in r.stdout.splitlines() if x.startswith("same namespace on both sides: ")]
    assert "user" in same_line.split(": ", 1)[1].split(";")[0].split(", ")
    # each section's namespace is the Namespaces section's row: not repeated below it
    assert not any(line.startswith("namespace ") for line in r.stdout.splitlines())
    assert code == 0


def test_containerd_mounts_hint_names_no_docker(nsview_cmd, ctr_run):
    import uuid

    pid = ctr_run("fix1", f"fix1-{uuid.uuid4().hex[:8]}")
    code, out = _diff(nsview_cmd, str(pid))
    assert code == 0
    root = out["sections"]["mounts"]["target"]["root"]
    fm = _flatten(json.loads(live.run("findmnt", "-J", "-N", str(pid)).stdout)["filesystems"])
    assert root["fstype"] == "overlay" == next(f for f in fm if f["target"] == "/")["fstype"]
    assert root["overlay"]["driver"] == "containerd-overlayfs"
    classic = out["sections"]["mounts"]["classic"]
    assert "docker" not in classic and "ctr" in classic and f"findmnt -N {pid}" in classic


def test_host_side_root_cgroup_is_unlimited(nsview_cmd, docker_run, spawn):
    live.need(live.is_root(), "needs root")
    pids_root = "/sys/fs/cgroup/pids"
    live.need(os.path.exists(f"{pids_root}/cgroup.procs"), "needs the cgroup v1 pids controller")
    info = docker_run("--name", live.unique_name("fix1"), "--pids-limit", "100")
    host_like = spawn(["sleep", "600"])
    with open(f"{pids_root}/cgroup.procs", "w") as f:  # into the root cgroup, as the host's processes
        f.write(str(host_like.pid))
    assert any(
        line.startswith(tuple(f"{n}:pids:/" for n in range(1, 64))) and line.endswith(":/")
        for line in Path(f"/proc/{host_like.pid}/cgroup").read_text().splitlines()
    )
    assert not os.path.exists(f"{pids_root}/pids.max")  # the root has no limit file: it cannot be limited
    pid = info["State"]["Pid"]
    code, out = _diff(nsview_cmd, str(pid), "--against", str(host_like.pid))
    assert code == 0
    lim = out["sections"]["limits"]
    assert lim["reference"]["limits"]["pids"] == {
        "value": None,
        "unlimited": True,
        "unit": "pids",
        "text": "unlimited",
    }
    assert lim["target"]["limits"]["pids"]["value"] == info["HostConfig"]["PidsLimit"] == 100
    r = nsview_cmd("diff", "--no-color", str(pid), "--against", str(host_like.pid))
    assert re.search(r"\npids\s+unlimited\s+100\s+differs", r.stdout), r.stdout


def test_mounts_text_lists_each_side_or_says_none(nsview_cmd, spawn, tmp_path):
    live.need(live.is_root(), "needs root")
    # Two host processes in one mount namespace: nothing is "only here", and no empty table.
    a, b = spawn(["sleep", "600"]), spawn(["sleep", "600"])
    assert os.readlink(f"/proc/{a.pid}/ns/mnt") == os.readlink(f"/proc/{b.pid}/ns/mnt")
    code, out = _diff(nsview_cmd, str(a.pid), "--against", str(b.pid))
    assert code == 0
    m = out["sections"]["mounts"]
    assert m["same"] is True and m["target"]["only_here"] == m["reference"]["only_here"] == []
    text = nsview_cmd("diff", "--no-color", str(a.pid), "--against", str(b.pid)).stdout
    assert (
        f"mounts only the target {a.pid} has: none" in text and f"mounts only pid {b.pid} has: none" in text
    )
    assert not re.search(r"^target\s+type\s+source", text, re.MULTILINE)

    # A private mount namespace that drops one host mount and adds one of its own.
    gone, mine = tmp_path / "hostonly", tmp_path / "boxonly"
    gone.mkdir(), mine.mkdir()
    live.run("mount", "-t", "tmpfs", "-o", "size=1m", "fix1host", str(gone))
    try:
        box = spawn(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                f'umount "{gone}" && mount -t tmpfs -o size=1m fix1box "{mine}" && exec sleep 600',
            ]
        )
        live.wait_for(lambda: os.readlink(f"/proc/{box.pid}/exe").endswith("sleep"))
        code, out = _diff(nsview_cmd, str(box.pid), "--against", str(a.pid))
        assert code == 0
        m = out["sections"]["mounts"]
        # second source: the kernel's mountinfo of each side, read here
        box_targets = [
            line.split()[4] for line in Path(f"/proc/{box.pid}/mountinfo").read_text().splitlines()
        ]
        host_targets = [line.split()[4] for line in Path(f"/proc/{a.pid}/mountinfo").read_text().splitlines()]
        assert str(mine) in box_targets and str(mine) not in host_targets
        assert str(gone) in host_targets and str(gone) not in box_targets
        assert str(mine) in {x["target"] for x in m["target"]["only_here"]}
        host_only = [x["target"] for x in m["reference"]["only_here"]]
        assert str(gone) in host_only
        text = nsview_cmd("diff", "--no-color", str(box.pid), "--against", str(a.pid)).stdout
        if len(host_only) <= 20:
            assert f"mounts only pid {a.pid} has ({len(host_only)})" in text
            assert all(t in text for t in host_only)
        else:
            assert "--json lists them" in text
    finally:
        live.run("umount", str(gone), check=False)


@pytest.mark.docker
def test_docker_own_proc_sys_devpts_mqueue_are_one_row_each(nsview_cmd, docker_run):
    """A container's own proc, sysfs, devpts, mqueue and /sys/fs/cgroup sit on the host's mount
    points as other filesystem instances: one "same path, different filesystem instance" row
    each, on neither "only" list; devices checked against findmnt -N of each side."""
    pid = docker_run()["State"]["Pid"]
    code, out = _diff(nsview_cmd, str(pid))
    assert code == 0
    m = out["sections"]["mounts"]
    inst = {x["target"]: x for x in m["target"]["other_instance"]}

    def devices(*args: str) -> dict[str, set[str]]:
        fs = _flatten(
            json.loads(live.run("findmnt", "-J", "-o", "TARGET,MAJ:MIN", *args).stdout)["filesystems"]
        )
        out: dict[str, set[str]] = {}
        for f in fs:
            out.setdefault(f["target"], set()).add(f["maj:min"])
        return out

    theirs, ours = devices("-N", str(pid)), devices()
    for path in ("/proc", "/sys", "/dev/pts", "/dev/mqueue", "/sys/fs/cgroup"):
        if path not in ours:
            continue  # the host does not mount it: then it is the container's alone
        row = inst[path]
        here, other = row["here"], row["other"]
        assert here["device"] in theirs[path] and other["device"] in ours[path]
        assert here["device"] != other["device"]
        assert path not in {x["target"] for x in m["target"]["only_here"]}
        assert path not in {x["target"] for x in m["reference"]["only_here"]}
    text = nsview_cmd("diff", "--no-color", "--mounts", "all", str(pid)).stdout
    assert "same path, different filesystem instance" in text
    assert sum(1 for line in text.splitlines() if line.split()[:1] == ["/dev/pts"]) == 1
    # by default they are the runtime's own: counted with the container's other proc/sys/dev mounts
    person = nsview_cmd("diff", "--no-color", str(pid), env={"COLUMNS": "300"}).stdout
    views = [
        x for x in m["target"]["only_here"] if x["target"].split("/")[1:2] in (["proc"], ["sys"], ["dev"])
    ]
    counted = len(views) + sum(
        1
        for x in m["target"]["other_instance"]
        if x["target"].split("/")[1:2] in (["proc"], ["sys"], ["dev"])
    )
    assert f"not listed: {counted} proc, sysfs, dev and cgroup mounts the runtime adds" in person
    assert not any(line.split()[:1] == ["/dev/pts"] for line in person.splitlines())


def test_own_namespace_is_asked_without_a_child_and_another_with_one(spawn, monkeypatch):
    """The host side of a diff is often nsview's own UTS and network namespace: asked in this
    process (nsview/enter.py, _is_own), the same answer as `hostname` gives and without a fork;
    a process in another namespace still gets its forked child."""
    import nsview.enter as enter
    from nsview.procfs import ProcFS
    from nsview.read.hostname import read_uts
    from nsview.read.network import read_network
    from nsview.read.process import read_stat

    live.need(live.is_root(), "needs root")
    forks: list[int] = []
    real = enter._fork_and_ask

    def counted(fds, *args, **kwargs):
        forks.append(len(fds))
        return real(fds, *args, **kwargs)

    monkeypatch.setattr(enter, "_fork_and_ask", counted)
    proc = ProcFS()
    me = os.getpid()
    assert (
        read_uts(proc, me, starttime=read_stat(proc, me).starttime).hostname
        == subprocess.run(["hostname"], capture_output=True, text=True, check=True).stdout.strip()
    )
    ours = {i.name for i in read_network(proc, me).interfaces}
    assert ours == set(os.listdir("/sys/class/net"))  # sysfs shows the reader's own namespace
    assert forks == []
    p = spawn(["unshare", "--uts", "sh", "-c", "hostname other-ns; exec sleep 600"])
    live.wait_for(lambda: os.readlink(f"/proc/{p.pid}/exe").endswith("sleep"))
    assert read_uts(proc, p.pid).hostname == "other-ns"
    assert forks == [1]
