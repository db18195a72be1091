"""End to end with the real Helm 3 and Helm 4 binaries (no mocks): runai-size as Helm's post-renderer.

Helm 3 finds `runai-size` on PATH; Helm 4 runs the plugin installed from this repository with
`helm plugin install`. Each Helm major version gets its own HOME. The expected numbers come from the
profiles themselves (`load_profile(name).values`), never from copies in this file.

Golden diffs: a recording post-renderer (tests/plugins/capture) keeps exactly what each Helm sends
to a post-renderer; the diff of that input against runai-size's output must equal
tests/golden/<chart>-<profile>-helm<N>.diff. `UPDATE_GOLDEN=1 pytest tests/test_helm.py` rewrites them.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import os
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from runai_postrender.profiles.load import builtin_names, load_profile
from runai_postrender.support import quantity
from runai_postrender.support.versions import Version, parse_version
from tests import k8s_schema
from tests.helm_support import (
    GOLDEN,
    HELM4_FILENAME,
    ROOT,
    HelmRunner,
    Key,
    Renders,
    Variant,
    by_key,
    documents,
    helm_binary,
    quantities,
    run_runai_size,
)

pytestmark = pytest.mark.helm

MAJORS = [3, 4]
PROFILES = ["small", "large", "xlarge"]
SCALING = ["large", "xlarge"]  # the profiles that add HorizontalPodAutoscalers

CONTROL_PLANE = "control-plane"
BACKEND = Variant("control-plane", CONTROL_PLANE, "runai-backend", "runai-backend")
ACME = Variant("control-plane-acme", CONTROL_PLANE, "acme", "acme-system")  # not the default release name
HIGHER = Variant(  # values above the profile's, and the grafana chart's own HPA (min 3 / max 10, cpu 60, memory 80)
    "control-plane-higher", CONTROL_PLANE, "runai-backend", "runai-backend", values=("control-plane-higher.yaml",)
)
REQUESTS = Variant(  # every grafana container with requests: nothing to supply
    "control-plane-requests", CONTROL_PLANE, "runai-backend", "runai-backend",
    values=("control-plane-grafana-requests.yaml",),
)  # fmt: skip
PERSISTENCE = Variant(  # grafana on a ReadWriteOnce claim: a second pod could not start elsewhere
    "control-plane-persistence", CONTROL_PLANE, "runai-backend", "runai-backend",
    values=("control-plane-grafana-persistence.yaml",),
)  # fmt: skip
BUDGETS = Variant(  # the chart's own budgets: grafana's allows one eviction, the backend's none
    "control-plane-pdb", CONTROL_PLANE, "runai-backend", "runai-backend", values=("control-plane-pdb.yaml",)
)
CLUSTER = Variant("runai-cluster", "runai-cluster", "runai-cluster", "runai")
# A 2.2x control plane (chart control-plane 2.25.0): the "NVIDIA Run:ai at Scale" edition, with its
# control-plane replicas and the services it leaves at one (redoc, temp-backend-settings, keycloak).
CONTROL_PLANE_225 = Variant("control-plane-2.25", "control-plane-2.25", "runai-backend", "runai-backend")
BACKENDS = [BACKEND, ACME, HIGHER, REQUESTS, BUDGETS]
VARIANTS = [*BACKENDS, CLUSTER]
GOLDEN_VARIANTS = {
    variant.id: variant for variant in [BACKEND, HIGHER, PERSISTENCE, BUDGETS, CLUSTER, CONTROL_PLANE_225]
}
# Charts that are not Run:ai's, some installed under Run:ai's own release name (then their objects carry
# exactly the names of Run:ai's: only the chart they come from tells them apart).
NOT_RUNAI = [
    Variant("kube-prometheus-stack", "kube-prometheus-stack", "monitoring", "monitoring"),
    Variant("kube-prometheus-stack-as-runai-backend", "kube-prometheus-stack", "runai-backend", "runai-backend"),
    Variant("thanos-as-runai-backend", "thanos", "runai-backend", "runai-backend"),
    Variant("ingress-nginx", "ingress-nginx", "ingress-nginx", "ingress-nginx"),
    Variant("contour", "contour", "contour", "projectcontour"),
    Variant("loki", "loki", "loki", "loki"),
]

HPA = "HorizontalPodAutoscaler"
AUTOSCALED = (("backend", "controlPlane"), ("frontend", "controlPlane"), ("grafana", "grafana"))
THANOS = (("Deployment", "thanos-query", "query"), ("StatefulSet", "thanos-receive", "receive"))
SERVICE_GROUPS = ("scheduling", "sync", "workload")


def golden_cases() -> Iterator[Any]:
    for major in MAJORS:
        for chart, variant in sorted(GOLDEN_VARIANTS.items()):
            for profile in golden_profiles(variant):
                yield pytest.param(major, chart, profile, id=f"{chart}-{profile}-helm{major}")


def golden_profiles(variant: Variant) -> list[str]:
    if variant in (BACKEND, CLUSTER):
        return PROFILES
    return SCALING if variant is CONTROL_PLANE_225 else ["large"]


def ids(variant: Variant) -> str:
    return variant.id


# ---------------------------------------------------------------- fixtures


class Helms(dict[int, HelmRunner]):
    """Helm 3 and Helm 4, each set up on first use in its own home: a missing binary fails only its tests."""

    def __init__(self, tmp: Path) -> None:
        super().__init__()
        self.tmp = tmp
        self.failures: dict[int, str] = {}

    def __missing__(self, major: int) -> HelmRunner:
        if major in self.failures:  # every test that needs it fails with the first reason
            pytest.fail(self.failures[major], pytrace=False)
        try:
            runner = HelmRunner(major, self.tmp / f"home-helm{major}", self.tmp)
        except (pytest.fail.Exception, Exception) as exc:
            self.failures[major] = f"setting up Helm {major} failed: {exc}"
            raise
        self[major] = runner
        return runner


@pytest.fixture(scope="session")
def helms(tmp_path_factory: pytest.TempPathFactory) -> Helms:
    return Helms(tmp_path_factory.mktemp("helm"))


@pytest.fixture(scope="session")
def renders(helms: Helms, tmp_path_factory: pytest.TempPathFactory) -> Renders:
    return Renders(helms, tmp_path_factory.mktemp("captures"))


@cache
def stand_in_version() -> Version:
    """The Run:ai version the stand-in charts control-plane and runai-cluster render (helm.sh/chart)."""
    found = {
        chart: YAML(typ="safe", pure=True).load((ROOT / "tests" / "charts" / chart / "Chart.yaml").read_text())[
            "version"
        ]
        for chart in (CONTROL_PLANE, "runai-cluster")
    }
    assert len(set(found.values())) == 1, f"the stand-in charts name different Run:ai versions: {found}"
    version = parse_version(str(found[CONTROL_PLANE]))
    assert version is not None
    return version


@cache
def _values(profile: str) -> dict[str, Any]:
    # The values of the guide's edition for the stand-in charts' version (not the newest edition's).
    resolved = load_profile(profile)
    edition = resolved.edition_for(stand_in_version())
    loaded: dict[str, Any] = dict(edition.values if edition else resolved.values)
    assert ("controlPlane" in loaded) == (profile in SCALING), f"profile {profile!r} changed shape; update SCALING"
    return loaded


def values(profile: str) -> dict[str, Any]:
    """The profile's values for the stand-in charts' Run:ai version (a copy: tests may not change the profile)."""
    return copy.deepcopy(_values(profile))


# ---------------------------------------------------------------- what a profile must do


def cpu_metric(utilization: int) -> list[dict[str, Any]]:
    target = {"type": "Utilization", "averageUtilization": utilization}
    return [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]


def container(obj: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [c for c in obj["spec"]["template"]["spec"]["containers"] if c["name"] == name]
    assert len(found) == 1, f"{len(found)} containers named {name!r}"
    return found[0]


def _number(value: Any) -> Decimal:
    parsed = quantity.parse(value)
    assert parsed is not None, value
    return parsed


def at_least(current: Any, floor: Any) -> Any:
    """A floor: the value in place stays where it is already at or above the profile's."""
    return floor if current is None or _number(current) < _number(floor) else current


