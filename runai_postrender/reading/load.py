"""Read a targeted document: its style and leading comments recorded, its plain data built once.

The data comes from libyaml's events (`events`), or from the node tree and the constructor for what the
events leave (`reader`), or from ruamel for what libyaml refuses (`ruamel`: a reused anchor).
"""

from __future__ import annotations

import gc
import re

import yaml

from runai_postrender.documents.document import EVENTS, HEAD, NODES, RUAMEL, Document, decoded
from runai_postrender.documents.stream import BOM, Span
from runai_postrender.documents.style import detect_style
from runai_postrender.reading import reader
from runai_postrender.support.errors import InputError, describe

# A large document's data lives until it is written, and the cyclic garbage collector would walk
# all of them at each of its collections while the rules run (most of their time on a large document).
# They hold no cycles: they are moved out of its reach (gc.freeze) until the document is written.
FREEZE_FROM = 1 << 20

_LONE_CR_BYTES = re.compile(b"\r(?!\n)")


def load(
    stream: bytes | bytearray,
    span: Span,
    kind: str | None = None,
    name: str | None = None,
    first_line: int | None = None,
) -> Document:
    """Read the document at `span`; `kind` and `name` (sniffed from its bytes) only name it in errors."""
    original = memoryview(stream)[span.start : span.end]
    bom = original[: len(BOM)] == BOM
    body = original[len(BOM) if bom else 0 :]
    # YAML also ends a line with a lone CR (old Mac files). The writers and the line merge know LF (and CR
    # LF): a lone CR is read as LF, one character for one so positions stay true, and written back.
    lone_cr = _LONE_CR_BYTES.search(body) is not None
    text = decoded(body, lone_cr)  # the text is let go of once the style is known: only bytes are kept
    style = detect_style(text.replace("\r\n", "\n"), "\r\n" if "\r\n" in text else "\r" if lone_cr else "\n")
    head = text[:HEAD]
    del text
    if first_line is None:
        first_line = stream.count(b"\n", 0, span.start) + 1
    where = describe(span.index, kind, name)
    try:
        with reader.paused_gc():
            source = decoded(body, lone_cr) if lone_cr else body
            data, shares, by_events = reader.load_data(source, lambda: decoded(body, lone_cr))
        read_by = EVENTS if by_events else NODES
    except (yaml.YAMLError, RecursionError):
        # libyaml refuses some valid YAML (a reused anchor) and words its errors less well: ruamel reads
        # the document, or says what is wrong with it. Only the round trip can write such a document.
        from runai_postrender.reading import ruamel

        shares, read_by, data = True, RUAMEL, ruamel.read(decoded(body, lone_cr), where, first_line)
    except reader.Shape as exc:
        line = f", line {first_line + exc.line}" if exc.line is not None else ""
        raise InputError(f"{where}{line}: {exc}") from exc
    if len(original) >= FREEZE_FROM:
        gc.freeze()
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return Document(
        index=span.index,
        original=original,
        bom=bom,
        first_line=first_line,
        style=style,
        head=head,
        shares=shares,
        data=data,
        kind=_text(data.get("kind")) if isinstance(data, dict) else None,
        name=_text(metadata.get("name")) if isinstance(metadata, dict) else None,
        read_by=read_by,
        lone_cr=lone_cr,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)
