"""What a run did: the changes per rule and document, what was added, what in the profile matched nothing."""

from __future__ import annotations

import json
from typing import Any

from runai_postrender.support.record import Frozen, Record


class Entry(Frozen):
    """One field a rule changed in one resource."""

    __slots__ = ("rule", "target", "pointer", "old", "new", "field")

    def __init__(self, rule: str, target: str, pointer: str, old: Any, new: Any, field: str = "") -> None:
        self.rule = rule
        self.target = target  # "document 3 (Deployment/runai-backend-backend)"
        self.pointer = pointer  # RFC 6901, from the resource's root
        self.old = old
        self.new = new
        self.field = field  # how people read it: "container query: resources/limits/cpu"


class Report(Record):
    __slots__ = (
        "profile",
        "documents",
        "changes",
        "added",
        "unmatched",
        "kept",
        "warnings",
        "notes",
        "writers",
        "error",
        "runai",
        "runai_versions",
        "editions",
    )

    def __init__(
        self,
        profile: str | None,
        documents: int = 0,
        changes: list[Entry] | None = None,
        added: list[str] | None = None,
        unmatched: list[str] | None = None,
        kept: list[str] | None = None,
        warnings: list[str] | None = None,
        notes: list[str] | None = None,
        writers: dict[str, str] | None = None,
        error: str | None = None,
        runai: str | None = None,
        runai_versions: list[str] | None = None,
        editions: list[str] | None = None,
    ) -> None:
        self.profile = profile  # None when the run failed before a profile was chosen
        self.documents = documents
        self.changes = [] if changes is None else changes
        self.added = [] if added is None else added
        self.unmatched = [] if unmatched is None else unmatched  # rules that matched nothing in this stream
        self.kept = [] if kept is None else kept  # values kept instead of the profile's, and why
        self.warnings = [] if warnings is None else warnings  # what the profile asked for and could not safely do
        self.notes = [] if notes is None else notes
        self.writers = {} if writers is None else writers  # changed document -> the writer that wrote it
        self.error = error
        self.runai = runai  # the Run:ai version(s) found and the guidance edition(s) applied, in words
        self.runai_versions = [] if runai_versions is None else runai_versions
        self.editions = [] if editions is None else editions

    @property
    def changed_targets(self) -> list[str]:
        return list(dict.fromkeys(entry.target for entry in self.changes))

    def to_text(self) -> str:
        changed = len(self.changed_targets)
        head = f"runai-size: profile {self.profile}" if self.profile else "runai-size: no profile was chosen"
        if self.documents or not self.error:
            head += f": {plural(self.documents, 'document')}, {changed} changed, {len(self.added)} added"
        head += f"; {self.runai}" if self.runai else ""  # after the counts: the line's start stays as it was
        lines = [head]
        if self.error:
            lines.append(f"  error: {self.error}")
        groups: dict[tuple[str, str], list[Entry]] = {}
        for entry in self.changes:
            groups.setdefault((entry.target, entry.rule), []).append(entry)
        for (target, rule), entries in groups.items():
            lines.append(f"  {target}, rule {rule}:")
            lines.extend(f"    {_change(entry)}" for entry in entries)
        lines.extend(f"  written by {writer}: {target}" for target, writer in self.writers.items())
        lines.extend(f"  added {added}" for added in self.added)
        lines.extend(f"  kept {kept}" for kept in self.kept)
        lines.extend(f"  WARNING: {warning}" for warning in self.warnings)
        if self.unmatched:
            lines.append(f"  rules that matched nothing in this stream: {', '.join(self.unmatched)}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        data: dict[str, Any] = {name: getattr(self, name) for name in self.__slots__}  # (in the fields' order)
        data["changes"] = [{name: plain(getattr(entry, name)) for name in entry.__slots__} for entry in self.changes]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def plain(value: Any) -> Any:
    """Round-trip scalars and containers as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def plural(count: int, noun: str) -> str:
    """`1 document`, `2 documents`: every count that messages and the report print."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def format_value(value: Any, width: int | None = None) -> str:
    """A value as every message and the report show it: JSON (`"3G"`, `2`, `{...}`), `absent` for none;
    cut at `width` characters where a line must stay short."""
    if value is None:
        return "absent"
    text = json.dumps(plain(value), ensure_ascii=False)
    return text if width is None or len(text) <= width else text[: width - 3] + "..."


def _change(entry: Entry) -> str:
    name = entry.field or entry.pointer
    if entry.new is None and entry.old is not None:
        return f"{name}: removed (was {format_value(entry.old, 60)})"
    if entry.old is None:
        return f"{name}: {format_value(entry.new, 60)} (added)"
    return f"{name}: {format_value(entry.old, 60)} -> {format_value(entry.new, 60)}"
