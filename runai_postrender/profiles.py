"""Find, read and resolve a profile: the model, the built-ins, files read within limits, `extends`, `load_profile`.

Checking is split in two, and the split is the point: while reading, each *file* is checked on its own
(plain data only, then its shape against the JSON Schema, with the line of the key); once the `extends`
chain is merged and `--set` and `${...}` applied, `profile_checks` checks the *result* (values that
nothing uses, rules, the fields of the kinds they target), which no single file's shape can tell.
Built-in profiles are trusted (the tests check them against the schema) and read with libyaml;
ruamel.yaml and jsonschema are imported only for profile files.
"""

from __future__ import annotations

import copy
import math
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from runai_postrender.errors import ProfileError
from runai_postrender.limits import MAX_PROFILE_NODES, check_expansion
from runai_postrender.overrides import LARGEST_INTEGER, apply_overrides, did_you_mean, flatten_values, parse_overrides

__all__ = [
    "PATH_ENV", "PROFILE_ENV", "SET_ENV", "Autoscale", "Match", "Profile", "Rule", "builtin_names",
    "flatten_values", "is_file_reference", "load_profile", "parse_overrides", "resolved_text", "schema_text",
]  # fmt: skip

PROFILE_ENV = "RUNAI_SIZE_PROFILE"
SET_ENV = "RUNAI_SIZE_SET"
# Folders (separated by os.pathsep) whose files any profile may extend, besides its own folder.
PATH_ENV = "RUNAI_SIZE_PROFILE_PATH"
# A profile is a page of settings; a file larger than this is refused before it is read.
MAX_PROFILE_BYTES = 1 << 20
TOP_KEYS = ("description", "clusterSize", "recommendedFrom", "extends", "values", "rules")
_OWN_KEYS = ("description", "clusterSize", "recommendedFrom")  # what a profile does not inherit
_BUILTIN_PACKAGE = "runai_postrender.builtin_profiles"
# What YAML would reject with a two-line message, or read as a line break (NEL, U+2028, U+2029).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")


@dataclass(frozen=True)
class Match:
    """Which resources a rule targets. Empty tuples match anything."""

    kinds: tuple[str, ...]
    api_versions: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Autoscale:
    """The HorizontalPodAutoscaler that a rule gives each Deployment it matches."""

    min_replicas: int
    max_replicas: int
    cpu_utilization: int | None = None
    memory_utilization: int | None = None


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


@dataclass(frozen=True)
class Profile:
    """A resolved profile: what `runai-size` applies."""

    name: str
    chain: tuple[str, ...]  # this profile first, then what it extends, and so on
    description: str
    cluster_size: str
    recommended_from: Mapping[str, int]
    values: Mapping[str, Any]
    rules: tuple[Rule, ...]
    document: Mapping[str, Any]  # the merged profile as data, `${...}` resolved
    written: Mapping[str, Any] = field(default_factory=dict)  # the same as a profile file says it: rules keep ${...}
    overrides: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Source:
    """One profile's text, and how messages name it: `built-in profile 'large'` or the file's path."""

    label: str
    name: str
    text: str
    path: Path | None = None  # None for built-ins
    node: Any = None  # a file's YAML node tree, for line numbers
    extended: bool = False  # reached through `extends`: its content is never quoted until it reads as a profile

    def line(self, path: Sequence[Any]) -> int | None:
        """The line (1-based) of the key (or list item) at `path`, or of the nearest one above it that exists."""
        node, line = self.node, None
        for step in path:
            if node is None or not isinstance(node.value, list):
                break
            if node.value and isinstance(node.value[0], tuple):
                keys = [pair for pair in node.value if _same_key(pair[0], step)]
                if not keys:
                    break
                line, node = keys[0][0].start_mark.line + 1, keys[0][1]
            elif isinstance(step, int) and 0 <= step < len(node.value):
                node = node.value[step]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def where(self, path: Sequence[Any]) -> str:
        line = self.line(path)
        return f"{self.label}, line {line}" if line else self.label


def _same_key(node: Any, step: Any) -> bool:
    if isinstance(step, str):
        return bool(node.tag.endswith(":str") and node.value == step)
    return not node.tag.endswith(":str") and str(node.value).lower() in (str(step).lower(), "~", "", "null")


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


# ---------------------------------------------------------------- reading, within limits


def _read(ref: str, extending: Source | None, reach: Callable[[], list[Path]]) -> Source:
    if not is_file_reference(ref):
        resource = resources.files(_BUILTIN_PACKAGE).joinpath(f"{ref}.yaml")
        if not resource.is_file():
            raise ProfileError(
                f"unknown profile {ref!r}{did_you_mean(ref, builtin_names())}: the built-in profiles are "
                f"{', '.join(builtin_names())}; {PROFILE_ENV} (or --profile) takes one of them or the path of a "
                "profile file"
            )
        return Source(f"built-in profile {ref!r}", ref, resource.read_text(encoding="utf-8"))
    path = Path(ref).expanduser()
    if extending is not None and extending.path is not None:
        path = extending.path.parent / path
        folders = [extending.path.parent.resolve(), *reach()]
        if not any(path.resolve().is_relative_to(folder) for folder in folders):
            raise ProfileError(
                f"{str(path)!r} is outside {str(folders[0])!r}: a profile extends built-in profiles and files at "
                f"or below its own folder, or in a folder of {PATH_ENV}"
            )
    return Source(str(path), path.stem, _read_file(path), path, extended=extending is not None)


