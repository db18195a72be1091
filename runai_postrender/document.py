"""One targeted document: read once into plain data, patched by the rules, written back by one writer.

`load` decodes the document's bytes once (a byte-order mark set aside, line endings kept, since libyaml's
positions index the text as it is) and reads its plain data, keeping no node tree (`reader`, `events`).
Rules change `data` in place. `write_back` then reads the text again against the patched data, which says
whether anything changed and where, and decides, once, how the text changes: text edits at the changed
nodes where the editor can keep everything else exact (`textedit`), ruamel's round trip with a line merge
where it cannot (`roundtrip`: a change through an anchored, aliased, merged or tagged node, or an edit the
editor refuses). Either way the result must read back as the data.
"""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass, replace
from typing import Any

import yaml

from runai_postrender import events, readback, reader, sparse, textedit
from runai_postrender.emit import Style, detect_style
from runai_postrender.errors import InputError, describe
from runai_postrender.stream import BOM, Span

# How a document was read, and so how `write_back` reads it again
EVENTS = "events"  # libyaml's events alone: plain mappings, lists and scalars, anchors and aliases
NODES = "nodes"  # libyaml's node tree and the constructor: merge keys, tags, complex keys
RUAMEL = "ruamel"  # ruamel: what libyaml refuses (a reused anchor)


@dataclass
class Document:
    """A targeted document. `data` is what rules patch; the rest describes the text it came from."""

    index: int  # 1-based, as users count documents
    original: bytes | memoryview  # the span exactly as it came in (a view of the stream)
    bom: bool
    first_line: int  # the stream's line number of the text's first line, for messages
    style: Style
    shares: bool  # anchors, aliases, merge keys or tags: only the round trip writes a change through them
    data: Any  # the data, patched in place by the rules
    kind: str | None
    name: str | None
    head: str = ""  # the text's first HEAD characters: its leading comments (Helm 3's `# Source:`) and `---`
    read_by: str = EVENTS  # EVENTS, NODES or RUAMEL
    lone_cr: bool = False  # the input ends lines with a lone CR, which `text` holds as LF: written back as CR

    def describe(self) -> str:
        return describe(self.index, self.kind, self.name)

    @property
    def text(self) -> str:
        """The text, decoded, without a byte-order mark, line endings as in the input (a lone CR read as LF):
        what libyaml's positions index. Decoded when asked for: a large document keeps only its bytes, a
        view of the input (issue 11, L2)."""
        return _decoded(self.original[len(BOM) if self.bom else 0 :], self.lone_cr)

    @property
    def source(self) -> events.Source:
        """The text's UTF-8 as it came in, which libyaml reads without a copy; the text itself where a lone
        CR was read as LF."""
        return self.text if self.lone_cr else self.original[len(BOM) if self.bom else 0 :]

    @property
    def libyaml(self) -> bool:
        """libyaml reads the document (else only ruamel does): its writers' results are read so too."""
        return self.read_by != RUAMEL


def load(stream: bytes | bytearray, span: Span, kind: str | None = None, name: str | None = None) -> Document:
    """Read the document at `span`; `kind` and `name` (sniffed from its bytes) only name it in errors."""
    original = memoryview(stream)[span.start : span.end]
    bom = original[: len(BOM)] == BOM
    body = original[len(BOM) if bom else 0 :]
    # YAML also ends a line with a lone CR (old Mac files). The writers and the line merge know LF (and CR
    # LF): a lone CR is read as LF, one character for one so positions stay true, and written back.
    lone_cr = _LONE_CR_BYTES.search(body) is not None
    text = _decoded(body, lone_cr)  # the text is let go of once the style is known: only bytes are kept
    style = detect_style(text.replace("\r\n", "\n"), "\r\n" if "\r\n" in text else "\r" if lone_cr else "\n")
    head = text[:HEAD]
    del text
    first_line = stream.count(b"\n", 0, span.start) + 1
    where = describe(span.index, kind, name)
    try:
        with reader.paused_gc():
            source = _decoded(body, lone_cr) if lone_cr else body
            data, shares, by_events = reader.load_data(source, lambda: _decoded(body, lone_cr))
        read_by = EVENTS if by_events else NODES
    except (yaml.YAMLError, RecursionError):
        # libyaml refuses some valid YAML (a reused anchor) and words its errors less well: ruamel reads
        # the document, or says what is wrong with it. Only the round trip can write such a document.
        from runai_postrender import roundtrip

        shares, read_by, data = True, RUAMEL, roundtrip.read(_decoded(body, lone_cr), where, first_line)
    except reader.Shape as exc:
        line = f", line {first_line + exc.line}" if exc.line is not None else ""
        raise InputError(f"{where}{line}: {exc}") from exc
    if len(original) >= _FREEZE_FROM:
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


