"""The output stream in order: untouched runs of the input as views, rewritten documents, added documents."""

from __future__ import annotations

from runai_postrender.documents.stream import BOM, Span
from runai_postrender.reading import reader
from runai_postrender.sizing.added import NewDocument


def assemble(
    data: bytes | bytearray, spans: list[Span], rewritten: dict[int, bytes], added: list[tuple[NewDocument, bytes]]
) -> list[bytes | memoryview]:
    """The output in order: untouched runs of the input as views, rewritten documents, added documents.

    An added document follows the document it belongs to, unless that one ends the stream without a
    line break and one would change its last value (a block scalar's text gains the break): then it goes
    before it, so that the document keeps every byte."""
    view = memoryview(data)
    extra: dict[int, list[tuple[NewDocument, bytes]]] = {}
    for new, text in added:
        extra.setdefault(new.after, []).append((new, text))
    pieces: list[bytes | memoryview] = []
    run_start: int | None = None
    for span in spans:
        replacement = rewritten.get(span.index)
        news = extra.get(span.index)
        body = replacement if replacement is not None else view[span.start : span.end]
        if news and not _ends_line(body) and not _keeps_its_data(bytes(body), news[0][0].style.newline):
            if run_start is not None:
                pieces.append(view[run_start : span.start])
                run_start = None
            pieces.extend(_before(bytes(body), news))
            continue
        if replacement is None:
            if run_start is None:
                run_start = span.start
        else:
            if run_start is not None:
                pieces.append(view[run_start : span.start])
            pieces.append(replacement)
            run_start = None
        if news:
            if run_start is not None:
                pieces.append(view[run_start : span.end])
                run_start = None
            ends_line = not pieces or _ends_line(pieces[-1])
            following = spans[span.index] if span.index < len(spans) else None
            for new, text in news:
                newline = new.style.newline.encode()
                if not ends_line:
                    text = newline + text
                if following is not None and not data.startswith(b"---", following.start):
                    # The next document has no `---` of its own (it follows a `...`): end ours first.
                    text += b"..." + newline
                pieces.append(text)
                ends_line = True
    if run_start is not None:
        pieces.append(view[run_start:])
    return pieces


def _ends_line(text: bytes | memoryview) -> bool:
    return bytes(text[-1:]) in (b"", b"\n", b"\r")


def _keeps_its_data(text: bytes, newline: str) -> bool:
    """Whether the document `text` (which does not end its last line) reads the same with a line break."""
    try:
        decoded = text.decode("utf-8-sig")
        return reader.same(reader.read(decoded), reader.read(decoded + newline))
    except (UnicodeDecodeError, reader.YAMLError, reader.Shape, RecursionError):
        return False


def _before(text: bytes, news: list[tuple[NewDocument, bytes]]) -> list[bytes]:
    """Added documents put before the document `text`, which then starts a document of its own."""
    bom = BOM if text.startswith(BOM) else b""
    body = text[len(bom) :]
    newline = news[-1][0].style.newline.encode()
    # Directives may only follow a `...`; anything else gets the `---` line it did not need as the first.
    separator = b"" if body.startswith(b"---") else (b"..." if body.startswith(b"%") else b"---") + newline
    return [bom, *(new_text for _, new_text in news), separator, body]
