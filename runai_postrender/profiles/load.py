"""Find and resolve a profile: the built-ins, the `extends` chain, `load_profile`, `resolved_text`.

Checking is split in two, and the split is the point. Each *file* is checked on its own as it is read:
plain data within limits (`files`), then its shape against the JSON Schema, with the line of the
key (`checks.check_schema`). Once the `extends` chain is merged and `--set` and `${...}` applied,
`checks` checks the *result* (values that nothing uses, quantities, rules, the fields of the kinds
they target), which no single file's shape can tell. Built-in profiles are trusted (the tests check them
against the schema) and read with libyaml: loading one imports neither ruamel.yaml nor jsonschema.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import yaml

from runai_postrender.profiles import editions
from runai_postrender.profiles.files import PATH_ENV, ProfileText, parse_file, read_file
from runai_postrender.profiles.model import Autoscale, Availability, Match, Profile, Rule
from runai_postrender.profiles.overrides import (
    apply_overrides,
    did_you_mean,
    flatten_values,
    parse_overrides,
    substitute,
)
from runai_postrender.profiles.shipped import builtin_names, builtin_text, schema_text
from runai_postrender.support.errors import ProfileError
from runai_postrender.support.plain import copied

if TYPE_CHECKING:  # pathlib is imported only for profile files (about 2 ms of every run otherwise)
    from pathlib import Path

__all__ = [
    "PATH_ENV", "PROFILE_ENV", "SET_ENV", "Autoscale", "Availability", "Match", "Profile", "Rule", "builtin_names",
    "flatten_values", "is_file_reference", "load_profile", "parse_overrides", "resolved_text", "schema_text",
]  # fmt: skip

PROFILE_ENV = "RUNAI_SIZE_PROFILE"
SET_ENV = "RUNAI_SIZE_SET"
_OWN_KEYS = ("description", "clusterSize", "recommendedFrom")  # what a profile does not inherit
# A profile and the files it extends, at most: a real chain is two or three files (a file, a team's
# profile, a built-in); a longer one is refused with a short message rather than followed to the end.
MAX_EXTENDS_DEPTH = 32


def is_file_reference(ref: str) -> bool:
    """A reference names a file when it looks like a path; otherwise it names a built-in profile."""
    return "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml", ".json")) or ref.startswith(".")


def _read(
    ref: str, extending: ProfileText | None, reach: Callable[[], list[Path]], read: list[str] | None
) -> tuple[dict[str, Any], ProfileText]:
    if is_file_reference(ref):
        return parse_file(read_file(ref, extending, reach, read))
    text = builtin_text(f"{ref}.yaml")
    if text is None:
        raise ProfileError(
            f"unknown profile {ref!r}{did_you_mean(ref, builtin_names())}: the built-in profiles are "
            f"{', '.join(builtin_names())}; {PROFILE_ENV} (or --profile) takes one of them or the path of a "
            "profile file"
        )
    # A built-in is our own file, checked against the schema by the tests: libyaml reads it in a fraction of
    # ruamel's time (a test checks that both read the same data).
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}, ProfileText(
        f"built-in profile {ref!r}", ref, text
    )


# ---------------------------------------------------------------- extends and merging


def _merge_values(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge_values(base.get(key), value) if key in base else copied(value)
        return merged
    return copied(override)


def _merge_rules(base: list[dict[str, Any]], override: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A rule of the child replaces the keys it names of the parent's rule of the same name."""
    merged = {rule["name"]: dict(rule) for rule in base}
    for rule in override:
        merged.setdefault(rule["name"], {}).update(copied(rule))
    return list(merged.values())


class _ExtendsCycle(ProfileError):
    """A profile that extends itself, directly or through others; the message names the chain."""


class _TooDeep(ProfileError):
    """An `extends` chain longer than MAX_EXTENDS_DEPTH; the message names where it was cut."""


class _InChain(ProfileError):
    """An error in a file that a profile extends, with the `extends` links that led to it."""

    def __init__(self, links: list[str], error: ProfileError) -> None:
        self.links, self.error = links, error
        # One line that fits on a screen however long the chain: a long one shows its first and last links.
        shown = links if len(links) <= 3 else [f"{links[0]} (through {len(links) - 2} more files)", links[-1]]
        super().__init__(": ".join([*shown, str(error)]))


