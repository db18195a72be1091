"""Apply a rule's changes as RFC 6902 operations, in place on round-trip objects, and say what changed.

`set` writes each leaf with an `add` (creating missing parents), and skips leaves already at their
value, so a second run changes nothing. `patch` operations go to python-json-patch as written. Both
keep the style of what they replace: a double-quoted value stays double-quoted.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import jsonpatch
import jsonpointer
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import ScalarString

from runai_postrender import quantity
from runai_postrender.errors import PatchError, yaml_type


@dataclass(frozen=True)
class Change:
    """One field a rule changed: `old` is None where the field was added."""

    pointer: str
    old: Any
    new: Any
    op: str = "set"
    field: str = ""  # the pointer as people read it in the report; empty: the pointer itself


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def expand(obj: Any, pointer: str, where: str) -> list[str]:
    """Expand each `*` segment of a pointer to every index of the list found there."""
    parts = pointer.split("/")[1:]
    results: list[str] = []

    def walk(node: Any, done: list[str], rest: list[str]) -> None:
        if not rest:
            results.append("/".join(["", *done]) if done else "")
            return
        head, tail = rest[0], rest[1:]
        if head == "*":
            if node is None:
                return
            if not isinstance(node, list):
                raise PatchError(f"{where}: {'/'.join(['', *done])} is not a list, so `*` cannot expand")
            for index, item in enumerate(node):
                walk(item, [*done, str(index)], tail)
            return
        child = None
        if isinstance(node, dict):
            child = node.get(_unescape(head))
        elif isinstance(node, list) and head.isdigit() and int(head) < len(node):
            child = node[int(head)]
        walk(child, [*done, head], tail)

    walk(obj, [], parts)
    return results


def restyle(old: Any, new: Any) -> Any:
    """The new value in the quoting style of the scalar it replaces."""
    if isinstance(old, ScalarString) and isinstance(new, str | int | float) and not isinstance(new, bool):
        return type(old)(str(new))
    return new


def _ensure_parents(obj: Any, pointer: str, where: str) -> None:
    parts = [_unescape(p) for p in pointer.split("/")[1:-1]]
    node = obj
    path = ""
    for part in parts:
        path += "/" + _escape(part)
        if isinstance(node, dict):
            child = node.get(part)
            if child is None:
                child = CommentedMap()
                node[part] = child
            elif isinstance(child, CommentedMap) and not child and child.fa.flow_style():
                child.fa.set_block_style()  # `resources: {}` about to get keys: write them as a block
            node = child
        elif isinstance(node, list):
            if not part.isdigit():
                parent = path.rsplit("/", 1)[0] or "/"
                raise PatchError(f"{where}: cannot set {pointer}: {parent} is a list, not a mapping")
            if int(part) >= len(node):
                raise PatchError(f"{where}: {path} does not exist (the list has {len(node)} items)")
            node = node[int(part)]
        else:
            raise PatchError(f"{where}: cannot create {path}: its parent is {yaml_type(node)}, not a mapping")
    if not isinstance(node, dict | list):
        raise PatchError(f"{where}: cannot set {pointer}: its parent is {yaml_type(node)}, not a mapping")
    if isinstance(node, CommentedMap) and not node and node.fa.flow_style():
        node.fa.set_block_style()


def _get(obj: Any, pointer: str) -> tuple[bool, Any]:
    try:
        return True, jsonpointer.resolve_pointer(obj, pointer)
    except jsonpointer.JsonPointerException:
        return False, None


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return bool(old == new)
    return quantity.same(old, new)


def set_value(obj: Any, pointer: str, value: Any, where: str) -> list[Change]:
    """Write `value` at `pointer` (leaf by leaf for a mapping); return the changes actually made."""
    if isinstance(value, dict) and value:
        changes = []
        for key, child in value.items():
            changes.extend(set_value(obj, f"{pointer}/{_escape(str(key))}", child, where))
        return changes
    exists, old = _get(obj, pointer)
    if exists and _same(old, value):
        return []
    _ensure_parents(obj, pointer, where)
    new = restyle(old, copy.deepcopy(value))
    _apply(obj, [{"op": "add", "path": pointer, "value": new}], where)
    return [Change(pointer, old if exists else None, value)]


def apply_operation(obj: Any, operation: dict[str, Any], where: str) -> list[Change]:
    """One raw RFC 6902 operation. A value already in place, or a `remove` of what is already gone, is a no-op."""
    op = dict(operation)
    path = op["path"]
    exists, old = _get(obj, path)
    if op["op"] in ("add", "replace") and exists and _same(old, op["value"]):
        return []
    if op["op"] == "remove" and not exists:
        return []
    if op["op"] in ("add", "replace", "test"):
        op["value"] = restyle(old, copy.deepcopy(op["value"]))
    _apply(obj, [op], where)
    if op["op"] == "test":
        return []
    return [Change(path, old if exists else None, op.get("value"), op["op"])]


def _apply(obj: Any, operations: list[dict[str, Any]], where: str) -> None:
    try:
        jsonpatch.JsonPatch(operations).apply(obj, in_place=True)
    # python-json-patch raises two families: its own for failed operations, jsonpointer's for bad paths.
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise PatchError(f"{where}: {operations[0]['op']} {operations[0]['path']}: {exc}") from exc
    except (TypeError, AttributeError, KeyError, IndexError) as exc:
        raise PatchError(
            f"{where}: {operations[0]['op']} {operations[0]['path']}: the document has the wrong shape there"
        ) from exc
