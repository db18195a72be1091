"""The text edits that take keys and list items out of a document's text, each with its lines.

A key or an item goes with the lines it is written on, nothing else: comment lines and blank lines
between entries stay. Where the first of a block collection's entries shares its line with the
indicators before it (`- name: q`, `- - a`), the entry kept after the ones removed moves up to that
line; a flow mapping loses its entries with their commas.
"""

from __future__ import annotations

import yaml

from runai_postrender.writers.splice import Edit
from runai_postrender.writers.textpositions import Positions


class Removals(Positions):
    """Removals from `text` (see `Positions`), as `splice.Edit`s in `edits`."""

    def __init__(self, text: str, shared: frozenset[int]) -> None:
        super().__init__(text, shared)
        self.edits: list[Edit] = []

    def remove_item_lines(self, sequence: yaml.SequenceNode, start: int, end: int) -> None:
        """Items `start:end` removed, each with its lines; where the first shares its line with other
        indicators (`- - a`), the text from its dash to the dash of the item after the last goes, which
        moves up to that line (a list none of whose items stay is emptied: `replace_value`)."""
        items = sequence.value
        first = self.item_start(items[start])
        if not self.alone_on_line(first):
            self.edits.append(Edit(first, self.dash(items[end]), ""))
            return
        for item in items[start:end]:
            self.edits.append(Edit(self.item_start(item), self.after(item), ""))

    def shares_first_line(self, mapping: yaml.MappingNode) -> bool:
        """Whether a block mapping's first entry follows other indicators on its line (`- name: q`)."""
        return not self.alone_on_line(self.entry_start(mapping, 0))

    def remove_entries(self, mapping: yaml.MappingNode, kept: list[bool]) -> None:
        """The entries not `kept` removed, together: where one's text ends depends on which stay around it.
        In a block mapping each goes with its lines (from its `?`, for an explicit key); where the mapping
        shares its first line (`- replicas: 1`), the text from its first entry to the first one kept goes,
        which moves up to that line."""
        if mapping.flow_style:
            self.remove_flow_entries(mapping, kept)
            return
        head = 0  # the entries removed with the first line's
        if not kept[0] and self.shares_first_line(mapping):
            head = kept.index(True)  # (one stays: a mapping none of whose entries do is written anew)
            self.edits.append(Edit(self.entry_start(mapping, 0), self.entry_start(mapping, head), ""))
        for index in range(head, len(kept)):
            if not kept[index]:
                start = self.line_start(self.entry_start(mapping, index))
                self.edits.append(Edit(start, self.line_after(self.entry_end(*mapping.value[index])), ""))

    def remove_flow_entries(self, mapping: yaml.MappingNode, kept: list[bool]) -> None:
        """`{a: 1, b: 2}` loses each run of entries removed up to the next entry kept (`a: 1, `), or from
        the kept one before it (`, b: 2`); a mapping none of whose entries stay keeps its braces (`{}`),
        a single pair in a flow sequence gets them (`[a: 1]` becomes `[{}]`)."""
        entries = mapping.value
        start = 0
        while start < len(entries):
            end = start
            while end < len(entries) and not kept[end]:
                end += 1
            if end == start:
                start += 1
                continue
            if end < len(entries):
                self.edits.append(
                    Edit(self.own(entries[start][0]).start_mark.index, self.own(entries[end][0]).start_mark.index, "")
                )
            elif start > 0:
                self.edits.append(
                    Edit(self.own(entries[start - 1][1]).end_mark.index, self.own(entries[-1][1]).end_mark.index, "")
                )
            elif self.text[mapping.end_mark.index - 1] != "}":
                self.edits.append(Edit(mapping.start_mark.index, mapping.end_mark.index, "{}"))
            else:
                self.edits.append(
                    Edit(self.own(entries[0][0]).start_mark.index, self.own(entries[-1][1]).end_mark.index, "")
                )
            start = end
