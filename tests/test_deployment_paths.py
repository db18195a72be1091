"""docs/deployment-paths.md: every example in it is run (the shell lines, with the real Helm, runai-size and
kustomize on the stand-in charts) or validated (the YAML, against the shape its tool documents, and against
what the export really prints). An example is a fenced block after a `<!-- example: NAME -->` marker."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import output_of, render
from tests.helm_support import CHARTS, HELM4_FILENAME, ROOT, HelmRunner, helm_binary, quantities, scripts_dir

pytestmark = pytest.mark.helm
DOC = ROOT / "docs" / "deployment-paths.md"
_EXAMPLE = re.compile(r"^<!-- example: ([\w-]+) -->\n```(\w+)\n(.*?)^```$", re.S | re.M)
NAMES = {
    "helm3", "helm4", "helmfile-export", "helmfile-yaml", "flux-export", "flux-helmrelease",
    "argocd-application", "kustomize", "fleet-yaml", "values",
}  # fmt: skip
TARGET_KEYS = {"group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"}
OPERATIONS = {"add", "remove", "replace", "move", "copy", "test"}


def examples() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    found = {name: body for name, _language, body in _EXAMPLE.findall(text)}
    assert len(found) == len(_EXAMPLE.findall(text)), "two examples with one name"
    return found


def by_key(text: bytes | str) -> dict[tuple[str, str], Any]:
    """Objects by kind and name, without Helm 4's annotation (Helm 4 strips it from what it prints)."""
    found = {}
    for doc in yaml.safe_load_all(text):
        if doc:
            annotations = doc["metadata"].get("annotations") or {}
            annotations.pop(HELM4_FILENAME, None)
            if not annotations:
                doc["metadata"].pop("annotations", None)
            found[doc["kind"], doc["metadata"]["name"]] = quantities(doc)
    return found


@pytest.fixture(scope="module")
def plain() -> bytes:
    command = [str(helm_binary(3)), "template", "runai-backend", str(CHARTS / "control-plane"), "-n", "runai-backend"]
    return subprocess.run(command, check=True, capture_output=True, timeout=120, env=_env(Path("/nonexistent"))).stdout


@pytest.fixture(scope="module")
def sized(plain: bytes) -> dict[tuple[str, str], Any]:
    return by_key(output_of(render(plain, "large")))


def _env(home: Path, tools: Path | None = None) -> dict[str, str]:
    folders = [str(tools)] if tools else []
    return {"PATH": os.pathsep.join([*folders, str(scripts_dir()), os.defpath]), "HOME": str(home)}