def hours(duration: str) -> float:
    return float(duration[:-1]) * {"h": 1, "d": 24}[duration[-1]]


def size_resources(resources: dict[str, Any], amounts: dict[str, dict[str, Any]]) -> None:
    """Requests and limits as floors, then every limit at least its request."""
    for section, wanted in amounts.items():
        have = resources.setdefault(section, {})
        for name, amount in wanted.items():
            have[name] = at_least(have.get(name), amount)
    for name, request in resources.get("requests", {}).items():
        if name in resources.get("limits", {}):
            resources["limits"][name] = at_least(resources["limits"][name], request)


def size_queue(queue: dict[str, Any], wanted: dict[str, int]) -> None:
    """Capacity and samples per send are floors, max shards a ceiling; an absent field stands for the
    Prometheus default (since 2.44: 10000 / 2000 / 50), so a modern Prometheus gets nothing written."""
    defaults = {"capacity": 10000, "maxSamplesPerSend": 2000, "maxShards": 50}
    for name, value in wanted.items():
        current = queue.get(name, defaults[name])
        if (current < value) if name != "maxShards" else (current > value):
            queue[name] = value


def autoscaled_spec(settings: dict[str, Any], ran: int, chart_hpa: dict[str, Any] | None) -> dict[str, Any]:
    """The HPA spec a Deployment ends with: the chart's merged (metrics kept, bounds only raised) or a new one
    that never starts below the replicas the Deployment ran."""
    minimum = max(settings["minReplicas"], ran, (chart_hpa or {}).get("minReplicas", 1))
    spec = dict(chart_hpa or {})
    spec["minReplicas"] = minimum
    spec["maxReplicas"] = max(settings["maxReplicas"], minimum, spec.get("maxReplicas", 0))
    metrics = spec.setdefault("metrics", [])
    if not any(metric.get("resource", {}).get("name") == "cpu" for metric in metrics):
        metrics += cpu_metric(settings["cpuUtilization"])
    return spec


