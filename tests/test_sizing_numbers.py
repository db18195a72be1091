"""Floors compared as Kubernetes reads the values: counts in any spelling, a limit that stands for its
request, a count whose absence means 1; a workload scaled to zero stays off; shapes a rule cannot set."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from runai_postrender.pipeline import run
from runai_postrender.profiles.load import load_profile
from runai_postrender.profiles.model import Rule
from runai_postrender.support.errors import PatchError, ProfileError
from tests.conftest import output_of, render

BACKEND = textwrap.dedent("""\
    ---
    # Source: control-plane/templates/backend/deployment.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: runai-backend-backend
      namespace: runai-backend
      labels:
        app.kubernetes.io/instance: runai-backend
    spec:
      replicas: REPLICAS
      selector:
        matchLabels: {app: backend}
      template:
        metadata:
          labels: {app: backend}
        spec:
          containers:
            - name: backend
              image: backend
              resources:
                requests:
                  cpu: 500m
    """)

HPA = textwrap.dedent("""\
    ---
    # Source: control-plane/templates/backend/hpa.yaml
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata:
      name: runai-backend-backend
      namespace: runai-backend
      labels:
        app.kubernetes.io/instance: runai-backend
    spec:
      scaleTargetRef:
        apiVersion: apps/v1
        kind: Deployment
        name: runai-backend-backend
      minReplicas: LOW
      maxReplicas: HIGH
    """)


def docs(data: bytes) -> list[dict]:  # type: ignore[type-arg]
    return [doc for doc in YAML(typ="safe", pure=True).load_all(data.decode()) if doc is not None]


def of_kind(data: bytes, kind: str) -> list[dict]:  # type: ignore[type-arg]
    return [doc for doc in docs(data) if doc["kind"] == kind]


@pytest.mark.parametrize(("low", "high"), [("5.0", "20.0"), ("5e0", "2e1"), ("5", "20"), ("0x5", "0x14")])
def test_a_charts_hpa_keeps_bounds_above_the_profiles_in_any_spelling_of_a_number(low: str, high: str) -> None:
    stream = (BACKEND.replace("  replicas: REPLICAS\n", "") + HPA.replace("LOW", low).replace("HIGH", high)).encode()
    result = render(stream)
    assert f"minReplicas: {low}\n".encode() in output_of(result)
    assert f"maxReplicas: {high}\n".encode() in output_of(result)
    assert not [entry for entry in result.report.changes if "Replicas" in entry.pointer]


@pytest.mark.parametrize("replicas", ["6.0", "6e0", "6", "0x6"])
def test_an_added_hpa_never_goes_below_the_replicas_the_deployment_ran_in_any_spelling(replicas: str) -> None:
    result = render(BACKEND.replace("REPLICAS", replicas).encode())
    [hpa] = of_kind(output_of(result), "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (6, 6)


def test_a_limit_without_a_request_stands_for_the_request_so_no_lower_request_is_added() -> None:
    stream = textwrap.dedent("""\
        ---
        # Source: control-plane/charts/thanos/templates/receive/statefulset.yaml
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: runai-backend-thanos-receive
          namespace: runai-backend
          labels:
            app.kubernetes.io/instance: runai-backend
        spec:
          selector:
            matchLabels: {app.kubernetes.io/component: receive}
          template:
            metadata:
              labels: {app.kubernetes.io/component: receive}
            spec:
              containers:
                - name: receive
                  image: thanos
                  resources:
                    limits:
                      cpu: 4
                      memory: 64Gi
        """).encode()
    result = render(stream)
    assert output_of(result) == stream  # Guaranteed stays Guaranteed: Kubernetes requests the limits
    assert any(
        "resources/requests/memory left unset: Kubernetes requests its limit 64Gi" in k for k in result.report.kept
    )


def test_a_limit_below_the_profiles_request_still_gets_the_profiles_request() -> None:
    stream = textwrap.dedent("""\
        apiVersion: run.ai/v1
        kind: RunaiConfig
        metadata: {name: runai, labels: {helm.sh/chart: runai-cluster-2.18.0}}  # the older guide: limits 2x
        spec:
          global: {schedulingServices: {resources: {limits: {cpu: 500m}}}}
        """).encode()
    result = render(stream, "xlarge")
    services = docs(output_of(result))[0]["spec"]["global"]["schedulingServices"]["resources"]
    assert (services["requests"]["cpu"], services["limits"]["cpu"]) == (2, 4)  # both above the 500m in place


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_replica_count_below_one_never_switches_the_cluster_services_off(value: str) -> None:
    # Loading refuses such a count (test_profile_rule_checks.py); the run's own guard is pinned here on a
    # profile whose rule holds it anyway.
    stream = b"apiVersion: run.ai/v1\nkind: RunaiConfig\nmetadata: {name: runai}\nspec: {global: {}}\n"
    with pytest.raises(ProfileError, match="replica count"):
        load_profile("large", [("ha.clusterReplicas", value)])
    profile = load_profile("large")

    def holding_it(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        return tuple(
            rule.replaced(set={**rule.set, "/spec/global/replicaCount": int(value)})
            if "/spec/global/replicaCount" in rule.set
            else rule
            for rule in rules
        )

    editions = tuple(edition.replaced(rules=holding_it(edition.rules)) for edition in profile.editions)
    result = run(stream, profile.replaced(rules=holding_it(profile.rules), editions=editions))
    assert b"replicaCount" not in output_of(result)
    assert any(
        f"replicaCount left unset: its default 1 is above the profile's {value}" in k for k in result.report.kept
    )


def test_a_deployment_scaled_to_zero_stays_at_zero_with_no_hpa_and_no_budget() -> None:
    stream = BACKEND.replace("REPLICAS", "0").encode()
    result = render(stream)
    assert output_of(result) == stream
    assert result.report.added == [] and result.report.changes == []
    # One line from each rule that would bring it back: the HPA, the budget, and (the newest edition's) replicas floor
    assert sum("a workload scaled to zero on purpose stays off" in kept for kept in result.report.kept) == 3


def test_a_replica_floor_leaves_a_workload_scaled_to_zero_at_zero(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("rules:\n- name: r\n  match: {kind: Deployment}\n  set: {/spec/replicas: 3}\n")
    stream = BACKEND.replace("REPLICAS", "0.0").encode()
    result = run(stream, load_profile(str(path)))
    assert output_of(result) == stream
    assert any("spec/replicas kept at 0: a workload scaled to zero" in kept for kept in result.report.kept)


def test_a_list_where_the_rule_expects_a_mapping_is_an_error_not_an_unset_default() -> None:
    stream = textwrap.dedent("""\
        apiVersion: run.ai/v1
        kind: RunaiConfig
        metadata: {name: runai}
        spec:
          prometheus: {remoteWrite: [{url: x, queueConfig: {capacity: 100, maxShards: 1000}}]}
        """).encode()
    with pytest.raises(PatchError, match=r"/spec/prometheus/remoteWrite is a list, not a mapping"):
        render(stream)


@pytest.mark.parametrize(
    ("rule", "written"),
    [
        ('patch: [{op: replace, path: "", value: {}}]', {"patch": ({"op": "replace", "path": "", "value": {}},)}),
        ('set: {"": 1}', {"set": {"": 1}}),
    ],
    ids=["patch", "set"],
)
def test_a_rule_on_the_root_pointer_is_refused_not_reported_as_a_change(
    tmp_path: Path, rule: str, written: dict[str, Any]
) -> None:
    # Loading refuses it with the line (test_profile_rule_checks.py); the run's own guard is pinned on a rule
    # that holds it anyway.
    path = tmp_path / "p.yaml"
    path.write_text(f"rules:\n- name: r\n  match: {{kind: Deployment}}\n  {rule}\n")
    with pytest.raises(ProfileError, match=r"line 4: rule 'r': .*writes the root"):
        load_profile(str(path))
    path.write_text("rules:\n- name: r\n  match: {kind: Deployment}\n  set: {/spec/replicas: 1}\n")
    profile = load_profile(str(path))
    root_rule = profile.rules[0].replaced(**{"set": {}, "patch": (), **written})
    with pytest.raises(PatchError, match=r"rule 'r': document 1 \(Deployment/runai-backend-backend\): .*whole object"):
        run(BACKEND.replace("REPLICAS", "2").encode(), profile.replaced(rules=(root_rule,)))
