"""Where things stand in a document's text, from libyaml's node positions: what the text editor edits at.

Nodes have positions; the indicators between them (a list item's `-`, an explicit key's `?`, its value's
`:`) do not: they are found in the text between two nodes, where only blanks, line breaks, comments and
indicators stand. A node used more than once (an anchor seen through its aliases) has the position of its
anchor only, so the positions of the nodes in `shared` are refused (`Shared`): such a change goes to the
round trip.
"""

from __future__ import annotations

import re

import yaml

from runai_postrender.reading import marks

_ALIAS = re.compile(r"[ \t]*:[ \t]+\*[^ \t\r\n\x85\u2028\u2029,\[\]{}]+")

# What libyaml (as Helm's reader, YAML 1.1) ends a line at: LF, CR LF, a lone CR, NEL, LS and PS. Its marks
# count lines and columns by them, and their `index` is a character index: the editor finds lines by them too.
BREAKS = "\n\r\x85\u2028\u2029"
_LONE_CR = re.compile("\r(?!\n)")
_BLANKS = " \t" + BREAKS
# Between nodes: a comment (a `#` after a blank, a line break or nothing, to the end of its line), and an
# indicator (`-`, `?` or `:` between blanks, line breaks or the stretch's ends; a `:` right after a key too,
# as the stretch starts there)
_COMMENT = re.compile(f"(?<![^{_BLANKS}])#[^{BREAKS}]*")
_INDICATOR = re.compile(f"(?<![^{_BLANKS}])[-?:](?![^{_BLANKS}])")
# What may stand before a block collection on its first line: indentation and indicators (`- - a: 1`)
_INDICATORS_ONLY = re.compile(r"[ \t]*(?:[-?:][ \t]+)*")


def ends_line(text: str, index: int) -> bool:
    """Whether the character before `index` ends a line (what follows starts one)."""
    return index > 0 and text[index - 1] in BREAKS


class Shared(Exception):
    """The change goes through an anchored, aliased, merged or tagged node: the round trip writes it."""


class Partial(Exception):
    """The edit needs a node that the sparse tree (`sparse.sparse`) left out: read the whole tree."""


