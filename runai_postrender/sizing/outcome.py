"""What the decide stage returns: for each rule and object, what it changed, what it kept and why, what it
could not safely do, and the documents it adds. Plain data; the report is built from it once, after the stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runai_postrender.sizing.added import NewDocument
from runai_postrender.sizing.patch import Change


@dataclass
class Decision:
    """What one rule decided for one object (a workload, or the HPA it merged into)."""

    rule: str
    target: str  # the object as the report names it: "document 3 (Deployment/runai-backend-backend)"
    changes: list[Change] = field(default_factory=list)  # pointers from the document's root, `field` filled in
    kept: list[str] = field(default_factory=list)  # values kept instead of the profile's, and why
    warnings: list[str] = field(default_factory=list)  # what the rule asked for and could not safely do
    notes: list[str] = field(default_factory=list)
    added: list[NewDocument] = field(default_factory=list)  # documents filed with the target

    def extend(self, other: Decision) -> None:
        """Take in what another part of the same decision found (autoscaling after the rule's values)."""
        self.changes += other.changes
        self.kept += other.kept
        self.warnings += other.warnings
        self.notes += other.notes
        self.added += other.added


@dataclass
class Outcome:
    """Every decision of a run in the order it was taken, and the rules that matched nothing."""

    decisions: list[Decision]
    unmatched: list[str]
    runai: str | None = None  # the Run:ai version found and the edition applied, as the report's first line says
    runai_versions: list[str] = field(default_factory=list)
    editions: list[str] = field(default_factory=list)  # each edition applied, with its guide and versions
    notes: list[str] = field(default_factory=list)  # about the run as a whole

    @property
    def added(self) -> list[NewDocument]:
        return [new for decision in self.decisions for new in decision.added]


def located(base: str, changes: list[Change]) -> list[Change]:
    """Changes made inside an object that sits at `base` in its document, as the report shows them: pointers
    from the document's root, and `field` (how people read it) from within the object."""
    return [Change(base + c.pointer, c.old, c.new, c.field or c.pointer.lstrip("/")) for c in changes]
