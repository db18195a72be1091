"""`runai-size export`: each format, applied by the tool it is for, gives what the post-renderer gives.

The charts are rendered by the real Helm 3; the kustomize, Flux and helmfile exports are built by the real
kustomize (`kubectl kustomize`); the values export is rendered by Helm and compared field by field."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from runai_postrender.cli.group import main
from runai_postrender.export.changes import collect
from runai_postrender.export.values import values_of
from runai_postrender.pipeline import run
from runai_postrender.profiles.load import load_profile
from runai_postrender.support.pointer import resolve
from tests.conftest import output_of, render
from tests.helm_support import CHARTS, HELM4_FILENAME, ROOT, helm4_post_renderer_input, helm_binary, quantity

pytestmark = pytest.mark.helm
RELEASES = {"control-plane": ("runai-backend", "runai-backend"), "runai-cluster": ("runai-cluster", "runai")}
CASES = [(chart, profile) for chart in RELEASES for profile in ("large", "xlarge")]
IDS = [f"{chart}-{profile}" for chart, profile in CASES]


def kubectl() -> str:
    path = ROOT / ".tools" / "bin" / "kubectl"
    if not path.is_file():
        pytest.fail("no kubectl under .tools/bin: run scripts/setup", pytrace=False)
    return str(path)


def helm_template(chart: str, *args: str) -> bytes:
    release, namespace = RELEASES[chart]
    command = [str(helm_binary(3)), "template", release, str(CHARTS / chart), "--namespace", namespace, *args]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HELM_", "RUNAI_SIZE_"))}
    return subprocess.run(command, check=True, capture_output=True, env=env, timeout=120).stdout


def by_key(text: bytes | str) -> dict[tuple[str, str], Any]:
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(text) if d}


def invoke(args: list[str], stdin: bytes = b"") -> Result:
    env = {"RUNAI_SIZE_PROFILE": "", "RUNAI_SIZE_SET": "", "RUNAI_SIZE_REPORT": ""}
    return CliRunner().invoke(main, args, input=stdin, env=env)


def kustomize(folder: Path) -> bytes:
    return subprocess.run([kubectl(), "kustomize", str(folder)], check=True, capture_output=True, timeout=120).stdout


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return {chart: helm_template(chart) for chart in RELEASES}


@pytest.fixture(scope="module")
def helm4_input(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What Helm 4 pipes to a post-renderer: charts named by its annotation, not by `# Source:` comments."""
    found = {}
    for chart, (release, namespace) in RELEASES.items():
        found[chart] = helm4_post_renderer_input(chart, release, namespace, tmp_path_factory.mktemp(chart))
        assert HELM4_FILENAME.encode() in found[chart] and b"# Source:" not in found[chart]
    return found


@pytest.mark.parametrize("chart", RELEASES)
def test_the_kustomize_export_of_what_helm4_pipes_gives_the_post_renderers_objects(
    helm4_input: dict[str, bytes], tmp_path: Path, chart: str
) -> None:
    stream = tmp_path / "input.yaml"
    stream.write_bytes(helm4_input[chart])
    result = invoke(["export", "--format", "kustomize", "-p", "large", "-f", str(stream), "-o", str(tmp_path / "k")])
    assert result.exit_code == 0, result.stderr
    sized = output_of(render(helm4_input[chart], "large"))
    assert sized != helm4_input[chart]
    assert by_key(kustomize(tmp_path / "k")) == by_key(sized)


@pytest.mark.parametrize("chart", RELEASES)
def test_the_values_export_of_what_helm4_pipes_is_the_one_of_helm3s_stream(
    rendered: dict[str, bytes], helm4_input: dict[str, bytes], chart: str
) -> None:
    from_helm3 = invoke(["export", "--format", "values", "-p", "large"], rendered[chart])
    from_helm4 = invoke(["export", "--format", "values", "-p", "large"], helm4_input[chart])
    assert from_helm4.exit_code == 0, from_helm4.stderr
    assert from_helm4.stdout == from_helm3.stdout and "helm upgrade --install" in from_helm4.stdout
    assert len(yaml.safe_load(from_helm4.stdout)) >= 1


