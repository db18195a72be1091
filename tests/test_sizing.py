"""What a profile decides: only Run:ai's objects, never weaker than what is there, only autoscaling that works.

Each test feeds a small Helm-shaped stream (with Helm 3's `# Source:` comment or Helm 4's annotation)
through the built-in or a custom profile and reads the result as data.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from runai_postrender.pipeline import Result, run
from runai_postrender.profiles.load import load_profile
from runai_postrender.sizing import directions
from tests.conftest import LARGE, output_of


def docs(result: Result) -> list[dict[str, Any]]:
    return [doc for doc in YAML(typ="safe", pure=True).load_all(output_of(result).decode()) if doc is not None]


def by_kind(result: Result, kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs(result) if doc["kind"] == kind]


def deployment(
    name: str,
    source: str = "control-plane/templates/backend/deployment.yaml",
    release: str | None = "runai-backend",
    containers: str = "[{name: app, image: a, resources: {requests: {cpu: 250m}}}]",
    extra: str = "",
) -> str:
    """A Deployment document as Helm 3 renders it (`source` "": no `# Source:` comment)."""
    lines = ["---"] + ([f"# Source: {source}"] if source else [])
    lines += ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {name}", "  namespace: runai-backend"]
    lines += [f"  labels: {{app.kubernetes.io/instance: {release}}}"] if release else []
    lines += ["spec:", "  replicas: 1", "  template:", "    spec:", f"      containers: {containers}"]
    return "\n".join(lines) + "\n" + extra


def profile_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


# ---------------------------------------------------------------- only Run:ai's objects (problem 1)


@pytest.mark.parametrize(
    ("name", "source"),
    [
        pytest.param(
            "runai-backend-grafana", "kube-prometheus-stack/charts/grafana/templates/deployment.yaml", id="kps grafana"
        ),
        pytest.param("runai-backend-ingress-nginx-defaultbackend", "ingress-nginx/templates/db.yaml", id="ingress"),
        pytest.param("runai-backend-frontend", "loki/templates/query-frontend.yaml", id="loki frontend"),
        pytest.param("runai-backend-thanos-query-frontend", "control-plane/charts/thanos/templates/q.yaml", id="qf"),
    ],
)
def test_objects_that_are_not_runais_components_are_left_alone(name: str, source: str) -> None:
    data = deployment(name, source).encode()
    result = run(data, LARGE)
    assert output_of(result) == data
    assert not result.report.added and not result.report.changes


def test_a_default_backend_of_the_control_plane_is_not_the_backend() -> None:
    """`{release}-backend` never matches `...-default-backend`: no backend HPA in either edition. Up to
    2.19 nothing else sizes it; from 2.20 it is a control-plane service like any other and gets the guide's
    two replicas."""
    data = deployment("runai-backend-default-backend", "control-plane/templates/x.yaml").encode()
    older = run(data, LARGE.replaced(runai_version="2.19"))
    assert output_of(older) == data
    assert not older.report.added and not older.report.changes
    newer = run(data, LARGE)
    assert not newer.report.added
    assert [(entry.rule, entry.pointer, entry.new) for entry in newer.report.changes] == [
        ("control-plane-replicas", "/spec/replicas", 2)
    ]


def test_the_release_comes_from_the_labels_so_any_release_name_works() -> None:
    data = deployment("acme-backend", release="acme") + deployment("other-backend", release="acme")
    result = run(data.encode(), LARGE)
    assert [hpa["spec"]["scaleTargetRef"]["name"] for hpa in by_kind(result, "HorizontalPodAutoscaler")] == [
        "acme-backend"
    ]


def test_helm4_names_the_chart_in_an_annotation() -> None:
    data = deployment("runai-backend-backend", source="").replace(
        "  namespace: runai-backend\n",
        "  namespace: runai-backend\n  annotations:\n"
        "    postrenderer.helm.sh/postrender-filename: 'control-plane/templates/backend/deployment.yaml'\n",
    )
    assert len(by_kind(run(data.encode(), LARGE), "HorizontalPodAutoscaler")) == 1
    other = data.replace("'control-plane/", "'kube-prometheus-stack/")
    assert by_kind(run(other.encode(), LARGE), "HorizontalPodAutoscaler") == []


def test_a_stream_without_any_chart_identity_is_matched_by_names_and_the_report_says_so() -> None:
    data = deployment("runai-backend-backend", source="", release=None)
    result = run(data.encode(), LARGE)
    assert len(by_kind(result, "HorizontalPodAutoscaler")) == 1
    assert any("rules matched by names alone" in note for note in result.report.notes)


def test_a_stream_that_is_not_runais_says_so_in_the_report() -> None:
    data = deployment("monitoring-grafana", "kube-prometheus-stack/charts/grafana/templates/deployment.yaml")
    result = run(data.encode(), LARGE)
    assert "no Run:ai release found in this stream (it holds the charts kube-prometheus-stack)" in result.report.notes


def test_custom_rules_may_name_a_chart_and_a_release_or_neither(tmp_path: Path) -> None:
    profile = load_profile(
        profile_file(
            tmp_path,
            """\
            rules:
              - name: ours
                match: {kind: Deployment, chart: "my-*", release: prod}
                set: {/metadata/labels/sized: "yes"}
              - name: anything
                match: {kind: Deployment}
                set: {/metadata/annotations/seen: "yes"}
            """,
        )
    )
    data = deployment("a", "my-app/templates/a.yaml", release="prod") + deployment("b", "their-app/t.yaml", "prod")
    first, second = docs(run(data.encode(), profile))
    assert first["metadata"]["labels"]["sized"] == "yes" and "sized" not in second["metadata"]["labels"]
    assert first["metadata"]["annotations"] == second["metadata"]["annotations"] == {"seen": "yes"}


# ---------------------------------------------------------------- never weaken (problems 2 and 5)


QUERY = "control-plane/charts/thanos/templates/query/deployment.yaml"


def query(resources: str) -> bytes:
    containers = f"[{{name: query, image: thanos, resources: {resources}}}]"
    return deployment("runai-backend-thanos-query", QUERY, containers=containers).encode()


def query_resources(result: Result) -> Any:
    return docs(result)[0]["spec"]["template"]["spec"]["containers"][0]["resources"]


def test_resources_above_the_profiles_are_kept_and_the_report_says_why() -> None:
    higher = "{requests: {cpu: 4, memory: 16Gi}, limits: {cpu: 8, memory: 32Gi}}"
    result = run(query(higher), LARGE)
    assert output_of(result) == query(higher)
    assert any("requests/memory kept at 16Gi: above the profile's 3G" in kept for kept in result.report.kept)


def test_quantities_are_compared_as_quantities() -> None:
    result = run(query("{requests: {cpu: 1500m, memory: 2900M}, limits: {cpu: '2', memory: 2Gi}}"), LARGE)
    assert query_resources(result) == {
        "requests": {"cpu": "1500m", "memory": "3G"},  # 2900M < 3G: raised; 1500m > 1: kept
        "limits": {"cpu": "2", "memory": "3G"},  # 2Gi (2.15G) < 3G: raised
    }


def test_a_limit_is_never_left_below_a_request_kept_above_the_profile() -> None:
    result = run(query("{requests: {cpu: 4, memory: 16Gi}}"), LARGE)
    assert query_resources(result) == {"requests": {"cpu": 4, "memory": "16Gi"}, "limits": {"cpu": 4, "memory": "16Gi"}}


def test_an_exact_rule_writes_its_values_whatever_is_there(tmp_path: Path) -> None:
    profile = load_profile(
        profile_file(
            tmp_path,
            """\
            rules:
              - name: pin
                exact: true
                match: {kind: Deployment}
                containers: [query]
                set: {/resources/limits/memory: 3G}
            """,
        )
    )
    assert query_resources(run(query("{limits: {memory: 32Gi}}"), profile)) == {"limits": {"memory": "3G"}}


CONFIG = textwrap.dedent("""\
    ---
    # Source: runai-cluster/templates/runaiconfig.yaml
    apiVersion: run.ai/v1
    kind: RunaiConfig
    metadata: {name: runai, namespace: runai}
    spec:
      prometheus:
        remoteWrite:
          queueConfig: {QUEUE}
        spec: {SPEC}
    """)


def prometheus_of(result: Result) -> Any:
    return docs(result)[0]["spec"]["prometheus"]


@pytest.mark.parametrize(
    ("queue", "spec", "want_queue", "want_retention"),
    [
        pytest.param("{}", "{}", {}, "1h", id="empty: a modern Prometheus already exceeds the guide"),
        pytest.param(
            "{}", "{version: v2.40.1}", {"capacity": 5000, "maxSamplesPerSend": 1000, "maxShards": 100}, "1h",
            id="before 2.44: the old defaults are below the guide",
        ),
        pytest.param(
            "{}", "{image: 'quay.io/prometheus/prometheus:v2.43.0'}",
            {"capacity": 5000, "maxSamplesPerSend": 1000, "maxShards": 100}, "1h", id="version from the image",
        ),
        pytest.param(
            "{capacity: 20000, maxShards: 500}", "{retention: 30m}",
            {"capacity": 20000, "maxShards": 100}, "30m", id="higher capacity kept, shards and retention are ceilings",
        ),
        pytest.param("{capacity: 2500}", "{retention: 10d}", {"capacity": 5000}, "1h", id="below the floor: raised"),
    ],
)  # fmt: skip
def test_remote_write_and_retention_move_only_in_their_direction(
    queue: str, spec: str, want_queue: dict[str, int], want_retention: str
) -> None:
    data = CONFIG.replace("{QUEUE}", queue).replace("{SPEC}", spec).encode()
    prometheus = prometheus_of(run(data, LARGE))
    assert (prometheus["remoteWrite"]["queueConfig"], prometheus["spec"]["retention"]) == (want_queue, want_retention)


@pytest.mark.parametrize(
    ("current", "wanted", "where", "keeps"),
    [
        ("16Gi", "3G", directions.FLOOR, True),
        ("2G", "3G", directions.FLOOR, False),
        ("10d", "1h", directions.CEILING, False),
        ("30m", "1h", directions.CEILING, True),
        ("{{ .Values.x }}", "1", directions.FLOOR, True),  # cannot be compared: never weakened by a guess
        ("16Gi", "3G", directions.EXACT, False),
    ],
)
def test_directions(current: str, wanted: str, where: str, keeps: bool) -> None:
    assert directions.keeps(where, current, wanted) is keeps


# ---------------------------------------------------------------- HPAs merged, never replaced (problem 3)


def chart_hpa(spec: str) -> str:
    """The grafana chart's own HPA (`autoscaling.enabled=true`) with `spec` below its scaleTargetRef."""
    head = [
        "---",
        "# Source: control-plane/charts/grafana/templates/hpa.yaml",
        "apiVersion: autoscaling/v2",
        "kind: HorizontalPodAutoscaler",
        "metadata: {name: runai-backend-grafana, namespace: runai-backend}",
        "spec:",
        "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: runai-backend-grafana}",
    ]
    return "\n".join(head) + "\n" + textwrap.indent(textwrap.dedent(spec), "  ")


