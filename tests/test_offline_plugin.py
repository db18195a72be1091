"""A release's Helm 4 plugin with no package index: installed and run with the real Helm 4 offline, its
refusal of a changed wheel, its lock for pip users, and Helm 3 and Helm 4 side by side for one user.

The release is the one tests/test_packaging.py builds (once per session). "Offline" is: PIP_NO_INDEX=1,
an index URL nothing answers, no PIP_FIND_LINKS, and, where the kernel allows it, Helm run in a network
namespace of its own (`unshare -rn`: no network at all).
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import venv
from functools import cache
from pathlib import Path

import pytest

from tests.test_packaging import (
    CHART,
    Release,
    _fresh_home,
    _helm4,
    _hpas,
    _lock,
    _python_only,
    _run,
    _venv_with_runai_size,
    canonical,
    shared_release,
)
from tests.test_plugin_wrapper import STREAM

pytestmark = [pytest.mark.slow, pytest.mark.helm]

OFFLINE = {"PIP_NO_INDEX": "1", "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_CONFIG_FILE": "/dev/null"}
HELM3_PLUGIN_YAML = """\
name: hello
version: 0.0.1
usage: say hello
description: a Helm 3 plugin
command: "$HELM_PLUGIN_DIR/hello.sh"
"""


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return shared_release(tmp_path_factory)


@cache
def _no_network() -> list[str]:
    """`unshare -rn` where it works (a network namespace with no interface), else nothing."""
    works = shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0
    return ["unshare", "-rn"] if works else []


def _offline_env(tmp: Path, *path: Path) -> dict[str, str]:
    env = {**_fresh_home(tmp, *path), **OFFLINE}
    assert "PIP_FIND_LINKS" not in env
    assert shutil.which("runai-size", path=env["PATH"]) is None
    return env


def _helm(helm: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [*_no_network(), str(helm), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def _template(helm: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _helm(helm, "template", "acme", str(CHART), "-n", "runai-backend", "--post-renderer", "runai-size", env=env)


def _installed(env: dict[str, str], data_home: str | None = None) -> Path:
    return Path(data_home or Path(env["XDG_DATA_HOME"]) / "helm") / "plugins" / "runai-size"


def _extracted(release: Release, into: Path) -> Path:
    with tarfile.open(release.plugin) as plugin:
        plugin.extractall(into, filter="data")
    return into / "runai-size"


# ---------------------------------------------------------------- offline, first use


def test_helm4_installs_the_release_and_renders_offline_with_no_runai_size_on_path(
    release: Release, tmp_path: Path
) -> None:
    helm = _helm4()
    env = _offline_env(tmp_path, _python_only(tmp_path))
    installed = _helm(helm, "plugin", "install", "--verify=false", str(release.plugin), env=env)
    assert installed.returncode == 0, installed.stderr
    rendered = _template(helm, env)
    assert rendered.returncode == 0, rendered.stderr
    assert _hpas(rendered.stdout) == 3
    report = Path(env["XDG_STATE_HOME"]) / "runai-size" / "last-report.txt"
    assert "6 added" in report.read_text()  # 3 HorizontalPodAutoscalers and 3 PodDisruptionBudgets
    # ... with exactly the versions of the lock, which the tests ran with
    plugin = _installed(env)
    shown = _run([str(plugin / ".plugin-venv" / "bin" / "runai-size"), "version", "--verbose"], env).stdout
    for name, (version, _) in _lock().items():
        if name != "pip":
            assert any(canonical(line.split()[0]) == name and line.split()[1] == version for line in shown.splitlines())
    assert not (plugin / ".plugin-venv" / "bin" / "pip").exists()  # pip ran from its wheel, not installed


def test_the_first_use_says_in_one_line_that_it_prepares_and_how_long_it_took(release: Release, tmp_path: Path) -> None:
    plugin = _extracted(release, tmp_path / "plugins")
    env = _offline_env(tmp_path, _python_only(tmp_path))
    first = subprocess.run(
        [*_no_network(), str(plugin / "bin" / "runai-size-plugin"), "-p", "large"],
        input=STREAM, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert first.stdout == STREAM
    said = [line for line in first.stderr.splitlines() if line.startswith("runai-size plugin:")]
    assert len(said) == 1, first.stderr
    assert "preparing runai-size in" in said[0] and "from the bundled wheels" in said[0]
    assert said[0].endswith(" s") and "done in " in said[0]


# ---------------------------------------------------------------- fail closed


def test_a_tampered_wheel_is_refused_with_one_line_and_no_environment_is_left(release: Release, tmp_path: Path) -> None:
    plugin = _extracted(release, tmp_path / "plugins")
    (click,) = (plugin / "wheels").glob("click-*.whl")
    with click.open("ab") as wheel:
        wheel.write(b"tampered")
    env = _offline_env(tmp_path, _python_only(tmp_path))
    done = subprocess.run(
        [*_no_network(), str(plugin / "bin" / "runai-size-plugin"), "-p", "large"],
        input=STREAM, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith(f"runai-size plugin: error: the bundled wheel {click.name} does not match its hash")
    assert not (plugin / ".plugin-venv").exists() and not (plugin / ".plugin-venv.lock").exists()
    # and under Helm 4, which shows no stderr, the report says it
    helm = _helm4()
    _run([str(helm), "plugin", "install", str(plugin)], env)
    rendered = _template(helm, env)
    assert rendered.returncode != 0 and rendered.stdout == ""
    report = (Path(env["XDG_STATE_HOME"]) / "runai-size" / "last-report.txt").read_text()
    assert f"the bundled wheel {click.name} does not match its hash" in report
    assert not (plugin / ".plugin-venv").exists()


# ---------------------------------------------------------------- the lock, for pip users


def test_the_published_lock_installs_the_tested_versions_with_require_hashes(release: Release, tmp_path: Path) -> None:
    wheels = _extracted(release, tmp_path / "plugins") / "wheels"
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    env = {**_fresh_home(tmp_path), **OFFLINE}
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, "--require-hashes", "--no-index", "--find-links", str(wheels), "-r", str(release.lock)], env)
    frozen = _run([str(env_dir / "bin" / "python"), "-m", "pip", "freeze", "--all"], env).stdout
    pins = {canonical(line.split("==")[0]): line.split("==")[1] for line in frozen.splitlines() if "==" in line}
    for name, (version, _) in _lock().items():
        if name != "pip":
            assert pins.get(name) == version, frozen
    assert pins["runai-size"] == release.wheel.name.split("-")[1]
    # A wheel that is not the locked one is refused.
    (wheels / release.wheel.name).write_bytes(release.wheel.read_bytes() + b"changed")
    other = tmp_path / "other"
    venv.create(other, with_pip=True)
    refused = subprocess.run(
        [str(other / "bin" / "python"), *pip[1:], "--require-hashes", "--no-index", "--find-links", str(wheels),
         "-r", str(release.lock)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "DO NOT MATCH THE HASHES" in refused.stderr


# ---------------------------------------------------------------- Helm 3 and Helm 4 side by side


def _helm3() -> Path:
    helm = _helm4().parent / "helm3"
    if not helm.exists():
        pytest.fail("no Helm 3 binary: run scripts/setup (or scripts/install-helm)", pytrace=False)
    return helm


def _helm3_plugin(tmp: Path) -> Path:
    """A small Helm 3 plugin (the legacy plugin.yaml every Helm 3 plugin has), as helm-diff or helm-push are."""
    folder = tmp / "hello"
    folder.mkdir()
    (folder / "plugin.yaml").write_text(HELM3_PLUGIN_YAML)
    (folder / "hello.sh").write_text('#!/bin/sh\necho "hello from a Helm 3 plugin"\n')
    (folder / "hello.sh").chmod(0o755)
    return folder


def _helm3_works(helm3: Path, env: dict[str, str]) -> None:
    listed = _helm(helm3, "plugin", "list", env=env)
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    assert "hello" in listed.stdout and "runai-size" not in listed.stdout
    assert _helm(helm3, "hello", env=env).stdout == "hello from a Helm 3 plugin\n"
    rendered = _template(helm3, {**env, "PATH": f"{_venv_with_runai_size(Path(env['HOME']).parent)}:{env['PATH']}"})
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    assert _hpas(rendered.stdout) == 3


def test_helm4_with_its_own_data_home_leaves_helm3_and_its_plugins_working(release: Release, tmp_path: Path) -> None:
    """The README's way: HELM_DATA_HOME=~/.local/share/helm4 on every Helm 4 command."""
    helm3, helm4 = _helm3(), _helm4()
    env = _offline_env(tmp_path, _python_only(tmp_path))
    _run([str(helm3), "plugin", "install", str(_helm3_plugin(tmp_path))], env)
    helm4_env = {**env, "HELM_DATA_HOME": str(Path(env["HOME"]) / ".local" / "share" / "helm4")}
    installed = _helm(helm4, "plugin", "install", "--verify=false", str(release.plugin), env=helm4_env)
    assert installed.returncode == 0, installed.stderr
    assert _installed(env, helm4_env["HELM_DATA_HOME"]).is_dir()
    _helm3_works(helm3, env)
    rendered = _template(helm4, helm4_env)
    assert rendered.returncode == 0, rendered.stderr
    assert _hpas(rendered.stdout) == 3


def test_helm4_install_into_the_folder_a_helm3_on_path_reads_is_undone_with_one_line(
    release: Release, tmp_path: Path
) -> None:
    """Both Helms with the default folder, Helm 3 on PATH as `helm`: the install says how, and Helm 3 keeps working."""
    helm3, helm4 = _helm3(), _helm4()
    tools = tmp_path / "helm3-bin"
    tools.mkdir()
    (tools / "helm").symlink_to(helm3)
    env = _offline_env(tmp_path, tools, _python_only(tmp_path))
    _run([str(helm3), "plugin", "install", str(_helm3_plugin(tmp_path))], env)
    refused = _helm(helm4, "plugin", "install", "--verify=false", str(release.plugin), env=env)
    assert refused.returncode != 0
    said = [line for line in refused.stderr.splitlines() if line.startswith("runai-size:")]
    assert len(said) == 1, refused.stderr
    assert f"Helm 3 ({tools / 'helm'}) reads the same plugin folder" in said[0]
    assert "HELM_DATA_HOME=$HOME/.local/share/helm4" in said[0]
    assert sorted(path.name for path in _installed(env).parent.iterdir()) == ["hello"]
    _helm3_works(helm3, env)
