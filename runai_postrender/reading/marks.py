"""Where things stand in a document's text, read from libyaml's events (`events.read`) for the few edits
that need more than the nodes give: the aliases inside flow collections, where anchors and aliases
stand, and where the scalars are. Each is one pass over the events, made only when an edit asks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from runai_postrender.reading import events

_START, _END = yaml.CollectionStartEvent, yaml.CollectionEndEvent
_DOCUMENT_END = yaml.DocumentEndEvent


def _each(walk: events.Events) -> Iterator[Any]:
    """The events of the document, from its root node on, up to its end."""
    event = walk.next()
    while not isinstance(event, _DOCUMENT_END):
        yield event
        event = walk.next()


def _at(mark: Any) -> int:
    return int(mark.index)  # (libyaml's events always carry their marks)


def flow_alias_starts(text: str) -> frozenset[int]:
    """Where the aliases that stand inside a flow collection start (a flow collection may span lines:
    `{` then `  key: *name`, which the text around the alias cannot tell)."""

    def reader(walk: events.Events) -> frozenset[int]:
        found: set[int] = set()
        depth = 0  # (inside a flow collection, every collection is flow)
        for event in _each(walk):
            if isinstance(event, _START):
                depth += 1 if depth or event.flow_style else 0
            elif isinstance(event, _END):
                depth -= 1 if depth else 0
            elif depth and event.__class__ is yaml.AliasEvent:
                found.add(_at(event.start_mark))
        return frozenset(found)

    return events.read(text, reader, lambda _: False)


def anchor_marks(text: str) -> list[tuple[str, int, bool]]:
    """Each anchor and alias in the text, in order: (its name, where it starts, whether it is an alias)."""

    def reader(walk: events.Events) -> list[tuple[str, int, bool]]:
        return [
            (event.anchor, _at(event.start_mark), event.__class__ is yaml.AliasEvent)
            for event in _each(walk)
            if getattr(event, "anchor", None) is not None
        ]

    return events.read(text, reader, lambda _: False)


def scalar_marks(text: str) -> list[tuple[str | None, int, int]]:
    """Each scalar in the text, in order: (its style: None for plain, `'`, `"`, `|` or `>`; where it starts;
    where it ends)."""

    def reader(walk: events.Events) -> list[tuple[str | None, int, int]]:
        return [
            (event.style or None, _at(event.start_mark), _at(event.end_mark))
            for event in _each(walk)
            if event.__class__ is yaml.ScalarEvent
        ]

    return events.read(text, reader, lambda _: False)
