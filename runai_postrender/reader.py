"""Read one YAML document into libyaml's node tree and plain data: the one representation rules patch.

libyaml (through PyYAML's C parser) parses a targeted document in a fraction of a millisecond and says
where every node stands in the text, which is what the text editor needs. The data is built by PyYAML's
safe constructor with three changes: a plain scalar means what it means to Helm and Kubernetes
(sigs.k8s.io/yaml, whose YAML 1.1 differs from PyYAML's: `y` and `n` are booleans, `1e3` and `0o17`
numbers, `12:30` and `2020-01-01` strings), so the data is what Helm will read and every writer's check
compares with that; a tag it does not know gives the plain value of the node (a custom tag is kept in
the text by the writer, not in the data); and aliases and merge keys are expanded into copies, so that
a rule changes only the place it targets.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from runai_postrender import limits

YAMLError = yaml.YAMLError

MERGE_TAG = "tag:yaml.org,2002:merge"
_TAG = "tag:yaml.org,2002:"

# How Helm's reader (go-yaml v2 under sigs.k8s.io/yaml) resolves a plain scalar: a table of words, then
# numbers as Go parses them (underscores dropped; ints in any base Go's ParseInt knows, a leading 0
# meaning octal; floats of the shape below), everything else a string. Timestamps stay strings.
_TRUE = frozenset(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"])
_FALSE = frozenset(["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"])
_INFINITIES = [f"{sign}.{word}" for sign in ("", "+", "-") for word in ("inf", "Inf", "INF")]
_WORDS = {
    **dict.fromkeys(_TRUE | _FALSE, "bool"),
    **dict.fromkeys(["", "~", "null", "Null", "NULL"], "null"),
    **dict.fromkeys([*_INFINITIES, ".nan", ".NaN", ".NAN"], "float"),
    "<<": "merge",
}
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_GO_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_NUMBER_START = frozenset("+-0123456789")


def _go_int(text: str) -> int:
    plain = text.replace("_", "")
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
        return sign * int(digits, 8)
    return sign * int(digits, 0)


def helm_type(text: str) -> str:
    """What Helm's reader takes the plain scalar `text` for: bool, null, int, float, merge or str."""
    word = _WORDS.get(text)
    if word is not None:
        return word
    if not text:
        return "str"
    if text[0] == ".":
        return "float" if _GO_DOT_FLOAT.fullmatch(text) else "str"
    if text[0] not in _NUMBER_START:
        return "str"
    plain = text.replace("_", "")
    if _GO_INT.fullmatch(plain) and -(1 << 63) <= _go_int(plain) < (1 << 64):
        return "int"
    return "float" if _GO_FLOAT.fullmatch(plain) else "str"


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


class Shape(Exception):
    """The document cannot be read as plain data (duplicate keys, an alias bomb); the message says why,
    `line` (0-based, in the document's text) where."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


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
    return constructor.construct_scalar(node) in _TRUE  # `y`, `on` ...: PyYAML's own table lacks `y`


def _int(constructor: yaml.constructor.SafeConstructor, node: yaml.Node) -> int:
    assert isinstance(node, yaml.ScalarNode)
    return _go_int(constructor.construct_scalar(node))  # `0o17`, `0X1F`: PyYAML's own reading fails on them


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
    node = compose(text)
    return None if node is None else construct(node)


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


def unshare(data: Any) -> Any:
    """A copy in which no container appears twice: each use of an alias gets its own copy.

    copy.deepcopy would keep the sharing (that is what its memo is for), and a patch written through one
    alias would show up at every other. The copy is iterative, so deep nesting costs no recursion.
    """
    if not isinstance(data, dict | list):
        return data
    budget = limits.MAX_ALIAS_COPIES + _count(data)
    root: Any = {} if isinstance(data, dict) else []
    stack = [(data, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            if isinstance(value, dict | list):
                budget -= 1
                if budget < 0:
                    raise Shape(
                        f"its aliases would need more than {limits.MAX_ALIAS_COPIES:,} copied nodes (an alias bomb?)"
                    )
                copy: Any = {} if isinstance(value, dict) else []
                stack.append((value, copy))
                value = copy
            if isinstance(target, dict):
                target[key] = value
            else:
                target.append(value)
    return root


def _count(data: Any) -> int:
    """Containers in `data`, each shared one counted once."""
    seen: set[int] = set()
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict | list) and id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.values() if isinstance(node, dict) else node)
    return len(seen)


def same(a: Any, b: Any, ordered: bool = True, quoted_numbers: bool = False) -> bool:
    """Equal data of equal types all the way down (`1 == True` and `1 == 1.0` in Python, not here), with
    mapping keys in the same order unless `ordered` is false. With `quoted_numbers`, a string equals the
    number it spells: the writers keep a value's quotes, so a number replacing `cpu: "500m"` reads back
    as the string "1"."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, dict) and isinstance(y, dict):
            if (list(x) != list(y)) if ordered else (x.keys() != y.keys()):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif (type(x) is not type(y) or x != y) and not (quoted_numbers and (_spells(x, y) or _spells(y, x))):
            return False
    return True


def _spells(text: Any, number: Any) -> bool:
    return (
        isinstance(text, str)
        and isinstance(number, int | float)
        and not isinstance(number, bool)
        and (text == str(number))
    )