def _read_file(path: Path) -> str:
    # Opened without blocking and checked before reading: a FIFO, a device or a huge file is refused at
    # once instead of hanging or filling memory.
    try:
        fd = os.open(str(path), os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise ProfileError(f"profile file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise ProfileError(f"cannot read profile file {str(path)!r}: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ProfileError(f"cannot read profile file {str(path)!r}: not a regular file")
        data = file.read(MAX_PROFILE_BYTES + 1)
    if len(data) > MAX_PROFILE_BYTES or info.st_size > MAX_PROFILE_BYTES:
        raise ProfileError(f"profile file {str(path)!r} is larger than {MAX_PROFILE_BYTES // 1024} KiB: refused")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"cannot read profile file {str(path)!r}: not UTF-8 ({exc.reason})") from exc


def _parse(source: Source) -> tuple[dict[str, Any], Source]:
    """The profile's data, and its source with the node tree that gives line numbers (files only)."""
    if source.path is None:
        # A built-in is our own, tested file: libyaml reads it in a fraction of ruamel's time.
        return yaml.load(source.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}, source
    bad = _CONTROL.search(source.text)
    if bad:
        line = source.text.count("\n", 0, bad.start()) + 1
        raise ProfileError(
            f"{source.label}, line {line}: control character U+{ord(bad.group()):04X} is not allowed in a profile "
            "(in a double-quoted string, write it as an escape)"
        )
    import warnings

    from ruamel.yaml import YAML  # only profile files need it; YAML 1.2, as editors read them
    from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLWarning

    # The safe loader builds plain data and refuses every tag it does not know (`!!python/object`
    # included): a profile is data, never code.
    reader = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():
            # ruamel warns at length (on stderr) about valid YAML it frowns upon, such as reused anchors.
            warnings.simplefilter("ignore", YAMLWarning)
            node = reader.compose(source.text)
            data = reader.constructor.construct_document(node) if node is not None else None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source.label}, line {mark.line + 1}" if mark else source.label
        problem = " ".join(str(exc.problem or exc.context).split())
        if source.extended:
            problem = "not a profile: not valid YAML (`runai-size validate` on it says more)"
        raise ProfileError(f"{where}: {problem}") from exc
    except YAMLError as exc:
        raise ProfileError(f"{source.label}: not valid YAML") from exc
    except RecursionError as exc:
        raise ProfileError(f"{source.label}: nested too deeply to read") from exc
    source = Source(source.label, source.name, source.text, source.path, node, source.extended)
    # Everything below walks the data; a few aliases must not make that walk endless.
    check_expansion(data, source.label, limit=MAX_PROFILE_NODES, error=ProfileError)
    if data is None:
        return {}, source
    if not isinstance(data, dict):
        raise ProfileError(f"{source.label}: a profile is a mapping (description, extends, values, rules)")
    if source.extended and not set(data) <= set(TOP_KEYS):
        # Never quote a file that does not read as a profile: `extends: /etc/shadow` must not print hashes.
        raise ProfileError(f"{source.label}: not a profile: its top level has keys other than {', '.join(TOP_KEYS)}")
    _check_plain(data, source, ())
    return data, source