GRAFANA = "control-plane/charts/grafana/templates/deployment.yaml"
MEMORY_METRIC = {
    "type": "Resource",
    "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 80}},
}
BEHAVIOR = {"scaleDown": {"stabilizationWindowSeconds": 300}}


def grafana(extra: str = "") -> str:
    return deployment("runai-backend-grafana", GRAFANA, extra=extra).replace("  replicas: 1\n", "")


def test_a_chart_hpa_keeps_its_metrics_and_behavior_and_bounds_only_go_up() -> None:
    hpa = chart_hpa("""\
        minReplicas: 1
        maxReplicas: 10
        metrics:
          - {type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 80}}}
        behavior: {scaleDown: {stabilizationWindowSeconds: 300}}
        """)
    requested = grafana().replace("{requests: {cpu: 250m}}", "{requests: {cpu: 250m, memory: 256Mi}}")
    [merged] = by_kind(run((requested + hpa).encode(), LARGE), "HorizontalPodAutoscaler")
    cpu = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
    assert merged["spec"]["minReplicas"] == 2 and merged["spec"]["maxReplicas"] == 10
    assert merged["spec"]["metrics"] == [MEMORY_METRIC, cpu]  # a CPU metric added only because there was none
    assert merged["spec"]["behavior"] == BEHAVIOR


