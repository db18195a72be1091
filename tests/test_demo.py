"""scripts/demo on a fresh checkout: Helm 3 alone is enough, Helm 4 is shown when there is one, and every
command it prints runs as printed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helm_support import helm_binary


def _system_without(folder: Path, *names: str) -> Path:
    """A folder with every command of /usr/bin and /bin except these (npm, node, helm, ...)."""
    folder.mkdir()
    for system in (Path("/bin"), Path("/usr/bin")):
        for command in system.iterdir():
            if not command.name.startswith(names) and not (folder / command.name).exists():
                (folder / command.name).symlink_to(command)
    return folder


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone's files: no .venv, no .tools."""
    copy = tmp_path_factory.mktemp("demo") / "runai-size"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


def _demo(checkout: Path, tmp: Path, **helms: str) -> subprocess.CompletedProcess[str]:
    system = _system_without(tmp / "system", "npm", "node", "helm", "runai-size")
    home = tmp / "home"
    home.mkdir()
    pip = {key: value for key, value in os.environ.items() if key.startswith("PIP_")}  # the index the tests use
    pip.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    env = {"PATH": str(system), "HOME": str(home), "PYTHON": sys.executable, "LC_ALL": "C.UTF-8", **pip, **helms}
    done = subprocess.run(
        ["scripts/demo"], cwd=checkout, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _paste(checkout: Path, tmp: Path, output: str) -> subprocess.CompletedProcess[str]:
    """Every `$ ` line of the demo's output, pasted into a fresh shell with a fresh HOME."""
    commands = [line[2:] for line in output.splitlines() if line.startswith("$ ")]
    assert commands[0] == f"cd {checkout}"
    home = tmp / "paste-home"
    home.mkdir()
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-c", "\n".join(commands)],
        cwd=tmp,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "LC_ALL": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, "\n".join(commands) + "\n" + done.stderr
    return done


@pytest.mark.slow
@pytest.mark.helm
def test_the_demo_needs_only_helm_3_and_its_commands_run_as_printed(checkout: Path, tmp_path: Path) -> None:
    done = _demo(checkout, tmp_path, RUNAI_SIZE_HELM3=str(helm_binary(3)))
    assert "Helm 4: not found" in done.stdout
    assert "+kind: HorizontalPodAutoscaler" in done.stdout
    assert "BuildBackendWarning" not in done.stderr  # pip's noise stays in its log
    pasted = _paste(checkout, tmp_path, done.stdout)
    assert pasted.stdout.count("kind: HorizontalPodAutoscaler") == 3
    assert "profile large" in (checkout / "runai-backend.report.txt").read_text()


@pytest.mark.slow
@pytest.mark.helm
def test_the_demo_shows_helm_4_when_it_has_one_and_its_commands_run_as_printed(checkout: Path, tmp_path: Path) -> None:
    done = _demo(checkout, tmp_path, RUNAI_SIZE_HELM3=str(helm_binary(3)), RUNAI_SIZE_HELM4=str(helm_binary(4)))
    assert "=== Helm 4" in done.stdout and "helm4 plugin install ." in done.stdout
    pasted = _paste(checkout, tmp_path, done.stdout)
    assert pasted.stdout.count("kind: HorizontalPodAutoscaler") == 6  # Helm 3, then Helm 4
    assert "profile large" in pasted.stdout  # the Helm 4 report file, catted
