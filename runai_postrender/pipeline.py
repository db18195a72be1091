"""The pure core: a manifest stream and a profile in, the output stream's pieces and a report out.

stream -> spans -> (prefilter) targeted documents -> rules patch their data -> writers -> pieces.
Nothing here does I/O; the CLI writes the pieces only once `run` has returned without an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from runai_postrender import added, document, identity, prefilter, reader, rules
from runai_postrender.added import NewDocument
from runai_postrender.profiles import Profile
from runai_postrender.report import Report
from runai_postrender.stream import BOM, Span, split_stream


@dataclass
class Result:
    """The output as pieces to write in order (views of the input where nothing changed), and the report."""

    pieces: list[bytes | memoryview]
    report: Report
    changed: list[tuple[str, bytes | memoryview, bytes]]  # (document, before, after) for each changed or added document
    writers: dict[int, str]  # document number -> the writer that wrote it (document.TEXT_EDITS or ROUND_TRIP)


def run(data: bytes | bytearray, profile: Profile, report: Report | None = None) -> Result:
    """Apply `profile` to the stream `data`. The caller may hand in the report to fill: after an error it
    still holds what the run had found (the caller owns it and writes it)."""
    report = report if report is not None else Report(profile=profile.name)
    spans = split_stream(data)
    report.documents = len(spans)
    prefilter.check_text(data, spans)
    finder = prefilter.Finder.of(profile)
    targeted = []
    for span in spans:
        found = prefilter.header(data, span, finder.wants_kind)
        if finder.wants(data, span, found):
            targeted.append(document.load(data, span, found.kind, found.name))
    identified = identity.stream_says(data)
    new_documents = rules.apply_rules(profile, targeted, report, identified)
    if not identified and any(rule.match.charts for rule in profile.rules):
        report.notes.append("the stream does not say which chart rendered what: rules matched by names alone")
    if spans and any(rule.match.charts for rule in profile.rules) and len(report.unmatched) == len(profile.rules):
        charts = identity.charts_in(data)
        report.notes.append(
            "no Run:ai release found in this stream" + (f" (it holds the charts {', '.join(charts)})" if charts else "")
        )
    rewritten = {doc.index: (doc, *written) for doc in targeted if (written := document.write_back(doc)) is not None}
    texts = [(new, added.render(new)) for new in new_documents]
    changed = [(doc.describe(), doc.original, text) for doc, text, _ in rewritten.values()]
    changed += [(f"new {new.description}", b"", text) for new, text in texts]
    pieces = _assemble(data, spans, {index: text for index, (_, text, _) in rewritten.items()}, texts)
    return Result(pieces, report, changed, {index: writer for index, (_, _, writer) in rewritten.items()})


def _assemble(
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