# A large document's data lives until it is written, and the cyclic garbage collector would walk
# all of them at each of its collections while the rules run (most of their time on a large document).
# They hold no cycles: they are moved out of its reach (gc.freeze) until the document is written.
_FREEZE_FROM = 1 << 20

HEAD = 4096
_LONE_CR = re.compile("\r(?!\n)")
_LONE_CR_BYTES = re.compile(b"\r(?!\n)")
_BARE_LF = re.compile(b"(?<!\r)\n")

TEXT_EDITS = "text edits"
ROUND_TRIP = "round trip"


def write_back(doc: Document) -> tuple[bytes, str] | None:
    """The document's bytes with its change, and the writer that wrote them (text edits where they keep
    everything else exact, else the round trip); None if its data did not change."""
    if doc.lone_cr:
        # Written with LF, as `text` holds it; every LF then becomes the CR it was (a CR LF stays).
        as_lf = replace(doc, style=replace(doc.style, newline="\n" if doc.style.newline == "\r" else doc.style.newline))
        written = _write(as_lf)
        return None if written is None else (_BARE_LF.sub(b"\r", written[0]), written[1])
    return _write(doc)


def _write(doc: Document) -> tuple[bytes, str] | None:
    try:
        with reader.paused_gc():
            written = _write_with(doc)
    finally:
        if len(doc.original) >= _FREEZE_FROM:
            gc.unfreeze()
    if written is None:
        return None
    text, writer = written
    if isinstance(text, bytes):
        return text, writer
    return (BOM if doc.bom else b"") + text.encode("utf-8"), writer


def _write_with(doc: Document) -> tuple[str | bytes, str] | None:
    # A document with anchors, aliases, merge keys or tags is written by text edits too where no change
    # touches a shared or tagged node (textedit refuses those): the round trip costs about a third of a
    # millisecond a line (issue 11, L2), and text edits keep the rest of the text more exactly.
    if doc.read_by == EVENTS:
        try:
            tree = sparse.sparse(doc.source, doc.data)
        except events.Slow:  # (not expected: `load` read the same text the same way)
            tree = None
        if tree is not None:
            if tree.equal:
                return None
            try:
                return _edit(doc, tree.node, tree.old, frozenset(), (tree.anchored, tree.aliases))
            except textedit.Partial:
                pass  # the edit needs a node the sparse tree left out (a list diff pairing other items)
            except (textedit.Unsupported, RecursionError):
                return _round_trip(doc, tree.old)
    if doc.read_by == RUAMEL:
        from runai_postrender import roundtrip

        old = roundtrip.read(doc.text, doc.describe(), doc.first_line)
        return None if reader.same(old, doc.data) else _round_trip(doc, old)
    node, old, special = reader.load(doc.text)  # the whole node tree: small documents, or what events leave
    if reader.same(old, doc.data):
        return None
    try:
        assert node is not None
        return _edit(doc, node, old, special or frozenset())
    except (textedit.Unsupported, RecursionError):
        del node
        return _round_trip(doc, old)


def _edit(
    doc: Document, node: yaml.Node, old: Any, shared: frozenset[int], anchors: textedit.Anchors = textedit.NO_ANCHORS
) -> tuple[bytes, str]:
    # Bytes from the start: the stretches the edits leave alone are views of the input, not a new copy
    # of the text (issue 11, L2). A lone CR was read as LF: those documents are edited as text.
    if doc.lone_cr:
        text = textedit.edit(doc.text, node, old, doc.data, doc.style, shared, anchors).encode("utf-8")
    else:
        text = textedit.edit_encoded(
            doc.text, doc.original[len(BOM) if doc.bom else 0 :], node, old, doc.data, doc.style, shared, anchors
        )
    readback.check(text, doc.data)
    return (BOM if doc.bom else b"") + text, TEXT_EDITS


def _round_trip(doc: Document, old: Any) -> tuple[str, str]:
    from runai_postrender import roundtrip  # imported only for a document that needs it: ruamel is slow to load

    return roundtrip.rewrite(doc, old), ROUND_TRIP


def _decoded(body: memoryview | bytes, lone_cr: bool) -> str:
    text = str(body, "utf-8")  # the stream was checked to be UTF-8
    return _LONE_CR.sub("\n", text) if lone_cr else text


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
