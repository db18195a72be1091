"""Write a patched document by editing its original text only where its data changed.

libyaml says where the nodes of a targeted document stand in its text (`textpositions`; the sparse tree
of `sparse`, or the whole node tree). After the rules have changed the document's data, the old tree
and the new data are compared here, and each difference becomes one text edit (`textchanges`): a scalar
replaced in its own quoting, a key removed with its lines, keys added below their siblings in the
document's indentation, list items inserted or removed alone, a collection rewritten where its shape
changed, an alias written out where its anchor's node changes. Everything else, comments and blank
lines included, stays as it was (`splice`); a mapping's keys keep the text's order, whatever order the
new data gives them (`diff.in_text_order`). A change through a merged or tagged node or an anchored
scalar raises `Shared` (the round trip writes it). The writer checks the result: it must read back as
exactly the new data (`readback`).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, cast

import yaml

from runai_postrender.documents.style import Style
from runai_postrender.reading import marks, reader, sparse
from runai_postrender.writers import finalbreak, splice
from runai_postrender.writers.diff import Diff, in_old_order, in_text_order
from runai_postrender.writers.listdiff import list_opcodes
from runai_postrender.writers.textchanges import Changes
from runai_postrender.writers.textpositions import Partial, Shared, ends_line

__all__ = ["Anchors", "Partial", "Shared", "edit", "edit_encoded", "list_opcodes"]

# A sparse tree's anchors (see sparse.Sparse): the anchor's name by the id of the node it marks, where that
# node changes, and each anchor's aliases by its name.
Anchors = tuple[dict[int, str], dict[str, list[sparse.AliasStub]]]
NO_ANCHORS: Anchors = ({}, {})


# Where the editor is: the node, the key it is the value of (None for a list item or the document), and
# whether it stands inside a flow collection (its text is then flow).
_At = tuple[yaml.Node, yaml.Node | None, bool]


class _Editor(Changes, Diff[_At]):
    """The comparison of `diff` replayed as text edits at the nodes' positions."""

    def __init__(self, text: str, style: Style, shared: frozenset[int], anchors: Anchors) -> None:
        super().__init__(text, style, shared)
        self.anchored, self.aliases = anchors
        self.changed_anchors: list[str] = []  # anchors whose node changes: their aliases are written out

    def diff(self, at: _At, old: Any, new: Any) -> None:
        node = at[0]
        if old is new:  # (the sparse tree's old data is the new data wherever the two are equal)
            return
        if isinstance(node, sparse.AliasStub):
            self.write_out(node, new)
            return
        if isinstance(node, sparse.Stub):
            raise Partial("a node compared with data other than its own")
        if id(node) in self.shared and reader.same(old, new, ordered=False):
            in_old_order(old, new)  # (a node the editor may not change: its keys reordered, and nothing else)
            return
        self.own(node)
        if id(node) in self.anchored:
            self.changed_anchors.append(self.anchored[id(node)])
        emptied = isinstance(new, dict | list) and not new
        if emptied and isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.value and not node.flow_style:
            self.replace(at, new)  # every key or item removed: `key: {}`, not `key:` (null)
        elif isinstance(node, yaml.MappingNode) and isinstance(old, dict) and isinstance(new, dict):
            self.diff_mapping(at, old, new)
        elif isinstance(node, yaml.SequenceNode) and isinstance(old, list) and isinstance(new, list):
            if node.value and not node.flow_style:
                self.diff_sequence(at, old, new)
            elif len(old) == len(new):  # a flow list: its items compared in place, or the list rewritten
                for index, (old_item, new_item) in enumerate(zip(old, new, strict=True)):
                    self.diff(self.item(at, index), old_item, new_item)
            else:
                self.replace(at, new)
        elif not reader.same(old, new):
            self.replace(at, new)

    def child(self, at: _At, index: int, name: Any) -> _At:
        key, value = at[0].value[index]
        return value, key, at[2] or bool(getattr(at[0], "flow_style", False))

    def item(self, at: _At, index: int) -> _At:
        return at[0].value[index], None, at[2] or bool(getattr(at[0], "flow_style", False))

    def replace(self, at: _At, new: Any) -> None:
        node, key, self.in_flow = at
        if key is not None and self.missing(node):
            self.write_missing(key, new)
        elif isinstance(node, yaml.ScalarNode) and not isinstance(new, dict | list):
            self.replace_scalar(node, new)
        else:
            self.replace_value(node, new, key)

    def diff_mapping(self, at: _At, old: dict[Any, Any], new: dict[Any, Any]) -> None:
        mapping = cast(yaml.MappingNode, at[0])
        kept = [name in new for name in old]
        if new and not any(kept) and (mapping.flow_style or self.shares_first_line(mapping)):
            # none of its keys stays in a mapping whose text the removals would leave without a place for
            # the keys added (`- replicas: 1`, `{a: 1}`): it is written anew where it stands
            self.replace(at, new)
            return
        if not all(kept):
            self.remove_entries(mapping, kept)
        in_text_order(old, new)
        super().diff_mapping(at, old, new)

    def remove_key(self, at: _At, index: int, name: Any) -> None:
        pass  # (removed with the mapping's others, by diff_mapping: where one ends depends on which stay)

    def add_keys(self, at: _At, added: dict[Any, Any]) -> None:
        node, key, self.in_flow = at
        self.add_entries(cast(yaml.MappingNode, node), added, key)

    def remove_items(self, at: _At, start: int, end: int) -> None:
        self.remove_item_lines(cast(yaml.SequenceNode, at[0]), start, end)

    def insert_items(self, at: _At, before: int, items: list[Any]) -> None:
        self.insert_item_lines(cast(yaml.SequenceNode, at[0]), before, items)

    def write_out_aliases(self) -> None:
        """Where an anchored node changes, its aliases, which must not, are written out with what they
        stand for (each alias is the document's data at its place, as the sparse tree has it)."""
        for name in self.changed_anchors:
            for alias in self.aliases.get(name, []):
                if id(alias) not in self.written_out and alias.value is not sparse.MISSING:
                    self.write_out(alias, alias.value)

    def write_out_taken(self) -> None:
        """Where an edit takes out the text that defines an anchor (a key or an item removed, a value
        rewritten, with the anchored node inside), the aliases of it that stay are written out with what
        they stand for; on the whole node tree, which has no alias stubs, the round trip writes the change
        (`Shared`). The text's events say where anchors and aliases stand."""
        ranges = [(item.start, item.end) for item in splice.ordered(self.edits) if item.start < item.end]
        if "*" not in self.text or all(self.text.find("&", start, end) < 0 for start, end in ranges):
            return  # no anchor taken out (its `&` would be in a range the edits take out): no pass over the events
        starts = [start for start, _ in ranges]

        def taken(index: int) -> bool:
            at = bisect_right(starts, index) - 1
            return at >= 0 and index < ranges[at][1]

        names: set[str] = set()  # the anchors taken out
        kept: list[tuple[str, int]] = []  # the aliases that stay: (anchor, start)
        for anchor, start, is_alias in marks.anchor_marks(self.text):
            if is_alias:
                if not taken(start):
                    kept.append((anchor, start))
            elif taken(start):
                names.add(anchor)
        stubs = {alias.start: alias for name in names for alias in self.aliases.get(name, [])}
        for name, start in kept:
            if name in names:
                alias = stubs.get(start)
                if alias is None:
                    raise Shared("an alias whose anchor an edit takes out")
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
    its `anchors`. The caller checks the result (readback.check). Raises Shared, Partial."""
    editor, _, strip = _diffed(text, node, old, new, style, shared, anchors)
    result = splice.apply(editor.text, editor.edits)
    if strip and result.endswith(style.newline):
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
    document is not copied as text once more before it is written (its memory stays near its own size)."""
    editor, unterminated, strip = _diffed(text, node, old, new, style, shared, anchors)
    added = style.newline if unterminated else ""
    encoded = splice.encode(editor.text, editor.edits, len(editor.text) - len(added))
    del text
    editor.text = ""  # the text goes before the result is joined: the two are never in memory at once
    return splice.join(source, encoded, added.encode(), strip)


def _diffed(
    text: str, node: yaml.Node, old: Any, new: Any, style: Style, shared: frozenset[int], anchors: Anchors
) -> tuple[_Editor, bool, bool]:
    """The editor with its edits; whether the text has no final line break (the editor's has one added)
    and whether the result is to end without it again (`strip`)."""
    # Without a final line break, lines added at the end would each bring one: edit the text as if it
    # had one, and take it off again, unless the result then ends in a block scalar whose value needs it.
    unterminated = bool(text) and not ends_line(text, len(text))
    editor = _Editor(text + style.newline if unterminated else text, style, shared, anchors)
    editor.diff((node, None, False), old, new)
    editor.write_out_aliases()
    editor.write_out_taken()
    return editor, unterminated, unterminated and finalbreak.strips(editor.text, editor.edits)
