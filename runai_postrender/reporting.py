"""The report's account of the decide stage, built once from what the stage returned (`sizing.outcome`)."""

from __future__ import annotations

from runai_postrender.report import Entry, Report
from runai_postrender.sizing.outcome import Outcome


def record(outcome: Outcome, report: Report) -> None:
    """Add to the report what every decision changed, added, kept and warned of, in the order taken."""
    for decision in outcome.decisions:
        report.changes += [
            Entry(decision.rule, decision.target, c.pointer, c.old, c.new, c.field) for c in decision.changes
        ]
        report.added += [
            f"{new.description}, filed with {decision.target} (rule {decision.rule})" for new in decision.added
        ]
        report.kept += decision.kept
        report.warnings += decision.warnings
        report.notes += decision.notes
    report.unmatched += outcome.unmatched
    report.notes += outcome.notes
    if outcome.runai is not None:
        report.runai, report.runai_versions, report.editions = outcome.runai, outcome.runai_versions, outcome.editions
