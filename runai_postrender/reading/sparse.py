"""The document's text read again against the patched data: nodes only where the two differ.

At write time the text editor needs node positions only where the data changed. `sparse` reads the
text's events (`events`) alongside the patched data: a subtree that reads as what the data holds there
stands as one `Stub` (its span only), and its data as parsed is the patched data's own object; only
where the two differ are there nodes, and the data as parsed. Aliases stand where they are written
(`AliasStub`), so that the editor can write one out when its anchor's node changes.
"""

from __future__ import annotations

from typing import Any

import yaml

from runai_postrender.documents.document import Source
from runai_postrender.reading.constructor import Constructor
from runai_postrender.reading.events import (
    END,
    MAX_DEPTH,
    MISSING,
    Events,
    Slow,
    check_tag,
    equal_scalars,
    read,
    scalar,
)
from runai_postrender.reading.plaindata import same

_Scalar, _Alias = yaml.ScalarEvent, yaml.AliasEvent
_MapStart, _SeqStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
_MapEnd, _SeqEnd = yaml.MappingEndEvent, yaml.SequenceEndEvent
_equal_scalars = equal_scalars
_MISSING = MISSING

__all__ = ["MISSING", "AliasStub", "Sparse", "Stub", "differs_nowhere", "sparse"]


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
    return read(text, lambda events: _Sparse(events, new).read())


def differs_nowhere(text: Source, new: Any) -> bool:
    """Whether `text` reads as exactly `new`, where a string equals the number it spells (the writers keep
    a value's quotes): the same walk, stopped at the first difference, with nothing kept but the path it
    is on. Merge keys, tags and complex keys (what the events leave to the node tree) raise Slow, as does
    nesting past MAX_DEPTH. Raises Slow, yaml.YAMLError."""

    def walk(events: Events) -> bool:
        try:
            _Sparse(events, new, check=True).read()
        except _Differs:
            return False
        return True

    return read(text, walk, whole=bool)


class _Differs(Exception):
    """(The read-back check) the text reads otherwise than the data here."""


def _quoted_numbers(a: Any, b: Any) -> bool:
    return same(a, b, quoted_numbers=True)


def _quoted_number_scalars(a: Any, b: Any) -> bool:
    return a is b or (a.__class__ is b.__class__ and a == b) or same(a, b, quoted_numbers=True)


def _node(item: Any) -> Any:
    """A scalar's node from its event (made only where a parent differs); any other node as it is."""
    if item.__class__ is not _Scalar:
        return item
    event: Any = item
    return yaml.ScalarNode(event.tag or "", event.value, event.start_mark, event.end_mark, event.style)


