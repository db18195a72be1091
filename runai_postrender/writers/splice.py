"""Text edits applied to a document: as text, or as UTF-8 joined from views of the input.

An edit replaces the characters `start:end` of the text with its own. `apply` makes the new text;
`encode` and `join` make the new bytes without a new copy of the text: the stretches between the edits
are views of the document's own UTF-8 (a large document is written at the memory cost of its output
alone).
"""

from __future__ import annotations


class Edit:
    """Characters `start:end` of a text replaced by `text` (a plain class: a dataclass costs start-up)."""

    __slots__ = ("end", "start", "text")

    def __init__(self, start: int, end: int, text: str) -> None:
        self.start, self.end, self.text = start, end, text


class Overlap(Exception):
    """Two edits whose ranges overlap, neither holding the other: a bug in the editor (raised, as a text
    that does not read back is, never written another way)."""


def ordered(edits: list[Edit]) -> list[Edit]:
    """The edits in text order; of two insertions at one place, the one recorded first (the deeper key)
    comes first. Each edit writes the whole of its range anew, so one that lies within another's range
    (an insertion strictly inside it) is part of that one already and left out: an alias written out
    (its anchor's node changed) inside a value that is rewritten. Raises Overlap for two that overlap
    otherwise.
    """
    # at one place: insertions first (in the order recorded), then the longest edit, which holds the others
    order = sorted(range(len(edits)), key=lambda i: (edits[i].start, edits[i].start < edits[i].end, -edits[i].end, i))
    kept: list[Edit] = []
    done = 0  # where the last edit kept ends
    for i in order:
        edit = edits[i]
        if edit.start < done:
            outer = kept[-1]
            if edit.end > done or (edit.start, edit.end) == (outer.start, outer.end):
                raise Overlap(f"edits at {outer.start}:{outer.end} and {edit.start}:{edit.end}")
            continue
        kept.append(edit)
        done = edit.end
    return kept


def apply(text: str, edits: list[Edit]) -> str:
    pieces: list[str] = []
    done = 0
    for item in ordered(edits):
        pieces += (text[done : item.start], item.text)
        done = item.end
    pieces.append(text[done:])
    return "".join(pieces)


# The edits in bytes: (start, end, new bytes) each, and where the text's own bytes end.
Encoded = tuple[list[tuple[int, int, bytes]], int]


def encode(text: str, edits: list[Edit], end: int) -> Encoded:
    """The edits of `text` at byte offsets (of its UTF-8), for `join`; `end`: where the text's own
    characters end (after them, a line break the editor added)."""
    items = ordered(edits)
    points = sorted({end, *(item.start for item in items), *(item.end for item in items)})
    offsets = {point: point for point in points}
    if not text.isascii():
        char = byte = 0
        for point in points:
            byte += len(text[char:point].encode("utf-8"))
            offsets[point], char = byte, point
    return [(offsets[item.start], offsets[item.end], item.text.encode("utf-8")) for item in items], offsets[end]


def join(source: bytes | memoryview, encoded: Encoded, added: bytes, strip: bool) -> bytes:
    """`source` (the text's UTF-8) with the edits, as `apply` and `edit` have it: where the text had no
    final line break, the editor added one (`added`), and the result ends without it where `strip`."""
    edits, end = encoded

    def stretch(start: int, stop: int) -> list[bytes | memoryview]:
        """Bytes start:stop of the source with the added line break after it."""
        return [source[start : min(stop, end)], added[max(start - end, 0) : max(stop - end, 0)]]

    pieces: list[bytes | memoryview] = []
    done = 0
    for start, stop, replacement in edits:
        pieces += (*stretch(done, start), replacement)
        done = stop
    pieces += stretch(done, end + len(added))
    while pieces and not len(pieces[-1]):
        pieces.pop()
    if strip and added and pieces:
        last = bytes(pieces[-1][-len(added) :])
        if last == added:
            pieces[-1] = pieces[-1][: -len(added)]
        elif len(pieces) > 1 and (bytes(pieces[-2][-len(added) :]) + last).endswith(added):
            return b"".join(pieces)[: -len(added)]  # (a CR LF split between two pieces)
    return b"".join(pieces)