def supply_cpu_requests(deployment: dict[str, Any], requests: dict[str, str]) -> None:
    """A container without a CPU request (or limit) gets the first of the profile's `cpuRequests` that fits."""
    for item in deployment["spec"]["template"]["spec"]["containers"]:
        resources = item.get("resources") or {}
        if "cpu" in resources.get("requests", {}) or "cpu" in resources.get("limits", {}):
            continue
        glob = next(glob for glob in requests if fnmatch.fnmatchcase(item["name"], glob))
        item["resources"] = {**resources, "requests": {**resources.get("requests", {}), "cpu": requests[glob]}}


AVAILABLE = ("backend", "frontend", "grafana", "thanos-query", "thanos-query-frontend", "thanos-receive")
PDB = "PodDisruptionBudget"


def make_available(objects: dict[Key, dict[str, Any]], added: dict[Key, dict[str, Any]], ns: str, release: str) -> None:
    """A budget (unless the chart has one for the pods) and a soft spread (unless the pods spread already) for
    each control-plane workload that runs two or more pods; Keycloak and PostgreSQL never."""
    for (kind, namespace, name), obj in list(objects.items()):
        if kind not in ("Deployment", "StatefulSet") or name not in {f"{release}-{c}" for c in AVAILABLE}:
            continue
        hpa = added.get((HPA, namespace, name)) or objects.get((HPA, namespace, name), {}).get("spec")
        if (hpa["minReplicas"] if hpa else obj["spec"].get("replicas", 1)) < 2:
            continue
        labels = obj["spec"]["template"]["metadata"]["labels"]
        selector = obj["spec"]["selector"]
        budgets = [
            budget
            for (other, budget_ns, _), budget in objects.items()
            if other == PDB
            and budget_ns == namespace
            and all(labels.get(k) == v for k, v in budget["spec"]["selector"].get("matchLabels", {}).items())
        ]
        if not budgets:
            added[(PDB, namespace, name)] = {"maxUnavailable": 1, "selector": selector}
        pod = obj["spec"]["template"]["spec"]
        if not pod.get("topologySpreadConstraints") and not pod.get("affinity", {}).get("podAntiAffinity"):
            pod["topologySpreadConstraints"] = [
                {
                    "maxSkew": 1,
                    "topologyKey": "kubernetes.io/hostname",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": selector,
                }
            ]


def expected_objects(
    baseline: dict[Key, dict[str, Any]], profile: str, variant: Variant
) -> tuple[dict[Key, dict[str, Any]], dict[Key, dict[str, Any]]]:
    """The baseline with the profile applied by hand, and the HPAs runai-size adds (key -> their spec)."""
    objects = copy.deepcopy(baseline)
    settings = values(profile)
    added: dict[Key, dict[str, Any]] = {}
    ns, release = variant.namespace, variant.release
    if variant.chart == CONTROL_PLANE:
        for component, group in AUTOSCALED:
            name = f"{release}-{component}"
            deployment = objects[("Deployment", ns, name)]
            if group not in settings:
                continue
            ran = deployment["spec"].pop("replicas", 1)
            supply_cpu_requests(deployment, settings[group]["cpuRequests"])
            key = (HPA, ns, name)
            if key in objects:  # the chart's own: merged into, not doubled
                objects[key]["spec"] = autoscaled_spec(settings[group], ran, objects[key]["spec"])
            else:
                added[key] = {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    **autoscaled_spec(settings[group], ran, None),
                }
        if "thanos" in settings:
            for kind, suffix, name in THANOS:
                amounts = settings["thanos"][name]
                resources = container(objects[(kind, ns, f"{release}-{suffix}")], name).setdefault("resources", {})
                size_resources(resources, {"requests": dict(amounts), "limits": dict(amounts)})
        if "ha" in settings and settings["ha"]["enabled"]:
            make_available(objects, added, ns, release)
    if variant.chart == "runai-cluster":
        config = objects[("RunaiConfig", ns, "runai")]
        if "ha" in settings:
            config["spec"]["global"]["replicaCount"] = max(
                config["spec"]["global"].get("replicaCount", 1), settings["ha"]["clusterReplicas"]
            )
        for group in SERVICE_GROUPS:
            resources = config["spec"]["global"].setdefault(f"{group}Services", {}).setdefault("resources", {})
            size_resources(resources, settings["serviceGroups"][group])
        if "prometheus" in settings:
            queue, retention = settings["prometheus"]["queueConfig"], settings["prometheus"]["retention"]
            size_queue(config["spec"]["prometheus"]["remoteWrite"].setdefault("queueConfig", {}), queue)
            if not config["spec"]["prometheus"]["remoteWrite"]["queueConfig"]:
                del config["spec"]["prometheus"]["remoteWrite"]["queueConfig"]
            config_spec = config["spec"]["prometheus"]["spec"]
            if hours(config_spec.get("retention", "2h")) > hours(retention):
                config_spec["retention"] = retention
            prometheus = objects[("Prometheus", ns, f"{release}-prometheus")]
            if hours(prometheus["spec"].get("retention", "24h")) > hours(retention):
                prometheus["spec"]["retention"] = retention
            for entry in prometheus["spec"]["remoteWrite"]:
                size_queue(entry.setdefault("queueConfig", {}), queue)
                if not entry["queueConfig"]:
                    del entry["queueConfig"]
    return objects, added


