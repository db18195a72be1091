"""The writer for what text edits cannot keep exact: ruamel.yaml's round trip, merged line by line.

A change that goes through an anchor, an alias, a merge key or a tag, a document only ruamel reads, and
the few layouts write.write_back names, are written here: ruamel parses the original text, the change
between the parsed and the patched data (`diff`, the editor's comparison too) is replayed into its tree
(shared nodes unshared first, see `sharing`), and the new text is the original merged with ruamel's
renderings before and after (`linemerge`), or ruamel's whole rendering where the merge does not read
back. The result must read back as the patched data (`readback.check`, as for the text edits).

ruamel.yaml is imported only when a document needs this path: it costs more start-up time than
everything else a run imports.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString, SingleQuotedScalarString
from ruamel.yaml.scanner import ScannerError

from runai_postrender.documents.document import Document
from runai_postrender.documents.style import Style
from runai_postrender.reading import readback, ruamel
from runai_postrender.support.errors import InputError
from runai_postrender.support.record import Frozen
from runai_postrender.writers import emit, linemerge, sharing
from runai_postrender.writers.diff import Diff


def _dump(tree: Any, style: Style) -> str:
    buffer = io.StringIO()
    ruamel.yaml_for(style).dump(tree, buffer)
    return buffer.getvalue()


def rewrite(doc: Document, old: Any) -> str:
    """The document's text with its change from `old` (its data as parsed) to `doc.data`, written through
    ruamel's tree and the line merge."""
    original = doc.text
    if any(mark in original for mark in _OTHER_BREAKS):
        # libyaml (Helm's reader) ends a line at NEL, LS and PS, ruamel (YAML 1.2) does not: the round trip
        # reads and writes them as the document's line ending (where a scalar held one, the text does not
        # read back, and the document is refused as before)
        original = original.translate({ord(mark): doc.style.newline for mark in _OTHER_BREAKS})
    text = original.replace("\r\n", "\n")
    where = doc.describe()
    tree = _load(text, doc, where)
    try:
        if doc.shares:
            sharing.keep_anchors(tree)
        base = _dump(tree, doc.style)
        shared = sharing.unshare(tree, where) if doc.shares else None
        for path, value in _changes(old, doc.data):
            _put(tree, path, value)
        if shared is not None:
            sharing.reshare(shared)
        theirs = _dump(tree, doc.style)
    except RecursionError as exc:
        raise InputError(f"{where}: nested too deeply to process") from exc
    newline = doc.style.newline
    merged = _ending(linemerge.merge(original, base, theirs, newline), doc)
    if merged is not None:
        return merged
    rendered = _ending(linemerge.rendering(original, theirs, newline), doc)  # where the merge's lines do not fit
    if rendered is not None:
        return rendered
    raise InputError(f"{where}: cannot write the change without changing other values of the document")


def _ending(text: str, doc: Document) -> str | None:
    """`text` if it reads back as the patched data; else, where it ends without a line break as the
    original did, with one if that reads back: a block scalar (`|`, `>`) that the change leaves at the
    end needs the line break its value ends with. None if neither does."""
    if _means(text, doc):
        return text
    if text and not text.endswith("\n") and _means(text + doc.style.newline, doc):
        return text + doc.style.newline
    return None


_OTHER_BREAKS = "\x85\u2028\u2029"


def _load(text: str, doc: Document, where: str) -> Any:
    """ruamel's tree of the text. ruamel's scanner refuses a tab after a value (`image: x<TAB>`, before a
    comment too) that libyaml and Helm's reader take as the blank it is: each such tab is read as a space,
    one character for one (the line merge keeps the original's lines, tab and all, where nothing changed)."""
    for _ in range(text.count("\t") + 1):
        try:
            return ruamel.load(text, doc.style, where, doc.first_line)
        except InputError as exc:
            cause, index = exc.__cause__, -1
            if isinstance(cause, ScannerError) and "'\\t'" in str(cause.problem) and cause.problem_mark:
                index = cause.problem_mark.index
            if not doc.libyaml or text[index : index + 1] != "\t" or index < 0:
                raise
            text = text[:index] + " " + text[index + 1 :]
    raise InputError(f"{where}: cannot read the document")  # (not reached: each try takes one tab away)


def _means(text: str, doc: Document) -> bool:
    """Whether `text` reads back as the patched data (read as the document was): the writers' one check."""
    try:
        readback.check(text, doc.data, ordered=False, by_ruamel=not doc.libyaml)
    except readback.Mismatch:
        return False
    return True


_REMOVED = object()


class _Inserted(Frozen):
    """A list item to insert at the index that ends the path."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Changes(Diff[tuple[Any, ...]]):
    """The comparison of `diff` as (path, value) pairs, in the order to apply them to ruamel's tree; value
    is _REMOVED for a removed key or list item, an _Inserted for a new list item."""

    def __init__(self) -> None:
        self.found: list[tuple[tuple[Any, ...], Any]] = []

    def child(self, at: tuple[Any, ...], index: int, name: Any) -> tuple[Any, ...]:
        return (*at, name)

    def item(self, at: tuple[Any, ...], index: int) -> tuple[Any, ...]:
        return (*at, index)

    def replace(self, at: tuple[Any, ...], new: Any) -> None:
        self.found.append((at, new))

    def remove_key(self, at: tuple[Any, ...], index: int, name: Any) -> None:
        self.found.append(((*at, name), _REMOVED))

    def add_keys(self, at: tuple[Any, ...], added: dict[Any, Any]) -> None:
        self.found += [((*at, name), value) for name, value in added.items()]

    def remove_items(self, at: tuple[Any, ...], start: int, end: int) -> None:
        self.found += [((*at, index), _REMOVED) for index in reversed(range(start, end))]

    def insert_items(self, at: tuple[Any, ...], before: int, items: list[Any]) -> None:
        self.found += [((*at, before), _Inserted(value)) for value in reversed(items)]


def _changes(old: Any, new: Any) -> list[tuple[tuple[Any, ...], Any]]:
    changes = _Changes()
    changes.diff((), old, new)
    return changes.found


def _put(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if value is _REMOVED:
        del parent[last]
    elif isinstance(value, _Inserted):
        parent.insert(last, _styled(value.value))
    elif isinstance(parent, dict) and last not in parent:
        if isinstance(parent, CommentedMap) and not parent and parent.fa.flow_style():
            parent.fa.set_block_style()  # `resources: {}` about to get keys: write them as a block
        parent[_styled(last)] = _styled(value)
    else:
        old = parent[last]
        if isinstance(old, ScalarString) and isinstance(new := value, str | int | float) and not isinstance(new, bool):
            parent[last] = type(old)(str(new))  # a double-quoted value stays double-quoted
        else:
            parent[last] = _styled(value)


def _styled(value: Any) -> Any:
    """Plain data for ruamel to write, with every string that a YAML 1.1 reader (Helm, Kubernetes) would
    read as another type (`on`, `yes`, `n`, `12:30`) in quotes: ruamel writes YAML 1.2, where they are
    plain strings."""
    if isinstance(value, dict):
        return CommentedMap((_styled(k), _styled(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_styled(v) for v in value)
    if isinstance(value, str) and not isinstance(value, ScalarString) and emit.reads_as_another_type(value):
        return SingleQuotedScalarString(value)
    return value
