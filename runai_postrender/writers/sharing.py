"""Anchors, aliases and merge keys on the round trip: unshare them for a change, put them back after.

Anchors, aliases and merge keys (`<<: *defaults`) share one node between several places, so a change
written through one of them would show up at all of them. After ruamel parses a document, every shared
node is copied to each place it is used ("unshared"), so a change reaches only what it targets; before
the document is written, each copy that still equals its original is replaced by the original again, so
the alias or merge key comes back as written and only what really changed is spelled out.

A merge is unshared as Helm's reader (go-yaml v2) reads it (see reading.ruamel._merged), not as ruamel
does: a merged mapping's key overrides a key written before `<<` in the same mapping (ruamel lets that
key win). Such a key (`shadowed`) holds the merged value while the change is made, so that the change
meets the data Helm read; it gets its own text back where nothing changed it, and where it or a source
changed, the merged keys are spelled out, the overriding values in them, and `<<` goes.

This is the only module that uses ruamel.yaml's private API (`_ok`, `_ref`, `merge_attrib`,
`merge_pos`, `ordereddict`): pyproject.toml pins ruamel.yaml below its next major release for it.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq, Format, merge_attrib
from ruamel.yaml.compat import ordereddict
from ruamel.yaml.tag import Tag

from runai_postrender.support.errors import InputError
from runai_postrender.support.limits import MAX_ALIAS_COPIES
from runai_postrender.support.record import Record


class _AliasUse(Record):
    """A place that used an alias: `parent[key]` held `original`, and now holds `copy`."""

    __slots__ = ("parent", "key", "original", "copy")

    def __init__(self, parent: Any, key: Any, original: Any, copy: Any) -> None:
        self.parent = parent
        self.key = key
        self.original = original
        self.copy = copy


class _MergeUse(Record):
    """A mapping with `<<` merge keys: what it took from its sources when it was parsed."""

    __slots__ = ("mapping", "sources", "snapshots", "merged", "shadowed", "copies")

    def __init__(
        self,
        mapping: CommentedMap,
        sources: list[Any],
        snapshots: list[Any],
        merged: dict[Any, Any],
        shadowed: dict[Any, Any],
        copies: dict[Any, Any] | None = None,
    ) -> None:
        self.mapping = mapping
        self.sources = sources
        self.snapshots = snapshots  # copies of the sources as parsed
        self.merged = merged  # key -> value the mapping took from a source (the shadowed keys' too)
        self.shadowed = shadowed  # key written before `<<` that a source overrides -> its own value as written
        self.copies = {} if copies is None else copies  # merged collections now copied into the mapping


class Sharing(Record):
    """The anchors, aliases and merge keys of a document, unshared for patching."""

    __slots__ = ("aliases", "merges")

    def __init__(self, aliases: list[_AliasUse] | None = None, merges: list[_MergeUse] | None = None) -> None:
        self.aliases = [] if aliases is None else aliases
        self.merges = [] if merges is None else merges


def _items(node: CommentedMap) -> list[tuple[Any, Any]]:
    """Every key of a mapping with its value, merged keys included, without ruamel's merge lookups."""
    return [(key, ordereddict.__getitem__(node, key)) for key in ordereddict.__iter__(node)]


def _set_own(node: CommentedMap, key: Any, value: Any) -> None:
    ordereddict.__setitem__(node, key, value)
    node._ok.add(key)


def keep_anchors(tree: Any) -> None:
    """Have every anchor of the source written again, used or not, so renderings keep their `&name`."""
    seen: set[int] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict | list) or id(node) in seen:
            continue
        seen.add(id(node))
        anchor = getattr(node, "anchor", None)
        if anchor is not None and anchor.value is not None:
            anchor.always_dump = True
        if isinstance(node, CommentedMap):
            stack.extend(value for _, value in _items(node))
        else:
            stack.extend(node.values() if isinstance(node, dict) else node)


