"""Build the Rules of a merged, substituted profile, checking what the schema of one file cannot.

`extends` and `${...}` can still put anything anywhere: a number where a glob goes, a pointer to a field
the targeted kind does not have, autoscale bounds upside down, a limit below its request. Each is a
ProfileError naming the profile and the rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runai_postrender.profiles.model import Autoscale, Availability, Match, Rule
from runai_postrender.profiles.overrides import did_you_mean
from runai_postrender.support import quantity
from runai_postrender.support.errors import ProfileError, yaml_type

# A match key and the Match field it fills: a new way to match (a chart, a release) is one line here.
MATCH_GLOBS = {
    "kind": "kinds",
    "apiVersion": "api_versions",
    "name": "names",
    "namespace": "namespaces",
    "chart": "charts",
    "release": "releases",
    "notName": "not_names",
}
_OBJECT = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")
# The top-level fields of the kinds that profiles target: a rule that writes any other writes a field the
# API server rejects or drops. Kinds not listed here (and globs) are not checked.
KIND_FIELDS: dict[str, frozenset[str]] = {
    **{kind: _OBJECT for kind in (*_WORKLOADS, "HorizontalPodAutoscaler", "Service", "RunaiConfig", "Prometheus")},
    "ConfigMap": frozenset({"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"}),
}
# The fields of a container (core/v1 Container): what a pointer of a rule with `containers:` starts with.
CONTAINER_FIELDS = frozenset(
    {
        "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "resizePolicy",
        "restartPolicy", "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe",
        "lifecycle", "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy", "securityContext",
        "stdin", "stdinOnce", "tty",
    }
)  # fmt: skip
_INT32 = 2**31 - 1  # replicas and utilization targets are int32 in Kubernetes


def build_rule(raw: Mapping[str, Any], profile: str) -> Rule:
    """The Rule a merged, substituted rule describes, or a ProfileError naming the rule."""
    # The schema has already checked op names and pointer syntax in files, and the tests check the built-ins
    # against it: what is checked here is what `extends` and `${...}` can still get wrong.
    where = f"profile {profile!r}, rule {raw['name']!r}"
    match = raw.get("match")
    if not isinstance(match, dict) or "kind" not in match:
        raise ProfileError(f"{where}: `match.kind` is required")
    globs = {attr: _globs(match.get(key), f"{where}: match.{key}") for key, attr in MATCH_GLOBS.items()}
    labels = match.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(value, str) for value in labels.values()):
        raise ProfileError(f"{where}: match.labels is {yaml_type(labels)} of names to strings, not {labels!r}")
    containers = _globs(raw.get("containers"), f"{where}: containers")
    set_ = dict(raw.get("set") or {})
    patch = tuple(raw.get("patch") or ())
    autoscale = _autoscale(raw["autoscale"], globs["kinds"], where) if raw.get("autoscale") is not None else None
    availability = _availability(raw.get("availability"), where)
    replicas = raw.get("replicas")
    if replicas is not None and (
        isinstance(replicas, bool) or not isinstance(replicas, int) or not 1 <= replicas <= _INT32
    ):
        raise ProfileError(f"{where}: replicas must be a whole number from 1 to {_INT32}, not {replicas!r}")
    if replicas is not None and set(globs["kinds"]) != {"Deployment"}:
        raise ProfileError(f"{where}: replicas works on Deployments; match.kind must be Deployment")
    if not (set_ or patch or autoscale or "availability" in raw or replicas is not None):
        raise ProfileError(f"{where}: a rule needs `set`, `patch`, `autoscale`, `replicas` or `availability`")
    for pointer, value in set_.items():
        _check_target(pointer, globs["kinds"], containers, f"{where}, set {pointer}")
        check_resources(pointer, value, f"{where}, set {pointer}")
    for index, op in enumerate(patch):
        name = op.get("op")
        if name in ("add", "replace", "test") and "value" not in op:
            raise ProfileError(f"{where}, patch[{index}]: `{name}` needs a value")
        if name in ("move", "copy") and "from" not in op:
            raise ProfileError(f"{where}, patch[{index}]: `{name}` needs `from`")
        if name in ("add", "replace", "move", "copy"):
            _check_target(op.get("path", ""), globs["kinds"], containers, f"{where}, patch[{index}] {op.get('path')}")
    return Rule(
        name=raw["name"],
        description=raw.get("description", ""),
        match=Match(**globs, labels=dict(labels)),
        containers=containers,
        set=set_,
        patch=patch,
        autoscale=autoscale,
        exact=_flag(raw.get("exact", False), f"{where}: exact"),
        availability=availability,
        replicas=replicas,
    )


def _availability(spec: Any, where: str) -> Availability | None:
    """Budgets and spreading, or None where the rule has none or `enabled: false` turns them off."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ProfileError(f"{where}: availability is {yaml_type(spec)}, not a mapping")
    keys = ("enabled", "disruptionBudget", "spread")
    flags = {key: _flag(spec.get(key, True), f"{where}: availability.{key}") for key in keys}
    if not flags["enabled"]:
        return None
    return Availability(disruption_budget=flags["disruptionBudget"], spread=flags["spread"])


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ProfileError(f"{where} is {yaml_type(value)} ({value!r}), not true or false")
    return value


