"""The test charts shaped like real ones (tests/charts/README.md) render, and every object is valid.

Each chart, with each of its values files and with release names that do and do not contain the chart
name, renders offline with `helm template` under Helm 3 and Helm 4, and every object of a built-in kind
validates strictly against the Kubernetes JSON schemas (tests/k8s_schema.py). The tests also pin the
shapes other tests rely on: the object names per release, the identity Helm hands a post-renderer, and
what each values file changes. The schema validator itself is tested first, on literal objects.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helm_support import CHARTS, HELM4_FILENAME, HelmRunner, documents
from tests.k8s_schema import validate

VALUES = CHARTS / "values"
MAJORS = [3, 4]


# ---------------------------------------------------------------- the schema validator


DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "runai-backend-backend", "namespace": "runai-backend"},
    "spec": {
        "selector": {"matchLabels": {"app": "backend"}},
        "template": {
            "metadata": {"labels": {"app": "backend"}},
            "spec": {
                "containers": [
                    {
                        "name": "backend",
                        "image": "backend:1",
                        "resources": {"requests": {"cpu": 1, "memory": "3G"}, "limits": {"memory": "3G"}},
                    }
                ]
            },
        },
    },
}
HPA: dict[str, Any] = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "runai-backend-backend"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "runai-backend-backend"},
        "minReplicas": 2,
        "maxReplicas": 4,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
            }
        ],
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
    },
}
PDB: dict[str, Any] = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "runai-backend-backend"},
    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "backend"}}},
}


def changed(obj: dict[str, Any], path: str, value: Any = None, *, rename: str | None = None) -> dict[str, Any]:
    """A copy of obj with the field at the slash-separated path set to value, or renamed to `rename`."""
    out = copy.deepcopy(obj)
    *parents, last = path.strip("/").split("/")
    node: Any = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if rename is not None:
        node[rename] = node.pop(last)
    else:
        node[last] = value
    return out


@pytest.mark.parametrize("obj", [DEPLOYMENT, HPA, PDB], ids=["deployment", "hpa-autoscaling-v2", "pdb-policy-v1"])
def test_valid_objects_pass_the_strict_schema(obj: dict[str, Any]) -> None:
    assert validate(obj).validated


@pytest.mark.parametrize(
    ("obj", "where", "field"),
    [
        (changed(HPA, "/spec/minReplicas", rename="minReplica"), "at /spec:", "'minReplica'"),
        (
            changed(HPA, "/spec/metrics/0/resource/target/averageUtilization", rename="averageUtilisation"),
            "at /spec/metrics/0/resource/target:",
            "'averageUtilisation'",
        ),
        (
            changed(HPA, "/spec/behavior/scaleDown/stabilizationWindow", 300),
            "at /spec/behavior/scaleDown:",
            "'stabilizationWindow'",
        ),
        (changed(DEPLOYMENT, "/resources", {"requests": {"cpu": 1}}), "at /:", "'resources'"),
        (changed(PDB, "/spec/maxUnavaliable", 1), "at /spec:", "'maxUnavaliable'"),
    ],
    ids=[
        "hpa-misspelled-minReplicas",
        "hpa-misspelled-target",
        "hpa-misspelled-behavior",
        "deployment-top-level-resources",
        "pdb-misspelled",
    ],
)
def test_unknown_fields_fail_with_a_one_line_message(obj: dict[str, Any], where: str, field: str) -> None:
    with pytest.raises(AssertionError) as caught:
        validate(obj)
    message = str(caught.value)
    assert "\n" not in message
    assert where in message and field in message and "was unexpected" in message, message


def test_a_wrong_type_fails() -> None:
    with pytest.raises(AssertionError, match=r"at /spec/minReplicas: 'two' is not of type"):
        validate(changed(HPA, "/spec/minReplicas", "two"))


def test_an_api_version_kubernetes_removed_fails() -> None:
    with pytest.raises(AssertionError, match="has no kind HorizontalPodAutoscaler in autoscaling/v2beta1"):
        validate(changed(HPA, "/apiVersion", "autoscaling/v2beta1"))


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "run.ai/v1", "kind": "RunaiConfig", "metadata": {"name": "runai"}, "spec": {"anything": 1}},
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "Prometheus",
            "metadata": {"name": "p"},
            "spec": {"retention": "10d"},
        },
    ],
    ids=["runaiconfig", "prometheus"],
)
def test_custom_resources_are_skipped_and_say_so(obj: dict[str, Any]) -> None:
    outcome = validate(obj)
    assert not outcome.validated
    assert "custom resource" in outcome.reason and obj["kind"] in outcome.reason


def test_built_in_groups_with_a_dot_are_validated() -> None:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}, "rule": []}
    with pytest.raises(AssertionError, match="'rule' was unexpected"):
        validate(role)


# ---------------------------------------------------------------- rendering the charts


@dataclass(frozen=True)
class Render:
    """One `helm template` of a test chart: release name, namespace and an optional values file."""

    id: str
    chart: str
    release: str
    namespace: str
    values: str | None = None

    def args(self) -> list[str]:
        args = ["template", self.release, str(CHARTS / self.chart), "--namespace", self.namespace]
        return args + (["--values", str(VALUES / self.values)] if self.values else [])


RENDERS = [
    Render("control-plane", "control-plane", "runai-backend", "runai-backend"),
    Render("control-plane-monitoring", "control-plane", "monitoring", "monitoring"),
    Render("control-plane-higher", "control-plane", "runai-backend", "runai-backend", "control-plane-higher.yaml"),
    Render(
        "control-plane-persistence",
        "control-plane",
        "runai-backend",
        "runai-backend",
        "control-plane-grafana-persistence.yaml",
    ),
    Render(
        "control-plane-requests",
        "control-plane",
        "runai-backend",
        "runai-backend",
        "control-plane-grafana-requests.yaml",
    ),
    Render("control-plane-pdb", "control-plane", "runai-backend", "runai-backend", "control-plane-pdb.yaml"),
    Render("kube-prometheus-stack", "kube-prometheus-stack", "monitoring", "monitoring"),
    Render("kube-prometheus-stack-runai-backend", "kube-prometheus-stack", "runai-backend", "runai-backend"),
    Render("ingress-nginx", "ingress-nginx", "ingress-nginx", "ingress-nginx"),
    Render("ingress-nginx-monitoring", "ingress-nginx", "monitoring", "monitoring"),
    Render("contour", "contour", "contour", "projectcontour"),
    Render("loki", "loki", "loki", "loki"),
    Render("loki-monitoring", "loki", "monitoring", "monitoring"),
    Render("thanos", "thanos", "monitoring", "monitoring"),
    Render("thanos-runai-backend", "thanos", "runai-backend", "runai-backend"),
]
BY_ID = {render.id: render for render in RENDERS}
CUSTOM_KINDS = {"Prometheus"}  # the only kinds without a Kubernetes schema that these charts may render


class Helms(dict[int, HelmRunner]):
    """Helm 3 and Helm 4, each set up on first use in its own home; a failed set-up fails its tests."""

    def __init__(self, tmp: Path) -> None:
        super().__init__()
        self.tmp = tmp
        self.rendered: dict[tuple[int, str, bool], str] = {}

    def __missing__(self, major: int) -> HelmRunner:
        self[major] = HelmRunner(major, self.tmp / f"home-helm{major}", self.tmp)
        return self[major]

    def render(self, major: int, render: Render) -> str:
        """What Helm prints (without a post-renderer), once per session."""
        key = (major, render.id, False)
        if key not in self.rendered:
            self.rendered[key] = self[major].run(*render.args()).stdout
        return self.rendered[key]

    def post_renderer_input(self, major: int, render: Render) -> str:
        """Exactly what Helm sends a post-renderer (the recording plugin, echoing its input back)."""
        key = (major, render.id, True)
        if key not in self.rendered:
            helm = self[major]
            into = self.tmp / f"{render.id}-helm{major}.in.yaml"
            helm.run(
                *render.args(), "--post-renderer", helm.capture_post_renderer, env={"RUNAI_SIZE_CAPTURE": str(into)}
            )
            self.rendered[key] = into.read_text(encoding="utf-8")
        return self.rendered[key]


@pytest.fixture(scope="module")
def helms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Helms]:
    yield Helms(tmp_path_factory.mktemp("charts-helm"))


def objects(text: str) -> list[dict[str, Any]]:
    return [doc.obj for doc in documents(text)]


def names(text: str) -> set[tuple[str, str]]:
    return {(obj["kind"], obj["metadata"]["name"]) for obj in objects(text)}


def find(text: str, kind: str, name: str) -> dict[str, Any]:
    found = [obj for obj in objects(text) if obj["kind"] == kind and obj["metadata"]["name"] == name]
    assert len(found) == 1, f"{len(found)} objects {kind}/{name}"
    return found[0]


def containers(workload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in workload["spec"]["template"]["spec"]["containers"]}


@pytest.mark.helm
@pytest.mark.parametrize("major", MAJORS, ids=lambda major: f"helm{major}")
@pytest.mark.parametrize("render", RENDERS, ids=lambda render: render.id)
def test_every_rendered_object_is_valid(helms: Helms, major: int, render: Render) -> None:
    rendered = objects(helms.render(major, render))
    assert rendered, f"{render.id} rendered nothing"
    skipped = []
    for obj in rendered:
        outcome = validate(obj)
        if not outcome.validated:
            skipped.append(obj["kind"])
    assert set(skipped) <= CUSTOM_KINDS, f"unexpected custom kinds {skipped}"


# What each chart renders, per release name: the names other tests target (or must not).
CP = "runai-backend"
EXPECTED_NAMES = {
    "control-plane": {
        ("Deployment", f"{CP}-backend"),
        ("Deployment", f"{CP}-frontend"),
        ("Deployment", f"{CP}-grafana"),
        ("Deployment", f"{CP}-thanos-query"),
        ("Deployment", f"{CP}-thanos-query-frontend"),
        ("StatefulSet", f"{CP}-thanos-receive"),
        ("StatefulSet", f"{CP}-keycloak"),
        ("StatefulSet", f"{CP}-postgresql"),
    },
    "control-plane-monitoring": {
        ("Deployment", "monitoring-backend"),
        ("Deployment", "monitoring-frontend"),
        ("Deployment", "monitoring-grafana"),
        ("Deployment", "monitoring-thanos-query"),
        ("Deployment", "monitoring-thanos-query-frontend"),
        ("StatefulSet", "monitoring-thanos-receive"),
        ("StatefulSet", "monitoring-keycloak"),
        ("StatefulSet", "monitoring-postgresql"),
    },
    "kube-prometheus-stack": {
        ("Deployment", "monitoring-grafana"),
        ("Deployment", "monitoring-kube-prometheus-operator"),
        ("Prometheus", "monitoring-kube-prometheus-prometheus"),
    },
    # Installed as `runai-backend`, its grafana has exactly the name of Run:ai's; its own names are
    # cut to 26 characters before the suffix, as the real chart does.
    "kube-prometheus-stack-runai-backend": {
        ("Deployment", f"{CP}-grafana"),
        ("Deployment", f"{CP}-kube-prometh-operator"),
        ("Prometheus", f"{CP}-kube-prometh-prometheus"),
    },
    "ingress-nginx": {("Deployment", "ingress-nginx-controller"), ("Deployment", "ingress-nginx-defaultbackend")},
    "ingress-nginx-monitoring": {
        ("Deployment", "monitoring-ingress-nginx-controller"),
        ("Deployment", "monitoring-ingress-nginx-defaultbackend"),
    },
    "contour": {("Deployment", "contour-contour"), ("Deployment", "contour-default-backend")},
    "loki": {("Deployment", "loki-read"), ("Deployment", "loki-query-frontend"), ("StatefulSet", "loki-backend")},
    "loki-monitoring": {
        ("Deployment", "monitoring-loki-read"),
        ("Deployment", "monitoring-loki-query-frontend"),
        ("StatefulSet", "monitoring-loki-backend"),
    },
    "thanos": {("Deployment", "monitoring-thanos-query"), ("Deployment", "monitoring-thanos-query-frontend")},
    # Installed as `runai-backend`, standalone thanos has exactly the names of Run:ai's sub-chart.
    "thanos-runai-backend": {("Deployment", f"{CP}-thanos-query"), ("Deployment", f"{CP}-thanos-query-frontend")},
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Prometheus"}


@pytest.mark.helm
@pytest.mark.parametrize("major", MAJORS, ids=lambda major: f"helm{major}")
@pytest.mark.parametrize("render_id", sorted(EXPECTED_NAMES))
def test_each_chart_renders_its_workloads_under_these_names(helms: Helms, major: int, render_id: str) -> None:
    workloads = {(kind, name) for kind, name in names(helms.render(major, BY_ID[render_id])) if kind in WORKLOADS}
    assert workloads == EXPECTED_NAMES[render_id]


SUBCHART_OBJECTS = [
    (
        "control-plane",
        "Deployment",
        f"{CP}-thanos-query",
        "control-plane/charts/thanos/templates/query/deployment.yaml",
    ),
    (
        "control-plane",
        "StatefulSet",
        f"{CP}-thanos-receive",
        "control-plane/charts/thanos/templates/receive/statefulset.yaml",
    ),
    ("control-plane", "Deployment", f"{CP}-grafana", "control-plane/charts/grafana/templates/deployment.yaml"),
    ("control-plane", "Deployment", f"{CP}-backend", "control-plane/templates/backend/deployment.yaml"),
    (
        "kube-prometheus-stack-runai-backend",
        "Deployment",
        f"{CP}-grafana",
        "kube-prometheus-stack/charts/grafana/templates/deployment.yaml",
    ),
    ("thanos-runai-backend", "Deployment", f"{CP}-thanos-query", "thanos/templates/query/deployment.yaml"),
]


@pytest.mark.helm
@pytest.mark.parametrize(
    ("render_id", "kind", "name", "path"), SUBCHART_OBJECTS, ids=[f"{r}-{n}" for r, _, n, _ in SUBCHART_OBJECTS]
)
def test_helm3_names_the_template_in_a_source_comment(
    helms: Helms, render_id: str, kind: str, name: str, path: str
) -> None:
    docs = [
        doc
        for doc in documents(helms.post_renderer_input(3, BY_ID[render_id]))
        if doc.key[0] == kind and doc.key[2] == name
    ]
    assert [doc.source for doc in docs] == [path]
    assert HELM4_FILENAME not in (docs[0].obj["metadata"].get("annotations") or {})


@pytest.mark.helm
@pytest.mark.parametrize(
    ("render_id", "kind", "name", "path"), SUBCHART_OBJECTS, ids=[f"{r}-{n}" for r, _, n, _ in SUBCHART_OBJECTS]
)
def test_helm4_names_the_template_in_an_annotation_with_the_subchart_path(
    helms: Helms, render_id: str, kind: str, name: str, path: str
) -> None:
    text = helms.post_renderer_input(4, BY_ID[render_id])
    assert "# Source:" not in text  # Helm 4 sends no comments to a post-renderer
    docs = [doc for doc in documents(text) if doc.key[0] == kind and doc.key[2] == name]
    assert len(docs) == 1
    assert docs[0].obj["metadata"]["annotations"][HELM4_FILENAME] == path


# ---------------------------------------------------------------- what each values file changes


def grafana(helms: Helms, major: int, render_id: str) -> dict[str, Any]:
    return find(helms.render(major, BY_ID[render_id]), "Deployment", f"{CP}-grafana")


@pytest.mark.helm
@pytest.mark.parametrize("major", MAJORS, ids=lambda major: f"helm{major}")
def test_grafana_has_no_requests_by_default(helms: Helms, major: int) -> None:
    text = helms.render(major, BY_ID["control-plane"])
    pods = containers(find(text, "Deployment", f"{CP}-grafana"))
    assert list(pods) == ["grafana-sc-dashboard", "grafana-sc-datasources", "grafana"]
    assert "resources" not in pods["grafana-sc-dashboard"] and "resources" not in pods["grafana-sc-datasources"]
    assert pods["grafana"]["resources"] == {}
    # `toYaml | nindent` puts the empty map on the line after the key.
    assert re.search(r"\n( +)resources:\n\1  \{\}\n", text), "no `resources:` with `{}` on the next line"
    assert not [obj for obj in objects(text) if obj["kind"] in ("HorizontalPodAutoscaler", "PodDisruptionBudget")]


@pytest.mark.helm
@pytest.mark.parametrize("major", MAJORS, ids=lambda major: f"helm{major}")
def test_higher_values_are_rendered(helms: Helms, major: int) -> None:
    text = helms.render(major, BY_ID["control-plane-higher"])
    assert find(text, "Deployment", f"{CP}-backend")["spec"]["replicas"] == 6
    query = containers(find(text, "Deployment", f"{CP}-thanos-query"))["query"]["resources"]
    assert query == {"requests": {"cpu": 4, "memory": "16Gi"}, "limits": {"cpu": 8, "memory": "32Gi"}}
    receive = containers(find(text, "StatefulSet", f"{CP}-thanos-receive"))["receive"]["resources"]
    assert receive["requests"]["memory"] == receive["limits"]["memory"] == "64Gi"
    hpa = find(text, "HorizontalPodAutoscaler", f"{CP}-grafana")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 10)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["metrics"]}
    assert targets == {"memory": 80, "cpu": 60}
    assert hpa["behavior"]["scaleDown"]["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 120}]
    assert "replicas" not in find(text, "Deployment", f"{CP}-grafana")["spec"]


@pytest.mark.helm
@pytest.mark.parametrize("major", MAJORS, ids=lambda major: f"helm{major}")
def test_grafana_persistence_mounts_a_read_write_once_claim(helms: Helms, major: int) -> None:
    text = helms.render(major, BY_ID["control-plane-persistence"])
    claim = find(text, "PersistentVolumeClaim", f"{CP}-grafana")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    volumes = {v["name"]: v for v in find(text, "Deployment", f"{CP}-grafana")["spec"]["template"]["spec"]["volumes"]}
    assert volumes["storage"]["persistentVolumeClaim"] == {"claimName": f"{CP}-grafana"}


@pytest.mark.helm
@pytest.mark.parametrize("major", MAJORS, ids=lambda major: f"helm{major}")
def test_grafana_requests_reach_every_container(helms: Helms, major: int) -> None:
    pods = containers(grafana(helms, major, "control-plane-requests"))
    assert {name: "cpu" in c["resources"]["requests"] for name, c in pods.items()} == dict.fromkeys(pods, True)


@pytest.mark.helm
@pytest.mark.parametrize("major", MAJORS, ids=lambda major: f"helm{major}")
def test_chart_budgets_are_rendered_one_blocking(helms: Helms, major: int) -> None:
    text = helms.render(major, BY_ID["control-plane-pdb"])
    budgets = {obj["metadata"]["name"]: obj["spec"] for obj in objects(text) if obj["kind"] == "PodDisruptionBudget"}
    assert {name: spec.get("maxUnavailable") for name, spec in budgets.items()} == {
        f"{CP}-backend": 0,
        f"{CP}-grafana": 1,
    }
    for name, spec in budgets.items():  # each selects exactly its workload's pods
        labels = find(text, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= labels.items()


@pytest.mark.helm
@pytest.mark.parametrize("major", MAJORS, ids=lambda major: f"helm{major}")
def test_kube_prometheus_stack_keeps_ten_days_and_a_remote_write(helms: Helms, major: int) -> None:
    prometheus = find(
        helms.render(major, BY_ID["kube-prometheus-stack"]), "Prometheus", "monitoring-kube-prometheus-prometheus"
    )
    assert prometheus["spec"]["retention"] == "10d"
    assert prometheus["spec"]["version"] == "v2.54.1"
    assert prometheus["spec"]["remoteWrite"] == [{"url": "http://remote-storage.example.com/api/v1/write"}]
