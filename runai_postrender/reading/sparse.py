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
from runai_postrender.reading.events import END, MISSING, Events, Slow, equal_scalars, read, scalar
from runai_postrender.reading.plaindata import same

_Scalar, _Alias = yaml.ScalarEvent, yaml.AliasEvent
_MapStart, _SeqStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
_MISSING = MISSING

__all__ = ["MISSING", "AliasStub", "Sparse", "Stub", "sparse"]


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


def _node(item: Any) -> Any:
    """A scalar's node from its event (made only where a parent differs); any other node as it is."""
    if item.__class__ is not _Scalar:
        return item
    event: Any = item
    return yaml.ScalarNode(event.tag or "", event.value, event.start_mark, event.end_mark, event.style)


class _Sparse:
    def __init__(self, events: Events, new: Any) -> None:
        self.events, self.new = events, new
        self.constructor: list[Constructor] = []
        self.anchors: dict[str, Any] = {}  # the data as parsed of each anchored node
        self.anchored: dict[int, str] = {}
        self.aliases: dict[str, list[AliasStub]] = {}

    def read(self) -> Sparse:
        # A frame: [node class, start event, counterpart, old container, children (key node, value node)
        # or nodes, all equal so far, key waiting (node, value) or None, end of the last child's text]
        stack: list[list[Any]] = []
        event = self.events.next()
        while True:
            cls = event.__class__
            counterpart = self._counterpart(stack[-1]) if stack else self.new
            if cls is _Scalar:
                old = scalar(event, self.constructor)
                equal = counterpart is not MISSING and equal_scalars(old, counterpart)
                if equal:
                    old = counterpart
                anchor = event.anchor
                node: Any = event if anchor is None else _node(event)  # a node when its parent needs one
                end = event.end_mark
            elif cls is _MapStart or cls is _SeqStart:
                mapping = cls is _MapStart
                stack.append([mapping, event, counterpart, {} if mapping else [], [], True, None, event.end_mark])
                event = self.events.next()
                continue
            elif cls is _Alias:
                old = self.anchors[event.anchor]
                equal = counterpart is not MISSING and same(old, counterpart)
                key = stack[-1][6][0] if stack and stack[-1][0] else None
                node = AliasStub(event, key, counterpart)
                self.aliases.setdefault(event.anchor, []).append(node)
                if equal:
                    old = counterpart
                end = event.end_mark
                anchor = None
            elif cls in END:
                mapping, start, counterpart, old, children, equal, _, end = stack.pop()
                if equal and counterpart is not MISSING:
                    if mapping:
                        equal = isinstance(counterpart, dict) and list(old) == list(counterpart)
                    else:
                        equal = isinstance(counterpart, list) and len(old) == len(counterpart)
                else:
                    equal = False
                if equal:
                    old = counterpart
                    node = Stub(start.start_mark, event.end_mark if start.flow_style else end)
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
    def _counterpart(frame: list[Any]) -> Any:
        """What the patched data holds where the next node of `frame` stands."""
        mapping, _, counterpart, old, _, _, key, _ = frame
        if counterpart is MISSING:
            return MISSING
        if mapping:
            if key is None:
                return MISSING  # a key: compared as part of the mapping's key order
            return counterpart.get(key[1], MISSING) if isinstance(counterpart, dict) else MISSING
        index = len(old)
        return counterpart[index] if isinstance(counterpart, list) and index < len(counterpart) else MISSING
