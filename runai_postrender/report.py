"""What a run did: the changes per rule and document, what was added, what in the profile matched nothing."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One field a rule changed in one resource."""

    rule: str
    target: str  # "document 3 (Deployment/runai-backend-backend)"
    pointer: str  # RFC 6901, from the resource's root
    old: Any
    new: Any
    field: str = ""  # how people read it: "container query: resources/limits/cpu"


@dataclass
class Report:
    profile: str | None  # None when the run failed before a profile was chosen
    documents: int = 0
    changes: list[Entry] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # rules that matched nothing in this stream
    kept: list[str] = field(default_factory=list)  # values kept instead of the profile's, and why
    warnings: list[str] = field(default_factory=list)  # what the profile asked for and could not safely do
    notes: list[str] = field(default_factory=list)
    writers: dict[str, str] = field(default_factory=dict)  # changed document -> the writer that wrote it
    error: str | None = None
    runai: str | None = None  # the Run:ai version(s) found and the guidance edition(s) applied, in words
    runai_versions: list[str] = field(default_factory=list)
    editions: list[str] = field(default_factory=list)

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
        data = asdict(self)
        data["changes"] = [{k: plain(v) for k, v in asdict(entry).items()} for entry in self.changes]
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