def sized_and_baseline(
    renders: Renders, major: int, variant: Variant, profile: str
) -> tuple[dict[Key, dict[str, Any]], dict[Key, dict[str, Any]]]:
    return by_key(documents(renders.sized(major, variant, profile))), by_key(
        documents(renders.baseline(major, variant))
    )


def hpas_by_target(objects: dict[Key, dict[str, Any]]) -> dict[tuple[str | None, str], list[dict[str, Any]]]:
    found: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
    for (kind, namespace, _), obj in objects.items():
        if kind == HPA:
            ref = obj["spec"]["scaleTargetRef"]
            assert ref["kind"] == "Deployment"
            found.setdefault((namespace, ref["name"]), []).append(obj)
    return found


# ---------------------------------------------------------------- the tools


@pytest.mark.parametrize("major", MAJORS)
def test_a_missing_helm_fails_and_says_to_run_setup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, major: int
) -> None:
    monkeypatch.setenv(f"RUNAI_SIZE_HELM{major}", str(tmp_path / "no-helm"))
    with pytest.raises(pytest.fail.Exception, match="run scripts/setup"):
        helm_binary(major)


@pytest.mark.parametrize("major", MAJORS)
def test_helm_binary_is_that_major_version(helms: Helms, major: int) -> None:
    assert helms[major].version.startswith(f"v{major}.")


def test_the_builtin_profiles_are_the_tested_ones() -> None:
    assert set(PROFILES) <= set(builtin_names())


def test_helm4_plugin_list_shows_runai_size_with_the_version_of_plugin_yaml(helms: Helms) -> None:
    version = str(YAML(typ="safe", pure=True).load((ROOT / "plugin.yaml").read_text())["version"])
    listing = helms[4].run("plugin", "list")
    rows = [line.split() for line in listing.stdout.splitlines()]
    mine = [row for row in rows if row and row[0] == "runai-size"]
    assert len(mine) == 1, listing.stdout
    assert mine[0][1] == version, listing.stdout
    assert "postrenderer/v1" in mine[0], listing.stdout


def test_helm3_home_is_not_disturbed_by_helm4_plugins(helms: Helms) -> None:
    # Helm 4 and its plugins are set up first: nothing of its home may leak into Helm 3's.
    assert helms[4].version
    listing = helms[3].run("plugin", "list")
    assert listing.stderr == ""
    assert "runai-size" not in listing.stdout