def _load_chain(
    ref: str,
    extending: ProfileText | None,
    seen: tuple[tuple[str, str], ...],
    reach: Callable[[], list[Path]],
    read: list[str] | None = None,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    # profile_checks builds Rules from the model above, so it imports this module: it is imported here, at
    # call time, and the two can be imported in either order.
    from runai_postrender.profiles import checks, rulechecks

    files = sum(1 for key, _ in seen if not key.startswith("builtin:"))
    if extending is not None and is_file_reference(ref) and files >= MAX_EXTENDS_DEPTH:
        raise _TooDeep(
            f"{seen[0][1]}: its extends chain is longer than {MAX_EXTENDS_DEPTH} files, the limit "
            f"({extending.label} extends {ref!r}); a profile extends a few files: make the chain shorter"
        )
    data, source = _read(ref, extending, reach, read)
    key = str(source.path.resolve()) if source.path else f"builtin:{source.name}"
    label = str(source.path) if source.path else source.name
    if key in [k for k, _ in seen]:
        raise _ExtendsCycle(f"profile extends itself: {' -> '.join([*(shown for _, shown in seen), label])}")
    if source.path is not None:
        checks.check_schema(source, data)
        checks.check_file_values(source, data.get("values") or {})
        rulechecks.check_file_rules(source, data)
    rules = data.get("rules") or []
    names = [rule.get("name") for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ProfileError(f"{source.label}: rule names must be unique; repeated: {', '.join(duplicates)}")
    parent_ref = data.get("extends")
    parent: dict[str, Any] = {}
    chain: tuple[str, ...] = (label,)
    if parent_ref is not None:
        link = f"{source.label} extends {parent_ref!r}"
        try:
            parent, parent_chain = _load_chain(parent_ref, source, (*seen, (key, label)), reach, read)
        except (_ExtendsCycle, _TooDeep):
            raise  # already names the chain
        except _InChain as exc:
            raise _InChain([link, *exc.links], exc.error) from exc.error
        except ProfileError as exc:
            raise _InChain([link], exc) from exc
        chain += parent_chain
    merged = {key: value for key, value in parent.items() if key not in _OWN_KEYS}
    merged.update({k: v for k, v in data.items() if k not in ("values", "rules", "extends", "editions", "sources")})
    merged["values"] = _merge_values(parent.get("values") or {}, data.get("values") or {})
    merged["rules"] = _merge_rules(parent.get("rules") or [], rules)
    merged["editions"], merged["effective"], merged["sources"] = editions.merge(
        parent, data, _merge_values, source.label
    )
    inherited = parent.get("values") or {}
    for values in (parent.get("effective") or {}).values():  # what the parent's editions set counts as its own
        inherited = _merge_values(inherited, values)
    checks.check_new_values(source, data.get("values") or {}, inherited, merged["rules"], chain[1:])
    if source.path is not None:
        rulechecks.check_file_replica_values(source, data.get("values") or {}, merged["rules"])
    return merged, chain


def _reach(allowed: Sequence[str | Path] | None) -> Callable[[], list[Path]]:
    def folders() -> list[Path]:
        # Read only when a profile extends a file: a run that needs no folder list reads no variable.
        from pathlib import Path

        given = os.environ.get(PATH_ENV, "").split(os.pathsep) if allowed is None else allowed
        return [Path(folder).expanduser().resolve() for folder in given if str(folder).strip()]

    return folders


def load_profile(
    ref: str,
    overrides: Sequence[tuple[str, str]] = (),
    *,
    extends_path: Sequence[str | Path] | None = None,
    read: list[str] | None = None,
) -> Profile:
    """Resolve a profile by built-in name or file path, apply `--set` overrides, build and check its rules.

    `extends` reaches built-in profiles, files at or below the extending profile's folder, and files under
    `extends_path` (by default the folders of $RUNAI_SIZE_PROFILE_PATH). The path of every file it opens
    is added to `read`, also when loading fails.
    """
    data, chain = _load_chain(ref, None, (), _reach(extends_path), read)
    values = data.get("values") or {}
    from runai_postrender.profiles import checks  # see _load_chain

    enabled = [{k: v for k, v in raw.items() if k != "disabled"} for raw in data["rules"] if not raw.get("disabled")]
    built = editions.build(ref, data, enabled, overrides) if data["editions"] else ()
    if built:
        apply_overrides(values, [(name, text) for name, text in overrides if name in flatten_values(values)], ref)
        values = dict(built[-1].values)
        _check_overrides(values, overrides, data["rules"])
        rules = built[-1].rules
    else:
        editions.refuse_ranges(ref, enabled)
        apply_overrides(values, overrides, ref)
        _check_overrides(values, overrides, data["rules"])
        checks.check_values(values, f"profile {ref!r}")
        resolved = [substitute(raw, values, f"profile {ref!r}, rule {raw['name']!r}") for raw in enabled]
        rules = tuple(checks.build_rule(raw, ref) for raw in resolved)
    head: dict[str, Any] = {key: data[key] for key in _OWN_KEYS if key in data}
    written = {**head, "values": data.get("values") or {}}
    if sources := editions.written_sources(data["sources"], list(flatten_values(written["values"])), overrides):
        written["sources"] = sources
    if built:
        written["editions"] = editions.written(data["editions"], built)
    return Profile(
        name=ref,
        chain=chain,
        description=data.get("description", ""),
        cluster_size=data.get("clusterSize", ""),
        recommended_from=dict(data.get("recommendedFrom") or {}),
        values=values,
        rules=rules,
        written={**written, "rules": data["rules"]},
        overrides=tuple(overrides),
        editions=built,
    )


def _check_overrides(values: dict[str, Any], overrides: Sequence[tuple[str, str]], rules: list[Any]) -> None:
    """An override's problem, named by the override (`override thanos.receive.memory=8: ...`)."""
    from runai_postrender.profiles import checks, rulechecks  # see _load_chain

    flat = flatten_values(values)
    counts = rulechecks.replica_count_names(rules)
    for name, text in overrides:
        if name in flat:
            checks.check_values({name: flat[name]}, f"override {name}={text}")
            if name in counts and rulechecks.below_one(flat[name]):
                raise ProfileError(
                    f"override {name}={text}: {name} is used as a replica count, which must be 1 or more"
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
    # One comment line, whatever an override holds.
    overrides = " ".join(", ".join(f"{name}={text}" for name, text in profile.overrides).split()) or "none"
    header = (
        f"# Profile {profile.name!r}, resolved by runai-size (chain: {' -> '.join(profile.chain)}; "
        f"overrides: {overrides}).\n"
        "# A profile file as it stands: load it with --profile FILE, or copy what you change under `extends:`.\n"
    )
    return header + buffer.getvalue()
