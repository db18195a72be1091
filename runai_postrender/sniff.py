"""Read a document's kind, name and namespace from its bytes, without parsing it, or say it cannot.

Most documents of a stream are never touched, so finding the few that a profile targets must cost far
less than parsing them all. The sniffer answers only where the text leaves no doubt: a block mapping at
the top level whose every unindented line is a plain `key:`, a sequence item, a comment or a marker.
Then an unindented `kind:` line *is* the document's kind (block scalars, plain and quoted multi-line
scalars cannot put text at column 0 without also putting a non-`key:` line there, or a second
`kind:` line that makes the answer ambiguous). Anything else (flow or JSON documents, anchors, tags,
escapes, duplicate keys) gets UNKNOWN, and the caller parses the document.
"""

from __future__ import annotations

import re
from typing import Final

UNKNOWN: Final = "\0unknown"  # a value no YAML key or kind can have after sniffing

# An unindented line that is not blank, not a comment, not a block-sequence item, not a marker or
# directive, and not a plain `key:`. Its presence makes the document too irregular to sniff.
_IRREGULAR = re.compile(
    rb"^(?=[^\r\n])(?![ #%]|-(?:[ \t\r\n]|$)|(?:---|\.\.\.)(?:[ \t\r\n]|$)|[A-Za-z0-9_][A-Za-z0-9_./-]*:(?:[ \t\r\n]|$))",
    re.M,
)
_KIND = re.compile(rb"^kind:(.*)$", re.M)
_METADATA = re.compile(rb"^metadata:[ \t]*(?:#.*)?\r?$", re.M)
_ANY_METADATA = re.compile(rb"^metadata:", re.M)
_NEXT_TOP = re.compile(rb"^[^ \t\r\n#]", re.M)
_CHILD = re.compile(rb"^( +)(?:[^ \t\r\n#])", re.M)
_SIMPLE_VALUE = re.compile(
    rb"""[ \t]+(?:"([^"\\\r\n]*)"|'((?:[^'\r\n]|'')*)'|([^\s#'"&*!|>{}\[\],%@`-][^\s#]*|-[^\s#]+))[ \t]*(?:\#.*)?\r?\Z"""
)


def _simple_value(raw: bytes) -> str | None:
    """The string of a one-line plain or quoted scalar without escapes, or None."""
    match = _SIMPLE_VALUE.match(raw)
    if match is None:
        return None
    double, single, plain = match.groups()
    if double is not None:
        value = double
    elif single is not None:
        value = single.replace(b"''", b"'")
    else:
        value = plain
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None


def is_regular(data: bytes | bytearray, start: int, end: int) -> bool:
    """Whether the document's unindented lines are all of the shapes the sniffer can trust."""
    return _IRREGULAR.search(data, start, end) is None


def sniff_kind(data: bytes | bytearray, start: int, end: int) -> str | None:
    """The document's kind, None if it has no `kind` key, or UNKNOWN. Call only on regular documents."""
    found = _KIND.findall(data, start, end)
    if not found:
        return None
    if len(found) > 1:
        return UNKNOWN
    value = _simple_value(found[0])
    return UNKNOWN if value is None else value


def sniff_metadata(data: bytes | bytearray, start: int, end: int) -> tuple[str | None, str | None] | str:
    """(name, namespace) from a block `metadata:` mapping, None where absent, or UNKNOWN."""
    found = list(_METADATA.finditer(data, start, end))
    if len(found) != 1:
        if found or _ANY_METADATA.search(data, start, end):
            return UNKNOWN  # two `metadata:` keys, or one with an inline (flow) value
        return None, None
    block_start = found[0].end()
    top = _NEXT_TOP.search(data, block_start + 1, end)
    block_end = top.start() if top else end
    child = _CHILD.search(data, block_start, block_end)
    if child is None:
        return UNKNOWN  # `metadata:` with no block under it: null, or something odd
    indent = child.group(1)
    result: list[str | None] = []
    for key in (b"name", b"namespace"):
        lines = re.findall(rb"^" + indent + key + rb":(.*)$", data[block_start:block_end], re.M)
        if not lines:
            result.append(None)
            continue
        value = _simple_value(lines[0]) if len(lines) == 1 else None
        if value is None:
            return UNKNOWN
        result.append(value)
    return result[0], result[1]