class Positions:
    """Positions in `text`, whose libyaml node tree has the nodes `shared` (ids) that edits must not use."""

    def __init__(self, text: str, shared: frozenset[int]) -> None:
        self.text = text
        self.shared = shared
        # The line breaks the text has besides LF (a CR LF is found by its LF): most texts have none, and
        # each one looked for is a scan of the text
        self.breaks = ["\n", *(mark for mark in "\x85\u2028\u2029" if mark in text)]
        if "\r" in text and _LONE_CR.search(text):
            self.breaks.append("\r")
        self.aliases_in_flow: frozenset[int] | None = None  # where the aliases inside flow collections start

    def own(self, node: yaml.Node) -> yaml.Node:
        """The node, if a text edit may use its position: an aliased node's position is its anchor's."""
        if id(node) in self.shared:
            raise Shared("a change at an anchored, aliased, merged or tagged node")
        return node

    def unmarked(self, node: yaml.Node) -> None:
        """Refuse to replace a node written with an anchor or a tag: the edit would drop it."""
        if self.text[node.start_mark.index : node.start_mark.index + 1] in ("&", "!"):
            raise Shared("a node with an anchor or a tag")

    def flow_aliases(self) -> frozenset[int]:
        """Where the aliases that stand inside a flow collection start: what the text around one cannot
        tell (a flow collection may span lines: `{` then `  key: *name`), libyaml's events do. Read once,
        for the first alias written out."""
        if self.aliases_in_flow is None:
            self.aliases_in_flow = marks.flow_alias_starts(self.text)
        return self.aliases_in_flow

    # ---- positions
    def line_start(self, index: int) -> int:
        """Where the line holding `index` starts: just past the last line break before it."""
        return max(self.text.rfind(mark, 0, index) for mark in self.breaks) + 1

    def line_end(self, index: int) -> int:
        """Index just past the line break of the line holding `index` (or the end of the text)."""
        found = [at for at in (self.text.find(mark, index) for mark in self.breaks) if at >= 0]
        if not found:
            return len(self.text)
        end = min(found)
        return end + (2 if self.text[end : end + 2] == "\r\n" else 1)

    def content_end(self, node: yaml.Node) -> int:
        """Where the node's own text ends: block collections end at their last descendant."""
        while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
            self.own(node)
            if isinstance(node, yaml.MappingNode):
                key, node = node.value[-1]
                if id(node) in self.shared:  # `key: *name`: the alias ends it, not the anchored node elsewhere
                    alias = _ALIAS.match(self.text, self.own(key).end_mark.index)
                    if alias is None:
                        raise Shared("a mapping that ends in an anchored node")
                    return alias.end()
                if self.missing(node):
                    node = key
            else:
                node = node.value[-1]
        return int(self.own(node).end_mark.index)

    def missing(self, value: yaml.Node) -> bool:
        """Whether a mapping's value is not written at all (`? key` without a `:` line): libyaml puts its
        empty scalar where the next token starts, not right after a `:` as it does for `key:`."""
        index = value.start_mark.index
        return index == value.end_mark.index and self.text[index - 1 : index] != ":"

    def entry_end(self, key: yaml.Node, value: yaml.Node) -> int:
        """Where a mapping entry's text ends: at its value's, or at its key's where the value is missing."""
        return self.content_end(key if self.missing(value) else value)

    def after(self, node: yaml.Node) -> int:
        """The start of the line after the node's own text (block scalars end there already)."""
        return self.line_after(self.content_end(node))

    def line_after(self, index: int) -> int:
        """The start of the line after the text that ends at `index`. Only indentation before `index` on its
        line: the text ended on a line above, where a missing value ends a Stub (`? key`: see `missing`)."""
        if ends_line(self.text, index) or self.alone_on_line(index):
            return self.line_start(index)
        return self.line_end(index)

    def back_over_blanks(self, index: int) -> int:
        """Where the spaces before `index` begin: a value moving to the next line leaves none behind."""
        while index > 0 and self.text[index - 1] == " ":
            index -= 1
        return index

    def before_line_break(self, index: int) -> int:
        """Where the line break that ends just before `index` starts (`index` itself if none does)."""
        if self.text[max(index - 2, 0) : index] == "\r\n":
            return index - 2
        return index - 1 if ends_line(self.text, index) else index

    def alone_on_line(self, index: int) -> bool:
        return self.text[self.line_start(index) : index].strip(" ") == ""

    def after_indicators(self, index: int) -> bool:
        """Whether only indentation and indicators (`- `, `? `, `: `) stand before `index` on its line: a
        block collection may start there (`- - a`, `- name: q`), not after other text (`--- `)."""
        return bool(_INDICATORS_ONLY.fullmatch(self.text, self.line_start(index), index))

    # ---- indicators
    def indicator(self, start: int, end: int, char: str) -> int | None:
        """Where the last `char` (`-`, `?` or `:`) stands as an indicator in text[start:end], a stretch
        between two nodes (blanks, line breaks, comments and indicators only); None if none does."""
        stretch = _COMMENT.sub(lambda comment: " " * len(comment.group()), self.text[start:end])
        found = [at.start() for at in _INDICATOR.finditer(stretch) if at.group() == char]
        return start + found[-1] if found else None

    def entry_start(self, mapping: yaml.MappingNode, index: int) -> int:
        """Where a block mapping's `index`th entry starts: at its key, or at the `?` before it (an explicit
        key, on the key's line or above it), found between the entry before (or the mapping's start) and
        the key."""
        key, _ = mapping.value[index]
        after = mapping.start_mark.index if index == 0 else self.entry_end(*mapping.value[index - 1])
        explicit = self.indicator(after, self.own(key).start_mark.index, "?")
        return key.start_mark.index if explicit is None else explicit

    def dash(self, item: yaml.Node) -> int:
        """Where a block list item's `-` stands."""
        return self.indicator_before(self.own(item).start_mark.index, "-")

    def indicator_before(self, index: int, char: str) -> int:
        """Where the indicator `char` that the node at `index` is known to follow stands (a block list item's
        `-`, the `?` of a key without a `:`): before it on its line, or on the nearest line above that is
        not blank or a comment (only such lines stand between the two)."""
        end = index
        while True:
            start = self.line_start(end)
            found = self.indicator(start, end, char)
            if found is not None:
                return found
            if start == 0:
                raise ValueError(f"no `{char}` before the node at {index}")  # (a bug: libyaml read one)
            end = self.before_line_break(start)

    def item_start(self, item: yaml.Node) -> int:
        """Where a block list item's text starts: at its dash's line, or at its dash where that follows other
        indicators (`- - a`: the inner list's first item shares its line with the outer one's dash)."""
        dash = self.dash(item)
        return self.line_start(dash) if self.alone_on_line(dash) else dash
