"""Write a patched document by editing its original text only where its data changed.

libyaml (through PyYAML's C loader) parses a targeted document in a fraction of a millisecond and
says where every node stands in the text. After the rules have changed the document's data, the old
node tree and the new data are compared, and each difference becomes one text edit: a scalar
replaced in its own quoting, a key removed with its lines, keys added below their siblings in the
document's indentation, a collection rewritten where its shape changed. Everything else, comments
and blank lines included, stays as it was. Where a document is too unusual for that (anchors and
aliases, merge keys, tags, block scalars being replaced, keys sharing a line), `Unsupported` is
raised and the writer falls back to the round trip (`roundtrip`). The result is always checked: it must
read back (`reader`) as exactly the new data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import yaml

from runai_postrender import emit, reader

_DASH = re.compile(r" *- +")
_ALIAS = re.compile(r"[ \t]*:[ \t]+\*[^ \t\r\n,\[\]{}]+")


def _canonical(value: Any) -> Any:
    """A hashable form of plain data that tells apart what `reader.same` tells apart (1, 1.0, true)."""
    if isinstance(value, dict):
        return ("{", tuple((_canonical(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[", tuple(_canonical(item) for item in value))
    return (type(value).__name__, value)


def list_opcodes(old: list[Any], new: list[Any]) -> Iterator[tuple[str, int, int, int, int]]:
    """How `old` became `new`, item by item, as difflib's opcodes (equal runs left out), last first so
    that edits by index keep the indices still to come valid. The common head and tail are matched
    first, so that a list that grew at one end costs time linear in its length."""
    head = 0
    while head < min(len(old), len(new)) and reader.same(old[head], new[head]):
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and reader.same(old[-1 - tail], new[-1 - tail]):
        tail += 1
    middle_old = [_canonical(item) for item in old[head : len(old) - tail]]
    middle_new = [_canonical(item) for item in new[head : len(new) - tail]]
    opcodes = SequenceMatcher(None, middle_old, middle_new, autojunk=False).get_opcodes()
    for opcode, old_start, old_end, new_start, new_end in reversed(opcodes):
        if opcode != "equal":
            yield opcode, head + old_start, head + old_end, head + new_start, head + new_end


class Unsupported(Exception):
    """This document needs the round-trip path."""


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


class _Editor:
    def __init__(self, text: str, style: emit.Style, shared: frozenset[int]) -> None:
        self.text = text
        self.style = style
        self.shared = shared
        self.edits: list[Edit] = []

    def own(self, node: yaml.Node) -> yaml.Node:
        """The node, if a text edit may use its position: an aliased node's position is its anchor's."""
        if id(node) in self.shared:
            raise Unsupported("a change at an anchored, aliased, merged or tagged node")
        return node

    def unmarked(self, node: yaml.Node) -> None:
        """Refuse to replace a node written with an anchor or a tag: the edit would drop it."""
        if self.text[node.start_mark.index : node.start_mark.index + 1] in ("&", "!"):
            raise Unsupported("a node with an anchor or a tag")

    # ---- positions
    def line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def line_end(self, index: int) -> int:
        """Index just past the line break of the line holding `index` (or the end of the text)."""
        newline = self.text.find("\n", index)
        return len(self.text) if newline < 0 else newline + 1

    def content_end(self, node: yaml.Node) -> int:
        """Where the node's own text ends: block collections end at their last descendant."""
        while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
            self.own(node)
            if isinstance(node, yaml.MappingNode):
                key, node = node.value[-1]
                if id(node) in self.shared:  # `key: *name`: the alias ends it, not the anchored node elsewhere
                    alias = _ALIAS.match(self.text, self.own(key).end_mark.index)
                    if alias is None:
                        raise Unsupported("a mapping that ends in an anchored node")
                    return alias.end()
            else:
                node = node.value[-1]
        return int(self.own(node).end_mark.index)

    def after(self, node: yaml.Node) -> int:
        """The start of the line after the node's own text (block scalars end there already)."""
        index = self.content_end(node)
        return index if index > 0 and self.text[index - 1] == "\n" else self.line_end(index)

    def back_over_blanks(self, index: int) -> int:
        """Where the spaces before `index` begin: a value moving to the next line leaves none behind."""
        while index > 0 and self.text[index - 1] == " ":
            index -= 1
        return index

    def alone_on_line(self, index: int) -> bool:
        return self.text[self.line_start(index) : index].strip(" ") == ""

    # ---- the comparison
    def diff(self, node: yaml.Node, old: Any, new: Any, key: yaml.Node | None) -> None:
        if id(node) in self.shared and reader.same(old, new):
            return
        self.own(node)
        if isinstance(node, yaml.MappingNode) and isinstance(old, dict) and isinstance(new, dict):
            self.diff_mapping(node, old, new, key)
        elif isinstance(node, yaml.SequenceNode) and isinstance(old, list) and isinstance(new, list):
            if node.value and not node.flow_style:
                self.diff_sequence(node, old, new)
            elif len(old) == len(new):
                for item_node, old_item, new_item in zip(node.value, old, new, strict=True):
                    self.diff(item_node, old_item, new_item, None)
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
        for (key_node, value_node), name in zip(node.value, old, strict=True):
            if name not in new:
                self.remove_entry(node, key_node, value_node)
            else:
                self.diff(value_node, old[name], new[name], key_node)
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
                    start = self.item_start(item)
                    self.edits.append(Edit(start, self.after(item), ""))
            if opcode in ("insert", "replace") and new_end - new_start > common:
                self.insert_items(node, old_start + common, new[new_start + common : new_end])

    def item_start(self, item: yaml.Node) -> int:
        """Where the line of a block list item's dash starts (its dash must begin the line)."""
        start = self.line_start(self.own(item).start_mark.index)
        if not _DASH.fullmatch(self.text[start : item.start_mark.index]):
            raise Unsupported("a list item that does not start its line")
        return start

    def insert_items(self, node: yaml.SequenceNode, before: int, items: list[Any]) -> None:
        """New items before the old item `before` (below the one before it, so its comments stay with it)."""
        first = self.item_start(node.value[0])  # (the item's own position, not an anchor's elsewhere)
        column = len(self.text[first : node.value[0].start_mark.index].split("-")[0])
        at = self.after(node.value[before - 1]) if before > 0 else first
        lines = emit.block_items(items, column, self.style)
        self.edits.append(Edit(at, at, "".join(line + self.style.newline for line in lines)))

    # ---- the edits
    def replace_scalar(self, node: yaml.ScalarNode, value: Any) -> None:
        if node.style in ("|", ">"):
            raise Unsupported("a block scalar")
        self.unmarked(node)
        if node.start_mark.line != node.end_mark.line:
            raise Unsupported("a multi-line scalar")
        quote = node.style if node.style in ("'", '"') else None
        self.edits.append(Edit(node.start_mark.index, node.end_mark.index, emit.scalar(value, quote)))

    def remove_entry(self, mapping: yaml.MappingNode, key: yaml.Node, value: yaml.Node) -> None:
        if mapping.flow_style or not self.alone_on_line(self.own(key).start_mark.index):
            raise Unsupported("removing a key that shares its line")
        start = self.line_start(key.start_mark.index)
        self.edits.append(Edit(start, self.after(value), ""))

    def add_entries(self, mapping: yaml.MappingNode, added: dict[Any, Any], key: yaml.Node | None) -> None:
        newline = self.style.newline
        if mapping.flow_style:
            if mapping.value:  # `{a: 1}` gets `, b: 2` before its brace
                close = mapping.end_mark.index - 1
                if self.text[close] != "}":
                    raise Unsupported("a flow mapping without its brace")
                extra = "".join(f", {emit.scalar(k)}: {emit.flow(v)}" for k, v in added.items())
                self.edits.append(Edit(close, close, extra))
                return
            # `resources: {}` becomes a block; so does `resources:` with `{}` alone on the next line (what
            # Helm's `toYaml ... | nindent` renders), which must not leave that line behind empty
            indent = self.child_indent(key)
            lines = emit.block_entries(added, indent, self.style)
            self.unmarked(mapping)
            start = self.back_over_blanks(mapping.start_mark.index)
            if self.text[self.line_start(start) : start] == "" and start > 0:
                start = self.back_over_blanks(start - (2 if self.text[max(start - 2, 0) : start] == "\r\n" else 1))
            self.edits.append(Edit(start, mapping.end_mark.index, newline.join(["", *lines])))
            return
        if not mapping.value:
            raise Unsupported("an empty block mapping")
        indent = self.own(mapping.value[0][0]).start_mark.column
        if (
            not self.alone_on_line(self.own(mapping.value[-1][0]).start_mark.index)
            and indent != mapping.value[-1][0].start_mark.column
        ):
            raise Unsupported("keys at uneven columns")
        at = self.after(mapping)
        prefix = "" if at == 0 or self.text[at - 1] == "\n" else newline
        lines = emit.block_entries(added, indent, self.style)
        self.edits.append(Edit(at, at, prefix + "".join(line + newline for line in lines)))

    def child_indent(self, key: yaml.Node | None) -> int:
        if key is None or not self.alone_on_line(self.own(key).start_mark.index):
            raise Unsupported("a value that does not follow a key on its own line")
        return int(key.start_mark.column) + self.style.mapping

    def replace_value(self, node: yaml.Node, value: Any, key: yaml.Node | None) -> None:
        """Rewrite a node whose shape changed (or a list that grew or shrank) in the document's style."""
        self.unmarked(node)
        newline = self.style.newline
        flow_style = bool(getattr(node, "flow_style", False))
        block = isinstance(value, dict | list) and bool(value)
        if not block:
            if isinstance(node, yaml.ScalarNode):
                self.replace_scalar(node, value)
                return
            if flow_style:
                self.edits.append(Edit(node.start_mark.index, node.end_mark.index, emit.flow(value)))
                return
            raise Unsupported("a block collection becoming a scalar")
        if isinstance(node, yaml.ScalarNode) or flow_style:
            # `key: null`, `key: x` or `key: [..]` becoming a block: the block starts on the next line
            if key is None or node.start_mark.line != self.own(key).start_mark.line:
                raise Unsupported("a value that does not follow its key")
            indent = self.child_indent(key)
            if isinstance(value, list):
                indent = int(key.start_mark.column) + self.style.offset
            lines = self.block_lines(value, indent)
            start = self.back_over_blanks(node.start_mark.index)
            end = node.end_mark.index
            self.edits.append(Edit(start, end, newline.join(["", *lines])))
            return
        # a block collection rewritten in place, at its own column
        if not self.alone_on_line(node.start_mark.index):
            raise Unsupported("a block collection that starts after other text")
        if isinstance(node, yaml.MappingNode) != isinstance(value, dict):
            raise Unsupported("a block collection changing kind")
        start = self.line_start(node.start_mark.index)
        end = self.after(node)
        lines = self.block_lines(value, int(node.start_mark.column))
        self.edits.append(Edit(start, end, "".join(line + newline for line in lines)))

    def block_lines(self, value: Any, indent: int) -> list[str]:
        if isinstance(value, dict):
            return emit.block_entries(value, indent, self.style)
        return emit.block_items(value, indent, self.style)

    def apply(self) -> str:
        text = self.text
        last = len(text) + 1
        # From the end backwards, so that earlier offsets stay valid; of two insertions at one place,
        # the one recorded first (the deeper key) must end up first, so it is applied last.
        order = sorted(range(len(self.edits)), key=lambda i: (self.edits[i].start, self.edits[i].end, i), reverse=True)
        for item in (self.edits[i] for i in order):
            if item.end > last:
                raise Unsupported("overlapping edits")
            text = text[: item.start] + item.text + text[item.end :]
            last = item.start
        return text


