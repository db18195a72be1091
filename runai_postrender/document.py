"""One targeted document: parse it round-trip, and write it back changed only where it was patched.

ruamel.yaml keeps comments, key order and quotes, but its emitter still normalises some text (spacing
inside flow collections, trailing blanks, indentation it cannot infer). So a patched document is
written by a three-way merge, line by line: `base` is ruamel's rendering of the document as parsed,
`theirs` its rendering after the patches, `ours` the original text. Where `theirs` equals `base`, the
original lines are kept byte for byte; elsewhere the patched lines are taken. The diff of input and
output therefore shows the patched fields and nothing else.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from runai_postrender.errors import InputError, describe

# A targeted document whose aliases would expand past this many nodes is refused ("billion laughs"):
# walking or comparing it would take forever, and no real manifest comes near.
MAX_EXPANDED_NODES = 1_000_000


@dataclass(frozen=True)
class Style:
    """How a document indents: ruamel's mapping indent, sequence indent and dash offset, line ending."""

    mapping: int = 2
    sequence: int = 2
    offset: int = 0
    newline: str = "\n"


@dataclass
class Document:
    """A parsed targeted document: its original text, its tree, and ruamel's rendering of that tree."""

    index: int
    text: str  # LF line endings, no byte-order mark
    original: bytes  # the span exactly as it came in
    tree: Any
    style: Style
    base: str  # ruamel's rendering before any change
    changed: bool = False
    kind: str | None = None
    name: str | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return describe(self.index, self.kind, self.name)


_KEY_LINE = re.compile(r"^( *)[^ #\-][^:\n]*:[ \t]*(?:#.*)?$")
_DASH_LINE = re.compile(r"^( *)- ")


def detect_style(text: str, newline: str) -> Style:
    """Infer the indentation a document uses, so that lines we write look like their neighbours."""
    lines = text.split("\n")
    mapping = None
    offset = None
    for before, after in zip(lines, lines[1:], strict=False):
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
    return Style(mapping=mapping, sequence=offset + 2, offset=offset, newline=newline)


@cache
def _yaml(style: Style) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # never wrap long lines
    yaml.allow_unicode = True
    yaml.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    return yaml


def dump(tree: Any, style: Style) -> str:
    buffer = io.StringIO()
    _yaml(style).dump(tree, buffer)
    return buffer.getvalue()


def _line_number(data: bytes | bytearray, start: int, mark_line: int) -> int:
    return data.count(b"\n", 0, start) + mark_line + 1


def parse(data: bytes | bytearray, start: int, end: int, index: int, kind: str | None = None, name: str | None = None) -> Document:
    """Parse bytes `start:end` of the stream (one document) round-trip; errors name the document."""
    original = bytes(data[start:end])
    raw = original[3:] if original.startswith(b"\xef\xbb\xbf") else original
    where = describe(index, kind, name)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not valid UTF-8 text (byte {start + exc.start})") from exc
    newline = "\r\n" if "\r\n" in decoded else "\n"
    text = decoded.replace("\r\n", "\n")
    style = detect_style(text, newline)
    yaml = _yaml(style)
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {_line_number(data, start, mark.line)}" if mark is not None else ""
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise InputError(f"{where}{line}: {problem}") from exc
    except YAMLError as exc:
        raise InputError(f"{where}: {str(exc).splitlines()[0] if str(exc) else 'invalid YAML'}") from exc
    except RecursionError as exc:
        raise InputError(f"{where}: nested too deeply to process") from exc
    check_expansion(tree, where)
    document = Document(index=index, text=text, original=original, tree=tree, style=style, base="", kind=kind, name=name)
    try:
        document.base = dump(tree, style)
    except RecursionError as exc:
        raise InputError(f"{where}: nested too deeply to process") from exc
    return document


def check_expansion(tree: Any, where: str) -> None:
    """Refuse a tree whose aliases expand past MAX_EXPANDED_NODES, counting each shared node once."""
    sizes: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if not isinstance(node, dict | list):
            return 1
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a node that contains itself counts once
        children = node.values() if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_EXPANDED_NODES:
                raise InputError(
                    f"{where}: its aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?); refused"
                )
        sizes[id(node)] = total
        return total

    try:
        size(tree, 0)
    except RecursionError as exc:
        raise InputError(f"{where}: nested too deeply to process") from exc


def render(document: Document) -> bytes:
    """The document's bytes: the original where nothing changed, the original merged with the changes otherwise."""
    if not document.changed:
        return document.original
    theirs = dump(document.tree, document.style)
    ours_lines = document.original.decode("utf-8").splitlines(keepends=True)
    bom = ""
    if ours_lines and ours_lines[0].startswith("\ufeff"):
        bom, ours_lines[0] = "\ufeff", ours_lines[0][1:]
    merged = merge_lines(ours_lines, document.base.split("\n"), theirs.split("\n"), document.style.newline)
    return (bom + "".join(merged)).encode("utf-8")


def _matches(a: list[str], b: list[str]) -> dict[int, int]:
    pairs: dict[int, int] = {}
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for offset in range(block.size):
            pairs[block.a + offset] = block.b + offset
    return pairs


def merge_lines(ours: list[str], base: list[str], theirs: list[str], newline: str) -> list[str]:
    """diff3 of the original lines (with their endings) and two renderings (without): see the module doc."""
    # The renderings end with "\n", so split() leaves an empty last item: drop it on both sides.
    if base and base[-1] == "":
        base = base[:-1]
    if theirs and theirs[-1] == "":
        theirs = theirs[:-1]
    ours_plain = [line.rstrip("\r\n") for line in ours]
    to_ours = _matches(base, ours_plain)
    to_theirs = _matches(base, theirs)
    out: list[str] = []
    i0 = j0 = k0 = 0

    def settle(i: int, j: int, k: int) -> None:
        base_chunk, ours_chunk, theirs_chunk = base[i0:i], ours[j0:j], theirs[k0:k]
        if theirs_chunk == base_chunk:
            out.extend(ours_chunk)
        elif len(base_chunk) == len(ours_chunk):
            # The original and ruamel's rendering differ here only line for line (trailing blanks,
            # spacing): keep the original for every line the patch left alone.
            matcher = SequenceMatcher(None, base_chunk, theirs_chunk, autojunk=False)
            for tag, b1, b2, t1, t2 in matcher.get_opcodes():
                if tag == "equal":
                    out.extend(ours_chunk[b1:b2])
                else:
                    out.extend(line + newline for line in theirs_chunk[t1:t2])
        else:
            out.extend(line + newline for line in theirs_chunk)

    for i in range(len(base)):
        j, k = to_ours.get(i), to_theirs.get(i)
        if j is None or k is None or j < j0 or k < k0:
            continue
        settle(i, j, k)
        out.append(ours[j])
        i0, j0, k0 = i + 1, j + 1, k + 1
    settle(len(base), len(ours), len(theirs))
    return _fix_missing_newlines(out, newline)


def _fix_missing_newlines(lines: list[str], newline: str) -> list[str]:
    """A line taken from the original without its break, now followed by others, gets one."""
    return [line if line.endswith("\n") or index == len(lines) - 1 else line + newline for index, line in enumerate(lines)]
