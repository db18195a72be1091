"""What users install: the wheel carries the profiles; the Helm 4 plugin works without a pip install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT


def _checkout_copy(tmp_path: Path) -> Path:
    """The repository's tracked files, as a release tarball or a fresh clone would have them."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    copy = tmp_path / "runai-size"
    for name in files:
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.mark.slow
def test_the_wheel_carries_the_builtin_profiles_and_the_schema(tmp_path: Path) -> None:
    source = _checkout_copy(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)], check=True
    )
    wheel = next((tmp_path / "dist").glob("runai_size-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    subprocess.run([env_dir / "bin" / "pip", "install", "-q", str(wheel)], check=True)
    shutil.rmtree(source)  # nothing may come from the source tree any more
    listed = subprocess.run([env_dir / "bin" / "runai-size", "profiles"], capture_output=True, text=True, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["small", "large", "xlarge"]
    schema = subprocess.run([env_dir / "bin" / "runai-size", "profiles", "--schema"], capture_output=True, text=True)
    assert '"title": "runai-size profile"' in schema.stdout


def _helm4() -> Path:
    helm = Path(os.environ.get("RUNAI_SIZE_HELM4", ROOT / ".tools" / "bin" / "helm4"))
    if not helm.exists():
        pytest.fail("no Helm 4 binary: run scripts/setup (or set RUNAI_SIZE_HELM4)")
    return helm


@pytest.mark.slow
@pytest.mark.helm
def test_helm4_plugin_install_alone_gives_a_working_post_renderer(tmp_path: Path) -> None:
    plugin_source = _checkout_copy(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    python_dir = str(Path(sys.executable).resolve().parent)  # a python3, but no runai-size, on PATH
    env = {
        "HOME": str(home),
        "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin",
        "RUNAI_SIZE_PROFILE": "large",
        "RUNAI_SIZE_REPORT": str(tmp_path / "report.txt"),
    }
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3").symlink_to(Path(python_dir) / "python3")
    assert shutil.which("runai-size", path=env["PATH"]) is None
    helm = str(_helm4())
    subprocess.run([helm, "plugin", "install", str(plugin_source)], env=env, check=True, capture_output=True)
    rendered = subprocess.run(
        [
            helm,
            "template",
            "acme",
            str(ROOT / "tests" / "charts" / "control-plane"),
            "-n",
            "runai-backend",
            "--post-renderer",
            "runai-size",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rendered.returncode == 0, rendered.stderr + (tmp_path / "report.txt").read_text()
    kinds = [doc["kind"] for doc in YAML(typ="safe", pure=True).load_all(rendered.stdout) if doc]
    assert kinds.count("HorizontalPodAutoscaler") == 3
    assert (plugin_source / ".plugin-venv" / ".complete").exists()
    assert "3 added" in (tmp_path / "report.txt").read_text()


@pytest.mark.parametrize("name", ["github-actions.yaml", "gitlab-ci.yaml"])
def test_ci_examples_render_keep_the_report_and_gate_on_verify(name: str) -> None:
    text = (ROOT / "examples" / "ci" / name).read_text()
    YAML(typ="safe", pure=True).load(text)
    assert "--post-renderer runai-size" in text
    assert "runai-size verify" in text
    assert "RUNAI_SIZE_REPORT" in text


@pytest.mark.helm
def test_helm4_installs_a_plugin_tarball_only_with_a_signature_or_verify_false(tmp_path: Path) -> None:
    source = _checkout_copy(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    venv_bin = str(Path(sys.executable).parent)  # runai-size on PATH, so the plugin needs no install
    env = {"HOME": str(home), "PATH": f"{venv_bin}:/usr/bin:/bin", "RUNAI_SIZE_PROFILE": "large"}
    helm = str(_helm4())
    subprocess.run([helm, "plugin", "package", "--sign=false", "-d", str(tmp_path), str(source)], env=env, check=True)
    tarball = next(tmp_path.glob("runai-size-*.tgz"))
    refused = subprocess.run([helm, "plugin", "install", str(tarball)], env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and ".prov" in refused.stderr + refused.stdout
    subprocess.run(
        [helm, "plugin", "install", "--verify=false", str(tarball)], env=env, check=True, capture_output=True
    )
    rendered = subprocess.run(
        [helm, "template", "acme", str(ROOT / "tests" / "charts" / "control-plane"), "--post-renderer", "runai-size"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.count("kind: HorizontalPodAutoscaler") == 3
