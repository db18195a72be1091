"""A targeted document: parsed fast (libyaml) where it can be, written back by text edits or the round trip.

The fast path parses with libyaml, lets the rules change plain data, and writes the document by
editing its text where the data changed (`edit`). Documents the editor cannot keep exact (anchors,
aliases, merge keys, tags, block scalars being replaced) and documents libyaml refuses go the
round-trip path (`document`): ruamel.yaml, whose errors name the line, and a three-way merge.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap

from runai_postrender import document, edit
from runai_postrender.document import Document
from runai_postrender.errors import InputError, describe

_BOM = b"\xef\xbb\xbf"


def load(data: bytes | bytearray, start: int, end: int, index: int, kind: str | None, name: str | None) -> Document:
    """Parse bytes `start:end` (one document) for patching."""
    original = bytes(data[start:end])
    raw = original[len(_BOM) :] if original.startswith(_BOM) else original
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{describe(index, kind, name)}: not valid UTF-8 text (byte {start + exc.start})") from exc
    try:
        node = edit.compose(text)
        tree = edit.construct(node) if node is not None else None
    except (edit.Unsupported, yaml.YAMLError, RecursionError, ValueError, TypeError):
        # The round trip parses what the editor cannot keep exact, and words libyaml's errors better.
        return document.parse(data, start, end, index, kind, name)
    newline = "\r\n" if "\r\n" in text else "\n"
    lf_text = text.replace("\r\n", "\n")
    parsed = Document(
        index=index,
        text=lf_text,
        original=original,
        tree=tree,
        style=document.detect_style(lf_text, newline),
        base="",
        kind=kind,
        name=name,
    )
    parsed.node = node
    parsed.old = copy.deepcopy(tree)
    return parsed


def render(target: Document) -> bytes:
    """The document's bytes after its changes: text edits where possible, else the round trip."""
    if not target.changed:
        return target.original
    if target.node is not None:
        bom = _BOM if target.original.startswith(_BOM) else b""
        text = target.original[len(bom) :].decode("utf-8")
        try:
            return bom + edit.rewrite(text, target.node, target.old, target.tree, target.style).encode("utf-8")
        except edit.Unsupported:
            return _round_trip(target)
    return document.render(target)


def _round_trip(target: Document) -> bytes:
    """Replay the document's changes on its round-trip tree and write it by the three-way merge."""
    rt = document.parse(target.original, 0, len(target.original), target.index, target.kind, target.name)
    for path, value in changes(target.old, target.tree):
        _put(rt.tree, path, value)
    rt.changed = True
    return document.render(rt)


_REMOVED = object()


def changes(old: Any, new: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Where `new` differs from `old`: (path, value) pairs; value is _REMOVED for a removed key."""
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[tuple[tuple[Any, ...], Any]] = []
        for key in old:
            if key not in new:
                found.append(((*path, key), _REMOVED))
            else:
                found.extend(changes(old[key], new[key], (*path, key)))
        found.extend(((*path, key), value) for key, value in new.items() if key not in old)
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [change for i, (a, b) in enumerate(zip(old, new, strict=True)) for change in changes(a, b, (*path, i))]
    if type(old) is type(new) and old == new:
        return []
    return [(path, new)]


def _put(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    from runai_postrender.patch import restyle

    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if value is _REMOVED:
        del parent[last]
    elif isinstance(parent, dict) and last not in parent:
        if isinstance(parent, CommentedMap) and not parent and parent.fa.flow_style():
            parent.fa.set_block_style()  # `resources: {}` about to get keys: write them as a block
        parent[last] = copy.deepcopy(value)
    else:
        parent[last] = restyle(parent[last], copy.deepcopy(value))
