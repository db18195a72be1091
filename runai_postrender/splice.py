"""Text edits applied to a document: as text, or as UTF-8 joined from views of the input.

An edit replaces the characters `start:end` of the text with its own. `apply` makes the new text;
`encode` and `join` make the new bytes without a new copy of the text: the stretches between the edits
are views of the document's own UTF-8 (issue 11, L2: a large document is written at the cost of its
output alone).
"""

from __future__ import annotations

from runai_postrender.textpositions import Unsupported


class Edit:
    """Characters `start:end` of a text replaced by `text` (a plain class: a dataclass costs start-up)."""

    __slots__ = ("end", "start", "text")

    def __init__(self, start: int, end: int, text: str) -> None:
        self.start, self.end, self.text = start, end, text


def ordered(edits: list[Edit]) -> list[Edit]:
    """The edits in text order; of two insertions at one place, the one recorded first (the deeper key)
    comes first. Raises Unsupported if two overlap."""
    order = sorted(range(len(edits)), key=lambda i: (edits[i].start, edits[i].end, i))
    done = 0
    for i in order:
        if edits[i].start < done:
            raise Unsupported("overlapping edits")
        done = edits[i].end
    return [edits[i] for i in order]


def apply(text: str, edits: list[Edit]) -> str:
    pieces: list[str] = []
    done = 0
    for item in ordered(edits):
        pieces += (text[done : item.start], item.text)
        done = item.end
    pieces.append(text[done:])
    return "".join(pieces)


# The edits in bytes: (start, end, new bytes) each; where the text's bytes end (None: an edit reaches
# there); and whether an edit goes past that end (into a line break the editor added).
Encoded = tuple[list[tuple[int, int, bytes]], int | None, bool]


def encode(text: str, edits: list[Edit], end: int) -> Encoded:
    """The edits of `text` at byte offsets (of its UTF-8), for `join`; `end`: where the text's own
    characters end."""
    ascii = text.isascii()
    char, byte = 0, 0  # a character offset and the byte offset it has

    def at(index: int) -> int:
        nonlocal char, byte
        if ascii:
            return index
        byte += len(text[char:index].encode("utf-8"))
        char = index
        return byte

    items = ordered(edits)
    found = [(at(item.start), at(item.end), item.text.encode("utf-8")) for item in items]
    last = items[-1].end if items else 0
    return found, at(end) if last < end else None, last > end


def join(source: bytes | memoryview, encoded: Encoded, unterminated: bool, newline: bytes) -> bytes:
    """The new bytes: `source` (the text's UTF-8) with the edits; `unterminated`: the text had no final
    line break, and the editor added one, which does not stay."""
    edits, tail, past_end = encoded
    pieces: list[bytes | memoryview] = []
    done = 0
    for start, stop, replacement in edits:
        pieces += (source[done:start], replacement)
        done = stop
    if tail is not None:
        pieces.append(source[done:tail])
    elif unterminated and past_end and pieces and bytes(pieces[-1][-len(newline) :]) == newline:
        pieces[-1] = pieces[-1][: -len(newline)]  # lines added at the very end: as `edit` has them
    return b"".join(pieces)
