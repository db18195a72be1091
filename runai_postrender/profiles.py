"""Find, load, validate and resolve a profile: a built-in name or a file, its `extends` chain, overrides."""

from __future__ import annotations

import copy
import difflib
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLWarning

from runai_postrender import quantity
from runai_postrender.errors import ProfileError
from runai_postrender.limits import MAX_PROFILE_NODES, check_expansion

PROFILE_ENV = "RUNAI_SIZE_PROFILE"
SET_ENV = "RUNAI_SIZE_SET"
_REFERENCE = re.compile(r"^\$\{([A-Za-z0-9_.-]+)\}$")
_BUILTIN_PACKAGE = "runai_postrender.builtin_profiles"


@dataclass(frozen=True)
class Match:
    """Which resources a rule targets. Empty tuples match anything."""

    kinds: tuple[str, ...]
    api_versions: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    charts: tuple[str, ...] = ()  # the release's chart, as Helm's output says (`# Source:`, Helm 4's annotation)
    releases: tuple[str, ...] = ()  # the release, from the objects' labels


@dataclass(frozen=True)
class Autoscale:
    """The HorizontalPodAutoscaler that a rule gives each Deployment it matches."""

    min_replicas: int
    max_replicas: int
    cpu_utilization: int | None = None
    memory_utilization: int | None = None
    cpu_requests: Mapping[str, str] = field(default_factory=dict)  # container glob -> request where it has none


@dataclass(frozen=True)
class Rule:
    """One named change of a profile, with every `${value}` already substituted."""

    name: str
    description: str
    match: Match
    containers: tuple[str, ...] = ()
    set: Mapping[str, Any] = field(default_factory=dict)
    patch: tuple[Mapping[str, Any], ...] = ()
    autoscale: Autoscale | None = None
    exact: bool = False  # write `set` values as they are, not as floors and ceilings


@dataclass(frozen=True)
class Profile:
    """A resolved profile: what `runai-size` applies."""

    name: str
    source: str  # "built-in" or the file's path
    chain: tuple[str, ...]  # this profile first, then what it extends, and so on
    description: str
    cluster_size: str
    recommended_from: Mapping[str, int]
    values: Mapping[str, Any]
    rules: tuple[Rule, ...]
    document: Mapping[str, Any]  # the merged profile as data, `${...}` resolved (for `runai-size show`)


# ---------------------------------------------------------------- finding and reading


def builtin_names() -> list[str]:
    """The built-in profiles, smallest first."""
    folder = resources.files(_BUILTIN_PACKAGE)
    names = [entry.name[: -len(".yaml")] for entry in folder.iterdir() if entry.name.endswith(".yaml")]
    order = {"small": 0, "large": 1, "xlarge": 2}
    return sorted(names, key=lambda name: (order.get(name, 99), name))


def schema_text() -> str:
    """The JSON Schema of the profile format, as shipped."""
    return resources.files(_BUILTIN_PACKAGE).joinpath("profile.schema.json").read_text(encoding="utf-8")


def is_file_reference(ref: str) -> bool:
    """A reference names a file when it looks like a path; otherwise it names a built-in profile."""
    return "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml", ".json")) or ref.startswith(".")


@dataclass(frozen=True)
class _Source:
    label: str  # how messages name it: `built-in profile "large"` or the path
    name: str
    text: str
    path: Path | None  # None for built-ins


