"""One targeted document: read once into plain data, patched by the rules, written back by one writer.

`load` decodes the document's bytes once (a byte-order mark set aside, line endings kept, since the
node positions index the text as it is), parses it with libyaml into node positions and plain data, and
keeps a copy of the data as parsed. Rules change `data` in place. `write_back` then decides, once, how
the text changes: text edits at the changed nodes where the editor can keep everything else exact
(`textedit`), ruamel's round trip with a line merge where it cannot (`roundtrip`: a change through an
anchored, aliased, merged or tagged node, an edit the editor refuses, or any change to a small document
with such nodes). Either way the result must read back as the data.
"""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass, replace
from typing import Any

import yaml

from runai_postrender import reader, textedit
from runai_postrender.emit import Style, detect_style
from runai_postrender.errors import InputError, describe
from runai_postrender.stream import BOM, Span


@dataclass
class Document:
    """A targeted document. `data` is what rules patch; the rest describes the text it came from."""

    index: int  # 1-based, as users count documents
    original: bytes  # the span exactly as it came in
    text: str  # decoded, without a byte-order mark, line endings as in the input (a lone CR read as LF): what
    # `node` positions index
    bom: bool
    first_line: int  # the stream's line number of the text's first line, for messages
    style: Style
    node: yaml.Node | None  # libyaml's node tree of `text`; None for an empty document
    shares: bool  # anchors, aliases, merge keys or tags: only the round trip writes a change through them
    parsed: Any  # the data as parsed
    data: Any  # the data, patched in place by the rules
    kind: str | None
    name: str | None
    lone_cr: bool = False  # the input ends lines with a lone CR, which `text` holds as LF: written back as CR
    shared_nodes: frozenset[int] = frozenset()  # ids of the nodes of `node` that text edits must leave alone
    libyaml: bool = True  # libyaml read it into `node` (else it is empty, or ruamel read it: libyaml refused it)

    def describe(self) -> str:
        return describe(self.index, self.kind, self.name)

    @property
    def changed(self) -> bool:
        return not reader.same(self.parsed, self.data)


def load(stream: bytes | bytearray, span: Span, kind: str | None = None, name: str | None = None) -> Document:
    """Read the document at `span`; `kind` and `name` (sniffed from its bytes) only name it in errors."""
    original = bytes(stream[span.start : span.end])
    bom = original.startswith(BOM)
    text = original[len(BOM) if bom else 0 :].decode("utf-8")  # the stream was checked to be UTF-8
    # YAML also ends a line with a lone CR (old Mac files). The writers and the line merge know LF (and CR
    # LF): a lone CR is read as LF, one character for one so node positions stay true, and written back.
    lone_cr = _LONE_CR.search(text) is not None
    if lone_cr:
        text = _LONE_CR.sub("\n", text)
    first_line = stream.count(b"\n", 0, span.start) + 1
    where = describe(span.index, kind, name)
    try:
        with reader.paused_gc():
            node, data, special = reader.load(text)
        shares = special is not None
    except (yaml.YAMLError, RecursionError):
        # libyaml refuses some valid YAML (a reused anchor) and words its errors less well: ruamel reads
        # the document, or says what is wrong with it. Only the round trip can write such a document.
        from runai_postrender import roundtrip

        node, shares, special, data = None, True, None, roundtrip.read(text, where, first_line)
    except reader.Shape as exc:
        line = f", line {first_line + exc.line}" if exc.line is not None else ""
        raise InputError(f"{where}{line}: {exc}") from exc
    try:
        with reader.paused_gc():
            parsed = reader.unshare(data)
    except reader.Shape as exc:
        line = f", line {first_line + exc.line}" if exc.line is not None else ""
        raise InputError(f"{where}{line}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{where}{_line(exc, first_line)}: {_problem(exc)}") from exc
    except RecursionError as exc:
        raise InputError(f"{where}: nested too deeply to process") from exc
    if len(text) >= _FREEZE_FROM:
        gc.freeze()
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return Document(
        index=span.index,
        original=original,
        text=text,
        bom=bom,
        first_line=first_line,
        style=detect_style(text.replace("\r\n", "\n"), "\r\n" if "\r\n" in text else "\r" if lone_cr else "\n"),
        node=node,
        shares=shares,
        parsed=parsed,
        data=data,
        kind=_text(data.get("kind")) if isinstance(data, dict) else None,
        name=_text(metadata.get("name")) if isinstance(metadata, dict) else None,
        lone_cr=lone_cr,
        shared_nodes=special or frozenset(),
        libyaml=node is not None,
    )


# A large document's tree and data live until it is written, and the cyclic garbage collector would walk
# all of them at each of its collections while the rules run (most of their time on a large document).
# They hold no cycles: they are moved out of its reach (gc.freeze) until the document is written.
_FREEZE_FROM = 1 << 20

_LONE_CR = re.compile("\r(?!\n)")
_BARE_LF = re.compile(b"(?<!\r)\n")

TEXT_EDITS = "text edits"
ROUND_TRIP = "round trip"


def write_back(doc: Document) -> tuple[bytes, str]:
    """The document's bytes with its change, and the writer that wrote them: text edits where they keep
    everything else exact, else the round trip."""
    if doc.lone_cr:
        # Written with LF, as `text` holds it; every LF then becomes the CR it was (a CR LF stays).
        as_lf = replace(doc, style=replace(doc.style, newline="\n" if doc.style.newline == "\r" else doc.style.newline))
        text, writer = _write(as_lf)
        return _BARE_LF.sub(b"\r", text), writer
    return _write(doc)


def _write(doc: Document) -> tuple[bytes, str]:
    try:
        with reader.paused_gc():
            return _write_with(doc)
    finally:
        if len(doc.text) >= _FREEZE_FROM:
            gc.unfreeze()


def _write_with(doc: Document) -> tuple[bytes, str]:
    # A document with anchors, aliases, merge keys or tags is written by text edits too where no change
    # touches a shared or tagged node (textedit refuses those): the round trip costs about a third of a
    # millisecond a line (issue 11, L2), and text edits keep the rest of the text more exactly.
    if doc.node is not None:
        try:
            text = textedit.edit(doc.text, doc.node, doc.parsed, doc.data, doc.style, doc.shared_nodes)
            doc.node = None  # the check reads the new text: let the old text's tree go first (L2: memory)
            textedit.check(text, doc.data)
            return (BOM if doc.bom else b"") + text.encode("utf-8"), TEXT_EDITS
        except (textedit.Unsupported, RecursionError):
            pass
    from runai_postrender import roundtrip  # imported only for a document that needs it: ruamel is slow to load

    return (BOM if doc.bom else b"") + roundtrip.rewrite(doc).encode("utf-8"), ROUND_TRIP


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _line(exc: BaseException, first_line: int) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f", line {first_line + mark.line}" if mark is not None else ""


def _problem(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply to process"
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).splitlines()[0]
    return str(problem).strip() or "invalid YAML"
