"""Guidance editions of a profile: which Run:ai versions each is for, its page, and its values and rules.

Run:ai's sizing guide changed between releases ("Scaling the Run:ai system" up to 2.19, "NVIDIA Run:ai at
Scale" after), so a profile may list `editions`, each with `runaiVersions` (`>=2.20,<2.24`), the guide's
title and page, and the values that guide gives. A value an edition sets is laid over the profile's
`values` at the level of the `extends` chain where it is written: a child's `values` override what its
parent's editions set, and the child's own edition blocks override those. A rule with `runaiVersions`
belongs only to the editions whose versions all lie in its range.

Each value also says where its number comes from. A value an edition's block sets comes from that
edition's page (`source`) unless the block's `sources` names another for it; a value of the profile's own
`values` has the source the file's top-level `sources` gives it, and none where the file gives none (a
team's own number). `sources` maps a value's dotted name, or a group of them (`thanos.query`), to the
source: a page, or `runai-size: <why>` for runai-size's own choices. Resolved along the `extends` chain as
the values are, each edition ends with the source of every value it has.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runai_postrender.profiles.model import Edition
from runai_postrender.profiles.overrides import (
    apply_overrides,
    did_you_mean,
    flatten_values,
    is_used,
    references,
    substitute,
)
from runai_postrender.support.errors import ProfileError
from runai_postrender.support.plain import copied
from runai_postrender.support.versions import VersionRange, parse_range

Merge = Callable[[Any, Any], Any]
Sources = dict[str, str]  # a value's dotted name -> where its number comes from


def merge(
    parent: Mapping[str, Any], data: Mapping[str, Any], merge_values: Merge, where: str
) -> tuple[list[Any], dict[str, Any], Sources]:
    """The editions of a profile file merged over its parent's (by name), and each edition's values as they
    stand after this level of the chain (the parent's, then this file's `values`, then this file's block).
    Each merged edition's `sources` is the source of every value it has, resolved the same way; the third
    item is the sources of the profile's own `values` after this level (names that the merged values no
    longer have may stay behind: only the names a profile has are looked up)."""
    inherited = {edition["name"]: edition for edition in parent.get("editions") or []}
    before = parent.get("effective") or {}
    own = {edition["name"]: edition for edition in data.get("editions") or []}
    _check_sources(data, f"{where}: sources")
    merged, effective = [], {}
    level = _given(data.get("values") or {}, data.get("sources"), None)  # this file's `values`
    top = _layer(parent.get("sources") or {}, level)
    for name in dict.fromkeys([*inherited, *own]):
        theirs, mine = inherited.get(name, {}), own.get(name, {})
        _check_sources(mine, f"{where}: edition {name!r}, sources")
        edition = {key: value for key, value in theirs.items() if key != "recommendedFrom"}  # as the profile's own
        edition.update({key: copied(value) for key, value in mine.items() if key != "values"})
        edition["values"] = merge_values(theirs.get("values") or {}, mine.get("values") or {})
        start = before.get(name, parent.get("values") or {})
        effective[name] = merge_values(merge_values(start, data.get("values") or {}), mine.get("values") or {})
        # This level's `values` over the edition's sources so far, then its block (names a group replaced
        # by a leaf, or the reverse, may stay behind: `build` keeps only the names the values have).
        known = _layer(theirs["sources"], level) if theirs else top
        block = _given(mine.get("values") or {}, mine.get("sources"), edition.get("source"))
        edition["sources"] = _layer(known, block)
        merged.append(edition)
    return merged, effective, top


def written_sources(sources: Mapping[str, str], names: Sequence[str], overrides: Sequence[tuple[str, str]]) -> Sources:
    """`sources` as a profile file writes them: for these value names, groups that share one source written
    once (`thanos.query`), a value an override changed said to be the override's."""
    given = dict(sources)
    for key, text in overrides:
        if key in given or key in names:
            given[key] = f"override {key}={text}"
    return _compact(given, list(names))


def _given(values: Mapping[str, Any], given: Any, default: str | None) -> dict[str, str | None]:
    """The source of each value one level of the chain sets: the level's `sources` entry for the value or
    its group, else `default` (None: not known)."""
    if not given:
        return dict.fromkeys(flatten_values(values), default)
    return {key: _lookup(given, key) or default for key in flatten_values(values)}


def _layer(before: Mapping[str, str], level: Mapping[str, str | None]) -> Sources:
    """`before` with a level's sources laid over it (a value of unknown source loses the one it had)."""
    known = dict(before)
    for key, text in level.items():
        if text is None:
            known.pop(key, None)
        else:
            known[key] = text
    return known


def _lookup(given: Any, key: str) -> str | None:
    """The entry of `given` for the value `key`, or for the nearest group that holds it."""
    while isinstance(given, Mapping) and given:
        if key in given:
            return str(given[key])
        key, dot, _ = key.rpartition(".")
        if not dot:
            break
    return None


def _check_sources(block: Mapping[str, Any], where: str) -> None:
    """Every `sources` entry names a value, or a group of values, that the same block sets."""
    given = block.get("sources")
    if not given:
        return
    names = flatten_values(block.get("values") or {})
    for key in given:
        if key not in names and not any(name.startswith(f"{key}.") for name in names):
            raise ProfileError(f"{where}: {key!r} names no value set here{did_you_mean(key, names)}")


def _compact(sources: Mapping[str, str], names: list[str], prefix: str = "", above: str | None = None) -> Sources:
    """The entries that give `names` (all under `prefix`) their `sources`, where `above` is what a group
    entry above them already gives: a group shared by most (over half) of its values is written once, with the
    values that differ from it beside it (the nearest entry wins), a value of unknown source under no
    group entry."""
    if all(sources.get(name) == above for name in names):
        return {}
    groups: dict[str, list[str]] = {}
    for name in names:
        head = (name[len(prefix) + 1 :] if prefix else name).split(".")[0]
        groups.setdefault(f"{prefix}.{head}" if prefix else head, []).append(name)
    known = [sources.get(name) for name in names]
    compact: Sources = {}
    single = len(groups) == 1 and next(iter(groups.values())) != [next(iter(groups))]
    if prefix and not single and None not in known:
        common, count = max(((text, known.count(text)) for text in dict.fromkeys(known)), key=lambda pair: pair[1])
        if count > 1 and count * 2 > len(known) and common != above:
            compact[prefix], above = str(common), common
    for group, members in groups.items():
        if members == [group]:
            if (text := sources.get(group)) is not None and text != above:
                compact[group] = text
        else:
            compact.update(_compact(sources, members, group, above))
    return compact


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
        known = raw.get("sources") or {}
        sources = {key: known[key] for key in flat if key in known}
        for key, text in given:  # an override's problem, named by the override
            checks.check_values({key: flat[key]}, f"override {key}={text}")
            sources[key] = f"override {key}={text}"
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
                sources=sources,
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
        block = {key: value for key, value in edition.items() if key not in ("values", "sources")}
        done = by_name[edition["name"]]
        block["values"] = dict(done.own_values)
        other = _compact(done.sources, list(flatten_values(done.own_values)), above=done.source)
        if other:  # the values whose source is not the edition's page
            block["sources"] = other
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
