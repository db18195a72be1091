"""Write a changed document back: one decision per document, then the writer's result read back.

The decision (`_write_with`), made once for each document whose data changed:
  - only ruamel reads the document (libyaml refuses it: a reused anchor): the round trip (`roundtrip`);
  - else the text editor (`textedit`) writes every change: all of them, but a change that goes through a
    node the document shares or marks (an anchor with its aliases, a merge key, a tag), which the editor
    refuses (`Shared`) and the round trip writes. Rare layouts are text edits too (a key after `?`, a
    node after another's indicator on its line: `- - a`, `- name: q`; tests/test_writing_layouts.py).
The editor works on the sparse tree of `sparse` (nodes only where the text and the data differ), or on the
whole node tree where the sparse one cannot serve (merge keys, tags and complex keys, which libyaml's events
leave to the node tree; a list diff pairing an item the sparse tree left out: `Partial`): one editor,
two ways to know where the nodes stand. A text edit that does not read back as the patched data
(`readback.Mismatch`), or edits that overlap (`splice.Overlap`), are a bug in the editor: raised, never
written by another writer.
"""

from __future__ import annotations

import gc
import re
from typing import Any

import yaml

from runai_postrender.documents.document import EVENTS, RUAMEL, Document
from runai_postrender.documents.stream import BOM
from runai_postrender.reading import events, readback, reader, sparse
from runai_postrender.reading.load import FREEZE_FROM
from runai_postrender.support.errors import InputError
from runai_postrender.writers import textedit

_BARE_LF = re.compile(b"(?<!\r)\n")

TEXT_EDITS = "text edits"
ROUND_TRIP = "round trip"


def write_back(doc: Document) -> tuple[bytes, str] | None:
    """The document's bytes with its change, and the writer that wrote them (TEXT_EDITS or ROUND_TRIP);
    None if its data did not change."""
    if doc.lone_cr:
        # Written with LF, as `text` holds it; every LF then becomes the CR it was (a CR LF stays).
        as_lf = doc.replaced(style=doc.style.replaced(newline="\n" if doc.style.newline == "\r" else doc.style.newline))
        written = _write(as_lf)
        return None if written is None else (_BARE_LF.sub(b"\r", written[0]), written[1])
    return _write(doc)


def _write(doc: Document) -> tuple[bytes, str] | None:
    try:
        with reader.paused_gc():
            return _write_with(doc)
    except RecursionError as exc:
        raise InputError(f"{doc.describe()}: nested too deeply to process") from exc
    finally:
        if len(doc.original) >= FREEZE_FROM:
            gc.unfreeze()


def _write_with(doc: Document) -> tuple[bytes, str] | None:
    """The one decision: see the module's docstring."""
    if doc.read_by == RUAMEL:
        from runai_postrender.reading import ruamel

        old = ruamel.read(doc.text, doc.describe(), doc.first_line)
        return None if reader.same(old, doc.data, ordered=False) else _round_trip(doc, old)
    tree = _sparse(doc)
    if tree is not None:
        if tree.equal or reader.same(tree.old, doc.data, ordered=False):
            return None  # (keys in another order only: the text keeps its own, see diff.in_text_order)
        try:
            return _edit(doc, tree.node, tree.old, frozenset(), (tree.anchored, tree.aliases))
        except textedit.Partial:
            pass  # the list diff pairs an item the sparse tree left out: the whole tree has it
        except textedit.Shared:
            return _round_trip(doc, tree.old)
    node, old, special = reader.load(doc.text)
    if reader.same(old, doc.data, ordered=False):
        return None
    assert node is not None
    try:
        return _edit(doc, node, old, special or frozenset())
    except textedit.Shared:
        del node
        return _round_trip(doc, old)


def _sparse(doc: Document) -> sparse.Sparse | None:
    if doc.read_by != EVENTS:
        return None
    try:
        return sparse.sparse(doc.source, doc.data)
    except events.Slow:  # (not expected: `load` read the same text the same way)
        return None


def _edit(
    doc: Document, node: yaml.Node, old: Any, shared: frozenset[int], anchors: textedit.Anchors = textedit.NO_ANCHORS
) -> tuple[bytes, str]:
    # Bytes from the start: the stretches the edits leave alone are views of the input, not a new copy
    # of the text, which a large document could not afford twice. A lone CR was read as LF: the source is
    # then the text's own UTF-8.
    source = doc.text.encode("utf-8") if doc.lone_cr else doc.original[len(BOM) if doc.bom else 0 :]
    text = textedit.edit_encoded(doc.text, source, node, old, doc.data, doc.style, shared, anchors)
    readback.check(text, doc.data)  # a Mismatch is the editor's bug: raised, not written another way
    return (BOM if doc.bom else b"") + text, TEXT_EDITS


def _round_trip(doc: Document, old: Any) -> tuple[bytes, str]:
    from runai_postrender.writers import roundtrip  # imported only for a document that needs it: ruamel is slow to load

    return (BOM if doc.bom else b"") + roundtrip.rewrite(doc, old).encode("utf-8"), ROUND_TRIP
