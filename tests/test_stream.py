"""The stream splitter: documents as byte ranges of the input, cut where YAML itself starts a new one.

Each case lists the input and the documents it must be cut into. Every valid case is also checked
against ruamel.yaml's parser: one span per document it reports (plus, at most, a trailing span of
comments), each span holding the start of its document.
"""

from __future__ import annotations

import re

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.events import DocumentStartEvent

from runai_postrender.documents.stream import BOM, Span, split_stream
from runai_postrender.support import limits
from runai_postrender.support.errors import InputError

_PREFIX_LINE = re.compile(rb"(?:[ \t]*(?:#[^\n]*)?|%[^\n]*)\r?\n?")
_MARKER_LINE = re.compile(rb"^---(?:[ \t\r\n]|$)")
_END_LINE = re.compile(rb"^\.\.\.(?:[ \t\r\n]|$)")


def parts(data: bytes) -> list[bytes]:
    return [data[span.start : span.end] for span in split_stream(data)]


def assert_covers(data: bytes, spans: list[Span]) -> None:
    """Spans are numbered from 1, in order, non-empty, and cover the input exactly."""
    assert [span.index for span in spans] == list(range(1, len(spans) + 1))
    position = 0
    for span in spans:
        assert span.start == position and span.end > span.start
        position = span.end
    assert position == len(data)


def holds_document(text: bytes) -> bool:
    """Whether a span holds a YAML document: a `---` line or content, not only comments, directives, `...`."""
    for line in text.removeprefix(BOM).splitlines():
        if _MARKER_LINE.match(line):
            return True
        if not _PREFIX_LINE.fullmatch(line) and not _END_LINE.match(line):
            return True
    return False


def document_starts(data: bytes) -> list[int]:
    """Byte offsets at which ruamel.yaml's parser starts each document of the stream."""
    skip = len(BOM) if data.startswith(BOM) else 0
    text = data[skip:].decode("utf-8")
    return [
        skip + len(text[: event.start_mark.index].encode("utf-8"))
        for event in YAML().parse(text)
        if isinstance(event, DocumentStartEvent)
    ]


def assert_agrees_with_parser(data: bytes) -> None:
    """split_stream finds the documents ruamel.yaml finds, each span holding its document's start."""
    spans = split_stream(data)
    assert_covers(data, spans)
    holding = [span for span in spans if holds_document(data[span.start : span.end])]
    starts = document_starts(data)
    assert len(holding) == len(starts), (parts(data), starts)
    for span, start in zip(holding, starts, strict=True):
        assert span.start <= start <= span.end, (span, start)
        before = data[span.start : start].removeprefix(BOM)
        assert all(_PREFIX_LINE.fullmatch(line) for line in before.splitlines(keepends=True)), before
    assert spans[len(holding) :] == [span for span in spans if span not in holding]  # comments only at the end


