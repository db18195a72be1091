"""Guidance editions of a profile: which Run:ai versions each is for, its page, and its values and rules.

Run:ai's sizing guide changed between releases ("Scaling the Run:ai system" up to 2.19, "NVIDIA Run:ai at
Scale" after), so a profile may list `editions`, each with `runaiVersions` (`>=2.20,<2.24`), the guide's
title and page, and the values that guide gives. A value an edition sets is laid over the profile's
`values` at the level of the `extends` chain where it is written: a child's `values` override what its
parent's editions set, and the child's own edition blocks override those. A rule with `runaiVersions`
belongs only to the editions whose versions all lie in its range.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runai_postrender.profiles.model import Edition
from runai_postrender.profiles.overrides import apply_overrides, flatten_values, is_used, references, substitute
from runai_postrender.support.errors import ProfileError
from runai_postrender.support.plain import copied
from runai_postrender.support.versions import VersionRange, parse_range

Merge = Callable[[Any, Any], Any]


def merge(parent: Mapping[str, Any], data: Mapping[str, Any], merge_values: Merge) -> tuple[list[Any], dict[str, Any]]:
    """The editions of a profile file merged over its parent's (by name), and each edition's values as they
    stand after this level of the chain (the parent's, then this file's `values`, then this file's block)."""
    inherited = {edition["name"]: edition for edition in parent.get("editions") or []}
    before = parent.get("effective") or {}
    own = {edition["name"]: edition for edition in data.get("editions") or []}
    merged, effective = [], {}
    for name in dict.fromkeys([*inherited, *own]):
        theirs, mine = inherited.get(name, {}), own.get(name, {})
        edition = {key: value for key, value in theirs.items() if key != "recommendedFrom"}  # as the profile's own
        edition.update({key: copied(value) for key, value in mine.items() if key != "values"})
        edition["values"] = merge_values(theirs.get("values") or {}, mine.get("values") or {})
        start = before.get(name, parent.get("values") or {})
        effective[name] = merge_values(merge_values(start, data.get("values") or {}), mine.get("values") or {})
        merged.append(edition)
    return merged, effective


def build(
    ref: str, data: Mapping[str, Any], enabled: list[dict[str, Any]], overrides: Sequence[tuple[str, str]]
) -> tuple[Edition, ...]:
    """Each edition with its values (overrides applied) and its rules, oldest first."""
    from runai_postrender.profiles import checks  # checks imports build, which imports the model only

    where = f"profile {ref!r}"
    used = references(data["rules"])  # disabled rules too: a child that turns one off leaves its values be
    ranges = {rule["name"]: _rule_range(rule, where) for rule in enabled}
    built = []
    for raw in data["editions"]:
        name = raw["name"]
        at = f"{where}, edition {name!r}"
        if "runaiVersions" not in raw:
            raise ProfileError(f"{at}: `runaiVersions` is required (e.g. '>=2.20')")
        versions = parse_range(raw["runaiVersions"], at)
        for value in flatten_values(raw.get("values") or {}):
            if not is_used(value, used) and value not in flatten_values(data.get("values") or {}):
                raise ProfileError(f"{at}: value {value} is used by no rule")
        values = copied(data["effective"][name])
        flat = flatten_values(values)
        given = [(key, text) for key, text in overrides if key in flat]
        apply_overrides(values, given, ref)
        flat = flatten_values(values)
        for key, text in given:  # an override's problem, named by the override
            checks.check_values({key: flat[key]}, f"override {key}={text}")
        checks.check_values(values, at)
        rules = [
            {key: value for key, value in rule.items() if key != "runaiVersions"}
            for rule in enabled
            if ranges[rule["name"]] is None or versions.within(ranges[rule["name"]])  # type: ignore[arg-type]
        ]
        resolved = [substitute(rule, values, f"{at}, rule {rule['name']!r}") for rule in rules]
        built.append(
            Edition(
                name=name,
                versions=versions,
                guide=str(raw.get("guide", "")),
                source=str(raw.get("source", "")),
                values=values,
                rules=tuple(checks.build_rule(rule, ref) for rule in resolved),
                recommended_from=dict(raw.get("recommendedFrom") or {}),
                own_values=_pick(values, raw.get("values") or {}),
            )
        )
    known = {key for edition in built for key in flatten_values(edition.values)}
    unknown = [key for key, _ in overrides if key not in known]
    if unknown:  # no edition has it: the error (and its hint) of a profile without editions
        apply_overrides(copied(dict(built[-1].values)), [(k, t) for k, t in overrides if k in unknown], ref)
    built.sort(key=lambda edition: edition.versions.low)
    for older, newer in itertools.pairwise(built):
        if newer.versions.low < older.versions.high:
            raise ProfileError(
                f"{where}: editions {older.name!r} ({older.versions.text}) and {newer.name!r} "
                f"({newer.versions.text}) overlap"
            )
    return tuple(built)


def refuse_ranges(ref: str, enabled: list[dict[str, Any]]) -> None:
    """A rule limited to some Run:ai versions needs editions to say what the versions are."""
    for rule in enabled:
        if "runaiVersions" in rule:
            raise ProfileError(
                f"profile {ref!r}, rule {rule['name']!r}: runaiVersions needs `editions` in the profile "
                "(or in the one it extends)"
            )


def written(raw: list[Any], built: Sequence[Edition]) -> list[dict[str, Any]]:
    """The editions as a profile file writes them, each block with the values as resolved."""
    by_name = {edition.name: edition for edition in built}
    blocks = []
    for edition in raw:
        block = {key: value for key, value in edition.items() if key != "values"}
        block["values"] = dict(by_name[edition["name"]].own_values)
        blocks.append(block)
    return blocks


def _rule_range(rule: Mapping[str, Any], where: str) -> VersionRange | None:
    text = rule.get("runaiVersions")
    return None if text is None else parse_range(text, f"{where}, rule {rule['name']!r}")


def _pick(full: Any, shape: Any) -> Any:
    """The parts of `full` that `shape` names."""
    if isinstance(shape, dict) and shape and isinstance(full, dict):
        return {key: _pick(full.get(key), child) for key, child in shape.items()}
    return copied(full)
