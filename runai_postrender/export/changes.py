"""What the post-renderer did to a stream, as data the exports are written from: per changed object, its
identity and the RFC 6902 operations that turn the rendered object into the post-renderer's; the objects
it added; and what an export cannot carry. Every export starts here, from `pipeline.run` on the same stream,
so an export never says more than the post-renderer would do."""

from __future__ import annotations

import re
from typing import Any

import yaml

from runai_postrender.documents import identity
from runai_postrender.pipeline import Result, run
from runai_postrender.profiles.model import Profile
from runai_postrender.report import Entry, Report
from runai_postrender.support.errors import InputError
from runai_postrender.support.pointer import join, resolve, split
from runai_postrender.support.record import Frozen, Record

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INDEX = re.compile(r"^\d+$")


class Target(Frozen):
    """An object as kustomize selects it (`patches[].target`, Flux's and helmfile's alike)."""

    __slots__ = ("group", "version", "kind", "name", "namespace")

    def __init__(self, group: str, version: str, kind: str, name: str, namespace: str | None) -> None:
        self.group = group
        self.version = version
        self.kind = kind
        self.name = name
        self.namespace = namespace

    def selector(self) -> dict[str, str]:
        found = {"group": self.group, "version": self.version, "kind": self.kind, "name": self.name}
        if not self.group:
            del found["group"]
        if self.namespace:
            found["namespace"] = self.namespace
        return found

    def describe(self) -> str:
        return f"{self.kind}/{self.name}"


class ObjectPatch(Record):
    """The operations that make one rendered object the post-renderer's, and what led to them."""

    __slots__ = ("target", "chart", "release", "before", "after", "entries", "operations")

    def __init__(
        self,
        target: Target,
        chart: str | None,
        release: str | None,
        before: dict[str, Any],
        after: dict[str, Any],
        entries: list[Entry],
        operations: list[dict[str, Any]] | None = None,
    ) -> None:
        self.target = target
        self.chart = chart
        self.release = release
        self.before = before
        self.after = after
        self.entries = entries
        self.operations = [] if operations is None else operations


class Added(Record):
    """An object the post-renderer added (an HPA, a PodDisruptionBudget), as it writes it."""

    __slots__ = ("description", "text", "obj", "chart", "release")

    def __init__(
        self,
        description: str,
        text: str,
        obj: dict[str, Any],
        chart: str | None,
        release: str | None,
    ) -> None:
        self.description = description
        self.text = text
        self.obj = obj
        self.chart = chart
        self.release = release


class Changes(Record):
    __slots__ = ("profile", "result", "patches", "added", "caveats")

    def __init__(
        self,
        profile: str,
        result: Result,
        patches: list[ObjectPatch],
        added: list[Added],
        caveats: list[str],
    ) -> None:
        self.profile = profile
        self.result = result
        self.patches = patches
        self.added = added
        self.caveats = caveats  # what no static export can carry: said on stderr by every format

    @property
    def report(self) -> Report:
        return self.result.report


def collect(data: bytes, profile: Profile) -> Changes:
    """Run the post-renderer on `data` and turn what it did into patches and added objects."""
    result = run(data, profile)
    entries: dict[str, list[Entry]] = {}
    for entry in result.report.changes:
        entries.setdefault(entry.target, []).append(entry)
    patches: list[ObjectPatch] = []
    added: list[Added] = []
    for label, before, after in result.changed:
        after_text = after.decode("utf-8")
        if label.startswith("new "):
            obj = _load(after_text, label)
            found = identity.origin(obj.get("metadata") or {}, after_text)
            added.append(Added(label[len("new ") :], after_text, obj, found.chart, found.release))
            continue
        before_text = bytes(before).decode("utf-8-sig")
        old, new = _load(before_text, label), _load(after_text, label)
        if str(old.get("kind", "")).endswith("List") and isinstance(old.get("items"), list):
            raise InputError(f"{label}: a List's items cannot be a patch target; render them as documents")
        found = identity.origin(old.get("metadata") or {}, before_text)
        patch = ObjectPatch(_target(old), found.chart, found.release, old, new, entries.get(label, []))
        patch.operations = operations(patch)
        patches.append(patch)
    caveats = [
        "the values are those this rendered stream gave: export again when the chart, its values or the profile "
        "change (the post-renderer decides afresh at every render; a static export cannot)",
        "comments, quoting and key order of the changed documents are not kept (they are by the post-renderer)",
    ]
    if any(_by_position(patch) for patch in patches):
        caveats.append(
            "list items without a name are patched by position ("
            + ", ".join(sorted({f"{p.target.describe()} {path}" for p in patches for path in _by_position(p)}))
            + "): a chart that reorders them needs a new export"
        )
    return Changes(profile.name, result, patches, added, caveats)


def _load(text: str, label: str) -> dict[str, Any]:
    try:
        obj = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise InputError(f"{label}: cannot read it back for the export: {exc}") from exc
    if not isinstance(obj, dict):
        raise InputError(f"{label}: not a mapping")
    return obj


def _target(obj: dict[str, Any]) -> Target:
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    kind, name = str(obj.get("kind")), str(metadata.get("name"))
    return Target(group, version, kind, name, str(namespace) if namespace else None)


def value_at(obj: Any, parts: list[str]) -> Any:
    """The value at `parts` in `obj`, or None where a part is missing."""
    return resolve(obj, join(parts))[1]


def operations(patch: ObjectPatch) -> list[dict[str, Any]]:
    """RFC 6902 operations for the report's entries: a missing parent is added whole (kustomize's JSON patch
    does not create parents), and a list item reached by position is first checked by its name (`test`), so
    that a chart that reorders its containers makes the patch fail instead of sizing the wrong one."""
    ops: list[dict[str, Any]] = []
    for entry in patch.entries:
        parts = split(entry.pointer)
        for depth, part in enumerate(parts):
            item = value_at(patch.before, parts[: depth + 1])
            if _INDEX.match(part) and isinstance(item, dict) and isinstance(item.get("name"), str):
                test = {"op": "test", "path": join([*parts[: depth + 1], "name"]), "value": item["name"]}
                if test not in ops:
                    ops.append(test)
        if entry.new is None:
            op: dict[str, Any] = {"op": "remove", "path": entry.pointer}
        else:
            missing = next(
                (n for n in range(1, len(parts) + 1) if not resolve(patch.before, join(parts[:n]))[0]), len(parts)
            )
            path = parts[:missing]
            op = {"op": "add", "path": join(path), "value": value_at(patch.after, path)}
        if op not in ops:
            ops.append(op)
    return ops


def _by_position(patch: ObjectPatch) -> list[str]:
    found = []
    for op in patch.operations:
        parts = split(op["path"])
        for depth, part in enumerate(parts):
            item = value_at(patch.before, parts[: depth + 1])
            if _INDEX.match(part) and not (isinstance(item, dict) and "name" in item):
                found.append(join(parts[: depth + 1]))
    return list(dict.fromkeys(found))
