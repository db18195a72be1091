"""The Argo CD config-management plugin (deploy/argocd/plugin.yaml), run as the CMP server runs `generate`:
in the Application's source path, with the ARGOCD_APP_* variables and the plugin env as ARGOCD_ENV_*."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import output_of, render
from tests.helm_support import CHARTS, ROOT, helm_binary, scripts_dir

pytestmark = pytest.mark.helm
PLUGIN = ROOT / "deploy" / "argocd" / "plugin.yaml"


def by_key(text: bytes) -> dict[tuple[str, str], object]:
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(text) if d}


def generate(
    tmp_path: Path, chart: str, app: str, namespace: str, plugin_env: dict[str, str]
) -> subprocess.CompletedProcess[bytes]:
    spec = yaml.safe_load(PLUGIN.read_text())
    assert spec["kind"] == "ConfigManagementPlugin" and spec["apiVersion"] == "argoproj.io/v1alpha1"
    command = [*spec["spec"]["generate"]["command"], *spec["spec"]["generate"].get("args", [])]
    source = tmp_path / "repo" / "charts" / chart  # a checkout of the Application's repository
    shutil.copytree(CHARTS / chart, source)
    tools = tmp_path / "bin"  # the sidecar's image: `helm` and `runai-size` on PATH
    tools.mkdir()
    (tools / "helm").symlink_to(helm_binary(3))
    env = {
        "PATH": os.pathsep.join([str(tools), str(scripts_dir()), os.defpath]),
        "HOME": str(tmp_path / "home"),
        "ARGOCD_APP_NAME": app,
        "ARGOCD_APP_NAMESPACE": namespace,
        "ARGOCD_APP_REVISION": "0123456789abcdef0123456789abcdef01234567",
        "ARGOCD_APP_SOURCE_PATH": f"charts/{chart}",
        "ARGOCD_APP_SOURCE_REPO_URL": "https://git.example.com/runai-deploy",
        "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
        **{f"ARGOCD_ENV_{name}": value for name, value in plugin_env.items()},
    }
    return subprocess.run(command, cwd=source, env=env, capture_output=True, timeout=120, check=False)


@pytest.mark.parametrize(
    ("chart", "app", "namespace", "profile"),
    [
        ("control-plane", "runai-backend", "runai-backend", "large"),
        ("control-plane", "runai-backend", "runai-backend", "xlarge"),
        ("runai-cluster", "runai-cluster", "runai", "large"),
        ("runai-cluster", "runai-cluster", "runai", "xlarge"),
    ],
)
def test_the_plugins_generate_prints_the_sized_manifests(
    tmp_path: Path, chart: str, app: str, namespace: str, profile: str
) -> None:
    done = generate(tmp_path, chart, app, namespace, {"RUNAI_SIZE_PROFILE": profile})
    assert done.returncode == 0, done.stderr.decode()
    helm = [str(helm_binary(3)), "template", app, str(CHARTS / chart), "--namespace", namespace]
    plain = subprocess.run(
        helm, capture_output=True, check=True, timeout=120, env={"PATH": os.defpath, "HOME": str(tmp_path)}
    ).stdout
    assert done.stdout == output_of(render(plain, profile))  # byte for byte the post-renderer's output
    assert by_key(done.stdout) != by_key(plain)


def test_the_plugin_takes_helm_arguments_and_overrides_from_the_application(tmp_path: Path) -> None:
    env = {
        "RUNAI_SIZE_PROFILE": "large",
        "RUNAI_SIZE_SET": "thanos.query.memory=4G",
        "HELM_ARGS": "--set thanos.query.replicaCount=1",
    }
    done = generate(tmp_path, "control-plane", "runai-backend", "runai-backend", env)
    assert done.returncode == 0, done.stderr.decode()
    assert b"memory: 4G" in done.stdout


def test_the_plugin_fails_without_a_profile_and_when_helm_fails(tmp_path: Path) -> None:
    done = generate(tmp_path / "a", "control-plane", "runai-backend", "runai-backend", {})
    assert done.returncode != 0 and done.stdout == b""
    assert b"RUNAI_SIZE_PROFILE" in done.stderr
    broken = generate(tmp_path / "b", "control-plane", "runai-backend", "runai-backend",
                      {"RUNAI_SIZE_PROFILE": "large", "HELM_ARGS": "--values missing.yaml"})  # fmt: skip
    assert broken.returncode != 0 and broken.stdout == b""
