"""Write a changed document back: one decision per document, then the writer's result read back.

Text edits at the changed nodes where the editor keeps everything else exact (`textedit`); ruamel's
round trip with a line merge where it cannot (`roundtrip`). Either way the result must read back as
the patched data.
"""

from __future__ import annotations

import gc
import re
from dataclasses import replace
from typing import Any

import yaml

from runai_postrender.documents.document import EVENTS, RUAMEL, Document
from runai_postrender.documents.stream import BOM
from runai_postrender.reading import events, readback, reader, sparse
from runai_postrender.reading.load import FREEZE_FROM
from runai_postrender.writers import textedit

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
        if len(doc.original) >= FREEZE_FROM:
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
            except (textedit.Unsupported, readback.Mismatch, RecursionError):
                return _round_trip(doc, tree.old)
    if doc.read_by == RUAMEL:
        from runai_postrender.reading import ruamel

        old = ruamel.read(doc.text, doc.describe(), doc.first_line)
        return None if reader.same(old, doc.data) else _round_trip(doc, old)
    node, old, special = reader.load(doc.text)  # the whole node tree: small documents, or what events leave
    if reader.same(old, doc.data):
        return None
    try:
        assert node is not None
        return _edit(doc, node, old, special or frozenset())
    except (textedit.Unsupported, readback.Mismatch, RecursionError):
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
    from runai_postrender.writers import roundtrip  # imported only for a document that needs it: ruamel is slow to load

    return roundtrip.rewrite(doc, old), ROUND_TRIP
