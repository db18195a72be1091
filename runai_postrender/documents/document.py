"""One targeted document: its bytes as they came in, what was recorded when it was read (its style, its
leading comments, whether it shares nodes), and the plain data the sizing stage patches in place."""

from __future__ import annotations

import re
from typing import Any

from runai_postrender.documents.stream import BOM
from runai_postrender.documents.style import Style
from runai_postrender.support.errors import describe
from runai_postrender.support.record import Record

Source = str | bytes | memoryview  # a document's text, or its UTF-8 (libyaml's positions count characters)

# How a document was read, and so how `write_back` reads it again
EVENTS = "events"  # libyaml's events alone: plain mappings, lists and scalars, anchors and aliases
NODES = "nodes"  # libyaml's node tree and the constructor: merge keys, tags, complex keys
RUAMEL = "ruamel"  # ruamel: what libyaml refuses (a reused anchor)


class Document(Record):
    """A targeted document. `data` is what rules patch; the rest describes the text it came from."""

    __slots__ = (
        "bom",
        "data",
        "first_line",
        "head",
        "index",
        "kind",
        "lone_cr",
        "name",
        "original",
        "read_by",
        "shares",
        "style",
    )  # fmt: skip

    def __init__(
        self,
        index: int,  # 1-based, as users count documents
        original: bytes | memoryview,  # the span exactly as it came in (a view of the stream)
        bom: bool,
        first_line: int,  # the stream's line number of the text's first line, for messages
        style: Style,
        shares: bool,  # anchors, aliases, merge keys or tags: only the round trip writes a change through them
        data: Any,  # the data, patched in place by the rules
        kind: str | None,
        name: str | None,
        head: str = "",  # the text's first HEAD characters: its leading comments (Helm 3's `# Source:`), `---`
        read_by: str = EVENTS,  # EVENTS, NODES or RUAMEL
        lone_cr: bool = False,  # the input ends lines with a lone CR, which `text` holds as LF: written as CR
    ) -> None:
        self.index, self.original, self.bom, self.first_line, self.style = index, original, bom, first_line, style
        self.shares, self.data, self.kind, self.name = shares, data, kind, name
        self.head, self.read_by, self.lone_cr = head, read_by, lone_cr

    def describe(self) -> str:
        return describe(self.index, self.kind, self.name)

    @property
    def text(self) -> str:
        """The text, decoded, without a byte-order mark, line endings as in the input (a lone CR read as LF):
        what libyaml's positions index. Decoded when asked for: a large document keeps only its bytes, a
        view of the input, which is then not held twice."""
        return decoded(self.original[len(BOM) if self.bom else 0 :], self.lone_cr)

    @property
    def source(self) -> Source:
        """The text's UTF-8 as it came in, which libyaml reads without a copy; the text itself where a lone
        CR was read as LF."""
        return self.text if self.lone_cr else self.original[len(BOM) if self.bom else 0 :]

    @property
    def libyaml(self) -> bool:
        """libyaml reads the document (else only ruamel does): its writers' results are read so too."""
        return self.read_by != RUAMEL


HEAD = 4096  # how much of the text `head` keeps: its leading comments (Helm 3's `# Source:`) and `---`
_LONE_CR = re.compile("\r(?!\n)")


def decoded(body: memoryview | bytes, lone_cr: bool) -> str:
    text = str(body, "utf-8")  # the stream was checked to be UTF-8
    return _LONE_CR.sub("\n", text) if lone_cr else text


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