class _Copier:
    """Deep copies without anchors, comments or merge keys, within a budget of nodes."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.left = MAX_ALIAS_COPIES
        self.active: set[int] = set()

    def copy(self, node: Any) -> Any:
        if not isinstance(node, dict | list):
            return node  # scalars are immutable: sharing them is harmless
        self.left -= 1
        if self.left < 0:
            raise InputError(
                f"{self.where}: its aliases would need more than {MAX_ALIAS_COPIES:,} copied nodes "
                "(an alias bomb?); refused"
            )
        if id(node) in self.active:
            raise InputError(f"{self.where}: a node contains itself through an alias; refused")
        self.active.add(id(node))
        try:
            if isinstance(node, CommentedMap):
                new: Any = CommentedMap()
                for key, value in _items(node):
                    new[key] = self.copy(value)
            elif isinstance(node, dict):
                new = {key: self.copy(value) for key, value in node.items()}
            elif isinstance(node, CommentedSeq):
                new = CommentedSeq(self.copy(value) for value in node)
            else:
                new = [self.copy(value) for value in node]
        finally:
            self.active.discard(id(node))
        for attrib in (Format.attrib, Tag.attrib):  # flow or block style, and an explicit tag
            if hasattr(node, attrib):
                setattr(new, attrib, getattr(node, attrib))
        return new


def unshare(tree: Any, where: str) -> Sharing:
    """Give every place that uses an alias or a merge key its own copy; remember how to undo it."""
    sharing = Sharing()
    copier = _Copier(where)
    seen: set[int] = set()

    def visit(node: Any) -> None:
        seen.add(id(node))
        if isinstance(node, CommentedMap):
            copies: dict[Any, Any] = {}
            sources = getattr(node, merge_attrib, None)
            if sources:
                shadowed = _shadow(node, list(sources))
                merged = {key: value for key, value in _items(node) if key not in node._ok}
                snapshots = [copier.copy(source) for source in sources]
                use = _MergeUse(node, list(sources), snapshots, merged, shadowed, copies)
                for source in sources:
                    # ruamel's own bookkeeping of merges fails on deletes; _reshare does the job instead
                    source._ref.clear()
                for key, value in merged.items():
                    if isinstance(value, dict | list):
                        copies[key] = copier.copy(value)
                        _set_own(node, key, copies[key])
                sharing.merges.append(use)
            for key, value in _items(node):
                if key in node._ok and key not in copies:  # merged scalars and fresh copies share nothing
                    step(node, key, value)
        elif isinstance(node, dict):
            for key, value in list(node.items()):
                step(node, key, value)
        elif isinstance(node, list):
            for key, value in enumerate(node):
                step(node, key, value)

    def step(parent: Any, key: Any, value: Any) -> None:
        if not isinstance(value, dict | list):
            return
        if id(value) in seen:
            copy = copier.copy(value)
            if isinstance(parent, CommentedMap):
                ordereddict.__setitem__(parent, key, copy)
            else:
                parent[key] = copy
            sharing.aliases.append(_AliasUse(parent, key, value, copy))
        else:
            visit(value)

    if isinstance(tree, dict | list):
        visit(tree)
    return sharing


def _shadow(node: CommentedMap, sources: list[Any]) -> dict[Any, Any]:
    """Give each key written before `<<` that a source also has the value of the first such source, as
    Helm reads it; the keys' own values, by key."""
    position = getattr(getattr(node, merge_attrib), "merge_pos", 0) or 0
    shadowed: dict[Any, Any] = {}
    for key in [key for key in ordereddict.__iter__(node) if key in node._ok][:position]:
        source = next((source for source in sources if ordereddict.__contains__(source, key)), None)
        if source is not None:
            shadowed[key] = ordereddict.__getitem__(node, key)
            ordereddict.__setitem__(node, key, ordereddict.__getitem__(source, key))
            node._ok.discard(key)
    return shadowed


def reshare(sharing: Sharing) -> None:
    """Put aliases and merge keys back wherever the copies still equal what they were copied from."""
    for use in reversed(sharing.aliases):
        parent = use.parent
        if isinstance(parent, list):
            key = next((index for index, value in enumerate(parent) if value is use.copy), None)
            if key is not None and use.copy == use.original:
                parent[key] = use.original
        elif isinstance(parent, CommentedMap):
            current = ordereddict.get(parent, use.key)
            if current is use.copy and use.copy == use.original:
                ordereddict.__setitem__(parent, use.key, use.original)
        elif parent.get(use.key) is use.copy and use.copy == use.original:
            parent[use.key] = use.original
    for merge in sharing.merges:
        mapping = merge.mapping
        pairs = zip(merge.sources, merge.snapshots, strict=True)
        unchanged = all(source == snapshot for source, snapshot in pairs)
        present = all(ordereddict.__contains__(mapping, key) for key in merge.merged)
        if unchanged and present and all(_same(mapping, key, merge.merged[key]) for key in merge.shadowed):
            # The merge key still means what it did: copies that nothing changed become merged values again,
            # and a shadowed key gets its own text back (Helm reads the merged value there, as before).
            for key, copy in merge.copies.items():
                if ordereddict.__getitem__(mapping, key) is copy and copy == merge.merged[key]:
                    ordereddict.__setitem__(mapping, key, merge.merged[key])
                    mapping._ok.discard(key)
            for key, own in merge.shadowed.items():
                ordereddict.__setitem__(mapping, key, own)
                mapping._ok.add(key)
            continue
        # A source changed, or a merged key was removed: spell the merged keys out where `<<` was, drop it.
        position = getattr(getattr(mapping, merge_attrib), "merge_pos", 0)
        keys = list(ordereddict.__iter__(mapping))
        taken = [key for key in keys if key in merge.merged and key not in merge.shadowed]
        own = [key for key in keys if key not in merge.merged or key in merge.shadowed]
        mapping._ok |= set(keys)
        delattr(mapping, merge_attrib)
        for key in [*own[:position], *taken, *own[position:]]:
            mapping.move_to_end(key)


def _same(mapping: CommentedMap, key: Any, merged: Any) -> bool:
    """Whether the mapping still holds the merged value at `key` (a shadowed key that no change reached)."""
    if not ordereddict.__contains__(mapping, key):
        return False
    value = ordereddict.__getitem__(mapping, key)
    return bool(value is merged or value == merged)
