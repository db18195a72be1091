"""What the decide stage returns: for each rule and object, what it changed, what it kept and why, what it
could not safely do, and the documents it adds. Plain data; the report is built from it once, after the stage.
"""

from __future__ import annotations

from runai_postrender.sizing.added import NewDocument
from runai_postrender.sizing.patch import Change
from runai_postrender.support.record import Record


class Decision(Record):
    """What one rule decided for one object (a workload, or the HPA it merged into)."""

    __slots__ = ("rule", "target", "changes", "kept", "warnings", "notes", "added")

    def __init__(
        self,
        rule: str,
        target: str,
        changes: list[Change] | None = None,
        kept: list[str] | None = None,
        warnings: list[str] | None = None,
        notes: list[str] | None = None,
        added: list[NewDocument] | None = None,
    ) -> None:
        self.rule = rule
        self.target = target  # the object as the report names it: "document 3 (Deployment/runai-backend-backend)"
        self.changes = [] if changes is None else changes  # pointers from the document's root, `field` filled in
        self.kept = [] if kept is None else kept  # values kept instead of the profile's, and why
        self.warnings = [] if warnings is None else warnings  # what the rule asked for and could not safely do
        self.notes = [] if notes is None else notes
        self.added = [] if added is None else added  # documents filed with the target

    def extend(self, other: Decision) -> None:
        """Take in what another part of the same decision found (autoscaling after the rule's values)."""
        self.changes += other.changes
        self.kept += other.kept
        self.warnings += other.warnings
        self.notes += other.notes
        self.added += other.added


class Outcome(Record):
    """Every decision of a run in the order it was taken, and the rules that matched nothing."""

    __slots__ = ("decisions", "unmatched", "runai", "runai_versions", "editions", "notes")

    def __init__(
        self,
        decisions: list[Decision],
        unmatched: list[str],
        runai: str | None = None,
        runai_versions: list[str] | None = None,
        editions: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> None:
        self.decisions = decisions
        self.unmatched = unmatched
        self.runai = runai  # the Run:ai version found and the edition applied, as the report's first line says
        self.runai_versions = [] if runai_versions is None else runai_versions
        self.editions = [] if editions is None else editions  # each edition applied, with its guide and versions
        self.notes = [] if notes is None else notes  # about the run as a whole

    @property
    def added(self) -> list[NewDocument]:
        return [new for decision in self.decisions for new in decision.added]


def located(base: str, changes: list[Change]) -> list[Change]:
    """Changes made inside an object that sits at `base` in its document, as the report shows them: pointers
    from the document's root, and `field` (how people read it) from within the object."""
    return [Change(base + c.pointer, c.old, c.new, c.field or c.pointer.lstrip("/")) for c in changes]
