"""The Privileges section of `nsview diff` and the PRIVILEGES column of `nsview ps` on the
hand-made fixtures/privileges-shapes tree (scripts/make_privileges_fixture.py): the real
`--privileged` shape this machine cannot start, an engine socket, a host directory read-write, a
user-namespaced container, SELinux and AppArmor labels. The second source is what the generator
wrote (its masks decoded by `capsh --decode` where capsh is installed). Goldens: regenerate with
`python -m pytest tests/test_privileges_fixture.py --regen-golden`, then read the diff."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import FIXTURES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import make_privileges_fixture as gen

GOLDEN = Path(__file__).resolve().parent / "golden"
TREE = FIXTURES / "privileges-shapes"
ROOTS = ("--proc-root", str(TREE / "proc"), "--sys-root", str(TREE / "sys"))
TEXT_ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def _check(path: Path, actual: str, regen: bool) -> None:
    if regen or not path.exists():
        path.write_text(actual)
    assert actual == path.read_text(), f"output differs from {path.name} (regenerate with --regen-golden)"


def _ps(nsview_run) -> dict[int, dict]:
    r = nsview_run("ps", "--json", *ROOTS)
    assert r.returncode == 0, r.stdout + r.stderr
    return {c["init_pid"]: c["privileges"] for c in json.loads(r.stdout)["containers"]}


def _capsh_names(mask: str) -> list[str]:
    if shutil.which("capsh") is None:
        pytest.skip("needs capsh (Debian libcap2-bin)")
    out = subprocess.run(["capsh", f"--decode={mask}"], capture_output=True, text=True, check=True).stdout
    return [n.removeprefix("cap_").upper() for n in out.strip().split("=", 1)[1].split(",") if n]


def test_real_privileged_shape(nsview_run):
    priv = _ps(nsview_run)[gen.PRIVILEGED]
    caps = priv["capabilities"]
    assert caps["masks"]["CapBnd"] == gen.ALL_CAPS
    assert caps["bounding"] == _capsh_names(gen.ALL_CAPS) and len(caps["bounding"]) == 41
    assert caps["missing"] == []
    assert priv["privileged"] is True and priv["summary"].split(", ")[0] == "privileged"
    assert priv["seccomp"] == {"mode": 0, "mode_name": "disabled", "filters": 0}
    assert priv["devices"]["rules"] == ["a *:* rwm"] and priv["devices"]["every_device"] is True
    high = {(f["item"], f["reason"].split(":")[0]) for f in priv["findings"] if f["severity"] == "high"}
    assert ("capabilities", "privileged") in high and ("devices", "every device (a *") in high
    assert any(m["kind"] == "/sys writable" for m in priv["mounts"])
    assert priv["lsm"]["unconfined"] is True and priv["errors"] == {}


def test_socket_host_dir_and_host_net(nsview_run):
    priv = _ps(nsview_run)[gen.SELINUX]
    by_kind = {m["kind"]: m for m in priv["mounts"]}
    assert by_kind["engine socket"]["target"] == "/var/run/docker.sock"
    assert by_kind["engine socket"]["host_path"] == "/run/docker.sock"  # the host's /run tmpfs
    assert by_kind["host path rw"]["host_path"] == "/srv/exports"  # xfs /dev/vdb at /srv
    assert set(by_kind) == {"engine socket", "host path rw"}  # /etc/app is ro, /etc/hostname Docker's own
    assert "net" in priv["shared_namespaces"]
    assert priv["summary"] == "default, host net, docker.sock"
    assert priv["lsm"] == {
        "lsm": "selinux",
        "label": "system_u:system_r:container_t:s0:c123,c456",
        "mode": None,
        "source": "attr/current",
        "unconfined": False,
    }
    assert priv["no_new_privs"] is True


def test_user_namespace_root_is_not_host_root(nsview_run):
    priv = _ps(nsview_run)[gen.USERNS]
    assert priv["user"] == {
        "own_namespace": True,
        "root_outside": 100000,
        "root_is_host_root": False,
        "text": "root inside is uid 100000 outside",
    }
    assert priv["capabilities"]["added"] == ["SYS_ADMIN"]
    assert priv["summary"] == "+SYS_ADMIN, userns 100000"
    # SYS_ADMIN in its own user namespace is not the host's: one step lower than high
    [cap] = [f for f in priv["findings"] if f["item"] == "capabilities"]
    assert cap["severity"] == "medium" and "own user namespace" in cap["reason"]
    assert priv["lsm"]["label"] == "docker-default" and priv["lsm"]["mode"] == "enforce"


def test_ci_gate_names_the_privileged_and_the_socket(nsview_run):
    """The gate of docs/security-review.md: containers with a high finding."""
    flagged = {
        pid for pid, p in _ps(nsview_run).items() if any(f["severity"] == "high" for f in p["findings"])
    }
    assert flagged == {gen.PRIVILEGED, gen.SELINUX}


def test_ps_golden(nsview_run, regen_golden):
    r = nsview_run("ps", "--no-color", *ROOTS, env=TEXT_ENV)
    assert r.returncode == 0, r.stderr
    _check(GOLDEN / "ps-privileges-shapes.txt", r.stdout, regen_golden)
    j = nsview_run("ps", "--json", *ROOTS)
    _check(GOLDEN / "ps-privileges-shapes.json", j.stdout, regen_golden)


@pytest.mark.parametrize("pid", [gen.PRIVILEGED, gen.SELINUX, gen.USERNS])
def test_diff_golden(nsview_run, regen_golden, pid):
    r = nsview_run("diff", str(pid), "--no-color", *ROOTS, env=TEXT_ENV)
    assert r.returncode == 6, r.stderr  # partial: the fixture has no network or hostname to read
    section = r.stdout[r.stdout.index("\nPrivileges\n") :]
    _check(GOLDEN / f"diff-privileges-{pid}.txt", section, regen_golden)
    j = json.loads(nsview_run("diff", str(pid), "--json", *ROOTS).stdout)["sections"]["privileges"]
    assert j["findings"] == j["target"]["findings"]
    assert j["reference"]["shared_namespaces"] == [] and j["reference"]["mounts"] == []
    assert j["reference"]["capabilities"]["bounding"] == _capsh_names(gen.ALL_CAPS)
