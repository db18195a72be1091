"""Read a document's kind, name and namespace from its bytes, without parsing it, or say it cannot.

Most documents of a stream are never touched, so finding the few that a profile targets must cost far
less than parsing them all. The sniffer answers only where the text leaves no doubt: a block mapping at
the top level whose every unindented line is a plain `key:`, a sequence item, a comment or a marker.
Then an unindented `kind:` line *is* the document's kind (block scalars, plain and quoted multi-line
scalars cannot put text at column 0 without also putting a non-`key:` line there, or a second
`kind:` line that makes the answer ambiguous). Anything else (flow or JSON documents, anchors, tags,
escapes, duplicate keys, a value continued on the next line, a value YAML reads as a number, boolean
or null) gets UNKNOWN, and the caller parses the document.

A wrong answer would be costly only one way: a document sniffed as not targeted is never parsed, so
its kind, name and namespace must be exactly what a parser would read, or UNKNOWN.

`header` gives what a document's bytes say of it (`Header`); `check_text` refuses a stream that is binary
data or not UTF-8, naming the document.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from functools import cache
from typing import Final

from runai_postrender.documents.stream import BOM, Span
from runai_postrender.support.errors import InputError, describe
from runai_postrender.support.record import Frozen

# C0 control characters other than tab, LF and CR, and DEL: YAML allows none of them in a stream.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

UNKNOWN: Final = "\0unknown"  # a value no YAML key or kind can have after sniffing

# An unindented line that is not blank, not a comment, not a block-sequence item, not a marker or
# directive, and not a plain `key:`. Its presence makes the document too irregular to sniff.
_IRREGULAR = re.compile(
    rb"^(?=[^\r\n])(?![ #%]|-(?:[ \t\r\n]|$)|(?:---|\.\.\.)(?:[ \t\r\n]|$)"
    rb"|[A-Za-z0-9_][A-Za-z0-9_./-]*:(?:[ \t\r\n]|$))",
    re.M,
)
_KIND = re.compile(rb"^kind:(.*)$", re.M)
_METADATA = re.compile(rb"^metadata:(.*)$", re.M)
_BLOCK_OPENER = re.compile(rb"[ \t]*(?:#.*)?\r?")  # what may follow `metadata:` for a block mapping
_NEXT_TOP = re.compile(rb"^[^ \t\r\n#]", re.M)
_CHILD = re.compile(rb"^( +)(?:[^ \t\r\n#])", re.M)
_SIMPLE_VALUE = re.compile(
    rb"""[ \t]+(?:"([^"\\\r\n]*)"|'((?:[^'\r\n]|'')*)'"""
    rb"""|([^\s#'"&*!|>{}\[\],%@`-]\S*|-[^\s#]\S*))[ \t]*(?:(?<=[ \t])\#.*)?\r?\Z"""
)
# A plain scalar that YAML (1.1 or 1.2) may read as a number, boolean or null rather than a string.
_NOT_A_STRING = re.compile(rb"[-+.0-9]|(?:true|false|null|yes|no|on|off|y|n|~)\Z", re.I)
_LONE_CR = re.compile(rb"\r(?!\n)")
# U+0085 (NEL), U+2028 (LS) and U+2029 (PS) in UTF-8: line breaks to libyaml and to go-yaml v2 (Helm's
# reader) alike, outside quoted scalars, which the patterns here (LF and CR only) cannot see.
_OTHER_BREAKS = re.compile(rb"\xc2\x85|\xe2\x80[\xa8\xa9]")
# The first line with content: not blank, a comment, a directive or a bare `---` / `...` line.
_FIRST_CONTENT = re.compile(rb"^(?!(?:---|\.\.\.)[ \t]*(?:#[^\r\n]*)?\r?$)(?!%)[ \t]*[^ \t\r\n#]", re.M)
# The first line after a value that is neither blank nor a comment: its indentation and first character.
_FOLLOWING = re.compile(rb"\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*( *)([^ \r\n]?)")


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
        if _NOT_A_STRING.match(plain):
            return None
        value = plain
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _continued(view: memoryview, line_end: int, indent: int) -> bool:
    """Whether the value that ends its line at `line_end` may go on over the next lines (a plain scalar
    continued on a line indented deeper than its key): then the line alone does not give the value."""
    match = _FOLLOWING.match(view, line_end)
    if match is None:
        return False
    spaces, first = match.groups()
    return bool(first) and (first == b"\t" or len(spaces) > indent)


def _view(data: bytes | bytearray, start: int, end: int) -> memoryview:
    # A slice, so that `^` matches where the document starts even after a byte-order mark.
    return memoryview(data)[start:end]


def has_other_breaks(data: bytes | bytearray) -> bool:
    """Whether the stream holds a NEL, LS or PS anywhere (one look at the whole stream: most hold none, and
    then no document needs looking at for them)."""
    return data.find(b"\xc2\x85") >= 0 or data.find(b"\xe2\x80\xa8") >= 0 or data.find(b"\xe2\x80\xa9") >= 0


def is_regular(data: bytes | bytearray, start: int, end: int, other_breaks: bool = True) -> bool:
    """Whether the document's unindented lines are all of the shapes the sniffer can trust (and its lines
    end in LF: a lone CR, NEL, LS or PS, which YAML also reads as line breaks, hide lines from the patterns).
    `other_breaks`: the stream may hold a NEL, LS or PS (has_other_breaks); False spares the look for them."""
    view = _view(data, start, end)
    if _IRREGULAR.search(view) is not None or _LONE_CR.search(view) is not None:
        return False
    if other_breaks and _OTHER_BREAKS.search(view) is not None:
        return False
    # A document whose content starts indented (a whole mapping indented, valid YAML) or on its `---`
    # line (`--- {kind: ...}`) has no unindented `kind:` line even when it has a kind.
    first = _FIRST_CONTENT.search(view)
    return first is None or (
        view[first.start()] not in b" \t" and bytes(view[first.start() : first.start() + 3]) not in (b"---", b"...")
    )


