"""Read one YAML document into libyaml's node tree and plain data: the one representation rules patch.

libyaml (through PyYAML's C parser) parses a targeted document and says where every node stands in the
text, which is what the text editor needs. The data is what PyYAML's safe constructor builds, with three
changes: a plain scalar means what it means to Helm and Kubernetes (`helmscalars`), so the data is what
Helm will read and every writer's check compares with that; a tag it does not know gives the plain value
of the node (a custom tag is kept in the text by the writer, not in the data); and aliases and merge keys
are expanded into copies, so that a rule changes only the place it targets. Plain documents (no merge
keys, tags or complex keys: nearly all) are built by a one-pass builder; the rest by the constructor.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from runai_postrender.documents.document import Source
from runai_postrender.reading import events
from runai_postrender.reading.constructor import (
    MERGE_TAG,
    STANDARD_TAGS,
    TAG_PREFIX,
    construct,
    shared_nodes,
    shares,
)
from runai_postrender.reading.helmscalars import SCALAR_TAGS, TagError, helm_type, tagged
from runai_postrender.reading.plaindata import Shape, copy_apart, same, unshare
from runai_postrender.support import limits

__all__ = [
    "Shape",
    "YAMLError",
    "compose",
    "construct",
    "load",
    "load_data",
    "paused_gc",
    "read",
    "same",
    "shared_nodes",
    "shares",
    "unshare",
]

YAMLError = yaml.YAMLError


class _LOADER(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, resolving plain scalars as Helm does."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return TAG_PREFIX + helm_type(value)
        return yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)  # type: ignore[no-untyped-call]


def compose(text: str) -> yaml.Node | None:
    """libyaml's node tree of one document (None for an empty one). Raises yaml.YAMLError."""
    loader = _LOADER(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


def read(text: str) -> Any:
    """The data of a document's text, as `construct` builds it (None for an empty document)."""
    _, data, shared = load(text)
    if shared is None and data is not None:
        limits.check_expansion(data, "", error=Shape)  # as `construct` does for a document that may share
    return data


def load_data(source: Source, text: Callable[[], str]) -> tuple[Any, bool, bool]:
    """The data of a document (as `load` builds it), whether it `shares` anything, and whether libyaml's
    events alone read it (`events`: no node tree kept, the writer reads the text again against the
    patched data) or the node tree and the constructor had to. `source`: the text or its UTF-8; `text`
    gives the text. Raises what `load` raises."""
    try:
        built = events.build(source)
    except events.Slow:
        _, data, special = load(text())
        return data, special is not None, False
    if built.aliased:
        if built.expanded > limits.MAX_EXPANDED_NODES:
            raise Shape(limits.too_expanded("", limits.MAX_EXPANDED_NODES))
        copy_apart(built.placements)
    return built.data, built.aliased, True


def load(text: str) -> tuple[yaml.Node | None, Any, frozenset[int] | None]:
    """libyaml's node tree of a document, its data (as `construct` builds it: aliases copied), and the
    nodes that only the round trip may change (see `shared_nodes`; None if the document `shares` nothing).
    Raises yaml.YAMLError, Shape or RecursionError."""
    node = compose(text)
    if node is None:
        return None, None, None
    builder = _Builder(aliases="&" in text)  # no `&`, no anchor: no node can be met twice
    try:
        data = builder.build(node)
    except Exception:  # whatever the builder leaves alone, the constructor reads, or refuses in its words
        shared = shares(node)
        special = shared_nodes(node) if shared else None  # before `construct`, which merges `<<` keys in place
        return node, construct(node, shared=shared), special
    if builder.aliased:
        limits.check_expansion(data, "", error=Shape)
        data = unshare(data)
        return node, data, frozenset(builder.again)
    return node, data, None


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a large tree is built or compared: the trees hold no cycles, and
    each collection would walk every node built so far (most of the time of a large document)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_STR, _FLOAT = TAG_PREFIX + "str", TAG_PREFIX + "float"
_MAP, _SEQ = TAG_PREFIX + "map", TAG_PREFIX + "seq"


class _Builder:
    """Plain data from a node tree in one pass, exactly as the constructor builds it, for documents without
    merge keys, unknown tags, complex keys or duplicate keys (it raises on those: the constructor reads them).
    With `aliases`, a node met again is the same object again (and `aliased` says so), as the constructor
    has it before `unshare`."""

    def __init__(self, aliases: bool) -> None:
        self.built: dict[int, Any] | None = {} if aliases else None
        self.active: set[int] = set()
        self.aliased = False
        self.again: set[int] = set()  # the nodes met more than once

    def build(self, node: yaml.Node) -> Any:
        if self.built is not None:
            if id(node) in self.built:
                self.aliased = True
                self.again.add(id(node))
                return self.built[id(node)]
            if id(node) in self.active:
                raise _Slow("a node that contains itself")
            self.active.add(id(node))
        cls, tag = node.__class__, node.tag
        data: Any
        if cls is yaml.ScalarNode:
            if tag == _STR:
                data = node.value
            elif tag in STANDARD_TAGS and tag[len(TAG_PREFIX) :] in SCALAR_TAGS:
                try:
                    data = tagged(tag[len(TAG_PREFIX) :], node.value)
                except TagError as exc:  # the constructor refuses it, naming the line
                    raise _Slow(str(exc)) from exc
            else:
                raise _Slow(tag)
        elif cls is yaml.MappingNode and tag == _MAP:
            data = {}
            for key, value in node.value:
                if key.__class__ is not yaml.ScalarNode or key.tag in (MERGE_TAG, _FLOAT):
                    raise _Slow("a merge key, a complex key, or a float key (`.nan` is no duplicate in Python)")
                data[self.build(key)] = self.build(value)
            if len(data) < len(node.value):
                raise _Slow("duplicate keys")
        elif cls is yaml.SequenceNode and tag == _SEQ:
            data = [self.build(item) for item in node.value]
        else:
            raise _Slow(tag)
        if self.built is not None:
            self.active.discard(id(node))
            self.built[id(node)] = data
        return data


class _Slow(Exception):
    """What the builder leaves to the constructor."""
