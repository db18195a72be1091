"""How a list became another, item by item: the list diff both writers use (text edits and the round trip)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runai_postrender.reading import reader


def _canonical(value: Any) -> Any:
    """A hashable form of plain data that tells apart what `reader.same` tells apart (1, 1.0, true)."""
    if isinstance(value, dict):
        return ("{", tuple((_canonical(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[", tuple(_canonical(item) for item in value))
    return (type(value).__name__, value)


def list_opcodes(old: list[Any], new: list[Any]) -> Iterator[tuple[str, int, int, int, int]]:
    """How `old` became `new`, item by item, as difflib's opcodes (equal runs left out), last first so
    that edits by index keep the indices still to come valid. The common head and tail are matched
    first, so that a list that grew at one end costs time linear in its length."""
    head = 0
    while head < min(len(old), len(new)) and reader.same(old[head], new[head]):
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and reader.same(old[-1 - tail], new[-1 - tail]):
        tail += 1
    if head + tail == len(old):  # only items inserted (or none)
        if head + tail < len(new):
            yield "insert", head, head, head, len(new) - tail
        return
    if head + tail == len(new):  # only items removed
        yield "delete", head, len(old) - tail, head, head
        return
    from difflib import SequenceMatcher  # (only where items were replaced: about 0.5 ms of start-up)

    middle_old = [_canonical(item) for item in old[head : len(old) - tail]]
    middle_new = [_canonical(item) for item in new[head : len(new) - tail]]
    opcodes = SequenceMatcher(None, middle_old, middle_new, autojunk=False).get_opcodes()
    for opcode, old_start, old_end, new_start, new_end in reversed(opcodes):
        if opcode != "equal":
            yield opcode, head + old_start, head + old_end, head + new_start, head + new_end