@pytest.mark.parametrize(("chart", "profile"), CASES, ids=IDS)
def test_kubectl_kustomize_over_the_kustomize_export_gives_the_post_renderers_objects(
    rendered: dict[str, bytes], tmp_path: Path, chart: str, profile: str
) -> None:
    stream = tmp_path / "rendered.yaml"
    stream.write_bytes(rendered[chart])
    result = invoke(["export", "--format", "kustomize", "-p", profile, "-f", str(stream), "-o", str(tmp_path / "k")])
    assert result.exit_code == 0, result.stderr
    assert "export again when the chart" in result.stderr  # what a static export cannot do is said
    expected = by_key(output_of(render(rendered[chart], profile)))
    assert by_key(kustomize(tmp_path / "k")) == expected
    assert (tmp_path / "k" / "fleet-manifests.yaml").read_bytes() == rendered[chart]


def folder_from_patches(folder: Path, stream: bytes, patches: list[dict[str, Any]], added: str) -> Path:
    """A kustomization as helm-controller and helmfile build one: the rendered stream, the patches, the added."""
    folder.mkdir()
    (folder / "stream.yaml").write_bytes(stream)
    (folder / "added.yaml").write_text(added)
    content = {"resources": ["stream.yaml", "added.yaml"], "patches": patches}
    (folder / "kustomization.yaml").write_text(json.dumps(content))
    return folder


@pytest.mark.parametrize(("chart", "profile"), CASES, ids=IDS)
def test_the_flux_and_helmfile_exports_patch_as_the_post_renderer_does(
    rendered: dict[str, bytes], tmp_path: Path, chart: str, profile: str
) -> None:
    expected = by_key(output_of(render(rendered[chart], profile)))
    for fmt in ("flux", "helmfile"):
        result = invoke(["export", "--format", fmt, "-p", profile], rendered[chart])
        assert result.exit_code == 0, result.stderr
        block, *added = result.stdout.split("\n---\n", 1)
        data = yaml.safe_load(block)
        if fmt == "flux":
            (renderer,) = data["spec"]["postRenderers"]
            patches = renderer["kustomize"]["patches"]
            assert all(isinstance(p["patch"], str) and p["target"]["name"] for p in patches)
        else:
            patches = [{"target": p["target"], "patch": json.dumps(p["patch"])} for p in data["jsonPatches"]]
        folder = folder_from_patches(tmp_path / fmt, rendered[chart], patches, "---\n" + "".join(added))
        assert by_key(kustomize(folder)) == expected, fmt


@pytest.mark.parametrize(("chart", "profile"), CASES, ids=IDS)
def test_the_values_export_rendered_by_helm_matches_the_post_renderer_on_every_setting_it_covers(
    rendered: dict[str, bytes], tmp_path: Path, chart: str, profile: str
) -> None:
    result = invoke(["export", "--format", "values", "-p", profile], rendered[chart])
    assert result.exit_code == 0, result.stderr
    values = tmp_path / "values.yaml"
    values.write_text(result.stdout)
    with_values = by_key(helm_template(chart, "-f", str(values)))
    sized = by_key(output_of(render(rendered[chart], profile)))
    (release,) = values_of(collect(rendered[chart], load_profile(profile)))[0]
    assert len(release.settings) >= 5
    for setting in release.settings:
        want = resolve(sized[setting.kind, setting.name], setting.pointer)
        got = resolve(with_values.get((setting.kind, setting.name)), setting.pointer)
        if "/resources/" in setting.pointer and got[0] and want[0]:  # "2" and 2 are the same CPU
            got, want = (True, quantity(got[1])), (True, quantity(want[1]))
        assert got == want, f"{setting.key}: {setting.kind}/{setting.name} {setting.pointer}"


