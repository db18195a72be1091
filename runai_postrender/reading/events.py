"""Read a targeted document from libyaml's events, one at a time, without PyYAML's node tree.

The node tree costs some 25 times the text in memory (a node and two marks per scalar), which made a
large targeted document cost 50 times its size in memory. The events come one at a time instead:
`build` makes the plain data at load time (strings read more than once kept once); `sparse` reads the
text again at write time against the patched data, `readback` checks an edited text, and `added` finds
how labels are quoted, all from the same events (`Events`, `scalar`).

Documents that need more than plain mappings, lists, scalars, anchors and aliases (merge keys, complex
or duplicate keys, tags other than the standard scalar ones, nesting past `MAX_DEPTH`, whatever libyaml
refuses) raise `Slow`: `reader` reads those through the node tree and the constructor, as before.
Scalars mean what they mean to Helm (`helmscalars`), as in `reader`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from runai_postrender.documents.document import Source
from runai_postrender.reading.constructor import STANDARD_TAGS, TAG_PREFIX, Constructor
from runai_postrender.reading.helmscalars import SCALAR_TAGS, TagError, helm_type, plain, tagged
from runai_postrender.reading.plaindata import Shape

_STR = TAG_PREFIX + "str"
_MAP, _SEQ = TAG_PREFIX + "map", TAG_PREFIX + "seq"
_PLAIN_TAGS = (None, "!")
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Deeper documents go the node tree's way, which refuses or reads them as it always has (its messages for
# nesting too deep stay the same).
MAX_DEPTH = 250

_Scalar, _Alias = yaml.ScalarEvent, yaml.AliasEvent
_MapStart, _SeqStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_End = END
MISSING: Any = object()  # no counterpart in the patched data


T = TypeVar("T")


class Slow(Exception):
    """What the event reader leaves to the node tree and the constructor."""


class _Chunks:
    """A view of a document's bytes read as a file, a chunk at a time: handed a str, the parser would
    first make a UTF-8 copy of the whole text, in memory beside it."""

    def __init__(self, view: memoryview) -> None:
        self.view, self.at = view, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.view) if size < 0 else self.at + size
        chunk = bytes(self.view[self.at : end])
        self.at += len(chunk)
        return chunk


class Events:
    """libyaml's events of one document, from its root node on (`next`)."""

    def __init__(self, parser: Any) -> None:
        self.next: Callable[[], Any] = parser.get_event  # (the parser's own: a hot loop calls it)
        for expected in (yaml.StreamStartEvent, yaml.DocumentStartEvent):
            if not isinstance(self.next(), expected):
                raise Slow("no document")

    def end(self) -> None:
        """The document must end here, alone in its text (else the node tree's reader says why)."""
        if not isinstance(self.next(), yaml.DocumentEndEvent):
            raise Slow("more than one node")
        if not isinstance(self.next(), yaml.StreamEndEvent):
            raise Slow("more than one document")


def read(text: Source, reader: Callable[[Events], T], whole: Callable[[T], bool] = lambda _: True) -> T:
    """What `reader` makes of the events of `text`; where `whole` says so of its result, the document
    must end where the reader stopped. Raises Slow, yaml.YAMLError."""
    parser = _PARSER(_Chunks(text) if isinstance(text, memoryview) else text)
    try:
        events = Events(parser)
        result = reader(events)
        if whole(result):
            events.end()
        return result
    finally:
        parser.dispose()


def scalar(event: Any, constructor: list[Constructor]) -> Any:
    """The value of a scalar event, as Helm's reader builds it (`helmscalars`); Slow for a merge key or a
    tag it does not know, Shape (with the line) for a value Helm refuses (`!!int x`, `.nan`)."""
    tag, value = event.tag, event.value
    try:
        if tag in _PLAIN_TAGS:
            if not event.implicit[0]:
                return value
            kind = helm_type(value)
            if kind == "str":
                return value
            if kind == "merge":
                raise Slow("a merge key")
            return plain(kind, value)
        if tag == _STR:
            return value
        if tag not in STANDARD_TAGS or tag[len(TAG_PREFIX) :] not in SCALAR_TAGS:
            raise Slow(f"the tag {tag}")  # (the node tree keeps what a text edit cannot: !!binary, !foo)
        return tagged(tag[len(TAG_PREFIX) :], value)
    except TagError as exc:
        raise Shape(str(exc), event.start_mark.line) from exc


def check_tag(event: Any, mapping: bool) -> None:
    """Raise Slow for a mapping or list with a tag that is not its own."""
    if event.tag not in _PLAIN_TAGS and event.tag != (_MAP if mapping else _SEQ):
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
    return read(text, _build)


def _build(events: Events) -> Built:
    strings: dict[str, str] = {}  # a 5 MB List repeats its keys and most values thousands of times
    constructor: list[Constructor] = []
    anchors: dict[str, tuple[Any, int]] = {}  # the value and its expanded size
    open_anchors: set[str] = set()
    placements: list[tuple[Any, Any]] = []
    aliased = False
    # A frame: [container, key waiting for its value (or MISSING), keys read, anchor, expanded size]
    stack: list[list[Any]] = []
    event = events.next()
    if isinstance(event, yaml.DocumentEndEvent | yaml.StreamEndEvent):
        raise Slow("an empty document")
    while True:
        cls = event.__class__
        size = 1
        if cls is _Scalar:
            value = scalar(event, constructor)
            if value.__class__ is str:
                value = strings.setdefault(value, value)
            if event.anchor is not None:
                if event.anchor in anchors:
                    raise Slow("an anchor defined twice")
                anchors[event.anchor] = (value, 1)
        elif cls is _MapStart or cls is _SeqStart:
            mapping = cls is _MapStart
            check_tag(event, mapping)
            if len(stack) >= MAX_DEPTH:
                raise Slow("deep nesting")
            if stack and stack[-1][0].__class__ is dict and stack[-1][1] is MISSING:
                raise Slow("a complex key")
            anchor = event.anchor
            if anchor is not None:
                if anchor in anchors or anchor in open_anchors:
                    raise Slow("an anchor defined twice")
                open_anchors.add(anchor)
            stack.append([{} if mapping else [], MISSING, 0, anchor, 1])
            event = events.next()
            continue
        elif cls is _Alias:
            if event.anchor not in anchors:
                raise Slow("an alias to no anchor, or to a node that contains it")
            if stack and stack[-1][0].__class__ is dict and stack[-1][1] is MISSING:
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
        elif frame[1] is MISSING:
            if cls is not _Scalar or value.__class__ is float:  # (a merge key raised in _scalar already)
                raise Slow("a complex key, or a float key (`.nan` is no duplicate in Python)")
            frame[1] = value
            frame[2] += 1
        else:
            if cls is _Alias and value.__class__ in (dict, list):
                placements.append((container, frame[1]))
            container[frame[1]] = value
            frame[1] = MISSING
            frame[4] += size
        event = events.next()


def equal_scalars(a: Any, b: Any) -> bool:
    return a is b or (a.__class__ is b.__class__ and a == b)
