"""The text edits a document's editor makes: each replaces, removes or adds text at known positions.

`Changes` turns one difference (found by `textedit`) into one `splice.Edit`, in the document's style
(`emit`): a scalar in its own quotes, a key removed with its lines, keys added below their siblings,
items inserted, a value rewritten where its shape changed, an alias written out. What it cannot write
exactly raises `Unsupported`.
"""

from __future__ import annotations

from typing import Any, cast

import yaml

from runai_postrender.documents.style import Style
from runai_postrender.reading import sparse
from runai_postrender.writers import emit
from runai_postrender.writers.splice import Edit
from runai_postrender.writers.textpositions import Positions, Unsupported


class Changes(Positions):
    """The edits made so far to `text` (see `Positions`), written in `style`."""

    def __init__(self, text: str, style: Style, shared: frozenset[int]) -> None:
        super().__init__(text, shared)
        self.style = style
        self.edits: list[Edit] = []
        self.written_out: set[int] = set()  # the aliases written out already

    def remove_item(self, item: yaml.Node) -> None:
        self.edits.append(Edit(self.item_start(item), self.after(item), ""))

    def insert_items(self, node: yaml.SequenceNode, before: int, items: list[Any]) -> None:
        """New items before the old item `before` (below the one before it, so its comments stay with it)."""
        first = self.item_start(node.value[0])  # (the item's own position, not an anchor's elsewhere)
        column = len(self.text[first : node.value[0].start_mark.index].split("-")[0])
        at = self.after(node.value[before - 1]) if before > 0 else first
        lines = emit.block_items(items, column, self.style)
        self.edits.append(Edit(at, at, "".join(line + self.style.newline for line in lines)))

    def write_out(self, alias: sparse.AliasStub, value: Any) -> None:
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
