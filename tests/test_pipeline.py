"""The core on small streams: selection by kind, name, namespace and labels; HPAs; what the report says."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from runai_postrender.pipeline import run
from runai_postrender.profiles.load import load_profile
from runai_postrender.support.errors import PatchError
from tests.conftest import output_of, render


def docs(data: bytes) -> list[dict]:  # type: ignore[type-arg]
    return [doc for doc in YAML(typ="safe", pure=True).load_all(data.decode()) if doc is not None]


def custom_profile(tmp_path: Path, rules: str) -> str:
    path = tmp_path / "custom.yaml"
    path.write_text("rules:\n" + textwrap.indent(textwrap.dedent(rules), "  "))
    return str(path)


WORKLOADS = textwrap.dedent("""\
    ---
    apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: node-agent, namespace: runai, labels: {team: ml}}
    spec: {template: {spec: {containers: [{name: agent, image: a}, {name: other, image: b}]}}}
    ---
    apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: node-agent, namespace: elsewhere, labels: {team: ml}}
    spec: {template: {spec: {containers: [{name: agent, image: a}]}}}
    ---
    apiVersion: batch/v1
    kind: CronJob
    metadata: {name: cleanup, namespace: runai, labels: {team: web}}
    spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: agent, image: c}]}}}}}
    """).encode()


def test_custom_rules_select_by_kind_name_namespace_labels_and_container(tmp_path: Path) -> None:
    profile = custom_profile(
        tmp_path,
        """\
        - name: agent-memory
          match: {kind: [DaemonSet, CronJob], name: "*", namespace: runai, labels: {team: ml}}
          containers: [agent]
          set: {/resources/limits/memory: 2Gi}
        """,
    )
    result = run(WORKLOADS, load_profile(profile))
    first, second, cron = docs(output_of(result))
    assert first["spec"]["template"]["spec"]["containers"][0]["resources"] == {"limits": {"memory": "2Gi"}}
    assert "resources" not in first["spec"]["template"]["spec"]["containers"][1]
    assert "resources" not in second["spec"]["template"]["spec"]["containers"][0]  # other namespace
    assert "resources" not in cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]  # labels
    assert [entry.target for entry in result.report.changes] == ["document 1 (DaemonSet/node-agent)"]


def test_cronjob_containers_are_found_under_the_job_template(tmp_path: Path) -> None:
    profile = custom_profile(
        tmp_path,
        """\
        - name: cleanup
          match: {kind: CronJob}
          containers: [agent]
          set: {/resources/requests/cpu: 50m}
        """,
    )
    cron = docs(output_of(run(WORKLOADS, load_profile(profile))))[2]
    assert cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "50m"}
    }


def test_a_missing_container_is_reported_not_fatal(tmp_path: Path) -> None:
    profile = custom_profile(
        tmp_path,
        """\
        - name: sidecar
          match: {kind: DaemonSet, namespace: runai}
          containers: [sidecar]
          set: {/resources/requests/cpu: 50m}
        """,
    )
    result = run(WORKLOADS, load_profile(profile))
    assert output_of(result) == WORKLOADS
    assert result.report.notes == ["rule 'sidecar': document 1 (DaemonSet/node-agent) has no container 'sidecar'"]


def test_containers_that_are_not_a_list_are_a_patch_error_naming_the_document() -> None:
    stream = (
        b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: r-thanos-query\nspec:\n  template:\n"
        b"    spec:\n      containers: {name: query}\n"
    )
    with pytest.raises(
        PatchError,
        match=r"rule 'thanos-query': document 1 \(Deployment/r-thanos-query\): "
        r"/spec/template/spec/containers is a mapping, not a list",
    ):
        render(stream)


def test_a_stream_with_nothing_to_target_comes_back_identical_and_reports_every_rule_unmatched() -> None:
    stream = b"---\n# Source: x/y.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {k: v}\n"
    result = render(stream, "xlarge")
    assert output_of(result) == stream
    assert result.report.unmatched == [rule.name for rule in load_profile("xlarge").rules]


def test_an_autoscaling_v1_hpa_of_the_chart_is_merged_in_v1_terms() -> None:
    stream = textwrap.dedent("""\
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: r-backend}
        spec: {template: {spec: {containers: [{name: backend, image: b}]}}}
        ---
        apiVersion: autoscaling/v1
        kind: HorizontalPodAutoscaler
        metadata: {name: whatever}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: r-backend}
          minReplicas: 1
          maxReplicas: 2
          targetCPUUtilizationPercentage: 90
        """).encode()
    out = docs(output_of(render(stream)))
    assert len(out) == 2
    assert out[1]["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "r-backend"},
        "minReplicas": 2,
        "maxReplicas": 4,
        "targetCPUUtilizationPercentage": 90,  # the chart's target stays: a profile never replaces a metric
    }


def test_an_hpa_in_another_namespace_does_not_count() -> None:
    stream = textwrap.dedent("""\
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: r-frontend, namespace: a}
        spec: {replicas: 3}
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: r-frontend, namespace: b}
        spec:
          scaleTargetRef: {kind: Deployment, name: r-frontend}
          minReplicas: 1
          maxReplicas: 2
        """).encode()
    out = docs(output_of(render(stream)))
    hpas = [doc for doc in out if doc["kind"] == "HorizontalPodAutoscaler"]
    # The new HPA starts at the 3 replicas the Deployment ran, not at the profile's 2: never weaker.
    assert [(hpa["metadata"]["namespace"], hpa["spec"]["minReplicas"]) for hpa in hpas] == [("a", 3), ("b", 1)]
    assert "replicas" not in out[0]["spec"]


def test_patch_operations_run_after_set_and_a_failed_test_stops_everything(tmp_path: Path) -> None:
    profile = custom_profile(
        tmp_path,
        """\
        - name: guarded
          match: {kind: DaemonSet}
          patch:
            - {op: test, path: /metadata/labels/team, value: web}
            - {op: add, path: /metadata/labels/sized, value: "yes"}
        """,
    )
    with pytest.raises(
        PatchError, match=r"rule 'guarded': document 1 \(DaemonSet/node-agent\): test /metadata/labels/team"
    ):
        run(WORKLOADS, load_profile(profile))