def rewrite(
    text: str, node: yaml.Node, old: Any, new: Any, style: emit.Style, shared: frozenset[int] = frozenset()
) -> str:
    """The document's text with `old` data (as parsed from `text` into `node`) changed to `new`; the nodes
    in `shared` (ids: see reader.shared_nodes) must not change. Raises Unsupported."""
    result = edit(text, node, old, new, style, shared)
    check(result, new)
    return result


def edit(
    text: str, node: yaml.Node, old: Any, new: Any, style: emit.Style, shared: frozenset[int] = frozenset()
) -> str:
    """`rewrite` without its check: the text that `check` must then accept."""
    # Without a final line break, lines added at the end would each bring one: edit the text as if it
    # had one, and take it off again.
    unterminated = bool(text) and not text.endswith("\n")
    editor = _Editor(text + style.newline if unterminated else text, style, shared)
    editor.diff(node, old, new, None)
    result = editor.apply()
    if unterminated and result.endswith(style.newline):
        result = result[: -len(style.newline)]
    return result


def check(result: str, new: Any) -> None:
    """Raise Unsupported unless the edited text `result` reads back as exactly the new data."""
    try:
        found = reader.read(result)
    except (yaml.YAMLError, reader.Shape, RecursionError) as exc:
        raise Unsupported(f"the edited text does not parse: {exc}") from exc
    if not reader.same(found, new, quoted_numbers=True):
        raise Unsupported("the edited text does not read back as the new data")
