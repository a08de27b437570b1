"""Shell completion (docs/commands.md, "Shell completion"): the scripts typer generates for
bash, zsh and fish, exercised the way bash itself calls them, and TARGET completed from the
containers a daemonless scan finds, checked against `docker inspect`."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from nsview.model.container import Container, target_words
from nsview.model.pod import PodRef
from tests.support import live

HEX = "9775b24b1e9d" + "0" * 52


def _nsview_script() -> str:
    path = shutil.which("nsview")
    if path is None:
        pytest.skip("the nsview console script is not on PATH (pip install -e .)")
    return path


def _bash_complete(*words: str) -> list[str]:
    """What bash offers after `nsview WORDS...` (the last word is the one being completed)."""
    script = _nsview_script()
    line = " ".join(words)
    prog = (
        f'source <("{script}" --show-completion bash)\n'
        f"COMP_WORDS=(nsview {line}); COMP_CWORD={len(words)}\n"
        'PATH="$(dirname "' + script + '"):$PATH" _nsview_completion nsview\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    r = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return [w for w in r.stdout.splitlines() if w]


def test_bash_completes_commands_and_options():
    assert "mounts" in _bash_complete("m") and "tree" not in _bash_complete("m")
    assert "--depth" in _bash_complete("tree", "--de")
    assert "--wide" in _bash_complete("tree", "--w")


@pytest.mark.parametrize(
    "shell, marker", [("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete --command")]
)
def test_each_shell_gets_a_script_naming_the_tool(shell, marker):
    # what --show-completion prints for the shell it detects, asked for each shell by name
    env = {**os.environ, "_NSVIEW_COMPLETE": f"source_{shell}"}
    r = subprocess.run([_nsview_script()], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert marker in r.stdout and "_NSVIEW_COMPLETE=complete_" in r.stdout


@pytest.mark.docker
def test_bash_completes_a_running_containers_name_and_id(docker_run):
    name = live.unique_name("nsv-compl")
    info = docker_run("--name", name)
    assert info["Name"] == f"/{name}"  # docker inspect's own spelling, compared below without "/"
    offered = _bash_complete("tree", name[:-3])
    assert name in offered
    assert info["Id"][:12] in _bash_complete("diff", info["Id"][:5])


def test_row46_hostile_names_are_never_offered_to_a_shell():
    """docs/hardening.md row 46: a container name that would split or inject in the completion
    protocol (space, newline, quote, `$(...)`, an escape) is left out; its id still completes."""
    hostile = ["a b", "x\ny", "q'uote", "$(reboot)", "\x1b[31mred", "semi;colon"]
    containers = [Container("docker", f"{i:02x}{HEX[2:]}", n, 10 + i, ()) for i, n in enumerate(hostile)]
    words = target_words(containers)
    assert not any(n in words for n in hostile)
    assert words == sorted(f"{i:02x}{HEX[2:12]}" for i in range(len(hostile)))


def test_target_words_are_the_spellings_match_target_accepts():
    from nsview.model.container import match_target

    pod = PodRef("shop", "web-0", "uid", "nginx", False)
    sandbox = PodRef("shop", "web-0", "uid", None, True)
    containers = [
        Container("docker", HEX, "web", 10, ()),
        Container("containerd", "job1", None, 11, (), namespace="acme"),
        Container("cri-o", "1" * 64, None, 12, (), pod=pod),
        Container("cri-o", "2" * 64, None, 13, (), pod=sandbox),
    ]
    words = target_words(containers)
    assert words == sorted(
        [
            "9775b24b1e9d",
            "web",
            "job1",
            "acme/job1",
            "111111111111",
            "pod:shop/web-0/nginx",
            "222222222222",
            "pod:shop/web-0/POD",
        ]
    )
    for w in words:  # each one names exactly one container
        assert len(match_target(containers, w)) == 1, w
