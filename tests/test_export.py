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
from runai_postrender.profiles.load import load_profile
from runai_postrender.support.pointer import resolve
from tests.conftest import output_of, render
from tests.helm_support import CHARTS, ROOT, helm_binary, quantity

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
    assert (tmp_path / "k" / "rendered.yaml").read_bytes() == rendered[chart]


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
