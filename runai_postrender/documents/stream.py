"""Bytes <-> documents: split a manifest stream where YAML starts a new document, keep each one's bytes.

The splitter never decodes or parses: a document is a byte range of the input, so a document that no
rule targets is written back exactly as it came in. Boundaries follow YAML's own rules:
- a line that starts with `---` followed by white space or the end of the line starts a document
  (such a line can never be scalar content: YAML forbids it in every scalar, and block scalars
  nested in a document are always indented);
- a line that starts with `...` ends one; what follows it (comments, `%` directives) belongs to the
  next document, so directives stay with the `---` they introduce;
- whatever precedes the first `---` joins that document unless it holds content of its own (Helm 4
  sends its first document without a `---`).
"""

from __future__ import annotations

import re

from runai_postrender.support import limits
from runai_postrender.support.errors import InputError
from runai_postrender.support.record import Frozen

BOM = b"\xef\xbb\xbf"
_MARKER = re.compile(rb"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.M)
# A line with something other than blanks, a comment or a directive on it.
_CONTENT = re.compile(rb"^[ \t]*[^ \t\r\n#%]", re.M)
# YAML also ends a line with a lone CR (old Mac files). Streams that hold one get slower patterns that
# know it; the rest keep `^`, which only knows LF.
_LONE_CR = re.compile(rb"\r(?!\n)")
_MARKER_CR = re.compile(rb"(?:^|(?<=\r))(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.M)
_CONTENT_CR = re.compile(rb"(?:^|(?<=\r))[ \t]*[^ \t\r\n#%]", re.M)
_LINE_END = re.compile(rb"\r\n?|\n")


class Span(Frozen):
    """One document of the stream: bytes `start:end` of the input (its `---` line included); `index` is
    1-based, as users count documents."""

    __slots__ = ("end", "index", "start")

    def __init__(self, index: int, start: int, end: int) -> None:
        self.index, self.start, self.end = index, start, end


def split_stream(data: bytes | bytearray) -> list[Span]:
    """Cut `data` into consecutive spans that cover it completely, one per YAML document.

    Raises InputError past limits.MAX_DOCUMENTS documents."""
    spans: list[Span] = []
    start = 0
    explicit = False  # the current span began with its own `---` line
    # The patterns run on the text after a byte-order mark, where `^` matches at its first line.
    skip = len(BOM) if data.startswith(BOM) else 0
    text = memoryview(data)[skip:]

    def close(end: int) -> None:
        if end > start:
            if len(spans) == limits.MAX_DOCUMENTS:
                raise InputError(f"the stream holds more than {limits.MAX_DOCUMENTS:,} documents; refused")
            spans.append(Span(len(spans) + 1, start, end))

    lone_cr = b"\r" in data and _LONE_CR.search(data) is not None
    marker, content = (_MARKER_CR, _CONTENT_CR) if lone_cr else (_MARKER, _CONTENT)
    for match in marker.finditer(text):
        at = match.start() + skip
        if data[at] == 0x2D:  # `---`
            if at == start:
                explicit = True
                continue
            if explicit or content.search(text, max(start - skip, 0), at - skip):
                close(at)
                start = at
            explicit = True
        else:  # `...`: the document ends after this line
            line_end = _LINE_END.search(data, at)
            end = len(data) if line_end is None else line_end.end()
            close(end)
            start, explicit = end, False
    close(len(data))
    return spans


class LineNumbers:
    """The line number at a byte offset of the stream, counted on from the last offset asked for: a
    stream's targeted documents are read in order, so counting costs one pass over the stream in all
    (counting from the start for each document cost N x N on a stream of many targeted documents)."""

    def __init__(self, data: bytes | bytearray) -> None:
        self.data, self.offset, self.line = data, 0, 1

    def at(self, offset: int) -> int:
        if offset < self.offset:
            self.offset, self.line = 0, 1
        self.line += self.data.count(b"\n", self.offset, offset)
        self.offset = offset
        return self.line
