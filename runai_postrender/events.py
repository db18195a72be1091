"""Read a targeted document from libyaml's events, one at a time, without PyYAML's node tree.

The node tree costs some 25 times the text in memory (a node and two marks per scalar), which made a
large targeted document cost 50 times its size (issue 11, L2). The events come one at a time instead:

- `build` makes the plain data at load time, strings read more than once kept once;
- `sparse` reads the text again at write time, against the patched data: where a subtree reads as what
  the data holds there, it stands as one `Stub` with its span; only where the two differ are there
  nodes for the text editor, and the data as parsed (equal parts are the patched data's own objects);
- `matches` checks an edited text against the data, and keeps nothing but the path it is on.

Documents that need more than plain mappings, lists, scalars, anchors and aliases (merge keys, complex
or duplicate keys, tags other than the standard scalar ones, nesting past `MAX_DEPTH`, whatever libyaml
refuses) raise `Slow`: `reader` reads those through the node tree and the constructor, as before.
Scalars mean what they mean to Helm (`helmscalars`), as in `reader`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from runai_postrender.constructor import STANDARD_TAGS, TAG_PREFIX, Constructor
from runai_postrender.helmscalars import TRUE, go_int, helm_type
from runai_postrender.plaindata import same

_STR, _INT, _BOOL, _NULL, _FLOAT = (TAG_PREFIX + name for name in ("str", "int", "bool", "null", "float"))
_MAP, _SEQ = TAG_PREFIX + "map", TAG_PREFIX + "seq"
_PLAIN_TAGS = (None, "!")
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Deeper documents go the node tree's way, which has always refused or read them (issue 11, E-rows).
MAX_DEPTH = 250

_Scalar, _Alias = yaml.ScalarEvent, yaml.AliasEvent
_MapStart, _SeqStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
_End = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
MISSING: Any = object()  # no counterpart in the patched data
_MISSING = MISSING


class Slow(Exception):
    """What the event reader leaves to the node tree and the constructor."""


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
    (None for a list item), and what the patched data holds there (_MISSING: nothing)."""

    __slots__ = ("anchor", "key", "value")

    def __init__(self, event: Any, key: Any, value: Any) -> None:
        super().__init__(event.start_mark, event.end_mark)
        self.anchor, self.key, self.value = event.anchor, key, value


Source = str | bytes | memoryview  # a document's text, or its UTF-8 (libyaml's positions count characters)


class _Chunks:
    """A view of a document's bytes read as a file, a chunk at a time: handed a str, the parser would
    first make a UTF-8 copy of the whole text (issue 11, L2: memory)."""

    def __init__(self, view: memoryview) -> None:
        self.view, self.at = view, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.view) if size < 0 else self.at + size
        chunk = bytes(self.view[self.at : end])
        self.at += len(chunk)
        return chunk


class _Events:
    """libyaml's events of one document, between its document start and end."""

    def __init__(self, text: Source) -> None:
        self.parser = _PARSER(_Chunks(text) if isinstance(text, memoryview) else text)
        self.next: Callable[[], Any] = self.parser.get_event  # (the parser's own: a hot loop calls it)
        try:
            for expected in (yaml.StreamStartEvent, yaml.DocumentStartEvent):
                if not isinstance(self.parser.get_event(), expected):
                    raise Slow("no document")
        except BaseException:
            self.parser.dispose()
            raise

    def end(self) -> None:
        """The document must end here, alone in its text (else the node tree's reader says why)."""
        try:
            if not isinstance(self.parser.get_event(), yaml.DocumentEndEvent):
                raise Slow("more than one node")
            if not isinstance(self.parser.get_event(), yaml.StreamEndEvent):
                raise Slow("more than one document")
        finally:
            self.parser.dispose()


def _scalar(event: Any, constructor: list[Constructor]) -> Any:
    """The value of a scalar event, as the reader's constructor builds it; Slow for what it does not."""
    tag, value = event.tag, event.value
    if tag in _PLAIN_TAGS:
        if not event.implicit[0]:
            return value
        kind = helm_type(value)
        if kind == "str":
            return value
        tag = TAG_PREFIX + kind
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value in TRUE
    if tag == _INT:
        return go_int(value)
    if tag not in STANDARD_TAGS:
        raise Slow(f"the tag {tag}")
    if not constructor:
        constructor.append(Constructor())
    return constructor[0].construct_object(yaml.ScalarNode(tag, value, style=event.style or None))


def _collection(event: Any, tag: str) -> None:
    if event.tag not in _PLAIN_TAGS and event.tag != tag:
        raise Slow(f"the tag {event.tag}")


