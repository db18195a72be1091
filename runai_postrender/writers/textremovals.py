"""The text edits that take keys and list items out of a document's text, each with its lines.

A key or an item goes with the lines it is written on (a comment on them too), nothing else: comment
lines and blank lines between entries stay. Where the first of a block collection's entries shares its
line with the indicators before it (`- name: q`, `- - a`), the entry kept after the ones removed moves
up to that line, unless a comment line stands between: then the indicators stay on their line alone
(`-`), the comment lines and the entry kept below them. A flow mapping loses its entries with their
commas, its comment lines kept.
"""

from __future__ import annotations

import re

import yaml

from runai_postrender.writers.splice import Edit
from runai_postrender.writers.textpositions import BREAKS, Positions, ends_line

# A comma and a comment after it, on an entry's line; a line holding only a comment, with its line break
_COMMA_AND_COMMENT = re.compile(f"[ \\t]*,[ \\t]*#[^{BREAKS}]*")
_COMMENT_LINE = re.compile(f"(?<=[{BREAKS}])[ \\t]*#[^{BREAKS}]*(?:\\r\\n|[{BREAKS}])")


class Removals(Positions):
    """Removals from `text` (see `Positions`), as `splice.Edit`s in `edits`."""

    def __init__(self, text: str, shared: frozenset[int]) -> None:
        super().__init__(text, shared)
        self.edits: list[Edit] = []

    def remove_item_lines(self, sequence: yaml.SequenceNode, start: int, end: int) -> None:
        """Items `start:end` removed, each with its lines; where the first shares its line with other
        indicators (`- - a`), the text from its dash to the dash of the item after the last goes, which
        moves up to that line (a list none of whose items stay is emptied: `replace_value`); but where
        comment lines stand between, they stay, and so does the item kept (see `remove_first_line`)."""
        items = sequence.value
        first = self.item_start(items[start])
        if not self.alone_on_line(first):
            if not any(self.comment_lines(self.after(items[i]), self.dash(items[i + 1])) for i in range(start, end)):
                self.edits.append(Edit(first, self.dash(items[end]), ""))
                return
            self.remove_first_line(first, self.content_end(items[start]))
            start += 1
        for item in items[start:end]:
            self.edits.append(Edit(self.item_start(item), self.after(item), ""))

    def comment_lines(self, start: int, end: int) -> bool:
        """Whether a comment line stands between the line starting at `start` and the one holding `end`
        (only blank lines and comment lines stand between two entries or items)."""
        return "#" in self.text[start : self.line_start(end)]

    def remove_first_line(self, start: int, end: int) -> None:
        """The first entry or item of a block collection that shares its line with the indicators before it
        (`- name: q`, `- - a`), its text `start:end`, removed with the rest of its lines but their last line break:
        the indicators stay on a line of their own (`-`), the comment lines and the entry or item kept stay
        where they are, below them (what the indicators then stand before)."""
        self.edits.append(Edit(self.back_over_blanks(start), self.before_line_break(self.line_after(end)), ""))

    def shares_first_line(self, mapping: yaml.MappingNode) -> bool:
        """Whether a block mapping's first entry follows other indicators on its line (`- name: q`)."""
        return not self.alone_on_line(self.entry_start(mapping, 0))

    def remove_entries(self, mapping: yaml.MappingNode, kept: list[bool]) -> None:
        """The entries not `kept` removed, together: where one's text ends depends on which stay around it.
        In a block mapping each goes with its lines (from its `?`, for an explicit key); where the mapping
        shares its first line (`- replicas: 1`), the text from its first entry to the first one kept goes,
        which moves up to that line; but where comment lines stand between, they stay, and so does the
        entry kept (see `remove_first_line`)."""
        if mapping.flow_style:
            self.remove_flow_entries(mapping, kept)
            return
        head = 0  # the entries removed with the first line's
        if not kept[0] and self.shares_first_line(mapping):
            head = kept.index(True)  # (one stays: a mapping none of whose entries do is written anew)
            ends = [self.line_after(self.entry_end(*mapping.value[index])) for index in range(head)]
            starts = [self.entry_start(mapping, index + 1) for index in range(head)]
            if any(self.comment_lines(end, start) for end, start in zip(ends, starts, strict=True)):
                self.remove_first_line(self.entry_start(mapping, 0), self.entry_end(*mapping.value[0]))
                head = 1
            else:
                self.edits.append(Edit(self.entry_start(mapping, 0), starts[-1], ""))
        for index in range(head, len(kept)):
            if not kept[index]:
                start = self.line_start(self.entry_start(mapping, index))
                self.edits.append(Edit(start, self.line_after(self.entry_end(*mapping.value[index])), ""))

    def remove_flow_entries(self, mapping: yaml.MappingNode, kept: list[bool]) -> None:
        """`{a: 1, b: 2}` loses each run of entries removed up to the next entry kept (`a: 1, `), or from
        the kept one before it (`, b: 2`); a comment line between entries stays (`remove_around`). A
        mapping none of whose entries stay keeps its braces (`{}`), a single pair in a flow sequence gets
        them (`[a: 1]` becomes `[{}]`)."""
        entries = mapping.value
        if not any(kept) and self.text[mapping.end_mark.index - 1] != "}":
            self.edits.append(Edit(mapping.start_mark.index, mapping.end_mark.index, "{}"))
            return
        starts = [self.own(key).start_mark.index for key, _ in entries]
        ends = [self.own(value).end_mark.index for _, value in entries]
        start = 0
        while start < len(entries):
            end = start
            while end < len(entries) and not kept[end]:
                end += 1
            if end == start:
                start += 1
                continue
            if end < len(entries):
                first, last = starts[start], starts[end]
            elif start > 0:
                first, last = ends[start - 1], ends[-1]
            else:
                first, last = starts[0], ends[-1]
            gaps = [(ends[i], starts[i + 1]) for i in range(len(entries) - 1) if first <= ends[i] < last]
            self.remove_around(first, last, gaps)
            start = end

    def remove_around(self, start: int, end: int, gaps: list[tuple[int, int]]) -> None:
        """Text `start:end` removed, but for the comment lines (each a line of its own) that stand in its
        `gaps` (the stretches between two entries of a flow mapping: blanks, commas, comments). The lines
        around them go whole where nothing else is on them; a comment after an entry, on its line, goes
        with it."""
        lines = [found.span() for first, last in gaps for found in _COMMENT_LINE.finditer(self.text, first, last)]
        if not lines:
            self.edits.append(Edit(start, end, ""))
            return
        at = start
        for line_start, line_end in [*lines, (end, end)]:
            first, last = at, line_start
            if line_start == end:  # (the last stretch: up to the entry kept after it, or to the last removed)
                if self.alone_on_line(end):
                    last = self.line_start(end)
                elif ends_line(self.text, first) and not self.text[end : self.line_end(end)].strip():
                    last = self.line_end(end)  # (nothing after it on its line: the line goes)
                elif ends_line(self.text, first):
                    first += len(self.text[first:last]) - len(self.text[first:last].lstrip(" \t"))
            elif first == start and self.alone_on_line(first):
                first = self.line_start(first)
            elif not ends_line(self.text, first):
                last = self.before_line_break(last)  # (the comment line stays a line of its own)
                if _COMMA_AND_COMMENT.fullmatch(self.text, first, last):  # the kept entry's comment stays
                    last = self.text.index(",", first) + 1
            if first < last:
                self.edits.append(Edit(first, last, ""))
            at = line_end