def test_a_chart_hpas_cpu_target_is_never_replaced() -> None:
    hpa = chart_hpa("""\
        minReplicas: 3
        maxReplicas: 10
        metrics:
          - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}
        """)
    data = (grafana() + hpa).encode()
    assert by_kind(run(data, LARGE), "HorizontalPodAutoscaler")[0]["spec"]["metrics"][0]["resource"]["target"] == {
        "type": "Utilization",
        "averageUtilization": 60,
    }


def test_a_new_hpa_never_allows_fewer_pods_than_the_deployment_ran() -> None:
    data = deployment("runai-backend-backend").replace("replicas: 1", "replicas: 6")
    [hpa] = by_kind(run(data.encode(), LARGE), "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (6, 6)


# ---------------------------------------------------------------- only autoscaling that can work (problem 4)


def test_containers_without_a_cpu_request_get_the_profiles_and_the_report_names_them() -> None:
    containers = "[{name: grafana-sc-dashboard, image: s}, {name: grafana, image: g, resources: {}}]"
    data = deployment("runai-backend-grafana", GRAFANA, containers=containers)
    result = run(data.encode(), LARGE)
    pod = by_kind(result, "Deployment")[0]["spec"]["template"]["spec"]
    assert [c["resources"] for c in pod["containers"]] == [{"requests": {"cpu": "50m"}}, {"requests": {"cpu": "100m"}}]
    assert len(by_kind(result, "HorizontalPodAutoscaler")) == 1
    assert {entry.field for entry in result.report.changes} >= {
        "container grafana-sc-dashboard: resources/requests/cpu",
        "container grafana: resources/requests/cpu",
    }


def test_a_cpu_limit_without_a_request_is_the_request() -> None:
    containers = "[{name: app, image: a, resources: {limits: {cpu: '2'}}}]"
    result = run(deployment("runai-backend-backend", containers=containers).encode(), LARGE)
    assert by_kind(result, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "2"}
    }


