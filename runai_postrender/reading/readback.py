"""Whether a written text reads back as exactly the patched data: the check under both writers.

`matches` reads the edited text's events (`events`) alongside the data, and keeps nothing but the path it
is on: a large document's edit is checked without building its data again. Merge keys, tags and complex
keys (what the events leave to the node tree) are read whole.
"""

from __future__ import annotations

from typing import Any

import yaml

from runai_postrender.documents.document import Source
from runai_postrender.reading import reader
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
from runai_postrender.support.errors import InputError

_Scalar, _Alias = yaml.ScalarEvent, yaml.AliasEvent
_MapStart, _SeqStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
_MISSING = MISSING


class Mismatch(Exception):
    """A written text that does not read back as the data it was written for."""


def check(result: str | bytes, new: Any, *, ordered: bool = True, by_ruamel: bool = False) -> None:
    """Raise Mismatch unless the written text `result` reads back as exactly the new data: the one check
    under both writers. The round trip's result may order a mapping's keys otherwise (`ordered`), and a
    document only ruamel reads is read back by ruamel (`by_ruamel`)."""
    try:
        if by_ruamel:
            from runai_postrender.reading import ruamel  # (only for such a document: ruamel is slow to load)

            found = ruamel.read(result if isinstance(result, str) else result.decode("utf-8"), "", 1)
        else:
            try:
                if not ordered:
                    raise Slow("keys in any order")
                if matches(result, new):
                    return
                raise Mismatch("the written text does not read back as the new data")
            except Slow:  # merge keys, tags, complex keys: read it whole
                found = reader.read(result if isinstance(result, str) else result.decode("utf-8"))
    except (yaml.YAMLError, reader.Shape, InputError, RecursionError) as exc:
        raise Mismatch(f"the written text does not parse: {exc}") from exc
    if not reader.same(found, new, ordered=ordered, quoted_numbers=True):
        raise Mismatch("the written text does not read back as the new data")


def matches(text: Source, new: Any) -> bool:
    """Whether `text` reads as exactly `new` (a string equals the number it spells: the writers keep a
    value's quotes). Raises Slow, yaml.YAMLError."""
    return read(text, lambda events: _matches(events, new), whole=bool)


def _matches(events: Events, new: Any) -> bool:
    constructor: list[Constructor] = []
    anchors: dict[str, Any] = {}
    # A frame: [counterpart, its keys in order (a mapping) or None, keys or items read, a key read and its
    # value still to come, anchor]
    stack: list[list[Any]] = []
    event = events.next()
    while True:
        cls = event.__class__
        if cls in END:
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
                expected = counterpart[index] if index < len(counterpart) else MISSING
                frame[2] += 1
            elif waiting:
                expected = counterpart[keys[index - 1]]
                frame[3] = False
            else:
                if cls is not _Scalar:
                    raise Slow("a complex key")
                if index >= len(keys) or not equal_scalars(scalar(event, constructor), keys[index]):
                    return False
                frame[2] += 1
                frame[3] = True
                event = events.next()
                continue
        if expected is MISSING:
            return False
        if cls is _Scalar:
            if not same(scalar(event, constructor), expected, quoted_numbers=True):
                return False
            if event.anchor is not None:
                anchors[event.anchor] = expected
        elif cls is _MapStart or cls is _SeqStart:
            mapping = cls is _MapStart
            check_tag(event, mapping)
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
