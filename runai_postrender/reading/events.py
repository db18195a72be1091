"""Read a document from libyaml's events, one at a time, without PyYAML's node tree (25 times the text in
memory): one walker (`Walk`) for every use: the first read (`build`: plain data, a string read more than
once kept once), the re-read at write time against the patched data (`sparse`: nodes only where they
differ), the read-back check (stopped at the first difference), and how a workload quotes its labels
(`sparse.styles_at`). What needs more than plain mappings, lists, scalars, anchors and aliases (merge
keys, complex or duplicate keys, other tags, nesting past `MAX_DEPTH`, what libyaml refuses) raises
`Slow`: `reader` reads it through the node tree. Scalars mean what they mean to Helm (`helmscalars`).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

import yaml

from runai_postrender.documents.document import Source
from runai_postrender.reading.constructor import STANDARD_TAGS, TAG_PREFIX
from runai_postrender.reading.helmscalars import SCALAR_TAGS, TagError, helm_type, plain, tagged
from runai_postrender.reading.plaindata import Shape, same

_STR = TAG_PREFIX + "str"
_MAP, _SEQ = TAG_PREFIX + "map", TAG_PREFIX + "seq"
_PLAIN_TAGS = (None, "!")
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 250  # deeper: the node tree's way, which refuses or reads them as it always has

_Scalar, _Alias = yaml.ScalarEvent, yaml.AliasEvent
_MapStart, _SeqStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
_MapEnd, _SeqEnd = yaml.MappingEndEvent, yaml.SequenceEndEvent
_RAW = attrgetter("value")  # (a scalar as written)
MISSING: Any = object()  # no counterpart in the patched data; no key read yet

T = TypeVar("T")


class Slow(Exception):
    """What the event reader leaves to the node tree and the constructor."""


class Differs(Exception):
    """(The read-back check) the text reads otherwise than the data here."""


class _Chunks:
    """A view of a document's bytes read as a file, a chunk at a time (a str: the parser copies it whole)."""

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
    """What `reader` makes of the events of `text`; where `whole` says so of its result, the document must
    end where the reader stopped. Raises Slow, yaml.YAMLError."""
    parser = _PARSER(_Chunks(text) if isinstance(text, memoryview) else text)
    try:
        events = Events(parser)
        result = reader(events)
        if whole(result):
            events.end()
        return result
    finally:
        parser.dispose()


def scalar(event: Any) -> Any:
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


