"""Availability beyond replicas: disruption budgets and a soft spread for workloads that run two or more pods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from runai_postrender.cli.group import main
from runai_postrender.pipeline import Result, run
from runai_postrender.profiles.load import load_profile
from tests import k8s_schema
from tests.conftest import LARGE, output_of


def workload(name: str, kind: str = "Deployment", replicas: int = 1, pod_extra: str = "") -> str:
    """A control-plane workload as Helm 3 renders it, with a pod selector and a CPU request."""
    source = "charts/thanos/templates/receive/statefulset.yaml" if kind == "StatefulSet" else "templates/x.yaml"
    return (
        "\n".join(
            [
                "---",
                f"# Source: control-plane/{source}",
                "apiVersion: apps/v1",
                f"kind: {kind}",
                "metadata:",
                f"  name: {name}",
                "  namespace: runai-backend",
                "  labels: {app.kubernetes.io/instance: runai-backend}",
                "spec:",
                f"  replicas: {replicas}",
                f"  selector: {{matchLabels: {{app: {name}}}}}",
                "  template:",
                f"    metadata: {{labels: {{app: {name}, tier: x}}}}",
                "    spec:",
                "      containers: [{name: app, image: a, resources: {requests: {cpu: 250m}}}]",
                *([f"      {pod_extra}"] if pod_extra else []),
            ]
        )
        + "\n"
    )


def budget(selector: str, rule: str = "maxUnavailable: 1") -> str:
    return (
        "\n".join(
            [
                "---",
                "# Source: control-plane/templates/pdb.yaml",
                "apiVersion: policy/v1",
                "kind: PodDisruptionBudget",
                "metadata: {name: chart-budget, namespace: runai-backend}",
                f"spec: {{{rule}, selector: {selector}}}",
            ]
        )
        + "\n"
    )


def objects(result: Result, kind: str) -> list[dict[str, Any]]:
    docs = YAML(typ="safe", pure=True).load_all(output_of(result).decode())
    return [doc for doc in docs if doc and doc["kind"] == kind]


def test_a_workload_with_two_or_more_pods_gets_a_budget_and_a_soft_spread() -> None:
    result = run(workload("runai-backend-backend").encode(), LARGE)  # its HPA runs at least 2
    [pdb] = objects(result, "PodDisruptionBudget")
    assert pdb["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "runai-backend-backend"}}}
    assert pdb["metadata"]["labels"] == {"app.kubernetes.io/instance": "runai-backend"}
    [deployment] = objects(result, "Deployment")
    assert deployment["spec"]["template"]["spec"]["topologySpreadConstraints"] == [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",  # never a hard constraint that could leave pods pending
            "labelSelector": {"matchLabels": {"app": "runai-backend-backend"}},
        }
    ]
    for obj in [pdb, deployment]:
        assert k8s_schema.validate(obj).validated


def test_a_workload_with_one_pod_gets_neither() -> None:
    data = workload("runai-backend-thanos-receive", "StatefulSet").encode()
    result = run(data, LARGE)
    assert objects(result, "PodDisruptionBudget") == []
    assert "topologySpreadConstraints" not in objects(result, "StatefulSet")[0]["spec"]["template"]["spec"]


def test_a_statefulset_the_chart_runs_with_three_pods_gets_a_budget() -> None:
    result = run(workload("runai-backend-thanos-receive", "StatefulSet", replicas=3).encode(), LARGE)
    assert [pdb["metadata"]["name"] for pdb in objects(result, "PodDisruptionBudget")] == [
        "runai-backend-thanos-receive"
    ]


@pytest.mark.parametrize(
    "selector",
    [
        pytest.param("{matchLabels: {app: runai-backend-backend}}", id="matchLabels"),
        pytest.param("{matchExpressions: [{key: tier, operator: In, values: [x]}]}", id="matchExpressions"),
        pytest.param("{}", id="every pod of the namespace"),
    ],
)
def test_a_budget_the_chart_has_for_the_pods_is_kept_and_none_is_added(selector: str) -> None:
    data = (workload("runai-backend-backend") + budget(selector)).encode()
    result = run(data, LARGE)
    assert [pdb["metadata"]["name"] for pdb in objects(result, "PodDisruptionBudget")] == ["chart-budget"]
    assert not result.report.warnings


def test_a_budget_of_other_pods_does_not_count() -> None:
    data = (workload("runai-backend-backend") + budget("{matchLabels: {app: other}}")).encode()
    assert len(objects(run(data, LARGE), "PodDisruptionBudget")) == 2


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("maxUnavailable: 0", "maxUnavailable: 0"),
        ("maxUnavailable: '0%'", "maxUnavailable: 0"),
        ("minAvailable: 2", "minAvailable: 2 with 2 pods"),
        ("minAvailable: '100%'", "minAvailable: 100% with 2 pods"),
    ],
)
def test_a_budget_that_blocks_every_eviction_is_kept_and_reported(rule: str, reason: str) -> None:
    data = (workload("runai-backend-backend") + budget("{matchLabels: {app: runai-backend-backend}}", rule)).encode()
    result = run(data, LARGE)
    assert len(objects(result, "PodDisruptionBudget")) == 1
    [warning] = result.report.warnings
    assert f"allows no voluntary disruption of document 1 (Deployment/runai-backend-backend) ({reason})" in warning
    assert "a node drain would hang on it" in warning


@pytest.mark.parametrize(
    "spread",
    [
        "topologySpreadConstraints: [{maxSkew: 2, topologyKey: topology.kubernetes.io/zone, "
        "whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: x}}}]",
        "affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: []}}",
    ],
    ids=["its own spread", "a pod anti-affinity"],
)
def test_pods_that_spread_already_keep_their_own_way(spread: str) -> None:
    data = workload("runai-backend-backend", pod_extra=spread).encode()
    [deployment] = objects(run(data, LARGE), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    own = YAML(typ="safe", pure=True).load(spread)
    assert pod.get("topologySpreadConstraints") == own.get("topologySpreadConstraints")  # none added
    assert pod.get("affinity") == own.get("affinity")


@pytest.mark.parametrize(
    ("overrides", "budgets", "spread"),
    [
        ([("ha.enabled", "false")], 0, False),
        ([("ha.disruptionBudgets", "false")], 0, True),
        ([("ha.spread", "false")], 1, False),
    ],
)
def test_each_part_can_be_turned_off(overrides: list[tuple[str, str]], budgets: int, spread: bool) -> None:
    result = run(workload("runai-backend-backend").encode(), load_profile("large", overrides))
    assert len(objects(result, "PodDisruptionBudget")) == budgets
    assert ("topologySpreadConstraints" in objects(result, "Deployment")[0]["spec"]["template"]["spec"]) is spread


def test_small_adds_no_availability() -> None:
    data = workload("runai-backend-backend", replicas=3).encode()
    assert output_of(run(data, load_profile("small"))) == data


def test_keycloak_gets_nothing_even_with_three_pods() -> None:
    data = workload("runai-backend-keycloak", "StatefulSet", replicas=3).encode()
    assert output_of(run(data, LARGE)) == data


def test_the_cluster_services_get_two_replicas_and_more_stay() -> None:
    config = "---\napiVersion: run.ai/v1\nkind: RunaiConfig\nmetadata: {name: runai}\nspec:\n  global: {REPLICAS}\n"
    for given, wanted in (("{}", 2), ("{replicaCount: 1}", 2), ("{replicaCount: 3}", 3)):
        result = run(config.replace("{REPLICAS}", given).encode(), LARGE)
        assert objects(result, "RunaiConfig")[0]["spec"]["global"]["replicaCount"] == wanted


def test_verify_fails_on_a_missing_budget_or_spread(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_bytes(workload("runai-backend-backend").encode())
    result = CliRunner().invoke(main, ["verify", "-p", "large", "-f", str(rendered)])
    assert result.exit_code == 3
    assert "missing PodDisruptionBudget/runai-backend-backend" in result.stdout
    assert "spec/template/spec/topologySpreadConstraints is absent" in result.stdout
    sized = tmp_path / "sized.yaml"
    sized.write_bytes(output_of(run(rendered.read_bytes(), LARGE)))
    assert CliRunner().invoke(main, ["verify", "-p", "large", "-f", str(sized)]).exit_code == 0


def test_a_budget_blocking_every_eviction_is_reported_in_any_spelling_of_a_number() -> None:
    data = (
        workload("runai-backend-backend") + budget("{matchLabels: {app: runai-backend-backend}}", "minAvailable: 2.0")
    ).encode()
    [warning] = run(data, LARGE).report.warnings
    assert "(minAvailable: 2.0 with 2 pods)" in warning


@pytest.mark.parametrize(
    "selector",
    [
        pytest.param("{matchLabels: {tier: x, app: runai-backend-backend}}", id="two labels"),
        pytest.param("{matchLabels: {tier: x}}", id="a label other budgets share"),
        pytest.param(
            "{matchLabels: {app: runai-backend-backend}, matchExpressions: [{key: tier, operator: Exists}]}", id="both"
        ),
    ],
)
def test_a_budget_among_many_is_found_through_the_index(selector: str) -> None:
    others = "".join(
        budget(f"{{matchLabels: {{tier: x, app: other-{i}}}}}").replace("chart-budget", f"b{i}") for i in range(5)
    )
    data = (workload("runai-backend-backend") + others + budget(selector)).encode()
    result = run(data, LARGE)
    assert [pdb["metadata"]["name"] for pdb in objects(result, "PodDisruptionBudget")] == [
        *[f"b{i}" for i in range(5)],
        "chart-budget",
    ]


def test_a_budget_in_another_namespace_does_not_count() -> None:
    other = budget("{matchLabels: {app: runai-backend-backend}}").replace(
        "namespace: runai-backend", "namespace: elsewhere"
    )
    result = run((workload("runai-backend-backend") + other).encode(), LARGE)
    assert len(objects(result, "PodDisruptionBudget")) == 2


def test_a_second_pass_adds_no_second_budget_when_the_selector_differs_from_the_template_labels() -> None:
    data = workload("runai-backend-backend").replace(
        "{labels: {app: runai-backend-backend, tier: x}}", "{labels: {app: pods}}"
    )
    first = output_of(run(data.encode(), LARGE))
    assert (
        len([d for d in YAML(typ="safe", pure=True).load_all(first.decode()) if d["kind"] == "PodDisruptionBudget"])
        == 1
    )
    second = run(first, LARGE)
    assert output_of(second) == first
    assert second.report.added == [] and second.report.changes == []
