"""Check a profile: each file's shape, then the merged result's values (its rules: `profile_rules`).

The split: the JSON Schema checks the shape of one *file* at a time (keys, types, pointers, operations),
with the line of the key; it runs on files only, the built-ins being tested against it. What no single
file's shape can tell is checked here on the *merged* profile (after `extends`) and the *substituted*
rules (after `--set` and `${...}`), for built-ins and files alike: values that override nothing and that
no rule uses, quantities, what `${...}` put into a match, fields the targeted kind does not have,
autoscale bounds, requests and limits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from runai_postrender.profiles.build import build_rule
from runai_postrender.profiles.files import ProfileText
from runai_postrender.profiles.overrides import QUANTITY_NAMES, did_you_mean, flatten_values, is_used, references
from runai_postrender.profiles.shipped import schema_text
from runai_postrender.support import quantity
from runai_postrender.support.errors import ProfileError

# A memory quantity spelled as a bare number (`8`, `1.5`): bytes, which is never what a profile means.
_WITHOUT_UNIT = re.compile(r"^[+]?[0-9]*\.?[0-9]*$")

# ---------------------------------------------------------------- one file's shape


def check_schema(source: ProfileText, data: dict[str, Any]) -> None:
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
    source: ProfileText, own: Mapping[str, Any], inherited: Mapping[str, Any], rules: list[Any], parents: Sequence[str]
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
    """Values are plain settings: no `${...}` in them, and those named cpu or memory are quantities >= 0
    (a memory with a unit: `8` would be 8 bytes)."""
    for _name, problem in _value_problems(values):
        raise ProfileError(f"{where}: {problem}")


def check_file_values(source: ProfileText, values: Mapping[str, Any]) -> None:
    """check_values on the values one file sets, each problem with the line of its key."""
    for name, problem in _value_problems(values):
        raise ProfileError(f"{source.where(['values', *name.split('.')])}: {problem}")


def _value_problems(values: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in flatten_values(values).items():
        if any("${" in text for text in _strings(value)):
            yield name, f"value {name} = {value!r}: a value cannot refer to another (only rules can)"
        leaf = name.rsplit(".", 1)[-1]
        if leaf in QUANTITY_NAMES:
            amount = quantity.parse(value)
            if amount is None:
                yield name, f"value {name} = {value!r} is not a Kubernetes quantity"
            elif amount < 0:
                yield name, f"value {name} = {value!r} is negative"
            elif leaf == "memory" and amount and _WITHOUT_UNIT.match(str(value)):
                # Kubernetes reads it as bytes, which no container runs in: refused rather than written.
                number = str(value).lstrip("+")
                problem = f"has no unit, which means {number} bytes; write {number}Gi, {number}G or {number}Mi"
                yield name, f"value {name} = {value!r} {problem}"


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, list | dict):
        for child in data.values() if isinstance(data, dict) else data:
            yield from _strings(child)


__all__ = ["build_rule", "check_file_values", "check_new_values", "check_schema", "check_values"]