def test_a_chart_hpa_on_memory_without_memory_requests_is_left_alone() -> None:
    hpa = chart_hpa("""\
        minReplicas: 1
        maxReplicas: 10
        metrics:
          - {type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 80}}}
        """)
    data = (grafana() + hpa).encode()
    result = run(data, LARGE)
    assert output_of(result) == data
    assert "container(s) app have no memory request" in result.report.warnings[0]


def test_without_a_request_to_give_the_deployment_is_left_alone_with_a_warning(tmp_path: Path) -> None:
    profile = load_profile(
        profile_file(
            tmp_path,
            """\
            rules:
              - name: scale
                match: {kind: Deployment}
                autoscale: {minReplicas: 2, maxReplicas: 4, cpuUtilization: 70}
            """,
        )
    )
    data = deployment(
        "x", containers="[{name: app, image: a}, {name: side, image: s, resources: {requests: {cpu: 1}}}]"
    )
    result = run(data.encode(), profile)
    assert output_of(result) == data.encode()
    assert result.report.warnings == [
        "document 1 (Deployment/x): not autoscaled (rule scale), so it keeps its replicas: container(s) app have "
        "no cpu request, so a cpu-utilization HPA could not compute (give the chart requests, or the rule "
        "`autoscale.cpuRequests`)"
    ]


PVC = textwrap.dedent("""\
    ---
    # Source: control-plane/charts/grafana/templates/pvc.yaml
    apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: runai-backend-grafana, namespace: runai-backend}
    spec: {accessModes: [MODE], resources: {requests: {storage: 10Gi}}}
    """)
VOLUMES = "      volumes: [{name: storage, persistentVolumeClaim: {claimName: runai-backend-grafana}}]\n"


@pytest.mark.parametrize("mode", ["ReadWriteOnce", "ReadWriteOncePod"])
def test_a_deployment_on_a_single_node_claim_is_not_autoscaled(mode: str) -> None:
    data = (grafana(VOLUMES) + PVC.replace("MODE", mode)).encode()
    result = run(data, LARGE)
    assert output_of(result) == data
    assert len(result.report.warnings) == 1
    assert (
        "ReadWriteOnce claim runai-backend-grafana; a second pod could not start elsewhere" in result.report.warnings[0]
    )


def test_a_readwritemany_claim_allows_autoscaling_and_an_unknown_claim_does_not() -> None:
    shared = run((grafana(VOLUMES) + PVC.replace("MODE", "ReadWriteMany")).encode(), LARGE)
    assert len(by_kind(shared, "HorizontalPodAutoscaler")) == 1 and not shared.report.warnings
    unknown = run(grafana(VOLUMES).encode(), LARGE)
    assert by_kind(unknown, "HorizontalPodAutoscaler") == []
    assert (
        "claim runai-backend-grafana (not in this release, so its access mode is unknown)" in unknown.report.warnings[0]
    )


def test_verify_fails_where_the_profile_could_not_be_applied_safely(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from runai_postrender.cli.group import main

    stream = tmp_path / "rendered.yaml"
    stream.write_bytes((grafana(VOLUMES) + PVC.replace("MODE", "ReadWriteOnce")).encode())
    result = CliRunner().invoke(main, ["verify", "-p", "large", "-f", str(stream)])
    assert result.exit_code == 3
    assert "cannot apply safely: document 1 (Deployment/runai-backend-grafana): not autoscaled" in result.stdout
