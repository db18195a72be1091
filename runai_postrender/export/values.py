"""The post-renderer's changes as Helm values, for the teams whose tool takes only values: every change a
Run:ai chart exposes as a value (Run:ai's documented `--set` keys, for the Run:ai version the release's
labels name: export/keys.py), and, as comments, what only the post-renderer can do. Computed from the same
run as the post-renderer, so it never says more than it does."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from runai_postrender.documents import identity
from runai_postrender.export.changes import Added, Changes, ObjectPatch, value_at
from runai_postrender.export.keys import (
    AUTOSCALING,
    AUTOSCALING_DOCUMENTED_BELOW,
    BUDGETS,
    KEYS,
    SERVICE_REPLICAS_FROM,
    SERVICE_RESOURCES_FROM,
)
from runai_postrender.export.patches import dump
from runai_postrender.report import format_value
from runai_postrender.support import quantity
from runai_postrender.support.pointer import join, split
from runai_postrender.support.record import Frozen, Record
from runai_postrender.support.versions import Version, parse_version

_CONTAINER = re.compile(r"^/spec/template/spec/containers/(\d+)(/.*)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class Setting(Frozen):
    """A value, and the field it renders, as the post-renderer writes it (None: the field is absent)."""

    __slots__ = ("key", "value", "kind", "name", "pointer", "expected")

    def __init__(self, key: str, value: Any, kind: str, name: str, pointer: str, expected: Any) -> None:
        self.key = key
        self.value = value
        self.kind = kind
        self.name = name
        self.pointer = pointer
        self.expected = expected


class ReleaseValues(Record):
    __slots__ = ("release", "chart", "version", "values", "settings", "only_post_renderer")

    def __init__(
        self,
        release: str,
        chart: str,
        version: Version | None = None,
        values: dict[str, Any] | None = None,
        settings: list[Setting] | None = None,
        only_post_renderer: list[str] | None = None,
    ) -> None:
        self.release = release
        self.chart = chart
        self.version = version  # the Run:ai version its objects' labels name (None: not known)
        self.values = {} if values is None else values
        self.settings = [] if settings is None else settings
        self.only_post_renderer = [] if only_post_renderer is None else only_post_renderer


def values_of(changes: Changes) -> tuple[list[ReleaseValues], list[str]]:
    """A ReleaseValues per Run:ai release in the stream, and what the values cannot say (for stderr)."""
    releases: dict[tuple[str, str], ReleaseValues] = {}
    problems: list[str] = []

    def of(release: str | None, chart: str | None) -> ReleaseValues:
        key = (release or "?", chart or "?")
        return releases.setdefault(key, ReleaseValues(*key))

    added = {(a.obj.get("kind"), (a.obj.get("metadata") or {}).get("name")): a for a in changes.added}
    for patch in changes.patches:  # each release's version first: which keys its chart documents
        text = identity.runai_version(patch.before.get("metadata") or {})
        into = of(patch.release, patch.chart)
        into.version = into.version or (parse_version(text) if text else None)
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
    return found, list(dict.fromkeys(problems))


def _matches(pattern: str, name: str, release: str) -> bool:
    return fnmatchcase(name, pattern.replace("{release}", release))


def _put(into: ReleaseValues, key: str, value: Any, problems: list[str]) -> None:
    parts = key.split(".")
    node = into.values
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if parts[-1] in node and node[parts[-1]] != value:
        node[parts[-1]] = _keep_stronger(into, key, node[parts[-1]], value, problems)
        return
    node[parts[-1]] = value


def _keep_stronger(into: ReleaseValues, key: str, first: Any, second: Any, problems: list[str]) -> Any:
    """One chart value renders several fields that the post-renderer sets apart: keep the larger quantity,
    leaf by leaf, so that no field gets less than the post-renderer gives it; if they cannot be compared,
    keep the first. Either way stderr says so."""
    stronger = quantity.larger(first, second)
    said = f"release {into.release}: {key} is one value for several fields, which the post-renderer sets to "
    said += f"{format_value(first)} and {format_value(second)}: "
    if stronger is None:
        problems.append(said + "kept the first (they cannot be compared)")
        return first
    if not quantity.same_leaves(stronger, first) or not quantity.same_leaves(stronger, second):
        problems.append(said + f"kept the larger, {format_value(stronger)}, for all of them")
    return stronger


def _shared(patch: ObjectPatch, pattern: str, rest: str) -> list[Any]:
    """The post-renderer's values at `rest` in every container of `patch` whose name matches `pattern`:
    the fields one chart value renders (grafana's sidecars share `grafana.sidecar.resources`)."""
    containers = value_at(patch.after, ["spec", "template", "spec", "containers"])
    return [
        value_at(container, split(rest))
        for container in (containers if isinstance(containers, list) else [])
        if isinstance(container, dict) and fnmatchcase(str(container.get("name")), pattern)
    ]


def file_name(release: str) -> str:
    """The file `-o DIR` writes a release's values to: its name made safe for a file name."""
    return f"values-{_UNSAFE.sub('-', release).strip('.') or 'release'}.yaml"


def _map_entry(
    into: ReleaseValues, patch: ObjectPatch, pointer: str, new: Any, added: dict[Any, Added], problems: list[str]
) -> bool:
    target = patch.target
    if target.kind == "Deployment" and pointer == "/spec/replicas" and new is None:
        for pattern, (_, full) in AUTOSCALING.items():
            if _matches(pattern, target.name, into.release) and ("HorizontalPodAutoscaler", target.name) in added:
                # the chart leaves replicas out when its autoscaling is on: _map_added says so
                return full or _autoscaling_documented(into)
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
            value = new
            if key.container is not None and any(mark in key.container for mark in "*?["):
                for other in _shared(patch, key.container, rest):
                    value = _keep_stronger(into, ".".join([key.key, *tail]), value, other, problems)
            _put(into, ".".join([key.key, *tail]), value, problems)
            into.settings.append(Setting(key.key, new, target.kind, target.name, pointer, new))
            return True
    return _map_service(into, patch, pointer, new, container, rest, problems)


def _map_service(
    into: ReleaseValues,
    patch: ObjectPatch,
    pointer: str,
    new: Any,
    container: str | None,
    rest: str,
    problems: list[str],
) -> bool:
    """A change of one of the control-plane chart's own Deployments, as `<service>.replicaCount` or
    `<service>.resources` where the pages of the release's version document them (export/keys.py)."""
    target, prefix = patch.target, f"{into.release}-"
    own = identity.runai_version(patch.before.get("metadata") or {}) is not None  # not a sub-chart's object
    if into.chart != "control-plane" or target.kind != "Deployment" or not own or into.version is None:
        return False
    if not target.name.startswith(prefix) or new is None:
        return False
    service = target.name[len(prefix) :]
    if pointer == "/spec/replicas" and into.version >= SERVICE_REPLICAS_FROM:
        _put(into, f"{service}.replicaCount", new, problems)
        into.settings.append(Setting(f"{service}.replicaCount", new, target.kind, target.name, pointer, new))
        return True
    containers = value_at(patch.before, ["spec", "template", "spec", "containers"])
    one = isinstance(containers, list) and len(containers) == 1  # `<component>` resources: the pod's one container
    resources = rest == "/resources" or rest.startswith("/resources/")
    if container is not None and one and resources and into.version >= SERVICE_RESOURCES_FROM:
        key = ".".join([f"{service}.resources", *split(rest[len("/resources") :])])
        _put(into, key, new, problems)
        into.settings.append(Setting(f"{service}.resources", new, target.kind, target.name, pointer, new))
        return True
    return False


def _autoscaling_documented(into: ReleaseValues) -> bool:
    """Whether `backend.autoscaling` / `frontend.autoscaling` are documented for the release's version."""
    return into.version is not None and into.version < AUTOSCALING_DOCUMENTED_BELOW


def _map_added(into: ReleaseValues, new: Added) -> bool:
    kind, name = new.obj.get("kind"), str((new.obj.get("metadata") or {}).get("name"))
    spec = new.obj.get("spec") or {}
    if kind == "HorizontalPodAutoscaler":
        for pattern, (key, full) in AUTOSCALING.items():
            if into.chart == "control-plane" and _matches(pattern, name, into.release):
                if not full and not _autoscaling_documented(into):
                    return False  # no documented key for this version: a comment
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