def _read(ref: str, relative_to: Path | None) -> _Source:
    if is_file_reference(ref):
        path = Path(ref).expanduser()
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProfileError(f"profile file {str(path)!r} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"cannot read profile file {str(path)!r}: {exc}") from exc
        return _Source(str(path), path.stem, text, path)
    resource = resources.files(_BUILTIN_PACKAGE).joinpath(f"{ref}.yaml")
    if not resource.is_file():
        raise ProfileError(
            f"unknown profile {ref!r}: the built-in profiles are {', '.join(builtin_names())}; "
            f"{PROFILE_ENV} (or --profile) takes one of them or the path of a profile file"
        )
    return _Source(f"built-in profile {ref!r}", ref, resource.read_text(encoding="utf-8"), None)


def _parse(source: _Source) -> dict[str, Any]:
    # The safe loader builds plain data and refuses every tag it does not know (`!!python/object`
    # included): a profile is data, never code.
    yaml = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():
            # ruamel warns at length (on stderr) about valid YAML it frowns upon, such as YAML 1.1 floats.
            warnings.simplefilter("ignore", YAMLWarning)
            data = yaml.load(source.text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source.label}, line {mark.line + 1}" if mark else source.label
        raise ProfileError(f"{where}: {exc.problem or exc.context}") from exc
    except YAMLError as exc:
        raise ProfileError(f"{source.label}: {exc}") from exc
    except RecursionError as exc:
        raise ProfileError(f"{source.label}: nested too deeply to read") from exc
    # Everything below walks the data; a few aliases must not make that walk endless.
    check_expansion(data, source.label, limit=MAX_PROFILE_NODES, error=ProfileError)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProfileError(f"{source.label}: a profile is a mapping (description, extends, values, rules)")
    return data


def _line_of(source: _Source, path: Sequence[str | int]) -> int | None:
    """The line (1-based) where `path` sits in the profile's text, for error messages."""
    try:
        node = YAML(typ="safe", pure=True).compose(source.text)
    except (YAMLError, RecursionError):
        return None
    line = None
    for step in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node.value, list) and node.value and isinstance(node.value[0], tuple):
            found = [v for k, v in node.value if k.value == step]
            if not found:
                key_nodes = [k for k, _ in node.value if k.value == step]
                return int(key_nodes[0].start_mark.line) + 1 if key_nodes else line
            node = found[0]
        elif isinstance(node.value, list) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            break
    return node.start_mark.line + 1 if node is not None else line


def _check_schema(source: _Source, data: dict[str, Any]) -> None:
    import json

    import jsonschema  # imported here: only files are checked against it (the built-ins are tested)

    validator = jsonschema.Draft202012Validator(json.loads(schema_text()))
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if not errors:
        return
    problems = []
    for error in errors:
        path = list(error.absolute_path)
        where = "/".join(str(p) for p in path) or "(top level)"
        line = _line_of(source, path)
        message = error.message
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            known = list(error.schema.get("properties", {}))
            hints = [difflib.get_close_matches(key, known, n=1) for key in extra]
            message = "unknown key " + ", ".join(
                f"{key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                for key, hint in zip(extra, hints, strict=True)
            )
            line = _line_of(source, [*path, extra[0]])
        problems.append(f"{source.label}" + (f", line {line}" if line else "") + f", at {where}: {message}")
    raise ProfileError("; ".join(problems))


# ---------------------------------------------------------------- extends and merging


