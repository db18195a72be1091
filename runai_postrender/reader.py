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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from runai_postrender import limits
from runai_postrender.helmscalars import TRUE, go_int, helm_type
from runai_postrender.plaindata import Shape, same, unshare

__all__ = ["Shape", "YAMLError", "compose", "construct", "load", "paused_gc", "read", "same", "shares", "unshare"]

YAMLError = yaml.YAMLError

MERGE_TAG = "tag:yaml.org,2002:merge"
_TAG = "tag:yaml.org,2002:"


# libyaml when PyYAML was built with it (every wheel on PyPI is); the pure-Python parser otherwise.
class _LOADER(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, resolving plain scalars as Helm does."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _TAG + helm_type(value)
        return yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)  # type: ignore[no-untyped-call]


STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
)


class _Constructor(yaml.constructor.SafeConstructor):
    """The safe constructor, taking a node with an unknown tag for the plain value of its kind, and a
    complex key (a list or mapping, which YAML allows) as a tuple rather than refusing it."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            mapping[_hashable(key)] = self.construct_object(value_node, deep=deep)
        return mapping


def _bool(constructor: yaml.constructor.SafeConstructor, node: yaml.Node) -> bool:
    assert isinstance(node, yaml.ScalarNode)
    return constructor.construct_scalar(node) in TRUE  # `y`, `on` ...: PyYAML's own table lacks `y`


def _int(constructor: yaml.constructor.SafeConstructor, node: yaml.Node) -> int:
    assert isinstance(node, yaml.ScalarNode)
    return go_int(constructor.construct_scalar(node))  # `0o17`, `0X1F`: PyYAML's own reading fails on them


_Constructor.add_constructor(_TAG + "bool", _bool)  # type: ignore[type-var]
_Constructor.add_constructor(_TAG + "int", _int)  # type: ignore[type-var]


def _hashable(key: Any) -> Any:
    if isinstance(key, dict):
        return tuple((_hashable(k), _hashable(v)) for k, v in key.items())
    if isinstance(key, list):
        return tuple(_hashable(item) for item in key)
    return key


def _untagged(constructor: _Constructor, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return constructor.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return constructor.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.ScalarNode)
    return constructor.construct_scalar(node)


_Constructor.add_multi_constructor("", _untagged)


def compose(text: str) -> yaml.Node | None:
    """libyaml's node tree of one document (None for an empty one). Raises yaml.YAMLError."""
    loader = _LOADER(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


def construct(node: yaml.Node, shared: bool = True) -> Any:
    """The node's data, with aliases and merged keys copied to every place that uses them (`shared`: the
    document may have any; see `shares`)."""
    _check_keys(node)  # before construction, which merges `<<` keys into the node tree
    data = _Constructor().construct_document(node)
    if not shared:
        return data
    limits.check_expansion(data, "", error=Shape)
    return unshare(data)


def read(text: str) -> Any:
    """The data of a document's text, as `construct` builds it (None for an empty document)."""
    _, data, shared = load(text)
    if shared is None and data is not None:
        limits.check_expansion(data, "", error=Shape)  # as `construct` does for a document that may share
    return data


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


def shared_nodes(node: yaml.Node) -> frozenset[int]:
    """The ids of the nodes that a text edit must not change: nodes used more than once (an anchor's, seen
    through its aliases), mappings with merge keys or complex keys, and nodes with a tag it cannot keep."""
    seen: set[int] = set()
    special: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            special.add(id(current))
            continue
        seen.add(id(current))
        if current.tag not in STANDARD_TAGS:
            special.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if key.tag == MERGE_TAG or not isinstance(key, yaml.ScalarNode):
                    special.add(id(current))
                stack += (key, value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return frozenset(special)


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


_STR, _INT, _BOOL, _NULL, _FLOAT = (_TAG + name for name in ("str", "int", "bool", "null", "float"))
_MAP, _SEQ = _TAG + "map", _TAG + "seq"


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
        self.constructor = _Constructor()

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
            elif tag == _NULL:
                data = None
            elif tag == _BOOL:
                data = node.value in TRUE
            elif tag == _INT and getattr(node, "style", None) is None:
                data = go_int(node.value)
            elif tag in STANDARD_TAGS:
                data = self.constructor.construct_object(node)
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


def shares(node: yaml.Node) -> bool:
    """Whether the document uses anchors, aliases, merge keys or tags the editor cannot keep exact."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen or current.tag not in STANDARD_TAGS:
            return True
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if key.tag == MERGE_TAG or not isinstance(key, yaml.ScalarNode):
                    return True
                stack += (key, value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return False


def _check_keys(node: yaml.Node) -> None:
    """Refuse duplicate keys, and keys that YAML tells apart but Python does not (`1` and `true`)."""
    constructor = _Constructor()
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            own = [key for key, _ in current.value if key.tag != MERGE_TAG]
            spelled = {(key.tag, key.value) for key in own if isinstance(key, yaml.ScalarNode)}
            scalars = [key for key in own if isinstance(key, yaml.ScalarNode)]
            if len(spelled) < len(scalars) or len({_key(constructor, key) for key in scalars}) < len(scalars):
                _refuse_keys(own)
            for key, value in current.value:
                stack += (key, value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _key(constructor: _Constructor, key: yaml.ScalarNode) -> Any:
    """The key as a Python dict would hold it: `1`, `1.0` and `true` are one key there."""
    return constructor.construct_object(key)


def _refuse_keys(keys: list[yaml.Node]) -> None:
    spelled: set[tuple[str, str]] = set()
    for key in keys:
        if isinstance(key, yaml.ScalarNode):
            if (key.tag, key.value) in spelled:
                raise Shape(f'found duplicate key "{key.value}"', key.start_mark.line)
            spelled.add((key.tag, key.value))
    raise Shape(
        "a mapping has keys that YAML tells apart but that read as one value (such as 1 and true); refused",
        keys[0].start_mark.line,
    )
