"""Check a profile: each file's shape, then the merged and substituted result, and build its rules.

The split: the JSON Schema checks the shape of one *file* at a time (keys, types, pointers, operations),
with the line of the key; it runs on files only, the built-ins being tested against it. What no single
file's shape can tell is checked here on the *merged* profile (after `extends`) and the *substituted*
rules (after `--set` and `${...}`), for built-ins and files alike: values that override nothing and that
no rule uses, quantities, what `${...}` put into a match, fields the targeted kind does not have,
autoscale bounds, requests and limits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from runai_postrender import quantity
from runai_postrender.errors import ProfileError, yaml_type
from runai_postrender.overrides import QUANTITY_NAMES, did_you_mean, flatten_values, is_used, references
from runai_postrender.profile_files import Source
from runai_postrender.profiles import Autoscale, Match, Rule, schema_text

# A match key and the Match field it fills: a new way to match (a chart, a release) is one line here.
MATCH_GLOBS = {
    "kind": "kinds",
    "apiVersion": "api_versions",
    "name": "names",
    "namespace": "namespaces",
    "chart": "charts",
    "release": "releases",
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


# ---------------------------------------------------------------- one file's shape


def check_schema(source: Source, data: dict[str, Any]) -> None:
    """Check one profile file against the JSON Schema; every problem with the line of its key."""
    import jsonschema  # only profile files are checked against it

    validator = jsonschema.Draft202012Validator(json.loads(schema_text()))
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    problems = []
    for error in errors:
        path = list(error.absolute_path)
        where = "/".join(str(p) for p in path) or "(top level)"
        message, line = error.message, source.line(path)
        if error.validator == "additionalProperties":
            known = list(error.schema.get("properties", {}))
            extra = [key for key in error.instance if key not in known]
            message = ("unknown key " if len(extra) == 1 else "unknown keys ") + ", ".join(
                f"{key!r}{did_you_mean(key, known)}" for key in extra
            )
            line = source.line([*path, extra[0]])
        elif "propertyNames" in error.relative_schema_path:
            line = source.line([*path, error.instance])  # the line of the key itself
            if path[:1] == ["values"]:
                message = (
                    f"value name {error.instance!r} is not letters, digits, `_` and `-` "
                    "(a dot would read as nesting: write `a: {b: 1}` for a.b)"
                )
        problems.append(f"{source.label}" + (f", line {line}" if line else "") + f", at {where}: {message}")
    if problems:
        raise ProfileError("; ".join(problems))


# ---------------------------------------------------------------- the merged profile


def check_new_values(
    source: Source, own: Mapping[str, Any], inherited: Mapping[str, Any], rules: list[Any], parents: Sequence[str]
) -> None:
    """A value a profile adds must be one that a rule uses: anything else is a typo that would change nothing."""
    used = references(rules)
    known = flatten_values(inherited)
    names = [*known, *flatten_values(own)]
    if any(reference not in names and not any(n.startswith(reference + ".") for n in names) for reference in used):
        return  # a rule names a value nobody defines: substituting says so, with a better hint (the typo is there)
    for name in flatten_values(own):
        if name in known or is_used(name, known) or is_used(name, used):
            continue
        parts, node, depth = name.split("."), inherited, 1
        while depth < len(parts) and isinstance(node, dict) and parts[depth - 1] in node:
            node, depth = node[parts[depth - 1]], depth + 1
        where = source.where(["values", *parts[:depth]])
        problem = f"is not a value of {parents[0]}, and no rule uses it" if parents else "is used by no rule"
        raise ProfileError(f"{where}: value {name} {problem}{did_you_mean(name, [*known, *used])}")


def check_values(values: Mapping[str, Any], where: str) -> None:
    """Values are plain settings: no `${...}` in them, and those named cpu or memory are quantities >= 0."""
    for name, value in flatten_values(values).items():
        if any("${" in text for text in _strings(value)):
            raise ProfileError(f"{where}: value {name} = {value!r}: a value cannot refer to another (only rules can)")
        if name.rsplit(".", 1)[-1] in QUANTITY_NAMES:
            amount = quantity.parse(value)
            if amount is None:
                raise ProfileError(f"{where}: value {name} = {value!r} is not a Kubernetes quantity")
            if amount < 0:
                raise ProfileError(f"{where}: value {name} = {value!r} is negative")


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, list | dict):
        for child in data.values() if isinstance(data, dict) else data:
            yield from _strings(child)


# ---------------------------------------------------------------- one substituted rule


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
    if not (set_ or patch or autoscale):
        raise ProfileError(f"{where}: a rule needs `set`, `patch` or `autoscale`")
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
    )


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
