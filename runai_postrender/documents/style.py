"""A document's style, read from its text when the document is read: indentation and line ending, so
that the lines a writer adds look like their neighbours."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from runai_postrender.support.record import Frozen


class Style(Frozen):
    """A document's indentation: spaces per mapping level, dash offset of sequences, line ending."""

    __slots__ = ("mapping", "offset", "newline")

    def __init__(self, mapping: int = 2, offset: int = 0, newline: str = "\n") -> None:
        self.mapping = mapping
        self.offset = offset  # 0: `- ` under the key (Helm 4, kubectl); 2: indented under it (most Helm 3 charts)
        self.newline = newline


_KEY_LINE = re.compile(r"^( *)[^ #\-][^:\n]*:[ \t]*(?:#.*)?$")
_DASH_LINE = re.compile(r"^( *)- ")


def detect_style(text: str, newline: str) -> Style:
    """Infer the indentation a document uses, so that lines we write look like their neighbours."""
    lines = _lines(text)  # one at a time: a list of them would cost twice the text in memory
    mapping = None
    offset = None
    for before, after in itertools.pairwise(lines):
        key = _KEY_LINE.match(before)
        if key is None:
            continue
        indent = len(key.group(1))
        dash = _DASH_LINE.match(after)
        if dash is not None:
            if offset is None and len(dash.group(1)) >= indent:
                offset = len(dash.group(1)) - indent
        elif mapping is None:
            stripped = after.lstrip(" ")
            child = len(after) - len(stripped)
            if stripped and not stripped.startswith("#") and child > indent:
                mapping = child - indent
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = offset or 0
    return Style(mapping=mapping, offset=offset, newline=newline)


def _lines(text: str) -> Iterator[str]:
    """text.split("\n"), one line at a time."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]
