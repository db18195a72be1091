"""Write a patched document by editing its original text only where its data changed.

libyaml says where the nodes of a targeted document stand in its text (`textpositions`; the sparse tree
of `sparse`, or the whole node tree). After the rules have changed the document's data, the old tree
and the new data are compared here, and each difference becomes one text edit (`textchanges`): a scalar
replaced in its own quoting, a key removed with its lines, keys added below their siblings in the
document's indentation, list items inserted or removed alone, a collection rewritten where its shape
changed, an alias written out where its anchor's node changes. Everything else, comments and blank
lines included, stays as it was (`splice`). A change through a merged or tagged node or an anchored
scalar raises `Shared` (the round trip writes it); a layout the editor does not write raises
`Unsupported` naming it (see write.write_back). The writer checks the result: it must read back as
exactly the new data (`readback`).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from runai_postrender.documents.style import Style
from runai_postrender.reading import reader, sparse
from runai_postrender.writers import splice
from runai_postrender.writers.listdiff import list_opcodes
from runai_postrender.writers.textchanges import Changes
from runai_postrender.writers.textpositions import Partial, Shared, Unsupported

__all__ = ["Anchors", "Partial", "Shared", "Unsupported", "edit", "edit_encoded", "list_opcodes"]

# A sparse tree's anchors (see events.Sparse): the anchor's name by the id of the node it marks, where that
# node changes, and each anchor's aliases by its name.
Anchors = tuple[dict[int, str], dict[str, list[sparse.AliasStub]]]
NO_ANCHORS: Anchors = ({}, {})


class _Editor(Changes):
    def __init__(self, text: str, style: Style, shared: frozenset[int], anchors: Anchors) -> None:
        super().__init__(text, style, shared)
        self.anchored, self.aliases = anchors
        self.changed_anchors: list[str] = []  # anchors whose node changes: their aliases are written out

    # ---- the comparison
    def diff(self, node: yaml.Node, old: Any, new: Any, key: yaml.Node | None) -> None:
        if old is new:  # (the sparse tree's old data is the new data wherever the two are equal)
            return
        if isinstance(node, sparse.AliasStub):
            self.write_out(node, new)
            return
        if isinstance(node, sparse.Stub):
            raise Partial("a node compared with data other than its own")
        if id(node) in self.shared and reader.same(old, new):
            return
        self.own(node)
        if id(node) in self.anchored:
            self.changed_anchors.append(self.anchored[id(node)])
        emptied = isinstance(new, dict | list) and not new
        if emptied and isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.value and not node.flow_style:
            self.replace_value(node, new, key)  # every key or item removed: `key: {}`, not `key:` (null)
            return
        if isinstance(node, yaml.MappingNode) and isinstance(old, dict) and isinstance(new, dict):
            self.diff_mapping(node, old, new, key)
        elif isinstance(node, yaml.SequenceNode) and isinstance(old, list) and isinstance(new, list):
            if node.value and not node.flow_style:
                self.diff_sequence(node, old, new)
            elif len(old) == len(new):
                self.in_flow += 1
                for item_node, old_item, new_item in zip(node.value, old, new, strict=True):
                    self.diff(item_node, old_item, new_item, None)
                self.in_flow -= 1
            else:
                self.replace_value(node, new, key)
        elif reader.same(old, new):
            return
        elif isinstance(node, yaml.ScalarNode) and not isinstance(new, dict | list):
            self.replace_scalar(node, new)
        else:
            self.replace_value(node, new, key)

    def diff_mapping(
        self, node: yaml.MappingNode, old: dict[Any, Any], new: dict[Any, Any], key: yaml.Node | None
    ) -> None:
        self.in_flow += bool(node.flow_style)
        for (key_node, value_node), name in zip(node.value, old, strict=True):
            if name not in new:
                self.remove_entry(node, key_node, value_node)
            else:
                self.diff(value_node, old[name], new[name], key_node)
        self.in_flow -= bool(node.flow_style)
        added = {name: value for name, value in new.items() if name not in old}
        if added:
            self.add_entries(node, added, key)

    def diff_sequence(self, node: yaml.SequenceNode, old: list[Any], new: list[Any]) -> None:
        """A block list: only the items inserted or removed are written or taken out (a moved item is one
        removed and one inserted); the others keep their text (comments, quotes, block scalars), or are
        edited in place."""
        for opcode, old_start, old_end, new_start, new_end in list_opcodes(old, new):
            common = min(old_end - old_start, new_end - new_start)
            for offset in range(common):
                self.diff(node.value[old_start + offset], old[old_start + offset], new[new_start + offset], None)
            if opcode in ("delete", "replace") and old_end - old_start > common:
                for item in node.value[old_start + common : old_end]:
                    self.remove_item(item)
            if opcode in ("insert", "replace") and new_end - new_start > common:
                self.insert_items(node, old_start + common, new[new_start + common : new_end])

    def write_out_aliases(self) -> None:
        """Where an anchored node changes, its aliases, which must not, are written out with what they
        stand for (each alias is the document's data at its place, as the sparse tree has it)."""
        for name in self.changed_anchors:
            for alias in self.aliases.get(name, []):
                if id(alias) not in self.written_out and alias.value is not sparse.MISSING:
                    self.write_out(alias, alias.value)


def edit(
    text: str,
    node: yaml.Node,
    old: Any,
    new: Any,
    style: Style,
    shared: frozenset[int] = frozenset(),
    anchors: Anchors = NO_ANCHORS,
) -> str:
    """The document's text with `old` data (as parsed from `text` into `node`) changed to `new`; the nodes in
    `shared` (ids: see reader.shared_nodes) must not change; with a sparse tree (`node` from sparse.sparse),
    its `anchors`. The caller checks the result (readback.check). Raises Unsupported."""
    editor, unterminated = _diffed(text, node, old, new, style, shared, anchors)
    result = splice.apply(editor.text, editor.edits)
    if unterminated and result.endswith(style.newline):
        result = result[: -len(style.newline)]
    return result


def edit_encoded(
    text: str,
    source: bytes | memoryview,
    node: yaml.Node,
    old: Any,
    new: Any,
    style: Style,
    shared: frozenset[int] = frozenset(),
    anchors: Anchors = NO_ANCHORS,
) -> bytes:
    """`edit` as UTF-8, what it leaves alone taken from `source` (the text's own UTF-8 bytes): a large
    document is not copied as text once more before it is written (issue 11, L2)."""
    editor, unterminated = _diffed(text, node, old, new, style, shared, anchors)
    added = style.newline if unterminated else ""
    encoded = splice.encode(editor.text, editor.edits, len(editor.text) - len(added))
    del text
    editor.text = ""  # the text goes before the result is joined: the two are not held at once (L2)
    return splice.join(source, encoded, unterminated, style.newline.encode())


def _diffed(
    text: str, node: yaml.Node, old: Any, new: Any, style: Style, shared: frozenset[int], anchors: Anchors
) -> tuple[_Editor, bool]:
    # Without a final line break, lines added at the end would each bring one: edit the text as if it
    # had one, and take it off again.
    unterminated = bool(text) and not text.endswith("\n")
    editor = _Editor(text + style.newline if unterminated else text, style, shared, anchors)
    editor.diff(node, old, new, None)
    editor.write_out_aliases()
    if unterminated and any(item.start == len(editor.text) for item in editor.edits):
        _strip_last_block_scalar(editor)
    return editor, unterminated


_INDICATOR = re.compile(r"[|>]([1-9]?)([+-]?)([1-9]?)")


def _strip_last_block_scalar(editor: _Editor) -> None:
    """A block scalar that ends a text without a final line break has none in its value (`|` clips to
    nothing, `|+` keeps nothing): lines added after it would give it one, so its indicator strips it
    (`|-`), as the round trip writes it."""
    last: Any = None
    for event in yaml.parse(editor.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(event, yaml.ScalarEvent):
            last = event
    if last is None or last.style not in ("|", ">") or editor.text[last.end_mark.index :].strip():
        return
    start = int(last.start_mark.index)
    found = _INDICATOR.match(editor.text, start)
    if found is not None and found.group(2) != "-":
        indicator = editor.text[start] + found.group(1) + found.group(3) + "-"
        editor.edits.append(splice.Edit(start, found.end(), indicator))
