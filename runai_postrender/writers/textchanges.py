"""The text edits a document's editor makes: each replaces or adds text at known positions.

`Changes` turns one difference (found by `textedit`) into one `splice.Edit`, in the document's style
(`emit`): a scalar in its own quotes, keys added below their siblings, items inserted, a value
rewritten where its shape changed, an alias written out. A node that does not start its line (after
`- `, `? ` or `: `: `- name: q`, `- - a`) is written where it stands, its first line continuing the
indicators before it. Keys and items removed: `textremovals`.
"""

from __future__ import annotations

from typing import Any, cast

import yaml

from runai_postrender.documents.style import Style
from runai_postrender.reading import sparse
from runai_postrender.writers import emit
from runai_postrender.writers.splice import Edit
from runai_postrender.writers.textpositions import Shared, ends_line
from runai_postrender.writers.textremovals import Removals


class Changes(Removals):
    """The edits made so far to `text` (see `Positions`), written in `style`; removals: `Removals`."""

    def __init__(self, text: str, style: Style, shared: frozenset[int]) -> None:
        super().__init__(text, shared)
        self.style = style
        self.written_out: set[int] = set()  # the aliases written out already
        self.in_flow = False  # the node being changed stands inside a flow collection: its text is flow

    def placed(self, at: int, lines: list[str]) -> str:
        """Block lines, indented to the column of `at`, as text to write at `at`: the first without the
        indentation that the text before `at` on its line stands for (`- ` before `name: q`)."""
        return self.style.newline.join(lines)[at - self.line_start(at) :]

    def insert_item_lines(self, node: yaml.SequenceNode, before: int, items: list[Any]) -> None:
        """New items before the old item `before` (below the one before it, so its comments stay with it);
        before a first item that shares its line (`- - a`), they take its place and it goes to a line of its own."""
        first = self.dash(node.value[0])  # (the item's own position, not an anchor's elsewhere)
        column = first - self.line_start(first)
        lines = emit.block_items(items, column, self.style)
        newline = self.style.newline
        if before == 0 and not self.alone_on_line(first):
            self.edits.append(Edit(first, first, self.placed(first, lines) + newline + " " * column))
            return
        at = self.after(node.value[before - 1]) if before > 0 else self.line_start(first)
        self.edits.append(Edit(at, at, "".join(line + newline for line in lines)))

    def write_out(self, alias: sparse.AliasStub, value: Any) -> None:
        """Replace the alias `*name` with `value` written out, in the document's style: its anchor's node
        changed, or this place did (what a round trip writes too: a copy that no longer equals its
        anchor's is written as itself)."""
        self.written_out.add(id(alias))
        newline, key, start = self.style.newline, alias.key, alias.start_mark.index
        if start in self.flow_aliases():  # `[*name]`, `{key: *name}`: flow where it stands
            self.edits.append(Edit(start, alias.end_mark.index, emit.flow(value)))
        elif key is None:  # `- *name`: the item's lines (a Stub has the positions these read)
            dash = self.dash(cast(yaml.Node, alias))
            at = self.item_start(cast(yaml.Node, alias))
            lines = emit.block_items([value], dash - self.line_start(dash), self.style)
            self.edits.append(Edit(at, self.after(cast(yaml.Node, alias)), self.placed(at, lines) + newline))
        elif alias.start_mark.line != key.start_mark.line:
            raise Shared("an alias below its key")
        elif isinstance(value, dict | list) and value:  # `key: *name`: a block below the key
            lines = self.block_lines(value, self.child_indent(key, cast(yaml.Node, alias), value))
            self.edits.append(Edit(self.back_over_blanks(start), alias.end_mark.index, newline.join(["", *lines])))
        else:
            text = emit.flow(value) if isinstance(value, dict | list) else emit.scalar(value)
            self.edits.append(Edit(start, alias.end_mark.index, text))

    def write_missing(self, key: yaml.Node, value: Any) -> None:
        """A value where its key had none written (`? key` without a `:` line, `{key}` in flow): `: value`
        after the key in flow; else a `:` line of its own below the key, at its `?`'s column, a block
        continuing it (`: - a`)."""
        end = self.own(key).end_mark.index
        text = emit.flow(value)
        if self.in_flow:
            self.edits.append(Edit(end, end, ": " + text))
            return
        question = self.indicator_before(key.start_mark.index, "?")
        column = question - self.line_start(question)
        if isinstance(value, dict | list) and value:
            text = self.style.newline.join(self.block_lines(value, column + 2))[column + 2 :]
        at = self.line_after(end)
        self.edits.append(Edit(at, at, " " * column + ": " + text + self.style.newline))

    def replace_scalar(self, node: yaml.ScalarNode, value: Any) -> None:
        """The scalar's own text replaced: in its quotes; a block scalar (`|`, `>`: it ends at the start of
        the line after its last) and a scalar over several lines by the value on one line."""
        self.unmarked(node)
        end = node.end_mark.index
        if node.style in ("|", ">"):
            text = emit.scalar(value) + (self.style.newline if ends_line(self.text, end) else "")
            self.edits.append(Edit(node.start_mark.index, end, text))
            return
        quote = node.style if node.style in ("'", '"') else None
        self.edits.append(Edit(node.start_mark.index, node.end_mark.index, emit.scalar(value, quote)))

    def add_entries(self, mapping: yaml.MappingNode, added: dict[Any, Any], key: yaml.Node | None) -> None:
        newline = self.style.newline
        if mapping.flow_style and mapping.value:  # `{a: 1}` gets `, b: 2` before its brace
            close = mapping.end_mark.index - 1
            extra = "".join(f", {emit.scalar(k)}: {emit.flow(v)}" for k, v in added.items())
            if self.text[close] != "}":
                # a single pair in a flow sequence (`[a: 1]`): it gets its braces, `[{a: 1, b: 2}]`
                self.edits.append(Edit(mapping.start_mark.index, mapping.start_mark.index, "{"))
                self.edits.append(Edit(close + 1, close + 1, extra + "}"))
                return
            self.edits.append(Edit(close, close, extra))
            return
        if mapping.flow_style:
            # `{}` is the added keys: flow inside a flow collection, else a block (`resources: {}`)
            self.replace_value(mapping, added, key)
            return
        first = self.entry_start(mapping, 0)
        if mapping.start_mark.index != self.own(mapping.value[0][0]).start_mark.index:
            self.unmarked(mapping)  # the mapping starts before its first key: at a `?`, or an anchor or a tag
        # the mapping's column is its first entry's (a `?` before its key: `? name`)
        indent = first - self.line_start(first)
        at = self.after(mapping)
        prefix = "" if at == 0 or ends_line(self.text, at) else newline
        lines = emit.block_entries(added, indent, self.style)
        self.edits.append(Edit(at, at, prefix + "".join(line + newline for line in lines)))

    def child_indent(self, key: yaml.Node, node: yaml.Node, value: Any) -> int:
        """The column of the block `value` below `key`, where `node` stands: its entry's column (the key's,
        or that of the `:` on a line of its own after an explicit key) and the document's indentation."""
        colon = self.indicator(self.own(key).end_mark.index, node.start_mark.index, ":")
        at = colon if colon is not None and self.alone_on_line(colon) else key.start_mark.index
        return at - self.line_start(at) + (self.style.mapping if isinstance(value, dict) else self.style.offset)

    def replace_value(self, node: yaml.Node, value: Any, key: yaml.Node | None) -> None:
        """Rewrite a node whose shape changed (or a list that grew or shrank) in the document's style."""
        self.unmarked(node)
        newline = self.style.newline
        flow_style = bool(getattr(node, "flow_style", False))
        block = isinstance(value, dict | list) and bool(value)
        if self.in_flow and (block or not isinstance(node, yaml.ScalarNode)):
            # inside a flow collection, a value is written as flow where it stands (`resources: ~` too)
            self.edits.append(Edit(node.start_mark.index, node.end_mark.index, emit.flow(value)))
            return
        if not block:
            if isinstance(node, yaml.ScalarNode) or flow_style:
                # (an empty collection, a scalar into a flow collection; a block scalar ends its last line)
                end = node.end_mark.index
                text = emit.flow(value) + (newline if ends_line(self.text, end) else "")
                self.edits.append(Edit(node.start_mark.index, end, text))
                return
            self.collapse(node, value, key)
            return
        scalar_or_flow = isinstance(node, yaml.ScalarNode) or flow_style
        if key is None or not (scalar_or_flow or self.alone_on_line(node.start_mark.index)):
            self.rewrite_in_place(node, value)
            return
        if scalar_or_flow:
            # `key: null`, `key: x` or `key: [..]` becoming a block: the block starts on the next line; a value
            # on a line below its key (`key:` then `  null`, `{}`: what Helm's `toYaml ... | nindent` renders)
            # leaves no line behind (comments between stay)
            lines = self.block_lines(value, self.child_indent(key, node, value))
            start = self.back_over_blanks(node.start_mark.index)
            if node.start_mark.line != key.start_mark.line:
                start = self.back_over_blanks(self.before_line_break(start))
            end = node.end_mark.index  # (a block scalar's ends its last line)
            text = newline.join(["", *lines]) + (newline if ends_line(self.text, end) else "")
            self.edits.append(Edit(start, end, text))
            return
        # a block collection below its key rewritten in place, at its own column
        column = int(node.start_mark.column)
        if isinstance(node, yaml.MappingNode) != isinstance(value, dict):
            # a mapping becoming a list or a list a mapping: at the column its key gives the new kind
            column = self.child_indent(key, node, value)
        start = self.line_start(node.start_mark.index)
        lines = self.block_lines(value, column)
        self.edits.append(Edit(start, self.after(node), "".join(line + newline for line in lines)))

    def rewrite_in_place(self, node: yaml.Node, value: Any) -> None:
        """A block written where `node` stands, with no key's line before it: a list item (`- x`, `- name: q`),
        a block collection after `? ` or `: `, the document. Its first line continues the indicators before
        it, the others stand at its column; a document after `--- ` starts on the next line, at column 0."""
        newline = self.style.newline
        start = node.start_mark.index
        collection = isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style
        end = self.after(node) if collection else node.end_mark.index
        if self.after_indicators(start):
            text = self.placed(start, self.block_lines(value, start - self.line_start(start)))
        else:
            start = self.back_over_blanks(start)
            text = newline + newline.join(self.block_lines(value, 0))
        self.edits.append(Edit(start, end, text + (newline if ends_line(self.text, end) else "")))

    def collapse(self, node: yaml.Node, value: Any, key: yaml.Node | None) -> None:
        """A block collection becoming a scalar or an empty collection (`spec:` with its only key removed is
        `spec: {}`, not null). Below its key, its lines go and the value follows the key's `:` (comments
        on that line stay); elsewhere (`- replicas: 1`, a list item or a value after `: `, the document)
        the value is written where the collection starts."""
        text = emit.flow(value) if isinstance(value, dict | list) else emit.scalar(value)
        start = node.start_mark.index
        if key is not None and self.alone_on_line(start):
            colon = self.indicator(self.own(key).end_mark.index, start, ":")
            assert colon is not None  # (a block collection is a key's value after its `:`)
            self.edits.append(Edit(colon + 1, colon + 1, " " + text))
            self.edits.append(Edit(self.line_start(start), self.after(node), ""))
            return
        end = self.content_end(node)
        self.edits.append(Edit(start, end, text + (self.style.newline if ends_line(self.text, end) else "")))

    def block_lines(self, value: Any, indent: int) -> list[str]:
        if isinstance(value, dict):
            return emit.block_entries(value, indent, self.style)
        return emit.block_items(value, indent, self.style)
