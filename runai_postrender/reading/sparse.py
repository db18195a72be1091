"""The document's text read again against the patched data: nodes only where the two differ.

At write time the text editor needs node positions only where the data changed. `sparse` walks the
text's events (the one walker, `events.Walk`) alongside the patched data, keeping nodes (`_Nodes`): a
subtree that reads as what the data holds there stands as one `Stub` (its span only), and its data as
parsed is the patched data's own object; only where the two differ are there nodes, and the data as
parsed. Aliases stand where they are written (`AliasStub`), so that the editor can write one out when its
anchor's node changes. The same walk stopped at the first difference is the read-back check
(`differs_nowhere`), and with nodes kept under one path it says how a mapping quotes its values
(`styles_at`: the labels an added document copies).
"""

from __future__ import annotations

from typing import Any

import yaml

from runai_postrender.documents.document import Source
from runai_postrender.reading.events import MISSING, Differs, Walk, read
from runai_postrender.reading.plaindata import same

_Scalar, _MapStart = yaml.ScalarEvent, yaml.MappingStartEvent

__all__ = ["MISSING", "AliasStub", "Sparse", "Stub", "differs_nowhere", "sparse", "styles_at"]


class _Mark:
    """A position, as much of a yaml.Mark as the editor reads of a Stub's."""

    __slots__ = ("index", "line")

    def __init__(self, index: int, line: int) -> None:
        self.index, self.line = index, line


class Stub:
    """A subtree that reads as the patched data: only its span, its end at the end of its own text (its
    last descendant's end, for a block collection). The editor never looks inside it. Small (a large
    List has one per item): its marks are made when asked for."""

    __slots__ = ("end", "line", "start")

    def __init__(self, start_mark: Any, end_mark: Any) -> None:
        self.start, self.line, self.end = start_mark.index, start_mark.line, end_mark.index

    @property
    def start_mark(self) -> _Mark:
        return _Mark(self.start, self.line)

    @property
    def end_mark(self) -> _Mark:
        return _Mark(self.end, -1)  # (its line: never read)


class AliasStub(Stub):
    """An alias (`*name`) where it stands in the text: what `anchor` it names, the key it is the value of
    (None for a list item), and what the patched data holds there (MISSING: nothing)."""

    __slots__ = ("anchor", "key", "value")

    def __init__(self, event: Any, key: Any, value: Any) -> None:
        super().__init__(event.start_mark, event.end_mark)
        self.anchor, self.key, self.value = event.anchor, key, value


class Sparse:
    """The document's text read against the patched data: `node` (nodes only where they differ, `Stub`s
    elsewhere), `old` (the data as parsed; where equal, the patched data's own objects), `equal` (the
    text reads as the patched data), and its anchors: `anchored` (the anchor's name by the id of the node
    it marks, where that node differs) and `aliases` (each anchor's aliases, by its name)."""

    def __init__(
        self, node: yaml.Node, old: Any, equal: bool, anchored: dict[int, str], aliases: dict[str, list[AliasStub]]
    ) -> None:
        self.node, self.old, self.equal, self.anchored, self.aliases = node, old, equal, anchored, aliases


def sparse(text: Source, new: Any) -> Sparse:
    """`text` (as `build` reads it) against `new`. Raises Slow, yaml.YAMLError."""
    walk = read(text, Walk(new, _KEEP).run)
    return Sparse(_node(walk.node), walk.data, walk.equal, walk.anchored, walk.aliases)


def differs_nowhere(text: Source, new: Any) -> bool:
    """Whether `text` reads as exactly `new`, where a string equals the number it spells (the writers keep
    a value's quotes): the same walk, stopped at the first difference, with nothing kept but the path it
    is on. Merge keys, tags and complex keys (what the events leave to the node tree) raise Slow, as does
    nesting past MAX_DEPTH. Raises Slow, yaml.YAMLError."""

    def walk(events: Any) -> bool:
        try:
            Walk(new, check=True, loose=_quoted_numbers, same=_quoted_numbers).run(events)
        except Differs:
            return False
        return True

    return read(text, walk, whole=bool)


def _quoted_numbers(a: Any, b: Any) -> bool:
    return same(a, b, quoted_numbers=True)


def styles_at(text: Source, steps: list[str]) -> list[tuple[Any, str | None]]:
    """The keys (as written; "" for a complex key or an alias) of the mapping at `steps` (keys as written,
    list indexes as digits) with the style of each value (`'`, `"`, or None: not a quoted scalar); empty
    if there is no mapping there. The walk reads leniently (merge keys, tags, complex keys are no matter)
    and stops at that mapping's end. Raises yaml.YAMLError, Slow (libyaml's events end too soon)."""
    found: list[tuple[Any, Any]] = read(text, Walk(steps=steps, keep=_KEEP).run, whole=lambda _: False).found or []
    return [(_written(key), _style(value)) for key, value in found]


def _written(node: Any) -> Any:
    return node.value if node.__class__ is _Scalar or isinstance(node, yaml.ScalarNode) else ""


def _style(node: Any) -> str | None:
    quoted = node.__class__ is _Scalar or isinstance(node, yaml.ScalarNode)
    return node.style if quoted and node.style in ("'", '"') else None


def _node(item: Any) -> Any:
    """A scalar's node from its event (made only where a parent differs); any other node as it is."""
    if item.__class__ is not _Scalar:
        return item
    event: Any = item
    return yaml.ScalarNode(event.tag or "", event.value, event.start_mark, event.end_mark, event.style)


class _Nodes:
    """How the walk keeps nodes (the `keep` of events.Walk): an anchored scalar's node (`node`), an alias
    where it stands (`alias`), and at a collection's end its node, or one Stub where it reads as the
    patched data (`close`: whether it is equal, its data, its node, the end of its text)."""

    node = staticmethod(_node)

    @staticmethod
    def alias(event: Any, key: Any, counterpart: Any) -> AliasStub:
        return AliasStub(event, key, counterpart)

    @staticmethod
    def close(frame: list[Any], event: Any) -> tuple[bool, Any, Any, Any]:
        old, _, _, _, _, start, counterpart, children, equal, end = frame[:10]
        mapping = start.__class__ is _MapStart
        if equal and counterpart is not MISSING:
            equal = list(old) == list(counterpart) if mapping else len(old) == len(counterpart)
        else:
            equal = False
        if equal:
            old = counterpart
            node: Any = Stub(start.start_mark, event.end_mark if start.flow_style else end)
        else:
            if mapping:
                children = [(_node(key), _node(value)) for key, value in children]
                node = yaml.MappingNode(start.tag or "", children, start.start_mark, event.end_mark)
            else:
                children = [_node(item) for item in children]
                node = yaml.SequenceNode(start.tag or "", children, start.start_mark, event.end_mark)
            node.flow_style = start.flow_style
        if start.flow_style:
            end = event.end_mark
        return equal, old, node, end


_KEEP = _Nodes()
