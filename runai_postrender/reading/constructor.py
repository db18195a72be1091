"""Plain data from libyaml's node tree, as go-yaml v2 (Helm's reader) builds it, with PyYAML's constructor.

As Helm reads it (see `reader`): scalars by `helmscalars` (`y` a boolean, `0o17` an int, `!!int x`
refused), collections by their kind whatever their tag, merge keys applied in go-yaml's order; a complex
key is a tuple, and duplicate keys,
or keys that YAML tells apart but Python does not (`1` and `true`), are refused. Also here: which nodes a
document shares (anchors and aliases, merge keys, tags), which only the round trip changes.
"""

from __future__ import annotations

from typing import Any

import yaml

from runai_postrender.reading.helmscalars import SCALAR_TAGS, TagError, tagged
from runai_postrender.reading.plaindata import Shape, unshare
from runai_postrender.support import limits

MERGE_TAG = "tag:yaml.org,2002:merge"
TAG_PREFIX = "tag:yaml.org,2002:"


# libyaml when PyYAML was built with it (every wheel on PyPI is); the pure-Python parser otherwise.
STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
)


class Constructor(yaml.constructor.SafeConstructor):
    """Plain data as go-yaml v2 (Helm's reader) builds it: a collection by its kind whatever its tag
    (`!!set {a}` is the mapping {a: null}), a scalar by its tag (`helmscalars.tagged`; an unknown tag gives
    the text), merge keys applied where they stand (`_pairs`), and a complex key (a list or mapping,
    which YAML allows) as a tuple rather than refused. A scalar Helm refuses raises Shape with its line."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        pass  # merge keys are applied in `construct_mapping`, in go-yaml's order, the node tree unchanged

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, f"expected a mapping, found {node.id}", node.start_mark)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in self._pairs(node):
            key = self.construct_object(key_node, deep=True)
            mapping[_hashable(key)] = self.construct_object(value_node, deep=deep)
        return mapping

    def _pairs(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        """The mapping's pairs with its `<<` merges spelled out, as go-yaml v2 applies them: each pair in
        the order written, a later one setting a key again (so a merge overrides the keys written before
        it, and the keys after it override the merge), and in `<<: [*a, *b]` the first mapping winning.
        One pair a key, the last one set, at the place the key was first set."""
        cache: dict[int, list[tuple[yaml.Node, yaml.Node]]] = self.__dict__.setdefault("_merged", {})
        if id(node) in cache:
            return cache[id(node)]
        pairs: dict[Any, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            if key.tag != MERGE_TAG:
                pairs[(key.tag, key.value) if isinstance(key, yaml.ScalarNode) else id(key)] = (key, value)
                continue
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in reversed(sources):
                if not isinstance(source, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"a merge key takes a mapping or a list of mappings, not a {source.id}",
                        source.start_mark,
                    )
                for merged in self._pairs(source):
                    pairs[
                        (merged[0].tag, merged[0].value) if isinstance(merged[0], yaml.ScalarNode) else id(merged[0])
                    ] = merged
        cache[id(node)] = list(pairs.values())
        return cache[id(node)]


def _by_kind(constructor: Constructor, node: yaml.Node) -> Any:
    """Whatever its tag, a mapping is a dict and a list a list (go-yaml v2 reads collections by their
    kind); a scalar is what `helmscalars.tagged` makes of its tag, its text for a tag it does not know."""
    if isinstance(node, yaml.MappingNode):
        mapping: dict[Any, Any] = {}
        yield mapping
        mapping.update(constructor.construct_mapping(node))
    elif isinstance(node, yaml.SequenceNode):
        sequence: list[Any] = []
        yield sequence
        sequence.extend(constructor.construct_sequence(node))
    else:
        assert isinstance(node, yaml.ScalarNode)
        kind = node.tag[len(TAG_PREFIX) :] if node.tag.startswith(TAG_PREFIX) else ""
        if kind not in SCALAR_TAGS:
            yield node.value
            return
        try:
            yield tagged(kind, node.value)
        except TagError as exc:
            raise Shape(str(exc), node.start_mark.line if node.start_mark is not None else None) from exc


for _tag in ("map", "seq", "set", "omap", "pairs", *SCALAR_TAGS):
    Constructor.add_constructor(TAG_PREFIX + _tag, _by_kind)  # type: ignore[type-var]
Constructor.add_multi_constructor("", lambda constructor, _suffix, node: _by_kind(constructor, node))


def _hashable(key: Any) -> Any:
    if isinstance(key, dict):
        return tuple((_hashable(k), _hashable(v)) for k, v in key.items())
    if isinstance(key, list):
        return tuple(_hashable(item) for item in key)
    return key


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