def sniff_kind(data: bytes | bytearray, start: int, end: int) -> str | None:
    """The document's kind, None if it has no `kind` key, or UNKNOWN. Call only on regular documents."""
    view = _view(data, start, end)
    found = list(_KIND.finditer(view))
    if not found:
        return None
    if len(found) > 1:
        return UNKNOWN
    value = _simple_value(found[0].group(1))
    if value is None or _continued(view, found[0].end(), 0):
        return UNKNOWN
    return value


@cache
def _child_patterns(indent: int) -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    """For a block mapping with its keys at `indent`: a line that breaks its shape, its name and
    namespace lines."""
    lead = b" " * indent
    shapes = [
        rb" {0,%d}\t" % indent,  # a tab in the indentation
        lead + rb"(?![A-Za-z0-9_][A-Za-z0-9_./-]*:(?:[ \t\r\n]|$))[^ \t\r\n#]",  # a key that is not plain
    ]
    if indent > 1:
        shapes.append(rb" {1,%d}[^ \t\r\n#]" % (indent - 1))  # a line between the parent and its keys
    return (
        re.compile(rb"^(?:" + b"|".join(shapes) + rb")", re.M),
        re.compile(rb"^" + lead + rb"name:(.*)$", re.M),
        re.compile(rb"^" + lead + rb"namespace:(.*)$", re.M),
    )


def sniff_metadata(data: bytes | bytearray, start: int, end: int) -> tuple[str | None, str | None] | str:
    """(name, namespace) from a block `metadata:` mapping, None where absent, or UNKNOWN. Call only on
    regular documents."""
    view = _view(data, start, end)
    found = list(_METADATA.finditer(view))
    if not found:
        return None, None
    if len(found) > 1 or not _BLOCK_OPENER.fullmatch(found[0].group(1)):
        return UNKNOWN  # two `metadata:` keys, or one with an inline value (flow, anchor, alias, tag)
    block_start = found[0].end()
    top = _NEXT_TOP.search(view, block_start + 1)
    block = view[block_start : top.start() if top else len(view)]
    child = _CHILD.search(block)
    if child is None:
        return UNKNOWN  # `metadata:` with no block under it: null, or something odd
    indent = len(child.group(1))
    irregular, name_line, namespace_line = _child_patterns(indent)
    if irregular.search(block):
        return UNKNOWN  # a key that is not plain (quoted, complex, merge key) or a line out of place
    result: list[str | None] = []
    for pattern in (name_line, namespace_line):
        lines = list(pattern.finditer(block))
        if not lines:
            result.append(None)
            continue
        value = _simple_value(lines[0].group(1)) if len(lines) == 1 else None
        if value is None or _continued(block, lines[0].end(), indent):
            return UNKNOWN
        result.append(value)
    return result[0], result[1]


class Header(Frozen):
    """What a document's bytes say of it: kind (None: it has none), name and namespace, or unsure."""

    __slots__ = ("kind", "name", "namespace", "sure", "metadata_sure")

    def __init__(
        self,
        kind: str | None = None,
        name: str | None = None,
        namespace: str | None = None,
        sure: bool = True,
        metadata_sure: bool = True,
    ) -> None:
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.sure = sure  # False: the sniffer could not read the kind, so the document must be parsed
        self.metadata_sure = metadata_sure  # False: the kind is known, but name and namespace are not


def header(
    data: bytes | bytearray,
    span: Span,
    metadata_of: Callable[[str], bool] = lambda kind: True,
    other_breaks: bool = True,
) -> Header:
    """What the document's bytes say of it; its name and namespace only where `metadata_of` its kind (reading
    them costs more than the kind, and most documents of a stream are of kinds no rule looks at)."""
    start = span.start + (len(BOM) if span.start == 0 and data.startswith(BOM) else 0)
    if not is_regular(data, start, span.end, other_breaks):
        return Header(sure=False)
    kind = sniff_kind(data, start, span.end)
    if kind == UNKNOWN:
        return Header(sure=False)
    if kind is None or not metadata_of(kind):
        return Header(kind)
    metadata = sniff_metadata(data, start, span.end)
    if not isinstance(metadata, tuple):
        return Header(kind, metadata_sure=False)
    return Header(kind, metadata[0], metadata[1])


def check_text(data: bytes | bytearray, spans: list[Span]) -> None:
    """Refuse binary data and invalid UTF-8 anywhere in the stream, naming the document."""
    binary = _BINARY.search(data)
    if binary is not None:
        span = spans[bisect_right([span.start for span in spans], binary.start()) - 1]
        raise InputError(
            f"{_describe(data, span)}: byte {binary.start()} is control character "
            f"0x{data[binary.start()]:02x}; the input is binary data, not a YAML stream"
        )
    if data.isascii():
        return
    for span in spans:
        try:
            bytes(data[span.start : span.end]).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{_describe(data, span)}: not valid UTF-8 text (byte {span.start + exc.start})") from exc


def _describe(data: bytes | bytearray, span: Span) -> str:
    found = header(data, span)
    return describe(span.index, found.kind, found.name)