def _merge_values(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge_values(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def _merge_rules(base: list[dict[str, Any]], override: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A rule of the child replaces the keys it names of the parent's rule of the same name."""
    merged = {rule["name"]: dict(rule) for rule in base}
    for rule in override:
        if rule["name"] in merged:
            merged[rule["name"]].update(copy.deepcopy(rule))
        else:
            merged[rule["name"]] = copy.deepcopy(rule)
    return list(merged.values())


class _ExtendsCycle(ProfileError):
    """A profile that extends itself, directly or through others; the message names the chain."""


def _load_chain(ref: str, relative_to: Path | None, seen: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
    source = _read(ref, relative_to)
    key = str(source.path.resolve()) if source.path else f"builtin:{source.name}"
    label = str(source.path) if source.path else source.name
    if key in seen:
        raise _ExtendsCycle(f"profile extends itself: {' -> '.join([*seen_labels(seen), label])}")
    data = _parse(source)
    if source.path is not None:
        _check_schema(source, data)
    rules = data.get("rules") or []
    names = [rule.get("name") for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ProfileError(f"{source.label}: rule names must be unique; repeated: {', '.join(duplicates)}")
    parent_ref = data.get("extends")
    chain = (label,)
    if parent_ref is None:
        return data, chain
    try:
        parent, parent_chain = _load_chain(parent_ref, source.path.parent if source.path else None, (*seen, key))
    except ProfileError as exc:
        if isinstance(exc, _ExtendsCycle):
            raise  # already names the whole chain
        raise ProfileError(f"{source.label} extends {parent_ref!r}: {exc}") from exc
    merged = {
        key: value for key, value in parent.items() if key not in ("description", "clusterSize", "recommendedFrom")
    }
    merged.update({key: value for key, value in data.items() if key not in ("values", "rules", "extends")})
    merged["values"] = _merge_values(parent.get("values") or {}, data.get("values") or {})
    merged["rules"] = _merge_rules(parent.get("rules") or [], rules)
    return merged, chain + parent_chain


def seen_labels(seen: Iterable[str]) -> list[str]:
    return [key.removeprefix("builtin:") for key in seen]


# ---------------------------------------------------------------- overrides and references


def parse_overrides(items: Iterable[str]) -> list[tuple[str, str]]:
    """`a.b=1` and `a.b=1,c=2` (as in `helm --set`) into (dotted name, text) pairs, in order."""
    pairs = []
    for item in items:
        for part in _split_commas(item):
            name, eq, text = part.partition("=")
            if not eq or not name.strip():
                raise ProfileError(f"override {part!r} is not of the form name=value (e.g. thanos.receive.memory=8G)")
            pairs.append((name.strip(), text))
    return pairs


def _split_commas(item: str) -> list[str]:
    # Like helm --set: commas separate assignments; `\,` is a literal comma.
    parts, current, escaped = [], [], False
    for char in item:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def flatten_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every leaf of a profile's values by its dotted name (what `--set` takes)."""
    return _flatten(values)


def _convert(name: str, text: str, current: Any) -> Any:
    """Type an override like the value it replaces: `--set a=2` stays a number where a is one."""
    if isinstance(current, bool):
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ProfileError(f"override {name}={text}: {name} is true or false")
    if isinstance(current, int):
        try:
            return int(text)
        except ValueError:
            if quantity.parse(text) is not None:
                return text  # a CPU count may become a quantity such as 1500m
            raise ProfileError(f"override {name}={text}: {name} is a whole number") from None
    if isinstance(current, float):
        try:
            return float(text)
        except ValueError:
            raise ProfileError(f"override {name}={text}: {name} is a number") from None
    return text


def _apply_overrides(values: dict[str, Any], overrides: Sequence[tuple[str, str]], profile: str) -> None:
    flat = flatten_values(values)
    for name, text in overrides:
        if name not in flat:
            hint = difflib.get_close_matches(name, list(flat), n=1)
            raise ProfileError(
                f"override {name}={text}: profile {profile!r} has no value {name!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "; `runai-size show` lists them")
            )
        *parents, leaf = name.split(".")
        target = values
        for part in parents:
            target = target[part]
        target[leaf] = _convert(name, text, flat[name])
        flat[name] = target[leaf]


def _substitute(data: Any, values: Mapping[str, Any], where: str) -> Any:
    if isinstance(data, str):
        match = _REFERENCE.match(data)
        if match is None:
            return data
        name = match.group(1)
        target: Any = values
        for part in name.split("."):
            if not isinstance(target, dict) or part not in target:
                raise ProfileError(f"{where}: ${{{name}}} names no value of the profile")
            target = target[part]
        return copy.deepcopy(target)
    if isinstance(data, dict):
        return {key: _substitute(value, values, where) for key, value in data.items()}
    if isinstance(data, list):
        return [_substitute(value, values, where) for value in data]
    return data


# ---------------------------------------------------------------- building rules


def _globs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _whole_number(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ProfileError(f"{where} must be a whole number >= {minimum}, not {value!r}")
    return value


def _build_rule(raw: Mapping[str, Any], profile: str) -> Rule:
    where = f"profile {profile!r}, rule {raw['name']!r}"
    match = raw.get("match") or {}
    if "kind" not in match:
        raise ProfileError(f"{where}: `match.kind` is required")
    set_ = dict(raw.get("set") or {})
    patch = tuple(raw.get("patch") or ())
    autoscale = None
    if raw.get("autoscale") is not None:
        spec = raw["autoscale"]
        autoscale = Autoscale(
            min_replicas=_whole_number(spec.get("minReplicas"), f"{where}: autoscale.minReplicas", 1),
            max_replicas=_whole_number(spec.get("maxReplicas"), f"{where}: autoscale.maxReplicas", 1),
            cpu_utilization=None
            if spec.get("cpuUtilization") is None
            else _whole_number(spec["cpuUtilization"], f"{where}: autoscale.cpuUtilization", 1),
            memory_utilization=None
            if spec.get("memoryUtilization") is None
            else _whole_number(spec["memoryUtilization"], f"{where}: autoscale.memoryUtilization", 1),
            cpu_requests={str(k): str(v) for k, v in (spec.get("cpuRequests") or {}).items()},
        )
        for glob, request in autoscale.cpu_requests.items():
            if quantity.parse(request) is None or quantity.parse(request) <= 0:  # type: ignore[operator]
                raise ProfileError(f"{where}: autoscale.cpuRequests[{glob!r}] = {request!r} is not a CPU quantity")
        if autoscale.max_replicas < autoscale.min_replicas:
            raise ProfileError(
                f"{where}: autoscale.maxReplicas ({autoscale.max_replicas}) "
                f"is below minReplicas ({autoscale.min_replicas})"
            )
        if any(_globs(match.get("kind"))) and set(_globs(match.get("kind"))) != {"Deployment"}:
            raise ProfileError(f"{where}: autoscale works on Deployments; match.kind must be Deployment")
    if not (set_ or patch or autoscale):
        raise ProfileError(f"{where}: a rule needs `set`, `patch` or `autoscale`")
    for pointer, value in set_.items():
        _check_pointer(pointer, f"{where}, set {pointer}")
        quantity.check_resources(pointer, value, f"{where}, set {pointer}")
    for index, op in enumerate(patch):
        if op.get("op") not in ("add", "remove", "replace", "move", "copy", "test"):
            raise ProfileError(f"{where}, patch[{index}]: unknown operation {op.get('op')!r}")
        for key in ("path", "from"):
            if key in op:
                _check_pointer(op[key], f"{where}, patch[{index}].{key}")
        if op["op"] in ("add", "replace", "test") and "value" not in op:
            raise ProfileError(f"{where}, patch[{index}]: `{op['op']}` needs a value")
        if op["op"] in ("move", "copy") and "from" not in op:
            raise ProfileError(f"{where}, patch[{index}]: `{op['op']}` needs `from`")
    return Rule(
        name=raw["name"],
        description=raw.get("description", ""),
        match=Match(
            kinds=_globs(match.get("kind")),
            api_versions=_globs(match.get("apiVersion")),
            names=_globs(match.get("name")),
            namespaces=_globs(match.get("namespace")),
            labels=dict(match.get("labels") or {}),
            charts=_globs(match.get("chart")),
            releases=_globs(match.get("release")),
        ),
        containers=tuple(raw.get("containers") or ()),
        set=set_,
        patch=patch,
        autoscale=autoscale,
        exact=bool(raw.get("exact", False)),
    )


def _check_pointer(pointer: Any, where: str) -> None:
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        raise ProfileError(f"{where}: {pointer!r} is not a JSON pointer (it starts with /)")
    if re.search(r"~(?![01])", pointer):
        raise ProfileError(f"{where}: {pointer!r} is not a JSON pointer (`~` must be ~0 or ~1)")


def load_profile(ref: str, overrides: Sequence[tuple[str, str]] = ()) -> Profile:
    """Resolve a profile by built-in name or file path, apply `--set` overrides, build its rules."""
    data, chain = _load_chain(ref, None, ())
    values = data.get("values") or {}
    _apply_overrides(values, overrides, ref)
    rules = []
    document: dict[str, Any] = {
        key: data[key] for key in ("description", "clusterSize", "recommendedFrom") if key in data
    }
    document["values"] = values
    document["rules"] = []
    for raw in data.get("rules") or []:
        if raw.get("disabled"):
            continue
        resolved = _substitute(
            {k: v for k, v in raw.items() if k != "disabled"}, values, f"profile {ref!r}, rule {raw['name']!r}"
        )
        rules.append(_build_rule(resolved, ref))
        document["rules"].append(resolved)
    for name, value in flatten_values(values).items():
        if name.split(".")[-1] in ("cpu", "memory") and quantity.parse(value) is None:
            raise ProfileError(f"profile {ref!r}: value {name} = {value!r} is not a Kubernetes quantity")
    return Profile(
        name=chain[0] if not is_file_reference(ref) else ref,
        source="built-in" if not is_file_reference(ref) else ref,
        chain=chain,
        description=data.get("description", ""),
        cluster_size=data.get("clusterSize", ""),
        recommended_from=dict(data.get("recommendedFrom") or {}),
        values=values,
        rules=tuple(rules),
        document=document,
    )
