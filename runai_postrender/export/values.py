"""The post-renderer's changes as Helm values, for the teams whose tool takes only values: every change a
Run:ai chart exposes as a value (Run:ai's documented `--set` keys), and, as comments, what only the
post-renderer can do. Computed from the same run as the post-renderer, so it never says more than it does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from runai_postrender.export.changes import Added, Changes, ObjectPatch, value_at
from runai_postrender.export.patches import dump
from runai_postrender.report import format_value
from runai_postrender.support.pointer import join, split

_CONTAINER = re.compile(r"^/spec/template/spec/containers/(\d+)(/.*)$")


@dataclass(frozen=True)
class Key:
    """A chart value that renders a field: in `chart`, objects `kind`/`name` ({release} is the release), the
    field at `prefix` (in the containers matching `container`, or from the object's root) and below it."""

    chart: str
    kind: str
    name: str
    container: str | None
    prefix: str
    key: str


# Run:ai's documented keys ("Scaling the Run:ai system", the control-plane and cluster configuration pages)
# and the bundled grafana and thanos charts' own keys.
KEYS = (
    Key("control-plane", "Deployment", "{release}-backend", "backend", "/resources", "backend.resources"),
    Key("control-plane", "Deployment", "{release}-frontend", "frontend", "/resources", "frontend.resources"),
    Key("control-plane", "Deployment", "{release}-grafana", "grafana", "/resources", "grafana.resources"),
    Key("control-plane", "Deployment", "{release}-grafana", "grafana-sc-*", "/resources", "grafana.sidecar.resources"),
    Key("control-plane", "Deployment", "{release}-thanos-query", "query", "/resources", "thanos.query.resources"),
    Key("control-plane", "StatefulSet", "{release}-thanos-receive", "receive", "/resources",
        "thanos.receive.resources"),
    Key("control-plane", "HorizontalPodAutoscaler", "{release}-grafana", None, "/spec/minReplicas",
        "grafana.autoscaling.minReplicas"),
    Key("control-plane", "HorizontalPodAutoscaler", "{release}-grafana", None, "/spec/maxReplicas",
        "grafana.autoscaling.maxReplicas"),
    Key("runai-cluster", "RunaiConfig", "*", None, "/spec", "clusterConfig"),
    Key("runai-cluster", "Prometheus", "{release}-prometheus", None, "/spec/retention", "prometheus.retention"),
)  # fmt: skip
# A workload whose HPA the chart renders from `<key>.enabled` (and leaves spec.replicas out): `full` charts
# take the bounds and the CPU target too; the others document `enabled` alone.
AUTOSCALING = {
    "{release}-grafana": ("grafana.autoscaling", True),
    "{release}-backend": ("backend.autoscaling", False),
    "{release}-frontend": ("frontend.autoscaling", False),
}
BUDGETS = {"{release}-backend": "backend.podDisruptionBudget", "{release}-grafana": "grafana.podDisruptionBudget"}


@dataclass(frozen=True)
class Setting:
    """A value, and the field it renders, as the post-renderer writes it (None: the field is absent)."""

    key: str
    value: Any
    kind: str
    name: str
    pointer: str
    expected: Any


@dataclass
class ReleaseValues:
    release: str
    chart: str
    values: dict[str, Any] = field(default_factory=dict)
    settings: list[Setting] = field(default_factory=list)
    only_post_renderer: list[str] = field(default_factory=list)


def values_of(changes: Changes) -> tuple[list[ReleaseValues], list[str]]:
    """A ReleaseValues per Run:ai release in the stream, and what the values cannot say (for stderr)."""
    releases: dict[tuple[str, str], ReleaseValues] = {}
    problems: list[str] = []

    def of(release: str | None, chart: str | None) -> ReleaseValues:
        key = (release or "?", chart or "?")
        return releases.setdefault(key, ReleaseValues(*key))

    added = {(a.obj.get("kind"), (a.obj.get("metadata") or {}).get("name")): a for a in changes.added}
    for patch in changes.patches:
        into = of(patch.release, patch.chart)
        for entry in patch.entries:
            if not _map_entry(into, patch, entry.pointer, entry.new, added, problems):
                into.only_post_renderer.append(
                    f"{patch.target.describe()}: {entry.field or entry.pointer} = {format_value(entry.new, 100)}"
                    f" (rule {entry.rule})"
                )
    for new in changes.added:
        into = of(new.release, new.chart)
        if not _map_added(into, new):
            into.only_post_renderer.append(f"add {new.description}")
    found = [r for r in releases.values() if r.chart in ("control-plane", "runai-cluster")]
    for other in releases.values():
        if other not in found:
            problems.append(f"release {other.release} (chart {other.chart}) is not a Run:ai chart: no values for it")
    for release in found:
        if release.only_post_renderer:
            problems.append(
                f"release {release.release}: {len(release.only_post_renderer)} change(s) have no chart value; "
                "they are comments in its values (use the post-renderer, or a kustomize, flux or helmfile export)"
            )
    return found, problems


def _matches(pattern: str, name: str, release: str) -> bool:
    return fnmatchcase(name, pattern.replace("{release}", release))


def _put(into: ReleaseValues, key: str, value: Any, problems: list[str]) -> None:
    parts = key.split(".")
    node = into.values
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if parts[-1] in node and node[parts[-1]] != value:
        problems.append(
            f"release {into.release}: {key} is one value for several fields, which the post-renderer sets to "
            f"{format_value(node[parts[-1]])} and {format_value(value)}: kept the first"
        )
        return
    node[parts[-1]] = value


def _map_entry(
    into: ReleaseValues, patch: ObjectPatch, pointer: str, new: Any, added: dict[Any, Added], problems: list[str]
) -> bool:
    target = patch.target
    if target.kind == "Deployment" and pointer == "/spec/replicas" and new is None:
        for pattern in AUTOSCALING:
            if _matches(pattern, target.name, into.release) and ("HorizontalPodAutoscaler", target.name) in added:
                return True  # the chart leaves replicas out when its autoscaling is on: _map_added says so
        return False
    container, rest = None, pointer
    if found := _CONTAINER.match(pointer):
        container = str(value_at(patch.before, ["spec", "template", "spec", "containers", found.group(1), "name"]))
        rest = found.group(2)
    for key in KEYS:
        if key.chart != into.chart or key.kind != target.kind or not _matches(key.name, target.name, into.release):
            continue
        wanted = key.container or ""
        if (key.container is None) != (container is None) or (container and not fnmatchcase(container, wanted)):
            continue
        if rest == key.prefix or rest.startswith(key.prefix + "/"):
            if new is None:
                return False  # a removal has no value
            tail = split(rest[len(key.prefix) :])
            _put(into, ".".join([key.key, *tail]), new, problems)
            into.settings.append(Setting(key.key, new, target.kind, target.name, pointer, new))
            return True
    return False


def _map_added(into: ReleaseValues, new: Added) -> bool:
    kind, name = new.obj.get("kind"), str((new.obj.get("metadata") or {}).get("name"))
    spec = new.obj.get("spec") or {}
    if kind == "HorizontalPodAutoscaler":
        for pattern, (key, full) in AUTOSCALING.items():
            if into.chart == "control-plane" and _matches(pattern, name, into.release):
                _put(into, f"{key}.enabled", True, [])
                if not full:
                    into.only_post_renderer.append(
                        f"{new.description}: the chart's own HPA bounds apply; the post-renderer's are "
                        f"minReplicas {spec.get('minReplicas')}, maxReplicas {spec.get('maxReplicas')}, "
                        f"metrics {format_value(spec.get('metrics'), 100)}"
                    )
                    return True
                # With its HPA on, the chart leaves the Deployment's replicas out, as the post-renderer does.
                into.settings.append(Setting(f"{key}.enabled", True, "Deployment", name, "/spec/replicas", None))
                for field_name in ("minReplicas", "maxReplicas"):
                    _put(into, f"{key}.{field_name}", spec.get(field_name), [])
                    into.settings.append(Setting(f"{key}.{field_name}", spec.get(field_name), kind, name,
                                                 f"/spec/{field_name}", spec.get(field_name)))  # fmt: skip
                targets = {"cpu": "targetCPU", "memory": "targetMemory"}
                for metric in spec.get("metrics") or []:
                    resource = metric.get("resource") or {}
                    utilization = (resource.get("target") or {}).get("averageUtilization")
                    if resource.get("name") in targets and utilization is not None:
                        _put(into, f"{key}.{targets[resource['name']]}", str(utilization), [])
                into.settings.append(Setting(f"{key}.metrics", None, kind, name, "/spec/metrics", spec.get("metrics")))
                return True
    if kind == "PodDisruptionBudget":
        for pattern, key in BUDGETS.items():
            if into.chart == "control-plane" and _matches(pattern, name, into.release):
                budget = {k: v for k, v in spec.items() if k in ("maxUnavailable", "minAvailable")}
                _put(into, key, budget, [])
                for field_name, value in budget.items():
                    into.settings.append(Setting(key, value, kind, name, join(["spec", field_name]), value))
                return True
    return False


def render(release: ReleaseValues, profile: str) -> str:
    """The values file of one release, with what only the post-renderer does as comments."""
    lines = [
        f"# runai-size export --format values, profile {profile}: release {release.release} (chart {release.chart})",
        f"# helm upgrade --install {release.release} <{release.chart} chart> -f THIS_FILE",
    ]
    if release.only_post_renderer:
        lines.append("# No chart value for the following; only the post-renderer (or a kustomize export) does them:")
        lines += [f"#   {line}" for line in release.only_post_renderer]
    body = dump(release.values) if release.values else "{}\n"
    return "\n".join(lines) + "\n" + body
