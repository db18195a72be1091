"""Apply a rule's changes to plain data as RFC 6902 operations, and say what changed.

`set` writes each leaf with an `add` (creating missing parents), and skips leaves already at their
value (`1` and `1000m` are the same CPU), so a second run changes nothing. `patch` operations go to
python-json-patch as written; an `add` or `replace` of the value in place and a `remove` of what is
already gone change nothing. How the text changes is the writer's business, not this module's.

A leaf of a mapping is set, and a key removed, directly: that is all an `add` or `remove` does there, and
python-json-patch is then imported only for what needs it (raw operations, list items), which spares most
runs its start-up cost.
"""

from __future__ import annotations

import copy
from typing import Any

from runai_postrender.support import pointer, quantity
from runai_postrender.support.errors import PatchError, yaml_type
from runai_postrender.support.record import Frozen


class Change(Frozen):
    """One field a rule changed: `old` is None where the field was added, `new` None where removed."""

    __slots__ = ("pointer", "old", "new", "field")

    def __init__(self, pointer: str, old: Any, new: Any, field: str = "") -> None:
        self.pointer = pointer
        self.old = old
        self.new = new
        self.field = field  # the pointer as people read it in the report; empty: the pointer itself


def check_settable(obj: Any, path: str, where: str) -> None:
    """Say which parent is in the way of setting `path` (a list, a scalar), as `set_value` would, changing
    nothing: an absent field is only compared with its default where it could be set."""
    if not path:
        raise PatchError(f'{where}: the pointer "" is the whole object, which a rule cannot replace: name a field')
    _ensure_parents(obj, path, where, create=False)


def _ensure_parents(obj: Any, path: str, where: str, create: bool = True) -> None:
    """Create the missing mappings above `path`, or say which parent is in the way."""
    node = obj
    done: list[str] = []
    for part in pointer.split(path)[:-1]:
        done.append(part)
        if isinstance(node, dict):
            if node.get(part) is None:
                if not create:
                    return  # the rest would be created
                node[part] = {}
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit():
                parent = pointer.join(done[:-1]) or "/"
                raise PatchError(f"{where}: cannot set {path}: {parent} is a list, not a mapping")
            if int(part) >= len(node):
                raise PatchError(f"{where}: {pointer.join(done)} does not exist (the list has {len(node)} items)")
            node = node[int(part)]
        else:
            parent = yaml_type(node)
            raise PatchError(f"{where}: cannot create {pointer.join(done)}: its parent is {parent}, not a mapping")
    if not isinstance(node, dict | list):
        raise PatchError(f"{where}: cannot set {path}: its parent is {yaml_type(node)}, not a mapping")


def same_setting(old: Any, new: Any) -> bool:
    """Whether a field already holds a value: equal data, or equal quantities for scalars."""
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return bool(old == new)
    return quantity.same(old, new)


def set_value(obj: Any, path: str, value: Any, where: str) -> list[Change]:
    """Write `value` at `path` (leaf by leaf for a mapping); return the changes actually made."""
    if isinstance(value, dict) and value:
        changes = []
        for key, child in value.items():
            changes.extend(set_value(obj, f"{path}/{pointer.escape(str(key))}", child, where))
        return changes
    exists, old = pointer.resolve(obj, path)
    if exists and same_setting(old, value):
        return []
    check_settable(obj, path, where)
    _ensure_parents(obj, path, where)
    parts = pointer.split(path)
    found, parent = pointer.resolve(obj, pointer.join(parts[:-1]))
    if parts and found and isinstance(parent, dict):
        parent[parts[-1]] = copy.deepcopy(value)
    else:
        _apply(obj, {"op": "add", "path": path, "value": copy.deepcopy(value)}, where)
    return [Change(path, old if exists else None, value)]


def remove_value(obj: Any, path: str) -> list[Change]:
    """Remove the key at `path` from its mapping; nothing where it is already gone."""
    parts = pointer.split(path)
    found, parent = pointer.resolve(obj, pointer.join(parts[:-1]))
    if not parts or not found or not isinstance(parent, dict) or parts[-1] not in parent:
        return []
    return [Change(path, parent.pop(parts[-1]), None)]


def apply_operation(obj: Any, operation: dict[str, Any], where: str) -> list[Change]:
    """One raw RFC 6902 operation. A value already in place, or a `remove` of what is already gone, is a no-op."""
    op = dict(operation)
    path = op["path"]
    if not path and op["op"] != "test":  # python-json-patch returns a new root; the document keeps its own
        raise PatchError(f'{where}: {op["op"]} at the pointer "" (the whole object) is not supported: name a field')
    exists, old = pointer.resolve(obj, path)
    if op["op"] in ("add", "replace") and exists and same_setting(old, op["value"]):
        return []
    if op["op"] == "remove" and not exists:
        return []
    if "value" in op:
        op["value"] = copy.deepcopy(op["value"])
    _apply(obj, op, where)
    if op["op"] == "test":
        return []
    return [Change(path, old if exists else None, op.get("value"))]


def _apply(obj: Any, operation: dict[str, Any], where: str) -> None:
    import jsonpatch
    import jsonpointer

    try:
        jsonpatch.JsonPatch([operation]).apply(obj, in_place=True)
    # python-json-patch raises two families: its own for failed operations, jsonpointer's for bad paths.
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise PatchError(f"{where}: {operation['op']} {operation['path']}: {exc}") from exc
    except (TypeError, AttributeError, KeyError, IndexError) as exc:
        raise PatchError(
            f"{where}: {operation['op']} {operation['path']}: the document has the wrong shape there"
        ) from exc
