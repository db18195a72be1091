"""The pure core, as a list of stages: a manifest stream and a profile in, the output's pieces and a report out.

    split and sniff   documents/   the stream cut into documents; each one's header read from its bytes
    read              reading/     only the documents a rule may target, into plain data
    decide            sizing/      select, apply the rules, autoscale, availability, added objects
    write             writers/     one writer per changed document; the added documents rendered
    assemble          writers/     untouched bytes, rewritten and added documents, in order

Nothing here does I/O; the CLI writes the pieces only once `run` has returned without an error.
"""

from __future__ import annotations

from runai_postrender.documents import identity
from runai_postrender.documents.sniff import check_text, has_other_breaks, header
from runai_postrender.documents.stream import LineNumbers, split_stream
from runai_postrender.profiles.model import Profile
from runai_postrender.reading.load import load
from runai_postrender.report import Report
from runai_postrender.reporting import record
from runai_postrender.sizing import editions, prefilter
from runai_postrender.support.record import Record
from runai_postrender.writers.assemble import assemble
from runai_postrender.writers.new_documents import render
from runai_postrender.writers.write import write_back


class Result(Record):
    """The output as pieces to write in order (views of the input where nothing changed), and the report."""

    __slots__ = ("pieces", "report", "changed")

    def __init__(
        self,
        pieces: list[bytes | memoryview],
        report: Report,
        changed: list[tuple[str, bytes | memoryview, bytes]],
    ) -> None:
        self.pieces = pieces
        self.report = report
        self.changed = changed  # (document, before, after) for each changed or added document


def run(data: bytes | bytearray, profile: Profile, report: Report | None = None) -> Result:
    """Apply `profile` to the stream `data`. The caller may hand in the report to fill: after an error it
    still holds what the run had found (the caller owns it and writes it)."""
    report = report if report is not None else Report(profile=profile.name)

    # split and sniff
    spans = split_stream(data)
    report.documents = len(spans)
    check_text(data, spans)
    versions, elsewhere = identity.stream_versions(data)  # the Run:ai versions the stream's chart labels name
    needed = editions.needed(profile, versions, elsewhere)
    finder = prefilter.Finder.of(editions.narrowed(profile, needed))
    other_breaks = has_other_breaks(data)
    headers = [(span, header(data, span, finder.wants_kind, other_breaks)) for span in spans]

    # read
    lines = LineNumbers(data)
    targeted = [
        load(data, span, found.kind, found.name, lines.at(span.start))
        for span, found in headers
        if finder.wants(data, span, found)
    ]

    # decide
    identified = identity.stream_says(data)
    outcome = editions.apply(profile, targeted, identified, versions)
    record(outcome, report)
    new_documents = outcome.added
    if not identified and any(rule.match.charts for rule in profile.rules):
        report.notes.append("the stream does not say which chart rendered what: rules matched by names alone")
    if spans and any(rule.match.charts for rule in profile.rules) and len(report.unmatched) == len(profile.rules):
        charts = identity.charts_in(data)
        report.notes.append(
            "no Run:ai release found in this stream" + (f" (it holds the charts {', '.join(charts)})" if charts else "")
        )

    # write
    rewritten = {doc.index: (doc, *written) for doc in targeted if (written := write_back(doc)) is not None}
    report.writers = {doc.describe(): writer for doc, _, writer in rewritten.values()}
    texts = [(new, render(new)) for new in new_documents]

    # assemble
    pieces = assemble(data, spans, {index: text for index, (_, text, _) in rewritten.items()}, texts)
    changed = [(doc.describe(), doc.original, text) for doc, text, _ in rewritten.values()]
    changed += [(f"new {new.description}", b"", text) for new, text in texts]
    return Result(pieces, report, changed)