CASES = {
    "empty stream": (b"", []),
    "only a newline": (b"\n", [b"\n"]),
    "one document without a marker (Helm 4)": (b"a: 1\n", [b"a: 1\n"]),
    "one document with a marker": (b"---\na: 1\n", [b"---\na: 1\n"]),
    "two documents": (b"---\na: 1\n---\nb: 2\n", [b"---\na: 1\n", b"---\nb: 2\n"]),
    "first document without a marker, then one with": (b"a: 1\n---\nb: 2\n", [b"a: 1\n", b"---\nb: 2\n"]),
    "comments before the first marker join the first document": (
        b"# head\n\n---\na: 1\n",
        [b"# head\n\n---\na: 1\n"],
    ),
    "comment-only documents": (
        b"---\n# only a comment\n---\n# another\n---\na: 1\n",
        [b"---\n# only a comment\n", b"---\n# another\n", b"---\na: 1\n"],
    ),
    "a stream of comments only": (b"# nothing here\n# at all\n", [b"# nothing here\n# at all\n"]),
    "empty documents": (b"---\n---\n---\n", [b"---\n", b"---\n", b"---\n"]),
    "final document without a trailing newline": (b"---\na: 1\n---\nb: 2", [b"---\na: 1\n", b"---\nb: 2"]),
    "final marker without a newline": (b"---\na: 1\n---", [b"---\na: 1\n", b"---"]),
    "end markers": (
        b"---\na: 1\n...\n---\nb: 2\n...\n",
        [b"---\na: 1\n...\n", b"---\nb: 2\n...\n"],
    ),
    "end marker with a comment; comments after it go to the next document": (
        b"a: 1\n... # done\n# about b\n---\nb: 2\n",
        [b"a: 1\n... # done\n", b"# about b\n---\nb: 2\n"],
    ),
    "end marker without a newline": (b"a: 1\n...", [b"a: 1\n..."]),
    "comments after the last end marker": (
        b"---\na: 1\n...\n# trailing\n",
        [b"---\na: 1\n...\n", b"# trailing\n"],
    ),
    "a %YAML directive stays with its document": (b"%YAML 1.2\n---\na: 1\n", [b"%YAML 1.2\n---\na: 1\n"]),
    "a directive after an end marker goes with the next document": (
        b"---\na: 1\n...\n%YAML 1.2\n---\nb: 2\n",
        [b"---\na: 1\n...\n", b"%YAML 1.2\n---\nb: 2\n"],
    ),
    "content on the marker line": (
        b"--- {a: 1}\n--- |\n  text\n--- 42\n",
        [b"--- {a: 1}\n", b"--- |\n  text\n", b"--- 42\n"],
    ),
    "marker with a comment and trailing blanks": (
        b"--- # one\na: 1\n---  \nb: 2\n",
        [b"--- # one\na: 1\n", b"---  \nb: 2\n"],
    ),
    "lines that only look like markers": (
        b"---\n----: 1\n---x: 2\n....: 3\nkey: |\n ---\n---\ntext\n----\n",
        [b"---\n----: 1\n---x: 2\n....: 3\nkey: |\n ---\n", b"---\ntext\n----\n"],
    ),
    "indented --- and ... in block scalars are text": (
        b"---\nscript: |\n  echo one\n  ---\n  ...\n  --- not a document\nother: x\n---\nb: 2\n",
        [b"---\nscript: |\n  echo one\n  ---\n  ...\n  --- not a document\nother: x\n", b"---\nb: 2\n"],
    ),
    "CRLF line endings": (b"---\r\na: 1\r\n---\r\nb: 2\r\n", [b"---\r\na: 1\r\n", b"---\r\nb: 2\r\n"]),
    "CRLF end marker": (b"a: 1\r\n...\r\n---\r\nb: 2\r\n", [b"a: 1\r\n...\r\n", b"---\r\nb: 2\r\n"]),
    "tab after the marker": (b"---\t# one\na: 1\n---\tb\n", [b"---\t# one\na: 1\n", b"---\tb\n"]),
    "a byte-order mark before the marker": (
        BOM + b"---\na: 1\n---\nb: 2\n",
        [BOM + b"---\na: 1\n", b"---\nb: 2\n"],
    ),
    "a byte-order mark before a comment-only first document": (
        BOM + b"---\n# empty\n---\nb: 2\n",
        [BOM + b"---\n# empty\n", b"---\nb: 2\n"],
    ),
    "a byte-order mark before content without a marker": (
        BOM + b"a: 1\n---\nb: 2\n",
        [BOM + b"a: 1\n", b"---\nb: 2\n"],
    ),
    "a byte-order mark and nothing else": (BOM, [BOM]),
    "non-ASCII and tabs in text": (
        '---\na: "tab\there ✓"\n---\nb: ü\n'.encode(),
        ['---\na: "tab\there ✓"\n'.encode(), "---\nb: ü\n".encode()],
    ),
    "a root block scalar with text at column 0": (
        b"--- |\nline one\n---\nb: 2\n",
        [b"--- |\nline one\n", b"---\nb: 2\n"],
    ),
    "a multi-line plain scalar": (b"a: one\n  two\n---\nb: 2\n", [b"a: one\n  two\n", b"---\nb: 2\n"]),
    "lone CR line endings (old Mac)": (
        b"---\ra: 1\r...\r---\rb: |\r  ---\r",
        [b"---\ra: 1\r...\r", b"---\rb: |\r  ---\r"],
    ),
    "non-mapping documents": (b"--- just text\n---\n- a\n- b\n", [b"--- just text\n", b"---\n- a\n- b\n"]),
}


@pytest.mark.parametrize(("data", "expected"), list(CASES.values()), ids=list(CASES))
def test_split_stream_cuts_where_yaml_starts_documents(data: bytes, expected: list[bytes]) -> None:
    spans = split_stream(data)
    assert_covers(data, spans)
    assert parts(data) == expected


# YAML 1.2 allows a tab after `---`; ruamel.yaml does not parse it, so there is nothing to compare with.
NOT_FOR_RUAMEL = {"tab after the marker"}


@pytest.mark.parametrize(
    "data",
    [data for name, (data, _) in CASES.items() if name not in NOT_FOR_RUAMEL],
    ids=sorted(set(CASES) - NOT_FOR_RUAMEL, key=list(CASES).index),
)
def test_split_stream_agrees_with_ruamel_yaml_on_where_documents_start(data: bytes) -> None:
    assert_agrees_with_parser(data)


def test_a_directive_without_an_end_marker_stays_with_the_document_before_it() -> None:
    # YAML 1.2 allows directives only after `...` (ruamel.yaml is lenient). The directive line then
    # belongs to the previous span; the bytes still come out as they went in.
    data = b"---\na: 1\n%YAML 1.2\n---\nb: 2\n"
    assert parts(data) == [b"---\na: 1\n%YAML 1.2\n", b"---\nb: 2\n"]


def test_a_multi_megabyte_line_is_one_span() -> None:
    blob = b"x" * 8_000_000
    data = b"---\nkind: Secret\ndata:\n  blob: " + blob + b"\n---\nkind: ConfigMap\n"
    assert [len(part) for part in parts(data)] == [len(data) - 20, 20]


def test_a_stream_of_too_many_documents_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_DOCUMENTS", 3)
    assert len(split_stream(b"---\n" * 3)) == 3
    with pytest.raises(InputError, match=r"^the stream holds more than 3 documents; refused$"):
        split_stream(b"---\n" * 4)