def _globs(value: Any, where: str) -> tuple[str, ...]:
    # `${...}` may have put anything here: a number, a mapping.
    items = [] if value is None else [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
        raise ProfileError(f"{where} is {yaml_type(value)} ({value!r}); it takes a name or glob, or a list of them")
    return tuple(items)


def _check_target(pointer: str, kinds: Sequence[str], containers: Sequence[str], where: str) -> None:
    """A rule writes only fields its kind has: a top-level `resources` on a Deployment is a missing `containers:`."""
    if not pointer.startswith("/"):
        return
    first = pointer.split("/")[1].replace("~1", "/").replace("~0", "~")
    if first == "*":
        return
    if containers:
        if first not in CONTAINER_FIELDS:
            raise ProfileError(f"{where}: a container has no field `{first}`{did_you_mean(first, CONTAINER_FIELDS)}")
        return
    for kind in kinds:
        fields = KIND_FIELDS.get(kind)
        if fields is None or first in fields:
            continue
        if first in CONTAINER_FIELDS and kind in _WORKLOADS:
            fix = "; did you mean `containers: [NAME]` (pointers then start at each container)?"
        else:
            fix = did_you_mean(first, fields)
        raise ProfileError(f"{where}: {kind} has no top-level `{first}`{fix}")


def _autoscale(spec: Any, kinds: Sequence[str], where: str) -> Autoscale:
    if not isinstance(spec, dict):
        raise ProfileError(f"{where}: autoscale is {yaml_type(spec)}, not a mapping")

    def number(key: str, required: bool = True) -> int | None:
        value = spec.get(key)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _INT32:
            raise ProfileError(f"{where}: autoscale.{key} must be a whole number from 1 to {_INT32}, not {value!r}")
        return value

    requests = spec.get("cpuRequests") or {}
    if not isinstance(requests, dict):
        raise ProfileError(f"{where}: autoscale.cpuRequests is {yaml_type(requests)}, not a mapping of globs to CPU")
    for glob, request in requests.items():
        amount = quantity.parse(request)
        if not isinstance(glob, str) or amount is None or amount <= 0:
            raise ProfileError(f"{where}: autoscale.cpuRequests[{glob!r}] = {request!r} is not a CPU quantity above 0")
    autoscale = Autoscale(
        min_replicas=number("minReplicas") or 1,
        max_replicas=number("maxReplicas") or 1,
        cpu_utilization=number("cpuUtilization", required=False),
        memory_utilization=number("memoryUtilization", required=False),
        cpu_requests={glob: str(request) for glob, request in requests.items()},
    )
    if autoscale.max_replicas < autoscale.min_replicas:
        raise ProfileError(
            f"{where}: autoscale.maxReplicas ({autoscale.max_replicas}) is below minReplicas ({autoscale.min_replicas})"
        )
    if kinds and set(kinds) != {"Deployment"}:
        raise ProfileError(f"{where}: autoscale works on Deployments; match.kind must be Deployment")
    return autoscale


def check_resources(pointer: str, value: Any, where: str) -> None:
    """Requests and limits that a profile sets are quantities >= 0, and limits are not below requests."""
    leaves = dict(_leaves(pointer, value))
    for path, leaf in leaves.items():
        parts = path.split("/")
        if len(parts) >= 2 and parts[-2] in ("requests", "limits"):
            amount = quantity.parse(leaf)
            if amount is None:
                raise ProfileError(f"{where}: {path} = {leaf!r} is not a Kubernetes quantity")
            if amount < 0:
                raise ProfileError(f"{where}: {path} = {leaf!r} is negative")
    for path, leaf in leaves.items():
        parts = path.split("/")
        if len(parts) >= 2 and parts[-2] == "limits":
            request_path = "/".join([*parts[:-2], "requests", parts[-1]])
            if request_path in leaves and quantity.parse(leaf) < quantity.parse(leaves[request_path]):  # type: ignore[operator]
                raise ProfileError(f"{where}: {path} = {leaf} is below {request_path} = {leaves[request_path]}")


def _leaves(pointer: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        found = []
        for key, child in value.items():
            found.extend(_leaves(f"{pointer}/{key}", child))
        return found
    return [(pointer, value)]