def run_shell(name: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The example's lines with bash in `cwd`: `helm` is Helm 3, CHART the stand-in chart, and `helm upgrade
    --install` (which needs a cluster) `helm template` with the same arguments."""
    tools = cwd / "bin"
    tools.mkdir(exist_ok=True)
    for tool, path in (("helm", helm_binary(3)), ("kubectl", ROOT / ".tools" / "bin" / "kubectl")):
        if not (tools / tool).exists():
            (tools / tool).symlink_to(path)
    script = examples()[name].replace("helm upgrade --install", "helm template")
    script = script.replace("CHART", shlex.quote(str(CHARTS / "control-plane")))
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd, env=_env(cwd / "home", tools), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"example {name} failed:\n{script}\n{done.stderr}"
    return done


def test_every_fenced_block_of_the_deployment_paths_is_a_named_example() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert len(re.findall(r"^```", text, re.M)) == 2 * len(examples())  # no block without a marker
    assert set(examples()) == NAMES  # and each name has its test below


def test_the_helm3_example_gives_the_post_renderers_objects(tmp_path: Path, sized: dict[Any, Any]) -> None:
    assert by_key(run_shell("helm3", tmp_path).stdout) == sized


def test_the_helm4_example_gives_the_post_renderers_objects(tmp_path: Path, sized: dict[Any, Any]) -> None:
    helm = HelmRunner(4, tmp_path / "home", tmp_path)  # with the runai-size plugin installed
    (line,) = examples()["helm4"].strip().splitlines()
    args = shlex.split(line.replace("upgrade --install", "template").replace("CHART", str(CHARTS / "control-plane")))
    assert args[0] == "helm"
    assert by_key(helm.run(*args[1:]).stdout) == sized


def _export_patches(text: str, fmt: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(text.split("\n---\n", 1)[0])
    if fmt == "flux":
        return [
            {**p, "patch": yaml.safe_load(p["patch"])} for p in data["spec"]["postRenderers"][0]["kustomize"]["patches"]
        ]
    return list(data["jsonPatches"])


def _check_target_and_operations(target: Any, operations: Any, sized: dict[Any, Any]) -> None:
    assert isinstance(target, dict) and set(target) <= TARGET_KEYS and target["kind"] and target["name"]
    assert (target["kind"], target["name"]) in sized
    assert isinstance(operations, list) and operations
    for operation in operations:
        assert operation["op"] in OPERATIONS and operation["path"].startswith("/")


def test_the_helmfile_example_is_a_release_with_json_patches_the_export_prints(
    tmp_path: Path, sized: dict[Any, Any]
) -> None:
    run_shell("helmfile-export", tmp_path)
    printed = _export_patches((tmp_path / "jsonpatches.yaml").read_text(), "helmfile")
    helmfile = yaml.safe_load(examples()["helmfile-yaml"])
    (release,) = helmfile["releases"]
    assert {"name", "namespace", "chart", "jsonPatches"} <= set(release)
    for entry in release["jsonPatches"]:
        assert set(entry) == {"target", "patch"}  # helmfile: releases[].jsonPatches[].target/patch (a list)
        _check_target_and_operations(entry["target"], entry["patch"], sized)
        assert entry in printed  # the example shows what the export prints


def test_the_flux_example_is_a_helmrelease_whose_post_renderers_the_export_prints(
    tmp_path: Path, sized: dict[Any, Any]
) -> None:
    run_shell("flux-export", tmp_path)
    printed = _export_patches((tmp_path / "postrenderers.yaml").read_text(), "flux")
    release = yaml.safe_load(examples()["flux-helmrelease"])
    assert release["apiVersion"] == "helm.toolkit.fluxcd.io/v2" and release["kind"] == "HelmRelease"
    assert release["spec"]["chart"]["spec"]["chart"] and release["spec"]["chart"]["spec"]["sourceRef"]["kind"]
    (renderer,) = release["spec"]["postRenderers"]
    assert set(renderer) == {"kustomize"} and set(renderer["kustomize"]) <= {"patches", "images"}
    for entry in renderer["kustomize"]["patches"]:
        assert set(entry) == {"target", "patch"} and isinstance(entry["patch"], str)  # Flux: a string
        operations = yaml.safe_load(entry["patch"])
        _check_target_and_operations(entry["target"], operations, sized)
        assert {**entry, "patch": operations} in printed


def test_the_argocd_example_is_the_application_in_deploy_and_names_the_plugin() -> None:
    application = yaml.safe_load(examples()["argocd-application"])
    assert application == yaml.safe_load((ROOT / "deploy" / "argocd" / "application.yaml").read_text())
    plugin = yaml.safe_load((ROOT / "deploy" / "argocd" / "plugin.yaml").read_text())
    source = application["spec"]["source"]
    assert source["plugin"]["name"] == f"{plugin['metadata']['name']}-{plugin['spec']['version']}"
    script = " ".join(plugin["spec"]["generate"]["args"])
    for variable in source["plugin"]["env"]:
        assert set(variable) == {"name", "value"} and f"ARGOCD_ENV_{variable['name']}" in script


def test_the_kustomize_and_fleet_examples_give_the_post_renderers_objects(
    tmp_path: Path, plain: bytes, sized: dict[Any, Any]
) -> None:
    run_shell("kustomize", tmp_path)
    assert by_key((tmp_path / "sized.yaml").read_bytes()) == sized
    fleet = yaml.safe_load(examples()["fleet-yaml"])
    assert set(fleet) <= {"defaultNamespace", "namespace", "helm", "kustomize"}
    assert fleet["helm"]["chart"] and fleet["helm"]["releaseName"] == "runai-backend"
    folder = Path(fleet["kustomize"]["dir"])
    assert (tmp_path / folder / "kustomization.yaml").is_file()  # the folder the kustomize example writes
    # Fleet (rancher/fleet internal/helmdeployer/kustomize) writes its render of the chart as
    # fleet-manifests.yaml in that folder and lists it first in `resources` unless it is listed already.
    fleet_dir = tmp_path / "fleet"
    shutil.copytree(tmp_path / folder, fleet_dir)
    (fleet_dir / "fleet-manifests.yaml").write_bytes(plain)
    kustomization = yaml.safe_load((fleet_dir / "kustomization.yaml").read_text())
    assert "fleet-manifests.yaml" in kustomization["resources"]
    built = subprocess.run(
        [str(ROOT / ".tools" / "bin" / "kubectl"), "kustomize", str(fleet_dir)],
        check=True, capture_output=True, timeout=120,
    ).stdout  # fmt: skip
    assert by_key(built) == sized


def test_the_values_example_sizes_what_the_chart_takes_as_values(tmp_path: Path, sized: dict[Any, Any]) -> None:
    with_values = by_key(run_shell("values", tmp_path).stdout)
    assert (tmp_path / "sized-values.yaml").is_file()
    for kind, name, container in (
        ("Deployment", "runai-backend-thanos-query", "query"),
        ("StatefulSet", "runai-backend-thanos-receive", "receive"),
    ):
        got = next(
            c for c in with_values[kind, name]["spec"]["template"]["spec"]["containers"] if c["name"] == container
        )
        want = next(c for c in sized[kind, name]["spec"]["template"]["spec"]["containers"] if c["name"] == container)
        assert got["resources"] == want["resources"], f"{kind}/{name}"
    assert with_values["HorizontalPodAutoscaler", "runai-backend-grafana"]["spec"]["minReplicas"] == 2