class Walk:
    """One walk of a document's events (`run`): the first read, and what a use switches on. `new`: the
    patched data, each node compared with what it holds there (a scalar: equal in value and type, or as
    `loose` says; an alias: as `same` says). `keep`: nodes kept where they differ (sparse._Nodes). `check`:
    stop at the first difference (Differs). `steps`: the path of a mapping whose child nodes are kept
    (`found`), read leniently (scalars as written, nothing refused but by libyaml). After `run`: `data`,
    `node`, `equal`, `expanded` (nodes with aliases expanded, as limits.check_expansion counts), `placements`
    (where an alias put a mapping or a list), `aliased`, `anchored` (an anchor by the id of its node, where
    that differs), `aliases` (each anchor's alias nodes). A frame: [data, key read (MISSING: none), keys read,
    anchor, expanded size (these two where no nodes are kept), start event, counterpart (MISSING, or of its
    type), child nodes, all equal so far, end of the last child's text, key node, (check) keys]."""

    data: Any = None
    node: Any = None
    equal, aliased, expanded, found = False, False, 0, None

    def __init__(self, new: Any = MISSING, keep: Any = None, check: bool = False, **how: Any) -> None:
        self.new, self.keep, self.check, self.steps, self.loose = new, keep, check, how.get("steps"), how.get("loose")
        self.same: Callable[[Any, Any], bool] = how.get("same", same)
        self.placements: list[tuple[Any, Any]] = []
        self.anchored: dict[int, str] = {}
        self.aliases: dict[str, list[Any]] = {}

    def run(self, events: Events) -> Walk:  # (one loop, written for speed: the first read is the hot path)
        new, check, keeper, loose, same_ = self.new, self.check, self.keep, self.loose, self.same
        steps, lenient = self.steps, self.steps is not None
        keeping = keeper is not None and not lenient  # (leniently: from the mapping at `steps` on)
        compare, strict = new is not MISSING or keeping or lenient, not lenient and not check
        value_of = _RAW if lenient else scalar
        strings: dict[str, str] = {}  # a 5 MB List repeats its keys and most values thousands of times
        anchors: dict[str, tuple[Any, int]] = {}  # the value (the data as parsed) and its expanded size
        open_anchors: set[str] = set()
        placements, anchored, aliases = self.placements, self.anchored, self.aliases
        stack: list[list[Any]] = []
        next_event, target = events.next, None
        counterpart, equal, node, end = MISSING, False, None, None
        event = next_event()
        while True:
            cls = event.__class__
            if compare:
                counterpart = new
                if stack:  # what the patched data holds where the next node of the top frame stands
                    top = stack[-1]
                    counterpart = top[6]
                    if counterpart is not MISSING:
                        if top[0].__class__ is list:
                            index = len(top[0])
                            counterpart = counterpart[index] if index < len(counterpart) else MISSING
                        else:  # (a key is compared as part of the mapping's key order)
                            counterpart = MISSING if top[1] is MISSING else counterpart.get(top[1], MISSING)
                # (check) Nothing there in the data is a difference, but for a key; a key must be a scalar.
                if check and counterpart is MISSING and cls is not _MapEnd and cls is not _SeqEnd:
                    if not stack or top[0].__class__ is list or top[1] is not MISSING:
                        raise Differs
                    if cls is not _Scalar:
                        raise Slow("a complex key")
            if cls is _Scalar:
                value, size, anchor = value_of(event), 1, event.anchor
                if compare:
                    equal = value is counterpart or (value.__class__ is counterpart.__class__ and value == counterpart)
                    equal = equal or (loose is not None and counterpart is not MISSING and loose(value, counterpart))
                    if equal:
                        value = counterpart
                    elif check:  # (a key: compared with the key the data has there, all so far in order)
                        key = top[11][len(top[0])] if counterpart is MISSING and len(top[0]) < len(top[11]) else MISSING
                        if key is not value and (key.__class__ is not value.__class__ or key != value):
                            raise Differs
                    if keeping:
                        node, end = event if anchor is None else keeper.node(event), event.end_mark
                elif value.__class__ is str:
                    value = strings.setdefault(value, value)
                if anchor is not None:
                    if strict and anchor in anchors:
                        raise Slow("an anchor defined twice")
                    anchors[anchor] = (value, 1)
                    if keeping and not equal:
                        anchored[id(node)] = anchor
            elif cls is _MapStart or cls is _SeqStart:
                mapping = cls is _MapStart
                if lenient:
                    path = [f[1] if f[0].__class__ is dict else str(len(f[0])) for f in stack]  # (as written)
                    keeping = keeping or (mapping and path == steps)
                else:
                    if event.tag not in _PLAIN_TAGS and event.tag != (_MAP if mapping else _SEQ):
                        raise Slow(f"the tag {event.tag}")  # (not a mapping's or a list's own)
                    if stack and stack[-1][1] is MISSING and stack[-1][0].__class__ is dict:
                        raise Slow("a complex key")
                    if compare and not isinstance(counterpart, dict if mapping else list):
                        if check:
                            raise Differs
                        counterpart = MISSING  # (nothing below has a counterpart)
                    if len(stack) >= MAX_DEPTH:
                        raise Slow("deep nesting")
                keys = list(counterpart) if check and mapping else None
                anchor = event.anchor
                if anchor is not None and strict:
                    if anchor in anchors or anchor in open_anchors:
                        raise Slow("an anchor defined twice")
                    open_anchors.add(anchor)
                data: Any = {} if mapping else []
                nodes: Any = [] if keeping else None
                frame = [data, MISSING, 0, anchor, 1, event, counterpart, nodes, True, event.end_mark, None, keys]
                stack.append(frame)
                if keeping and lenient and target is None:
                    target = frame
                event = next_event()
                continue
            elif cls is _Alias:
                value, size = anchors.get(event.anchor) or (MISSING, 1)
                if value is MISSING and not lenient:  # (to no anchor, or to a node that contains it)
                    raise Differs if check else Slow("an alias to no anchor, or to a node that contains it")
                if stack and stack[-1][1] is MISSING and stack[-1][0].__class__ is dict and not lenient:
                    raise Slow("an alias as a key")
                self.aliased = True
                if stack and value.__class__ in (dict, list):  # (a place to give a copy of its own)
                    parent = stack[-1][0]
                    placements.append((parent, stack[-1][1] if parent.__class__ is dict else len(parent)))
                if compare:
                    equal = counterpart is not MISSING and same_(value, counterpart)
                    if check and not equal:
                        raise Differs
                    if keeping:
                        key = top[10] if top[0].__class__ is dict and top[1] is not MISSING else None
                        node, end = keeper.alias(event, key, counterpart), event.end_mark
                        aliases.setdefault(event.anchor, []).append(node)
                    if equal:
                        value = counterpart
            elif cls is _MapEnd or cls is _SeqEnd:
                frame = stack.pop()
                value, anchor, size = frame[0], frame[3], frame[4]
                if strict and (len(frame[7]) if keeping else frame[2]) > len(value):
                    raise Slow("duplicate keys")
                if check:  # (every child equal, every key in order: all but their number)
                    if len(value) != len(frame[6]):
                        raise Differs
                    value = frame[6]
                elif keeping:
                    if frame is target:
                        self.found = frame[7]
                        return self
                    equal, value, node, end = keeper.close(frame, event)
                if anchor is not None:
                    open_anchors.discard(anchor)
                    anchors[anchor] = (value, size)
                    if keeping and not equal:
                        anchored[id(node)] = anchor
            else:
                raise Slow(cls.__name__)
            if not stack:
                self.data, self.node, self.equal, self.expanded = value, node, equal, size
                return self
            frame = stack[-1]
            container = frame[0]
            if container.__class__ is list:
                container.append(value)
                if keeping:
                    frame[7].append(node)
                    frame[8], frame[9] = frame[8] and equal, end
                else:
                    frame[4] += size
            elif frame[1] is MISSING:
                if (cls is not _Scalar or value.__class__ is float) and not check:
                    if strict:  # (a merge key raised in `scalar` already)
                        raise Slow("a complex key, or a float key (`.nan` is no duplicate in Python)")
                    value = ""  # (lenient: a complex key leads nowhere)
                frame[1] = value
                if keeping:
                    frame[9], frame[10] = end, node
                else:
                    frame[2] += 1
            else:
                container[frame[1]] = value
                frame[1] = MISSING
                if keeping:
                    frame[7].append((frame[10], node))
                    frame[8], frame[9] = frame[8] and equal, end
                else:
                    frame[4] += size
            event = next_event()


def build(text: Source) -> Walk:
    """The document's plain data, and what the walk found (`data`, `placements`, `expanded`, `aliased`).
    Raises Slow, yaml.YAMLError."""
    return read(text, Walk().run)
