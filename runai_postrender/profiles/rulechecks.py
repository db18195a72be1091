"""Check what a profile file's rules write, with the line: replica counts below 1, the root pointer, memory
without a unit.

The run never lowers a replica count and refuses these where it builds the rules (after `extends` and
`${...}`), without a line; here each is refused where it is written, in the file, with its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from runai_postrender.profiles.files import ProfileText
from runai_postrender.profiles.overrides import REFERENCE, flatten_values
from runai_postrender.support import quantity
from runai_postrender.support.errors import ProfileError

# The fields that hold a number of pods, by the last token of a rule's pointer (`/spec/replicas`,
# `/spec/global/replicaCount`, `/spec/minReplicas`), and the autoscale keys that do.
_REPLICA_FIELD = re.compile(r"(?i)^(replicas|replicaCount|minReplicas|maxReplicas|.*Replicas)$")
_AUTOSCALE_COUNTS = ("minReplicas", "maxReplicas")
# A memory quantity spelled as a bare number (`8`, `1.5`): bytes, which is never what a profile means.
_WITHOUT_UNIT = re.compile(r"^[+]?[0-9]*\.?[0-9]*$")


def check_file_rules(source: ProfileText, data: Mapping[str, Any]) -> None:
    """Refuse, with the file and line, a rule of this file that writes the root, a literal replica count
    below 1 or a literal memory without a unit."""
    for index, rule in enumerate(data.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        name = rule.get("name")
        for pointer, value in (rule.get("set") or {}).items():
            where = source.where(["rules", index, "set", pointer])
            if pointer == "":
                raise ProfileError(f'{where}: rule {name!r}: set writes the root (pointer ""); name a field')
            for path, leaf in _leaves(str(pointer), value):
                _check_leaf(path, leaf, f"{where}: rule {name!r}, set {path}")
        for number, op in enumerate(rule.get("patch") or ()):
            if isinstance(op, dict) and "" in (op.get("path"), op.get("from")):
                where = source.where(["rules", index, "patch", number])
                raise ProfileError(
                    f'{where}: rule {name!r}: patch[{number}] writes the root (pointer ""); name a field'
                )
        autoscale = rule.get("autoscale")
        if isinstance(autoscale, dict):
            for key in _AUTOSCALE_COUNTS:
                if key in autoscale:
                    where = source.where(["rules", index, "autoscale", key])
                    _check_count(autoscale[key], f"{where}: rule {name!r}, autoscale.{key}")


def replica_count_names(rules: Sequence[Any]) -> set[str]:
    """The names of the values that rules use whole as a replica count."""
    return set(replica_count_names_iter(rules))


def check_file_replica_values(source: ProfileText, own: Mapping[str, Any], rules: Sequence[Any]) -> None:
    """A value this file sets that some rule (of the merged profile) uses as a replica count is 1 or more."""
    counts = replica_count_names(rules)
    for name, value in flatten_values(own).items():
        if name in counts and below_one(value):
            where = source.where(["values", *name.split(".")])
            raise ProfileError(f"{where}: value {name} = {value!r} is used as a replica count, which must be 1 or more")


def _check_leaf(path: str, leaf: Any, where: str) -> None:
    field = path.rsplit("/", 1)[-1]
    if _REPLICA_FIELD.match(field):
        _check_count(leaf, where)
    parts = path.split("/")
    if field == "memory" and len(parts) >= 2 and parts[-2] in ("requests", "limits") and not _is_reference(leaf):
        amount = quantity.parse(leaf)
        if amount and not isinstance(leaf, bool) and _WITHOUT_UNIT.match(str(leaf)):
            number = str(leaf).lstrip("+")
            raise ProfileError(
                f"{where} = {leaf!r} has no unit, which means {number} bytes; write {number}Gi, {number}G or {number}Mi"
            )


def _check_count(value: Any, where: str) -> None:
    if _is_reference(value):
        return  # the value it names is checked where that value is written (check_file_replica_values)
    if below_one(value):
        raise ProfileError(f"{where} = {value!r}: a replica count must be 1 or more")


def below_one(value: Any) -> bool:
    if isinstance(value, bool):
        return False  # not a number: the rule's build says what is wrong with it
    amount = quantity.parse(value) if isinstance(value, int | float | str) else None
    return amount is not None and amount < 1


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and REFERENCE.match(value) is not None


def replica_count_names_iter(rules: Sequence[Any]) -> Iterator[str]:
    """The names of values that rules reference whole where a replica count goes."""
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        for pointer, value in (rule.get("set") or {}).items():
            for path, leaf in _leaves(str(pointer), value):
                if _REPLICA_FIELD.match(path.rsplit("/", 1)[-1]) and _is_reference(leaf):
                    yield REFERENCE.match(leaf).group(1)  # type: ignore[union-attr]
        autoscale = rule.get("autoscale")
        if isinstance(autoscale, dict):
            for key in _AUTOSCALE_COUNTS:
                if _is_reference(autoscale.get(key)):
                    yield REFERENCE.match(autoscale[key]).group(1)  # type: ignore[union-attr]


def _leaves(pointer: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for key, child in value.items() for leaf in _leaves(f"{pointer}/{key}", child)]
    return [(pointer, value)]