class Built:
    """What `build` read: the `data`, and for a document with aliases (each aliased value is the same
    object in every place: the caller copies them apart) the places aliases put a mapping or a list
    (`placements`: the container and the key or index in it), and how many nodes the data would have
    with every alias expanded (`expanded`, as limits.check_expansion counts them: values, not keys)."""

    def __init__(self, data: Any, placements: list[tuple[Any, Any]], expanded: int, aliased: bool) -> None:
        self.data, self.placements, self.expanded, self.aliased = data, placements, expanded, aliased


def build(text: Source) -> Built:
    """The document's plain data (None if empty). Raises Slow, yaml.YAMLError."""
    events = _Events(text)
    try:
        built = _build(events)
    except BaseException:
        events.parser.dispose()
        raise
    events.end()
    return built


def _build(events: _Events) -> Built:
    strings: dict[str, str] = {}  # a 5 MB List repeats its keys and most values thousands of times
    constructor: list[Constructor] = []
    anchors: dict[str, tuple[Any, int]] = {}  # the value and its expanded size
    open_anchors: set[str] = set()
    placements: list[tuple[Any, Any]] = []
    aliased = False
    # A frame: [container, key waiting for its value (or _MISSING), keys read, anchor, expanded size]
    stack: list[list[Any]] = []
    event = events.next()
    if isinstance(event, yaml.DocumentEndEvent | yaml.StreamEndEvent):
        raise Slow("an empty document")
    while True:
        cls = event.__class__
        size = 1
        if cls is _Scalar:
            value = _scalar(event, constructor)
            if value.__class__ is str:
                value = strings.setdefault(value, value)
            if event.anchor is not None:
                if event.anchor in anchors:
                    raise Slow("an anchor defined twice")
                anchors[event.anchor] = (value, 1)
        elif cls is _MapStart or cls is _SeqStart:
            mapping = cls is _MapStart
            _collection(event, _MAP if mapping else _SEQ)
            if len(stack) >= MAX_DEPTH:
                raise Slow("deep nesting")
            if stack and stack[-1][0].__class__ is dict and stack[-1][1] is _MISSING:
                raise Slow("a complex key")
            anchor = event.anchor
            if anchor is not None:
                if anchor in anchors or anchor in open_anchors:
                    raise Slow("an anchor defined twice")
                open_anchors.add(anchor)
            stack.append([{} if mapping else [], _MISSING, 0, anchor, 1])
            event = events.next()
            continue
        elif cls is _Alias:
            if event.anchor not in anchors:
                raise Slow("an alias to no anchor, or to a node that contains it")
            if stack and stack[-1][0].__class__ is dict and stack[-1][1] is _MISSING:
                raise Slow("an alias as a key")
            value, size = anchors[event.anchor]
            aliased = True
        elif cls in _End:
            container, _, keys, anchor, size = stack.pop()
            if keys > len(container):
                raise Slow("duplicate keys")
            if anchor is not None:
                open_anchors.discard(anchor)
                anchors[anchor] = (container, size)
            value = container
        else:
            raise Slow(cls.__name__)
        if not stack:
            return Built(value, placements, size, aliased)
        frame = stack[-1]
        container = frame[0]
        if container.__class__ is list:
            if cls is _Alias and value.__class__ in (dict, list):
                placements.append((container, len(container)))
            container.append(value)
            frame[4] += size
        elif frame[1] is _MISSING:
            if cls is not _Scalar or value.__class__ is float:  # (a merge key raised in _scalar already)
                raise Slow("a complex key, or a float key (`.nan` is no duplicate in Python)")
            frame[1] = value
            frame[2] += 1
        else:
            if cls is _Alias and value.__class__ in (dict, list):
                placements.append((container, frame[1]))
            container[frame[1]] = value
            frame[1] = _MISSING
            frame[4] += size
        event = events.next()


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
    events = _Events(text)
    try:
        result = _Sparse(events, new).read()
    except BaseException:
        events.parser.dispose()
        raise
    events.end()
    return result


def _node(item: Any) -> Any:
    """A scalar's node from its event (made only where a parent differs); any other node as it is."""
    if item.__class__ is not _Scalar:
        return item
    event: Any = item
    return yaml.ScalarNode(event.tag or "", event.value, event.start_mark, event.end_mark, event.style)


def _equal_scalars(a: Any, b: Any) -> bool:
    return a is b or (a.__class__ is b.__class__ and a == b)


