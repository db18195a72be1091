"""Plain data from libyaml's node tree, as PyYAML's safe constructor builds it with the reader's changes.

The changes (see `reader`): a tag it does not know gives the plain value of the node, a complex key is a
tuple, `y`/`on` are booleans and `0o17` an int (as the Helm-style resolver tags them), and duplicate keys,
or keys that YAML tells apart but Python does not (`1` and `true`), are refused. Also here: which nodes a
document shares (anchors and aliases, merge keys, tags), which only the round trip changes.
"""

from __future__ import annotations

from typing import Any

import yaml

from runai_postrender.reading.helmscalars import TRUE, go_int
from runai_postrender.reading.plaindata import Shape, unshare
from runai_postrender.support import limits

MERGE_TAG = "tag:yaml.org,2002:merge"
TAG_PREFIX = "tag:yaml.org,2002:"


# libyaml when PyYAML was built with it (every wheel on PyPI is); the pure-Python parser otherwise.
STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
)


class Constructor(yaml.constructor.SafeConstructor):
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


Constructor.add_constructor(TAG_PREFIX + "bool", _bool)  # type: ignore[type-var]
Constructor.add_constructor(TAG_PREFIX + "int", _int)  # type: ignore[type-var]


def _hashable(key: Any) -> Any:
    if isinstance(key, dict):
        return tuple((_hashable(k), _hashable(v)) for k, v in key.items())
    if isinstance(key, list):
        return tuple(_hashable(item) for item in key)
    return key


def _untagged(constructor: Constructor, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return constructor.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return constructor.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.ScalarNode)
    return constructor.construct_scalar(node)


Constructor.add_multi_constructor("", _untagged)


def construct(node: yaml.Node, shared: bool = True) -> Any:
    """The node's data, with aliases and merged keys copied to every place that uses them (`shared`: the
    document may have any; see `shares`)."""
    _check_keys(node)  # before construction, which merges `<<` keys into the node tree
    data = Constructor().construct_document(node)
    if not shared:
        return data
    limits.check_expansion(data, "", error=Shape)
    return unshare(data)


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
    constructor = Constructor()
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


def _key(constructor: Constructor, key: yaml.ScalarNode) -> Any:
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