# ---------------------------------------------------------------- what each profile does


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("variant", VARIANTS, ids=ids)
@pytest.mark.parametrize("major", MAJORS)
def test_output_is_the_chart_with_exactly_the_profiles_changes(
    renders: Renders, major: int, variant: Variant, profile: str
) -> None:
    """Every object is the chart's, changed only where the profile says (Services, sidecars, hooks not)."""
    sized, baseline = sized_and_baseline(renders, major, variant, profile)
    expected, added = expected_objects(baseline, profile, variant)
    assert sorted(sized, key=str) == sorted([*expected, *added], key=str)
    for key, obj in expected.items():
        assert quantities(sized[key]) == quantities(obj), f"{key} differs from the chart's with the profile applied"
    for key, spec in added.items():
        new = sized[key]
        assert new["apiVersion"] == {HPA: "autoscaling/v2", PDB: "policy/v1"}[key[0]]
        assert new["spec"] == spec
        assert HELM4_FILENAME not in (new["metadata"].get("annotations") or {})


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("variant", BACKENDS, ids=ids)
@pytest.mark.parametrize("major", MAJORS)
def test_one_hpa_per_autoscaled_deployment(renders: Renders, major: int, variant: Variant, profile: str) -> None:
    sized, baseline = sized_and_baseline(renders, major, variant, profile)
    ns, release = variant.namespace, variant.release
    hpas, chart_hpas = hpas_by_target(sized), hpas_by_target(baseline)
    settings = values(profile)
    for component, group in AUTOSCALED:
        name = f"{release}-{component}"
        deployment = sized[("Deployment", ns, name)]
        if group not in settings:
            assert hpas.get((ns, name), []) == chart_hpas.get((ns, name), []), "small must not touch autoscaling"
            assert deployment["spec"].get("replicas") == baseline[("Deployment", ns, name)]["spec"].get("replicas")
            continue
        assert len(hpas.get((ns, name), [])) == 1, f"{len(hpas.get((ns, name), []))} HPAs scale Deployment {name}"
        hpa = hpas[(ns, name)][0]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["metadata"]["namespace"] == ns
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        chart_hpa = chart_hpas.get((ns, name), [None])[0]
        ran = baseline[("Deployment", ns, name)]["spec"].get("replicas", 1)
        chart_min = (chart_hpa or {"spec": {}})["spec"].get("minReplicas", 1)
        # Never below the profile's, the chart's HPA's, or the replicas the Deployment ran (6 in HIGHER).
        assert hpa["spec"]["minReplicas"] == max(settings[group]["minReplicas"], ran, chart_min)
        assert hpa["spec"]["maxReplicas"] >= max(settings[group]["maxReplicas"], hpa["spec"]["minReplicas"])
        if chart_hpa is None:
            assert hpa["spec"]["metrics"] == cpu_metric(settings[group]["cpuUtilization"])
        else:  # the chart's metrics, targets and behavior stay as they are: a profile never replaces one
            assert hpa["spec"]["metrics"] == chart_hpa["spec"]["metrics"]
            assert hpa["spec"]["behavior"] == chart_hpa["spec"]["behavior"]
            assert hpa["spec"]["maxReplicas"] == max(chart_hpa["spec"]["maxReplicas"], settings[group]["maxReplicas"])
        assert "replicas" not in deployment["spec"]
    # Only those three: thanos-query keeps its replicas and gets no HPA.
    assert set(hpas) <= {(ns, f"{release}-{component}") for component, _ in AUTOSCALED}
    assert sized[("Deployment", ns, f"{release}-thanos-query")]["spec"]["replicas"] == 1
    assert len([key for key in sized if key[0] == HPA]) == (3 if profile in SCALING else len(chart_hpas))


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("variant", [BACKEND, ACME], ids=ids)
@pytest.mark.parametrize("major", MAJORS)
def test_thanos_requests_equal_limits_and_other_containers_untouched(
    renders: Renders, major: int, variant: Variant, profile: str
) -> None:
    sized, baseline = sized_and_baseline(renders, major, variant, profile)
    settings = values(profile)
    for kind, suffix, name in THANOS:
        key = (kind, variant.namespace, f"{variant.release}-{suffix}")
        pod, chart_pod = sized[key]["spec"]["template"]["spec"], baseline[key]["spec"]["template"]["spec"]
        resources = quantities(container(sized[key], name).get("resources"))
        if "thanos" in settings:
            amounts = quantities({"requests": settings["thanos"][name]})["requests"]
            for section in ("requests", "limits"):  # floors: at least the profile's, never lowered
                assert all(resources[section][k] >= amounts[k] for k in amounts), f"{key} container {name}"
                chart = quantities(container(baseline[key], name).get("resources") or {}).get(section, {})
                assert all(resources[section][k] >= v for k, v in chart.items()), f"{key} {name} {section}"
        else:
            assert resources == quantities(container(baseline[key], name).get("resources"))
        others = [c for c in pod["containers"] if c["name"] != name]
        assert others == [c for c in chart_pod["containers"] if c["name"] != name]
    # Services named like the workloads are not workloads.
    for object_key, obj in sized.items():
        if object_key[0] == "Service":
            assert obj == baseline[object_key]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("major", MAJORS)
def test_runaiconfig_and_prometheus(renders: Renders, major: int, profile: str) -> None:
    sized, baseline = sized_and_baseline(renders, major, CLUSTER, profile)
    settings = values(profile)
    config = sized[("RunaiConfig", "runai", "runai")]
    chart_global = baseline[("RunaiConfig", "runai", "runai")]["spec"]["global"]
    for group in SERVICE_GROUPS:
        wanted = copy.deepcopy(chart_global.get(f"{group}Services", {}).get("resources", {}))
        size_resources(wanted, settings["serviceGroups"][group])
        assert quantities(config["spec"]["global"][f"{group}Services"]["resources"]) == quantities(wanted), group
    prometheus_key = ("Prometheus", "runai", "runai-cluster-prometheus")
    prometheus = sized[prometheus_key]
    chart_config = baseline[("RunaiConfig", "runai", "runai")]
    if "prometheus" not in settings:
        assert prometheus == baseline[prometheus_key]
        assert config["spec"]["prometheus"] == chart_config["spec"]["prometheus"]
        return
    queue, retention = settings["prometheus"]["queueConfig"], settings["prometheus"]["retention"]
    assert prometheus["spec"]["retention"] == retention  # the chart's 2h or default 24h: above the ceiling
    assert len(prometheus["spec"]["remoteWrite"]) == 2
    chart_prometheus = baseline[prometheus_key]
    pairs = zip(prometheus["spec"]["remoteWrite"], chart_prometheus["spec"]["remoteWrite"], strict=True)
    for entry, chart_entry in pairs:
        wanted = copy.deepcopy(chart_entry.get("queueConfig", {}))
        size_queue(wanted, queue)
        assert entry.get("queueConfig", {}) == wanted
    assert config["spec"]["prometheus"]["spec"]["retention"] == retention


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("major", MAJORS)
def test_hook_job_is_untouched(renders: Renders, major: int, profile: str) -> None:
    """Helm 4 post-renders hooks, Helm 3 does not; either way the Job's `backend` container stays as it is."""
    job = ("Job", "runai-backend", "runai-backend-db-migrate")
    sent = [doc.key for doc in documents(renders.captured(major, BACKEND, profile).input)]
    assert (job in sent) == (major >= 4)
    sized, baseline = sized_and_baseline(renders, major, BACKEND, profile)
    assert container(sized[job], "backend") == container(baseline[job], "backend")
    assert sized[job] == baseline[job]