def test_the_values_export_says_what_only_the_post_renderer_does(rendered: dict[str, bytes]) -> None:
    result = invoke(["export", "--format", "values", "-p", "large"], rendered["control-plane"])
    assert result.exit_code == 0, result.stderr
    assert "#   Deployment/runai-backend-backend: spec/template/spec/topologySpreadConstraints" in result.stdout
    assert "release runai-backend: 6 change(s) have no chart value" in result.stderr
    assert yaml.safe_load(result.stdout)["grafana"]["autoscaling"] == {
        "enabled": True, "minReplicas": 2, "maxReplicas": 3, "targetCPU": "70"
    }  # fmt: skip


def test_an_export_of_a_stream_without_a_run_ai_release_fails_with_one_line() -> None:
    other = textwrap.dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        """).encode()
    result = invoke(["export", "--format", "flux", "-p", "large"], other)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "nothing to export" in result.stderr and len(result.stderr.splitlines()) == 1


def test_the_kustomize_export_needs_a_folder() -> None:
    result = invoke(["export", "--format", "kustomize", "-p", "large"], b"")
    assert result.exit_code == 64
    assert "-o DIR" in result.stderr


def test_the_values_export_to_a_folder_writes_each_release_whole(rendered: dict[str, bytes], tmp_path: Path) -> None:
    printed = invoke(["export", "--format", "values", "-p", "large"], rendered["control-plane"])
    target = tmp_path / "values-runai-backend.yaml"
    target.write_text("old: values\n")
    before = target.stat().st_ino
    result = invoke(["export", "--format", "values", "-p", "large", "-o", str(tmp_path)], rendered["control-plane"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert target.read_text() == printed.stdout
    assert target.stat().st_ino != before  # a new file renamed into place, not the old one rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["values-runai-backend.yaml"]  # no temporary left
    assert "wrote values-runai-backend.yaml in" in result.stderr


def test_the_values_export_never_writes_over_its_input_stream(rendered: dict[str, bytes], tmp_path: Path) -> None:
    stream = tmp_path / "values-runai-backend.yaml"  # the stream, where -o would put the values
    stream.write_bytes(rendered["control-plane"])
    result = invoke(["export", "--format", "values", "-p", "large", "-f", str(stream), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "it is the input stream" in result.stderr and len(result.stderr.splitlines()) == 1
    assert stream.read_bytes() == rendered["control-plane"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["values-runai-backend.yaml"]


def test_the_kustomize_export_over_the_folder_of_its_input_keeps_the_stream(
    rendered: dict[str, bytes], tmp_path: Path
) -> None:
    stream = tmp_path / "fleet-manifests.yaml"  # the copy the export writes: the same bytes, left alone
    stream.write_bytes(rendered["control-plane"])
    result = invoke(["export", "--format", "kustomize", "-p", "large", "-f", str(stream), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert stream.read_bytes() == rendered["control-plane"]
    assert by_key(kustomize(tmp_path)) == by_key(output_of(render(rendered["control-plane"], "large")))


# grafana's two sidecars render one value, grafana.sidecar.resources; here the stream gives them apart.
GRAFANA = textwrap.dedent("""\
    ---
    # Source: control-plane/charts/grafana/templates/deployment.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: runai-backend-grafana
      namespace: runai-backend
      labels:
        app.kubernetes.io/instance: runai-backend
    spec:
      replicas: 1
      template:
        spec:
          containers:
            - name: grafana-sc-dashboard
              image: sidecar
              resources:
                requests:
                  cpu: 300m
            - name: grafana-sc-datasources
              image: sidecar
            - name: grafana
              image: grafana
    """).encode()


def test_a_value_shared_by_fields_the_post_renderer_sizes_apart_keeps_the_larger() -> None:
    sized = by_key(output_of(render(GRAFANA, "large")))
    containers = sized["Deployment", "runai-backend-grafana"]["spec"]["template"]["spec"]["containers"]
    assert [c.get("resources", {}).get("requests", {}).get("cpu") for c in containers] == ["300m", "50m", "100m"]
    result = invoke(["export", "--format", "values", "-p", "large"], GRAFANA)
    assert result.exit_code == 0, result.stderr
    sidecar = yaml.safe_load(result.stdout)["grafana"]["sidecar"]["resources"]
    assert quantity(sidecar["requests"]["cpu"]) == quantity("300m")  # never the 50m: the dashboard keeps 300m
    assert "grafana.sidecar.resources" in result.stderr and 'kept the larger, "300m"' in result.stderr


# ---------------------------------------------------------------- a 2.2x control plane: <service>.replicaCount


def helm_template_225(*args: str) -> bytes:
    command = [
        str(helm_binary(3)),
        "template",
        "runai-backend",
        str(CHARTS / "control-plane-2.25"),
        "-n",
        "runai-backend",
    ]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HELM_", "RUNAI_SIZE_"))}
    return subprocess.run([*command, *args], check=True, capture_output=True, env=env, timeout=120).stdout


def replicas_of(text: bytes) -> dict[str, Any]:
    return {name: obj["spec"].get("replicas") for (kind, name), obj in by_key(text).items() if kind == "Deployment"}


@pytest.mark.parametrize("profile", ["large", "xlarge"])
def test_helm_with_the_values_export_of_a_2_25_control_plane_runs_the_post_renderers_replicas(
    tmp_path: Path, profile: str
) -> None:
    stream = helm_template_225()
    result = invoke(["export", "--format", "values", "-p", profile], stream)
    assert result.exit_code == 0, result.stderr
    exported = yaml.safe_load(result.stdout)
    assert exported["assets-service"] == {"replicaCount": 2} and exported["bff-service"] == {"replicaCount": 2}
    assert "redoc" not in exported and "workloads-manager" not in exported  # not scaled; already 2
    values = tmp_path / "values.yaml"
    values.write_text(result.stdout)
    sized = replicas_of(output_of(render(stream, profile)))
    with_values = replicas_of(helm_template_225("-f", str(values)))
    # frontend: the post-renderer gives it an HPA instead (no documented key for 2.25: a comment)
    assert sized.pop("runai-backend-frontend") is None and with_values.pop("runai-backend-frontend") == 1
    assert with_values == sized
    assert "#   add HorizontalPodAutoscaler/runai-backend-frontend" in result.stdout


def test_the_values_export_writes_no_replica_count_for_a_version_whose_pages_do_not_document_it() -> None:
    stream = helm_template_225().replace(b"control-plane-2.25.0", b"control-plane-2.22.0")
    result = invoke(["export", "--format", "values", "-p", "large", "--runai-version", "2.25"], stream)
    assert result.exit_code == 0, result.stderr
    assert (
        "#   Deployment/runai-backend-assets-service: spec/replicas = 2 (rule control-plane-replicas)" in result.stdout
    )
    assert "replicaCount" not in (yaml.safe_load(result.stdout) or {}).get("assets-service", {})


def test_the_values_export_writes_a_services_resources_from_2_20(tmp_path: Path) -> None:
    path = tmp_path / "redoc.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            extends: large
            rules:
              - name: redoc-memory
                match: {kind: Deployment, chart: control-plane, name: "{release}-redoc"}
                containers: [redoc]
                set: {/resources/limits/memory: 1Gi}
            """
        )
    )
    stream = helm_template_225().replace(b"control-plane-2.25.0", b"control-plane-2.21.0")
    result = invoke(["export", "--format", "values", "-p", str(path)], stream)
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout)["redoc"] == {"resources": {"limits": {"memory": "1Gi"}}}
    values = tmp_path / "values.yaml"
    values.write_text(result.stdout)
    key = ("Deployment", "runai-backend-redoc")
    with_values = by_key(helm_template_225("-f", str(values)))[key]["spec"]["template"]["spec"]["containers"][0]
    sized = by_key(output_of(run(stream, load_profile(str(path)))))[key]["spec"]["template"]["spec"]["containers"][0]
    assert with_values["resources"] == sized["resources"]  # the chart's other resources kept, as by the post-renderer
    assert with_values["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
