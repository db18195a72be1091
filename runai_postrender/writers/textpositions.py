"""Where things stand in a document's text, from libyaml's node positions: what the text editor edits at.

A node used more than once (an anchor seen through its aliases) has the position of its anchor only, so
the positions of the nodes in `shared` are refused (`Shared`): such a change goes to the round trip.
"""

from __future__ import annotations

import re

import yaml

_DASH = re.compile(r" *- +")
_ALIAS = re.compile(r"[ \t]*:[ \t]+\*[^ \t\r\n\x85\u2028\u2029,\[\]{}]+")

# What libyaml (as Helm's reader, YAML 1.1) ends a line at: LF, CR LF, a lone CR, NEL, LS and PS. Its marks
# count lines and columns by them, and their `index` is a character index: the editor finds lines by them too.
BREAKS = "\n\r\x85\u2028\u2029"
_LONE_CR = re.compile("\r(?!\n)")


def ends_line(text: str, index: int) -> bool:
    """Whether the character before `index` ends a line (what follows starts one)."""
    return index > 0 and text[index - 1] in BREAKS


class Unsupported(Exception):
    """A change the text editor cannot write. Its subclasses say what the writer does instead; one raised as
    itself is a shape the editor does not know, and write.write_back names each one it routes."""


class Shared(Unsupported):
    """The change goes through an anchored, aliased, merged or tagged node: the round trip writes it."""


class Partial(Unsupported):
    """The edit needs a node that the sparse tree (`events.sparse`) left out: read the whole tree."""


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
            found: set[int] = set()
            depth = 0  # (inside a flow collection, every collection is flow)
            for event in yaml.parse(self.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1 if depth or event.flow_style else 0
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1 if depth else 0
                elif isinstance(event, yaml.AliasEvent) and depth and event.start_mark is not None:
                    found.add(event.start_mark.index)
            self.aliases_in_flow = frozenset(found)
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
            else:
                node = node.value[-1]
        return int(self.own(node).end_mark.index)

    def after(self, node: yaml.Node) -> int:
        """The start of the line after the node's own text (block scalars end there already)."""
        index = self.content_end(node)
        return index if ends_line(self.text, index) else self.line_end(index)

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

    def explicit(self, key: yaml.Node) -> bool:
        """Whether the key is written after `?` (an explicit key), on its line or the lines before it."""
        index = key.start_mark.index
        while index > 0 and self.text[index - 1] in " \t" + BREAKS:
            index -= 1
        return self.text[index - 1 : index] == "?"

    def alone_on_line(self, index: int) -> bool:
        return self.text[self.line_start(index) : index].strip(" ") == ""

    def item_start(self, item: yaml.Node) -> int:
        """Where the line of a block list item's dash starts (its dash must begin the line)."""
        start = self.line_start(self.own(item).start_mark.index)
        if not _DASH.fullmatch(self.text[start : item.start_mark.index]):
            raise Unsupported("a list item that does not start its line")
        return start