# ---------------------------------------------------------------- only Run:ai's objects, only what can work


@pytest.mark.parametrize("variant", NOT_RUNAI, ids=ids)
@pytest.mark.parametrize("major", MAJORS)
def test_charts_that_are_not_runai_pass_through_untouched(
    helms: Helms, renders: Renders, major: int, variant: Variant
) -> None:
    """A kube-prometheus-stack Grafana and Prometheus, ingress and contour default backends, Loki and Thanos
    query-frontends: not Run:ai's, whatever their names end with, even installed as `runai-backend`."""
    capture = renders.captured(major, variant, "xlarge")
    assert capture.output == capture.input
    report = run_runai_size(["--profile", "xlarge"], capture.input, helms[major].env).stderr.decode()
    assert "no Run:ai release found in this stream (it holds the charts " + variant.chart in report


@pytest.mark.parametrize("major", MAJORS)
def test_thanos_query_frontend_in_the_control_plane_is_not_the_query(renders: Renders, major: int) -> None:
    sized, baseline = sized_and_baseline(renders, major, BACKEND, "xlarge")
    key = ("Deployment", "runai-backend", "runai-backend-thanos-query-frontend")
    assert sized[key] == baseline[key]
    assert (
        sized[("Deployment", "runai-backend", "runai-backend-thanos-query")]
        != baseline[("Deployment", "runai-backend", "runai-backend-thanos-query")]
    )


@pytest.mark.parametrize("profile", SCALING)
@pytest.mark.parametrize("major", MAJORS)
def test_a_deployment_on_a_readwriteonce_claim_gets_no_second_pod(
    helms: Helms, renders: Renders, major: int, profile: str
) -> None:
    sized, baseline = sized_and_baseline(renders, major, PERSISTENCE, profile)
    grafana = ("Deployment", "runai-backend", "runai-backend-grafana")
    assert sized[grafana] == baseline[grafana]  # replicas kept, no requests supplied for nothing
    assert (HPA, "runai-backend", "runai-backend-grafana") not in sized
    assert (HPA, "runai-backend", "runai-backend-backend") in sized  # the others are still autoscaled
    report = run_runai_size(
        ["--profile", profile], renders.captured(major, PERSISTENCE, profile).input, helms[major].env
    )
    assert "WARNING: document" in report.stderr.decode()
    assert "ReadWriteOnce claim runai-backend-grafana" in report.stderr.decode()


@pytest.mark.parametrize("major", MAJORS)
def test_a_chart_budget_is_kept_and_one_that_blocks_every_eviction_is_reported(
    helms: Helms, renders: Renders, major: int
) -> None:
    sized, baseline = sized_and_baseline(renders, major, BUDGETS, "large")
    budgets = {key: obj for key, obj in sized.items() if key[0] == PDB}
    assert set(budgets) == {  # the chart's two, and one added for the frontend; none doubled
        (PDB, "runai-backend", "runai-backend-backend"),
        (PDB, "runai-backend", "runai-backend-grafana"),
        (PDB, "runai-backend", "runai-backend-frontend"),
    }
    for key in [(PDB, "runai-backend", "runai-backend-backend"), (PDB, "runai-backend", "runai-backend-grafana")]:
        assert budgets[key] == baseline[key]
    report = run_runai_size(["--profile", "large"], renders.captured(major, BUDGETS, "large").input, helms[major].env)
    [warning] = [line for line in report.stderr.decode().splitlines() if "WARNING" in line]
    assert "PodDisruptionBudget/runai-backend-backend) allows no voluntary disruption" in warning
    assert "(maxUnavailable: 0): a node drain would hang on it" in warning


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("major", MAJORS)
def test_keycloak_and_the_databases_get_no_replicas_budgets_or_spreading(
    renders: Renders, major: int, profile: str
) -> None:
    sized, baseline = sized_and_baseline(renders, major, BACKEND, profile)
    for name in ("runai-backend-keycloak", "runai-backend-postgresql"):
        key = ("StatefulSet", "runai-backend", name)
        assert sized[key] == baseline[key]
        assert (PDB, "runai-backend", name) not in sized


@pytest.mark.parametrize(("major", "chart", "profile"), list(golden_cases()))
def test_every_object_runai_size_adds_or_changes_is_valid_kubernetes(
    renders: Renders, major: int, chart: str, profile: str
) -> None:
    capture = renders.captured(major, GOLDEN_VARIANTS[chart], profile)
    before, after = by_key(documents(capture.input)), by_key(documents(capture.output))
    touched = [obj for key, obj in after.items() if before.get(key) != obj]
    for obj in touched:
        k8s_schema.validate(obj)  # strict: an unknown or misplaced field fails
    assert touched or profile == "small" or chart == "runai-cluster"


# ---------------------------------------------------------------- how Helm files what runai-size adds