class _Sparse:
    """The walk. With `check` (the read-back check), any difference below the root raises _Differs where
    it is found, a scalar equals the number it spells, and mapping keys are compared in order as they come
    (a key must be a scalar, a collection must carry its own tag, nesting stays within MAX_DEPTH: else
    Slow)."""

    def __init__(self, events: Events, new: Any, check: bool = False) -> None:
        self.events, self.new, self.check = events, new, check
        self.equal_scalars = _quoted_number_scalars if check else equal_scalars
        self.same = _quoted_numbers if check else same
        self.constructor: list[Constructor] = []
        self.anchors: dict[str, Any] = {}  # the data as parsed of each anchored node
        self.anchored: dict[int, str] = {}
        self.aliases: dict[str, list[AliasStub]] = {}

    def read(self) -> Sparse:
        # A frame: [node class, start event, counterpart, old container, children (key node, value node)
        # or nodes, all equal so far, key waiting (node, value) or None, end of the last child's text,
        # (check) the counterpart's keys in order]
        stack: list[list[Any]] = []
        check, equal_scalars, same = self.check, self.equal_scalars, self.same
        event = self.events.next()
        while True:
            cls = event.__class__
            counterpart = self._counterpart(stack[-1]) if stack else self.new
            # (check) Nothing there in the data is a difference, but for a mapping's key (compared with
            # the key the data has there); a key must be a scalar.
            if check and counterpart is MISSING and cls is not _MapEnd and cls is not _SeqEnd:
                if not stack or not stack[-1][0] or stack[-1][6] is not None:
                    raise _Differs
                if cls is not _Scalar:
                    raise Slow("a complex key")
            if cls is _Scalar:
                old = scalar(event, self.constructor)
                equal = counterpart is not MISSING and equal_scalars(old, counterpart)
                if check and not equal:
                    if counterpart is not MISSING:
                        raise _Differs
                    keys, index = stack[-1][8], len(stack[-1][3])  # (keys so far: all in order)
                    if index >= len(keys) or not _equal_scalars(old, keys[index]):
                        raise _Differs
                if equal:
                    old = counterpart
                anchor = event.anchor
                node: Any = event if anchor is None else _node(event)  # a node when its parent needs one
                end = event.end_mark
            elif cls is _MapStart or cls is _SeqStart:
                mapping = cls is _MapStart
                keys = None
                if check:
                    check_tag(event, mapping)
                    if not isinstance(counterpart, dict if mapping else list):
                        raise _Differs
                    if len(stack) >= MAX_DEPTH:
                        raise Slow("deep nesting")
                    keys = list(counterpart) if mapping else None
                frame = [mapping, event, counterpart, {} if mapping else [], [], True, None, event.end_mark, keys]
                stack.append(frame)
                event = self.events.next()
                continue
            elif cls is _Alias:
                if check and event.anchor not in self.anchors:
                    raise _Differs  # (an alias to no anchor, or to a node that contains it)
                old = self.anchors[event.anchor]
                equal = counterpart is not MISSING and same(old, counterpart)
                if check and not equal:
                    raise _Differs
                key = stack[-1][6][0] if stack and stack[-1][0] else None
                node = AliasStub(event, key, counterpart)
                self.aliases.setdefault(event.anchor, []).append(node)
                if equal:
                    old = counterpart
                end = event.end_mark
                anchor = None
            elif cls in END:
                mapping, start, counterpart, old, children, equal, _, end, _ = stack.pop()
                if check:  # (every child equal, every key in order: all but their number)
                    if len(old) != len(counterpart):
                        raise _Differs
                    equal, old, node = True, counterpart, None
                else:
                    equal, old, node, end = self._close(start, event, counterpart, old, children, equal, end)
                anchor = start.anchor
            else:
                raise Slow(cls.__name__)
            if anchor is not None:
                self.anchors[anchor] = old
                if not equal:
                    self.anchored[id(node)] = anchor
            if not stack:
                return Sparse(_node(node), old, equal, self.anchored, self.aliases)
            frame = stack[-1]
            if check:  # (no nodes: the walk stops where one would be needed)
                if not frame[0]:
                    frame[3].append(old)
                elif frame[6] is None:
                    frame[6] = (None, old)
                else:
                    frame[3][frame[6][1]] = old
                    frame[6] = None
                event = self.events.next()
                continue
            frame[7] = end
            if not frame[0]:
                frame[3].append(old)
                frame[4].append(node)
                frame[5] = frame[5] and equal
            elif frame[6] is None:
                frame[6] = (node, old)
            else:
                key_node, key = frame[6]
                frame[3][key] = old
                frame[4].append((key_node, node))
                frame[5] = frame[5] and equal
                frame[6] = None
            event = self.events.next()

    @staticmethod
    def _close(start: Any, event: Any, counterpart: Any, old: Any, children: list[Any], equal: bool, end: Any) -> Any:
        """(Not check) A collection read to its `event`: whether it is equal, its data, its node, its end."""
        mapping = start.__class__ is _MapStart
        if equal and counterpart is not MISSING:
            if mapping:
                equal = isinstance(counterpart, dict) and list(old) == list(counterpart)
            else:
                equal = isinstance(counterpart, list) and len(old) == len(counterpart)
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

    @staticmethod
    def _counterpart(frame: list[Any]) -> Any:
        """What the patched data holds where the next node of `frame` stands."""
        mapping, _, counterpart, old, _, _, key, _, _ = frame
        if counterpart is MISSING:
            return MISSING
        if mapping:
            if key is None:
                return MISSING  # a key: compared as part of the mapping's key order
            return counterpart.get(key[1], MISSING) if isinstance(counterpart, dict) else MISSING
        index = len(old)
        return counterpart[index] if isinstance(counterpart, list) and index < len(counterpart) else MISSING
