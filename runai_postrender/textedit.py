"""Write a patched document by editing its original text only where its data changed.

libyaml (through PyYAML's C loader) says where every node of a targeted document stands in its text
(`textpositions`). After the rules have changed the document's data, the old
node tree and the new data are compared, and each difference becomes one text edit: a scalar
replaced in its own quoting, a key removed with its lines, keys added below their siblings in the
document's indentation, a collection rewritten where its shape changed. Everything else, comments
and blank lines included, stays as it was. Where a change is too unusual for that (through an anchored,
aliased, merged or tagged node; a block scalar replaced; keys sharing a line), `Unsupported` is
raised and the writer falls back to the round trip (`roundtrip`). The result is always checked: it must
read back (`reader`) as exactly the new data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import yaml

from runai_postrender import emit, events, reader
from runai_postrender.listdiff import list_opcodes
from runai_postrender.textpositions import Partial, Positions, Unsupported

__all__ = ["Anchors", "Partial", "Unsupported", "check", "edit", "edit_encoded", "list_opcodes", "rewrite"]

# A sparse tree's anchors (see events.Sparse): the anchor's name by the id of the node it marks, where that
# node changes, and each anchor's aliases by its name.
Anchors = tuple[dict[int, str], dict[str, list[events.AliasStub]]]
NO_ANCHORS: Anchors = ({}, {})


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


class _Editor(Positions):
    def __init__(self, text: str, style: emit.Style, shared: frozenset[int], anchors: Anchors) -> None:
        super().__init__(text, shared)
        self.style = style
        self.edits: list[Edit] = []
        self.anchored, self.aliases = anchors
        self.changed_anchors: list[str] = []  # anchors whose node changes: their aliases are written out
        self.written_out: set[int] = set()  # the aliases written out already

    # ---- the comparison
    def diff(self, node: yaml.Node, old: Any, new: Any, key: yaml.Node | None) -> None:
        if old is new:  # (the sparse tree's old data is the new data wherever the two are equal)
            return
        if isinstance(node, events.AliasStub):
            self.write_out(node, new)
            return
        if isinstance(node, events.Stub):
            raise Partial("a node compared with data other than its own")
        if id(node) in self.shared and reader.same(old, new):
            return
        self.own(node)
        if id(node) in self.anchored:
            self.changed_anchors.append(self.anchored[id(node)])
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

    def insert_items(self, node: yaml.SequenceNode, before: int, items: list[Any]) -> None:
        """New items before the old item `before` (below the one before it, so its comments stay with it)."""
        first = self.item_start(node.value[0])  # (the item's own position, not an anchor's elsewhere)
        column = len(self.text[first : node.value[0].start_mark.index].split("-")[0])
        at = self.after(node.value[before - 1]) if before > 0 else first
        lines = emit.block_items(items, column, self.style)
        self.edits.append(Edit(at, at, "".join(line + self.style.newline for line in lines)))

    def write_out_aliases(self) -> None:
        """Where an anchored node changes, its aliases, which must not, are written out with what they
        stand for (each alias is the document's data at its place, as the sparse tree has it)."""
        for name in self.changed_anchors:
            for alias in self.aliases.get(name, []):
                if id(alias) not in self.written_out and alias.value is not events.MISSING:
                    self.write_out(alias, alias.value)

    # ---- the edits
    def write_out(self, alias: events.AliasStub, value: Any) -> None:
        """Replace the alias `*name` with `value` written out, in the document's style: its anchor's node
        changed, or this place did (what a round trip writes too: a copy that no longer equals its
        anchor's is written as itself)."""
        self.written_out.add(id(alias))
        newline, key, start = self.style.newline, alias.key, alias.start_mark.index
        if key is None:  # `- *name`: the item's lines
            line = self.item_start(cast(yaml.Node, alias))  # (a Stub has the positions these read)
            column = len(self.text[line:start].split("-")[0])
            lines = emit.block_items([value], column, self.style)
            self.edits.append(Edit(line, self.after(cast(yaml.Node, alias)), "".join(item + newline for item in lines)))
        elif alias.start_mark.line != key.start_mark.line:
            raise Unsupported("an alias below its key")
        elif isinstance(value, dict | list) and value:  # `key: *name`: a block below the key
            indent = self.child_indent(key) if isinstance(value, dict) else key.start_mark.column + self.style.offset
            lines = self.block_lines(value, indent)
            self.edits.append(Edit(self.back_over_blanks(start), alias.end_mark.index, newline.join(["", *lines])))
        else:
            text = emit.flow(value) if isinstance(value, dict | list) else emit.scalar(value)
            self.edits.append(Edit(start, alias.end_mark.index, text))

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

    def ordered(self) -> list[Edit]:
        """The edits in text order; of two insertions at one place, the one recorded first (the deeper
        key) comes first."""
        order = sorted(range(len(self.edits)), key=lambda i: (self.edits[i].start, self.edits[i].end, i))
        done = 0
        for i in order:
            if self.edits[i].start < done:
                raise Unsupported("overlapping edits")
            done = self.edits[i].end
        return [self.edits[i] for i in order]

    def apply(self) -> str:
        pieces: list[str] = []
        done = 0
        for item in self.ordered():
            pieces += (self.text[done : item.start], item.text)
            done = item.end
        pieces.append(self.text[done:])
        return "".join(pieces)

    def apply_encoded(self, source: bytes | memoryview, unterminated: bool) -> bytes:
        """`apply` as UTF-8, the stretches between the edits taken from `source` (the text's UTF-8). The
        editor lets go of its text first, so that the text and the result are not held at once."""
        ascii, text, newline = self.text.isascii(), self.text, self.style.newline.encode()
        char, byte = 0, 0  # a character offset and the byte offset it has in `source`

        def at(index: int) -> int:
            nonlocal char, byte
            if ascii:
                return index
            byte += len(text[char:index].encode("utf-8"))
            char = index
            return byte

        ordered = self.ordered()
        edits = [(at(item.start), at(item.end), item.text.encode("utf-8")) for item in ordered]
        last = ordered[-1].end if ordered else 0
        end = len(text) - (len(newline) if unterminated else 0)  # (without the line break `_diffed` added)
        tail = at(end) if last < end else None
        self.text = text = ""
        pieces: list[bytes | memoryview] = []
        done = 0
        for start, stop, replacement in edits:
            pieces += (source[done:start], replacement)
            done = stop
        if tail is not None:
            pieces.append(source[done:tail])
        elif unterminated and last > end and pieces and bytes(pieces[-1][-len(newline) :]) == newline:
            pieces[-1] = pieces[-1][: -len(newline)]  # lines added at the very end: as `edit` has them
        return b"".join(pieces)


def rewrite(
    text: str, node: yaml.Node, old: Any, new: Any, style: emit.Style, shared: frozenset[int] = frozenset()
) -> str:
    """The document's text with `old` data (as parsed from `text` into `node`) changed to `new`; the nodes
    in `shared` (ids: see reader.shared_nodes) must not change. Raises Unsupported."""
    result = edit(text, node, old, new, style, shared)
    check(result, new)
    return result


def edit(
    text: str,
    node: yaml.Node,
    old: Any,
    new: Any,
    style: emit.Style,
    shared: frozenset[int] = frozenset(),
    anchors: Anchors = NO_ANCHORS,
) -> str:
    """`rewrite` without its check: the text that `check` must then accept. With a sparse tree (`node`
    from events.sparse), its `anchors`."""
    editor, unterminated = _diffed(text, node, old, new, style, shared, anchors)
    result = editor.apply()
    if unterminated and result.endswith(style.newline):
        result = result[: -len(style.newline)]
    return result


def edit_encoded(
    text: str,
    source: bytes | memoryview,
    node: yaml.Node,
    old: Any,
    new: Any,
    style: emit.Style,
    shared: frozenset[int] = frozenset(),
    anchors: Anchors = NO_ANCHORS,
) -> bytes:
    """`edit` as UTF-8, what it leaves alone taken from `source` (the text's own UTF-8 bytes): a large
    document is not copied as text once more before it is written (issue 11, L2)."""
    editor, unterminated = _diffed(text, node, old, new, style, shared, anchors)
    del text  # the editor lets go of it before it writes (L2: memory)
    return editor.apply_encoded(source, unterminated)


def _diffed(
    text: str, node: yaml.Node, old: Any, new: Any, style: emit.Style, shared: frozenset[int], anchors: Anchors
) -> tuple[_Editor, bool]:
    # Without a final line break, lines added at the end would each bring one: edit the text as if it
    # had one, and take it off again.
    unterminated = bool(text) and not text.endswith("\n")
    editor = _Editor(text + style.newline if unterminated else text, style, shared, anchors)
    editor.diff(node, old, new, None)
    editor.write_out_aliases()
    return editor, unterminated


def check(result: str | bytes, new: Any) -> None:
    """Raise Unsupported unless the edited text `result` reads back as exactly the new data."""
    try:
        try:
            if events.matches(result, new):
                return
            raise Unsupported("the edited text does not read back as the new data")
        except events.Slow:  # merge keys, tags, complex keys: read it whole
            found = reader.read(result if isinstance(result, str) else result.decode("utf-8"))
    except (yaml.YAMLError, reader.Shape, RecursionError) as exc:
        raise Unsupported(f"the edited text does not parse: {exc}") from exc
    if not reader.same(found, new, quoted_numbers=True):
        raise Unsupported("the edited text does not read back as the new data")