@pytest.mark.parametrize("profile", SCALING)
@pytest.mark.parametrize("variant", [BACKEND, ACME], ids=ids)
def test_helm3_added_hpa_has_the_source_comment_of_its_deployment(
    renders: Renders, variant: Variant, profile: str
) -> None:
    raw = documents(renders.captured(3, variant, profile).output)  # what runai-size gave Helm 3
    sources = {doc.key: doc.source for doc in raw}
    hpas = [doc for doc in raw if doc.key[0] == HPA]
    assert len(hpas) == 3
    for hpa in hpas:
        deployment = ("Deployment", variant.namespace, hpa.obj["spec"]["scaleTargetRef"]["name"])
        assert hpa.source is not None
        assert hpa.source == sources[deployment]


@pytest.mark.parametrize("profile", SCALING)
@pytest.mark.parametrize("variant", [BACKEND, ACME], ids=ids)
def test_helm4_files_added_hpa_with_its_deployment(renders: Renders, variant: Variant, profile: str) -> None:
    raw = documents(renders.captured(4, variant, profile).output)
    annotations = {doc.key: (doc.obj["metadata"].get("annotations") or {}).get(HELM4_FILENAME) for doc in raw}
    final = documents(renders.sized(4, variant, profile))
    sources = {doc.key: doc.source for doc in final}
    hpas = [doc for doc in final if doc.key[0] == HPA]
    assert len(hpas) == 3
    for hpa in hpas:
        deployment = ("Deployment", variant.namespace, hpa.obj["spec"]["scaleTargetRef"]["name"])
        assert annotations[hpa.key] == annotations[deployment] is not None  # in runai-size's output
        assert hpa.source == sources[deployment]  # and Helm 4 used it
        assert hpa.source is not None and "generated-by-postrender" not in hpa.source
    for doc in final:  # Helm 4 strips its annotation again
        assert HELM4_FILENAME not in (doc.obj["metadata"].get("annotations") or {}), doc.key


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("chart", sorted(GOLDEN_VARIANTS))
def test_helm3_prints_what_runai_size_returned(renders: Renders, chart: str, profile: str) -> None:
    capture = renders.captured(3, GOLDEN_VARIANTS[chart], profile)
    assert capture.final == renders.sized(3, GOLDEN_VARIANTS[chart], profile)
    assert capture.final.startswith(capture.output.decode())  # then the hooks, which Helm 3 does not post-render


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("chart", sorted(GOLDEN_VARIANTS))
def test_helm4_prints_what_runai_size_returned(renders: Renders, chart: str, profile: str) -> None:
    capture = renders.captured(4, GOLDEN_VARIANTS[chart], profile)
    assert capture.final == renders.sized(4, GOLDEN_VARIANTS[chart], profile)

    def without_filename(obj: dict[str, Any]) -> dict[str, Any]:
        obj = copy.deepcopy(obj)
        annotations = obj["metadata"].get("annotations") or {}
        annotations.pop(HELM4_FILENAME, None)
        if not annotations:
            obj["metadata"].pop("annotations", None)
        return obj

    returned = by_key(documents(capture.output))  # runai-size's output, with Helm 4's annotation
    printed = by_key(documents(capture.final))
    assert printed == {key: without_filename(obj) for key, obj in returned.items()}


# ---------------------------------------------------------------- errors


def _failing(helm: HelmRunner, env: dict[str, str]) -> str:
    done = helm.template(
        CONTROL_PLANE, "runai-backend", "runai-backend", post_renderer="runai-size", env=env, check=False
    )
    assert done.returncode != 0, done.describe()
    assert done.stdout == ""
    return done.stderr


def test_helm4_error_goes_to_the_named_report_file(helms: Helms, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    stderr = _failing(helms[4], {"RUNAI_SIZE_PROFILE": "nonexistent", "RUNAI_SIZE_REPORT": str(report)})
    assert 'plugin "runai-size" exited with error' in stderr  # all that Helm 4.1 shows
    text = report.read_text()
    assert "error: RUNAI_SIZE_PROFILE=nonexistent: unknown profile 'nonexistent'" in text
    assert "small, large, xlarge" in text


def test_helm4_error_goes_to_the_default_report_file(helms: Helms) -> None:
    report = helms[4].state_dir / "runai-size" / "last-report.txt"
    report.unlink(missing_ok=True)
    _failing(helms[4], {"RUNAI_SIZE_PROFILE": "nonexistent"})
    assert "error: RUNAI_SIZE_PROFILE=nonexistent: unknown profile 'nonexistent'" in report.read_text()


def test_helm4_without_a_profile_the_report_names_the_variable(helms: Helms) -> None:
    report = helms[4].state_dir / "runai-size" / "last-report.txt"
    report.unlink(missing_ok=True)
    _failing(helms[4], {})
    assert "no profile chosen: set RUNAI_SIZE_PROFILE" in report.read_text()


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ("nonexistent", "runai-size: error: RUNAI_SIZE_PROFILE=nonexistent: unknown profile 'nonexistent'"),
        (None, "runai-size: error: no profile chosen: set RUNAI_SIZE_PROFILE"),
    ],
)
def test_helm3_shows_the_error(helms: Helms, profile: str | None, message: str) -> None:
    stderr = _failing(helms[3], {"RUNAI_SIZE_PROFILE": profile} if profile else {})
    assert message in stderr


