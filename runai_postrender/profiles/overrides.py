"""A profile's values by dotted name: `--set` overrides, typed like the value they replace, and `${name}` references.

Values are named settings (`thanos.receive.memory`); rules use them as `${thanos.receive.memory}`, and
`--set thanos.receive.memory=8G` changes one for a single run.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from runai_postrender.support import quantity
from runai_postrender.support.errors import ProfileError
from runai_postrender.support.plain import copied

REFERENCE = re.compile(r"^\$\{([A-Za-z0-9_.-]+)\}$")
_ANY_REFERENCE = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")
# Values with these last names are Kubernetes quantities, even when written as a plain number (`cpu: 1`).
QUANTITY_NAMES = ("cpu", "memory")
# Kubernetes stores integers in 64 bits; a larger one in a profile is a mistake, not a setting.
LARGEST_INTEGER = 2**63 - 1
_WHOLE = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when a choice is close to `name`, else an empty string."""
    import difflib  # only errors need it

    hint = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def parse_overrides(items: Iterable[str]) -> list[tuple[str, str]]:
    """`a.b=1` and `a.b=1,c=2` (as in `helm --set`) into (dotted name, text) pairs, in order.

    Spaces around a name or a value are dropped: `RUNAI_SIZE_SET=' a.b= 4G'` means `a.b=4G`.
    """
    pairs = []
    for item in items:
        for part in _split_commas(item):
            name, eq, text = part.partition("=")
            if not eq or not name.strip():
                raise ProfileError(f"override {part!r} is not of the form name=value (e.g. thanos.receive.memory=8G)")
            pairs.append((name.strip(), text.strip()))
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


def flatten_values(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every leaf of a profile's values by its dotted name (what `--set` takes)."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten_values(value, name + "."))
        else:
            flat[name] = value
    return flat


def apply_overrides(values: dict[str, Any], overrides: Sequence[tuple[str, str]], profile: str) -> None:
    """Set each overridden value in place, typed like the value it replaces."""
    flat = flatten_values(values)
    for name, text in overrides:
        where = f"override {name}={text}"
        if name not in flat:
            members = [known for known in flat if known.startswith(name + ".")]
            if members:
                raise ProfileError(f"{where}: {name} is a group of values ({', '.join(members)}); set them one by one")
            raise ProfileError(
                f"{where}: profile {profile!r} has no value {name!r}"
                + (did_you_mean(name, flat) or "; `runai-size show` lists them")
            )
        *parents, leaf = name.split(".")
        target = values
        for part in parents:
            target = target[part]
        target[leaf] = _convert(where, name, text, flat[name])
        flat[name] = target[leaf]


def _convert(where: str, name: str, text: str, current: Any) -> Any:
    """Type an override like the value it replaces: `--set a=2` stays a number where a is one."""
    if isinstance(current, bool):
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ProfileError(f"{where}: {name} is true or false")
    if isinstance(current, int):
        if _WHOLE.match(text) and abs(int(text)) <= LARGEST_INTEGER:
            return int(text)
        if name.rsplit(".", 1)[-1] in QUANTITY_NAMES:
            if quantity.parse(text) is not None:
                return text  # a CPU count may become a quantity such as 1500m
            raise ProfileError(f"{where}: value {name} = {text!r} is not a Kubernetes quantity")
        raise ProfileError(f"{where}: {name} is a whole number")
    if isinstance(current, float):
        if _DECIMAL.match(text):
            return float(text)
        raise ProfileError(f"{where}: {name} is a number")
    if isinstance(current, list | dict):
        raise ProfileError(
            f"{where}: {name} is {'a list' if isinstance(current, list) else 'a mapping'}; change it in a profile file"
        )
    return text


def references(data: Any) -> set[str]:
    """The dotted names that `${...}` references in `data` (a rule) name."""
    if isinstance(data, str):
        # Partial references count too: substituting then says what is wrong with them.
        return set(_ANY_REFERENCE.findall(data))
    children: Iterable[Any] = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
    return set().union(*(references(child) for child in children))


def is_used(name: str, used: Collection[str]) -> bool:
    """Whether a rule references the value `name`, itself or a group that holds it."""
    return name in used or any(name.startswith(reference + ".") for reference in used)


def substitute(data: Any, values: Mapping[str, Any], where: str) -> Any:
    """`data` with each `${name}` string replaced by a copy of that value; `${` anywhere else is an error."""
    if isinstance(data, str):
        if "${" not in data:
            return data
        match = REFERENCE.match(data)
        if match is None:
            raise ProfileError(
                f"{where}: {data!r}: `${{name}}` stands for a whole value; it cannot be part of a longer string"
            )
        name = match.group(1)
        target: Any = values
        for part in name.split("."):
            if not isinstance(target, dict) or part not in target:
                raise ProfileError(
                    f"{where}: ${{{name}}} names no value of the profile" + did_you_mean(name, flatten_values(values))
                )
            target = target[part]
        return copied(target)
    if isinstance(data, dict):
        for key in data:
            if "${" in key:
                raise ProfileError(f"{where}: {key!r}: `${{name}}` stands for a value, not for a key")
        return {key: substitute(value, values, where) for key, value in data.items()}
    if isinstance(data, list):
        return [substitute(value, values, where) for value in data]
    return data