class _Sparse:
    def __init__(self, events: _Events, new: Any) -> None:
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
                old = _scalar(event, self.constructor)
                equal = counterpart is not _MISSING and _equal_scalars(old, counterpart)
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
                equal = counterpart is not _MISSING and same(old, counterpart)
                key = stack[-1][6][0] if stack and stack[-1][0] else None
                node = AliasStub(event, key, counterpart)
                self.aliases.setdefault(event.anchor, []).append(node)
                if equal:
                    old = counterpart
                end = event.end_mark
                anchor = None
            elif cls in _End:
                mapping, start, counterpart, old, children, equal, _, end = stack.pop()
                if equal and counterpart is not _MISSING:
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
        if counterpart is _MISSING:
            return _MISSING
        if mapping:
            if key is None:
                return _MISSING  # a key: compared as part of the mapping's key order
            return counterpart.get(key[1], _MISSING) if isinstance(counterpart, dict) else _MISSING
        index = len(old)
        return counterpart[index] if isinstance(counterpart, list) and index < len(counterpart) else _MISSING


def matches(text: Source, new: Any) -> bool:
    """Whether `text` reads as exactly `new` (a string equals the number it spells: the writers keep a
    value's quotes). Raises Slow, yaml.YAMLError."""
    events = _Events(text)
    try:
        result = _matches(events, new)
    except BaseException:
        events.parser.dispose()
        raise
    if result:
        events.end()
    else:
        events.parser.dispose()
    return result


def _matches(events: _Events, new: Any) -> bool:
    constructor: list[Constructor] = []
    anchors: dict[str, Any] = {}
    # A frame: [counterpart, its keys in order (a mapping) or None, keys or items read, a key read and its
    # value still to come, anchor]
    stack: list[list[Any]] = []
    event = events.next()
    while True:
        cls = event.__class__
        if cls in _End:
            counterpart, _, index, _, anchor = stack.pop()
            if index != len(counterpart):
                return False
            if anchor is not None:
                anchors[anchor] = counterpart
            if not stack:
                return True
            event = events.next()
            continue
        expected = new
        if stack:
            frame = stack[-1]
            counterpart, keys, index, waiting, _ = frame
            if keys is None:
                expected = counterpart[index] if index < len(counterpart) else _MISSING
                frame[2] += 1
            elif waiting:
                expected = counterpart[keys[index - 1]]
                frame[3] = False
            else:
                if cls is not _Scalar:
                    raise Slow("a complex key")
                if index >= len(keys) or not _equal_scalars(_scalar(event, constructor), keys[index]):
                    return False
                frame[2] += 1
                frame[3] = True
                event = events.next()
                continue
        if expected is _MISSING:
            return False
        if cls is _Scalar:
            if not same(_scalar(event, constructor), expected, quoted_numbers=True):
                return False
            if event.anchor is not None:
                anchors[event.anchor] = expected
        elif cls is _MapStart or cls is _SeqStart:
            mapping = cls is _MapStart
            _collection(event, _MAP if mapping else _SEQ)
            if not isinstance(expected, dict if mapping else list):
                return False
            if len(stack) >= MAX_DEPTH:
                raise Slow("deep nesting")
            stack.append([expected, list(expected) if mapping else None, 0, False, event.anchor])
        elif cls is _Alias:
            if event.anchor not in anchors or not same(anchors[event.anchor], expected, quoted_numbers=True):
                return False
        else:
            raise Slow(cls.__name__)
        if not stack:
            return True
        event = events.next()


def quotes_at(text: Source, steps: list[str]) -> dict[str, str | None]:
    """How the mapping at `steps` (keys, and list indexes as digits) quotes its scalar values: its keys
    with `'`, `"` or None; empty if there is no mapping there. Raises yaml.YAMLError, Slow."""
    events = _Events(text)
    try:
        return _quotes_at(events, steps)
    finally:
        events.parser.dispose()


def _quotes_at(events: _Events, steps: list[str]) -> dict[str, str | None]:
    # A frame: [a mapping, its key whose value comes next (None: a key comes next), items read, its step]
    stack: list[list[Any]] = []
    found: dict[str, str | None] | None = None  # the mapping at `steps`, while it is read
    while True:
        event = events.next()
        cls = event.__class__
        if cls in _End:
            stack.pop()
            if (found is not None and len(stack) == len(steps)) or not stack:
                return found or {}
            continue
        if cls not in (_Scalar, _Alias, _MapStart, _SeqStart):
            return {}
        step: str | None = ""
        if stack:
            frame = stack[-1]
            if not frame[0]:
                step, frame[2] = str(frame[2]), frame[2] + 1
            elif frame[1] is None:  # a key: a complex one leads nowhere
                frame[1] = event.value if cls is _Scalar else ""
                if cls is _Scalar or cls is _Alias:
                    continue
                step = None
            else:
                step, frame[1] = frame[1], None
        if found is not None and len(stack) == len(steps) + 1 and step is not None:
            found[step] = event.style if cls is _Scalar and event.style in ("'", '"') else None
        if cls is _MapStart or cls is _SeqStart:
            stack.append([cls is _MapStart, None, 0, step])
            if found is None and cls is _MapStart and [frame[3] for frame in stack[1:]] == steps:
                found = {}
        elif not stack:
            return {}