def test_helm4_report_says_an_unknown_profile_came_from_runai_size_profile(helms: Helms, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    _failing(helms[4], {"RUNAI_SIZE_PROFILE": "nonexistent", "RUNAI_SIZE_REPORT": str(report)})
    assert "RUNAI_SIZE_PROFILE" in report.read_text()


def test_helm4_plugin_keeps_the_report_of_a_successful_run(helms: Helms) -> None:
    """The plugin's wrapper (not runai-size itself) puts the report in ${XDG_STATE_HOME}/runai-size/."""
    report = helms[4].state_dir / "runai-size" / "last-report.txt"
    report.unlink(missing_ok=True)
    helms[4].template(
        CONTROL_PLANE,
        "runai-backend",
        "runai-backend",
        post_renderer="runai-size",
        env={"RUNAI_SIZE_PROFILE": "large"},
    )
    assert "profile large" in report.read_text()


# ---------------------------------------------------------------- other ways to choose the profile


@pytest.mark.parametrize("major", MAJORS)
def test_profile_from_post_renderer_args(helms: Helms, renders: Renders, major: int) -> None:
    done = helms[major].template(
        CONTROL_PLANE, "runai-backend", "runai-backend", post_renderer="runai-size",
        post_renderer_args=["--profile", "xlarge"],
    )  # fmt: skip
    assert done.stdout == renders.sized(major, BACKEND, "xlarge")


@pytest.mark.parametrize("major", MAJORS)
def test_profile_file_relative_to_the_working_directory(helms: Helms, major: int, tmp_path: Path) -> None:
    custom = tmp_path / "custom.yaml"
    custom.write_text(
        "description: large, with more API replicas\nextends: large\nvalues:\n  controlPlane:\n    maxReplicas: 6\n"
    )
    settings = load_profile(str(custom)).values
    done = helms[major].template(
        CONTROL_PLANE, "runai-backend", "runai-backend", post_renderer="runai-size",
        env={"RUNAI_SIZE_PROFILE": "./custom.yaml"}, cwd=tmp_path,
    )  # fmt: skip
    hpas = hpas_by_target(by_key(documents(done.stdout)))
    for component, group in AUTOSCALED:
        [hpa] = hpas[("runai-backend", f"runai-backend-{component}")]
        assert hpa["spec"]["maxReplicas"] == settings[group]["maxReplicas"]
    assert settings["controlPlane"]["maxReplicas"] == 6


# ---------------------------------------------------------------- fidelity: golden diffs and idempotence


def golden_path(chart: str, profile: str, major: int) -> Path:
    return GOLDEN / f"{chart}-{profile}-helm{major}.diff"


def unified(before: bytes, after: bytes, chart: str, profile: str, major: int) -> str:
    lines = difflib.unified_diff(
        before.decode("utf-8").splitlines(keepends=True),
        after.decode("utf-8").splitlines(keepends=True),
        fromfile=f"a/{chart}.helm{major}.yaml",
        tofile=f"b/{chart}.helm{major}.{profile}.yaml",
        n=3,
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@pytest.mark.parametrize(("major", "chart", "profile"), list(golden_cases()))
def test_golden_diff(helms: Helms, renders: Renders, major: int, chart: str, profile: str) -> None:
    capture = renders.captured(major, GOLDEN_VARIANTS[chart], profile)
    output = run_runai_size(["--profile", profile], capture.input, helms[major].env).stdout
    assert output == capture.output, "runai-size gave Helm something else than it gives on the same input"
    diff = unified(capture.input, output, chart, profile, major)
    path = golden_path(chart, profile, major)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(diff, encoding="utf-8")
        return
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: run UPDATE_GOLDEN=1 pytest tests/test_helm.py"
    golden = path.read_text(encoding="utf-8")
    if diff != golden:
        changes = "".join(difflib.unified_diff(golden.splitlines(True), diff.splitlines(True), "golden", "now"))
        pytest.fail(
            f"{path.relative_to(ROOT)} differs (if the change is right, UPDATE_GOLDEN=1 rewrites it):\n" + changes,
            pytrace=False,
        )


def test_no_stray_golden_files() -> None:
    expected = {golden_path(chart, profile, major).name for major, chart, profile in (p.values for p in golden_cases())}
    present = {path.name for path in GOLDEN.glob("*")} if GOLDEN.is_dir() else set()
    assert present <= expected, f"golden files no test checks: {sorted(present - expected)}"


@pytest.mark.parametrize(("major", "chart", "profile"), list(golden_cases()))
def test_idempotent(helms: Helms, renders: Renders, major: int, chart: str, profile: str) -> None:
    """runai-size on its own output, with the same profile, changes nothing (not a byte)."""
    output = renders.captured(major, GOLDEN_VARIANTS[chart], profile).output
    again = run_runai_size(["--profile", profile], output, helms[major].env)
    assert again.stdout == output