def _check_plain(data: Any, source: Source, path: tuple[Any, ...]) -> None:
    """A profile holds what JSON holds: string keys; strings, finite numbers, booleans, null, lists, mappings."""
    problem = None
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                raise ProfileError(
                    f"{source.where([*path, key])}: unknown key {yaml.safe_dump(key).split()[0]} "
                    "(a key of a profile is a string)"
                )
            _check_plain(value, source, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _check_plain(value, source, (*path, index))
    elif isinstance(data, float) and not math.isfinite(data):
        problem = "is not a number (NaN or infinity)"
    elif isinstance(data, int) and not isinstance(data, bool) and abs(data) > LARGEST_INTEGER:
        problem = "is a whole number larger than Kubernetes stores (64 bits)"
    elif not isinstance(data, str | int | float | bool | type(None)):
        kind = {"bytes": "!!binary", "set": "!!set", "datetime": "a timestamp", "date": "a date"}
        problem = (
            f"is {kind.get(type(data).__name__, type(data).__name__)}; a profile holds strings, numbers, "
            "booleans, lists and mappings (quote it to keep it as a string)"
        )
    if problem:
        where = "/".join(map(str, path)) or "(top level)"
        raise ProfileError(f"{source.where(path)}, at {where}: the value {problem}")


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
        merged.setdefault(rule["name"], {}).update(copy.deepcopy(rule))
    return list(merged.values())


class _ExtendsCycle(ProfileError):
    """A profile that extends itself, directly or through others; the message names the chain."""


def _load_chain(
    ref: str, extending: Source | None, seen: tuple[tuple[str, str], ...], reach: Callable[[], list[Path]]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    # profile_checks builds Rules from the model above, so it imports this module: it is imported here, at
    # call time, and the two can be imported in either order.
    from runai_postrender import profile_checks as checks

    data, source = _parse(_read(ref, extending, reach))
    key = str(source.path.resolve()) if source.path else f"builtin:{source.name}"
    label = str(source.path) if source.path else source.name
    if key in [k for k, _ in seen]:
        raise _ExtendsCycle(f"profile extends itself: {' -> '.join([*(shown for _, shown in seen), label])}")
    if source.path is not None:
        checks.check_schema(source, data)
    rules = data.get("rules") or []
    names = [rule.get("name") for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ProfileError(f"{source.label}: rule names must be unique; repeated: {', '.join(duplicates)}")
    parent_ref = data.get("extends")
    parent: dict[str, Any] = {}
    chain: tuple[str, ...] = (label,)
    if parent_ref is not None:
        try:
            parent, parent_chain = _load_chain(parent_ref, source, (*seen, (key, label)), reach)
        except _ExtendsCycle:
            raise  # already names the whole chain
        except ProfileError as exc:
            raise ProfileError(f"{source.label} extends {parent_ref!r}: {exc}") from exc
        chain += parent_chain
    merged = {key: value for key, value in parent.items() if key not in _OWN_KEYS}
    merged.update({key: value for key, value in data.items() if key not in ("values", "rules", "extends")})
    merged["values"] = _merge_values(parent.get("values") or {}, data.get("values") or {})
    merged["rules"] = _merge_rules(parent.get("rules") or [], rules)
    checks.check_new_values(source, data.get("values") or {}, parent.get("values") or {}, merged["rules"], chain[1:])
    return merged, chain


def _reach(allowed: Sequence[str | Path] | None) -> Callable[[], list[Path]]:
    def folders() -> list[Path]:
        # Read only when a profile extends a file: a run that needs no folder list reads no variable.
        given = os.environ.get(PATH_ENV, "").split(os.pathsep) if allowed is None else allowed
        return [Path(folder).expanduser().resolve() for folder in given if str(folder).strip()]

    return folders


def load_profile(
    ref: str, overrides: Sequence[tuple[str, str]] = (), *, extends_path: Sequence[str | Path] | None = None
) -> Profile:
    """Resolve a profile by built-in name or file path, apply `--set` overrides, build and check its rules.

    `extends` reaches built-in profiles, files at or below the extending profile's folder, and files under
    `extends_path` (by default the folders of $RUNAI_SIZE_PROFILE_PATH).
    """
    data, chain = _load_chain(ref, None, (), _reach(extends_path))
    values = data.get("values") or {}
    apply_overrides(values, overrides, ref)
    from runai_postrender import profile_checks as checks  # see _load_chain

    checks.check_values(values, f"profile {ref!r}")
    enabled = [{k: v for k, v in raw.items() if k != "disabled"} for raw in data["rules"] if not raw.get("disabled")]
    resolved = [checks.substitute_rule(raw, values, f"profile {ref!r}, rule {raw['name']!r}") for raw in enabled]
    head: dict[str, Any] = {key: data[key] for key in _OWN_KEYS if key in data}
    return Profile(
        name=ref,
        chain=chain,
        description=data.get("description", ""),
        cluster_size=data.get("clusterSize", ""),
        recommended_from=dict(data.get("recommendedFrom") or {}),
        values=values,
        rules=tuple(checks.build_rule(raw, ref) for raw in resolved),
        document={**head, "values": values, "rules": resolved},
        written={**head, "values": values, "rules": data["rules"]},
        overrides=tuple(overrides),
    )


def resolved_text(profile: Profile) -> str:
    """The resolved profile as a profile file (`extends` and `--set` applied) that `validate` accepts."""
    import io

    from ruamel.yaml import YAML  # the reader of profile files, so that the text reads back the same

    writer = YAML(typ="safe", pure=True)
    writer.default_flow_style = False
    writer.width = 4096  # a long description stays on its line
    writer.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # keep the profile's order
    buffer = io.StringIO()
    writer.dump(dict(profile.written), buffer)
    overrides = ", ".join(f"{name}={text}" for name, text in profile.overrides) or "none"
    header = (
        f"# Profile {profile.name!r}, resolved by runai-size: {' -> '.join(profile.chain)}; overrides: {overrides}.\n"
        "# A profile file as it stands: load it with --profile FILE, or copy what you change under `extends:`.\n"
    )
    return header + buffer.getvalue()
