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
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"
_MARKER = re.compile(rb"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.M)
# A line with something other than blanks, a comment or a directive on it.
_CONTENT = re.compile(rb"^[ \t]*[^ \t\r\n#%]", re.M)


@dataclass(frozen=True, slots=True)
class Span:
    """One document of the stream: bytes `start:end` of the input (its `---` line included)."""

    index: int  # 1-based, as users count documents
    start: int
    end: int


def split_stream(data: bytes | bytearray) -> list[Span]:
    """Cut `data` into consecutive spans that cover it completely, one per YAML document."""
    spans: list[Span] = []
    start = 0
    explicit = False  # the current span began with its own `---` line
    pos_after_bom = len(BOM) if data.startswith(BOM) else 0

    def close(end: int) -> None:
        if end > start:
            spans.append(Span(len(spans) + 1, start, end))

    for match in _MARKER.finditer(data):
        at = match.start()
        if data[at] == 0x2D:  # `---`
            if at == start:
                explicit = True
                continue
            if explicit or _CONTENT.search(data, max(start, pos_after_bom), at):
                close(at)
                start = at
            explicit = True
        else:  # `...`: the document ends after this line
            newline = data.find(b"\n", at)
            end = len(data) if newline < 0 else newline + 1
            close(end)
            start, explicit = end, False
    close(len(data))
    return spans

