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
    pointer: str
    old: Any
    new: Any


@dataclass
class Report:
    profile: str
    documents: int = 0
    changes: list[Entry] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # rules that matched nothing in this stream
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def changed_targets(self) -> list[str]:
        return list(dict.fromkeys(entry.target for entry in self.changes))

    def to_text(self) -> str:
        lines = [f"runai-size: profile {self.profile}, {self.documents} documents"]
        if self.error:
            lines.append(f"  error: {self.error}")
        by_rule: dict[str, list[Entry]] = {}
        for entry in self.changes:
            by_rule.setdefault(entry.rule, []).append(entry)
        for rule, entries in by_rule.items():
            lines.append(f"  {rule}:")
            for target in dict.fromkeys(entry.target for entry in entries):
                fields = [_change(entry) for entry in entries if entry.target == target]
                lines.append(f"    {target}: {'; '.join(fields)}")
        for added in self.added:
            lines.append(f"  added {added}")
        if self.unmatched:
            lines.append(f"  matched nothing in this stream: {', '.join(self.unmatched)}")
        lines.extend(f"  note: {note}" for note in self.notes)
        if not self.changes and not self.added and not self.error:
            lines.append("  nothing to change")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        data = asdict(self)
        data["changes"] = [{k: _plain(v) for k, v in asdict(entry).items()} for entry in self.changes]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _plain(value: Any) -> Any:
    """Round-trip scalars and containers as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _change(entry: Entry) -> str:
    if entry.new is None and entry.old is not None:
        return f"{entry.pointer} removed (was {_short(entry.old)})"
    if entry.old is None:
        return f"{entry.pointer} = {_short(entry.new)}"
    return f"{entry.pointer} {_short(entry.old)} -> {_short(entry.new)}"


def _short(value: Any) -> str:
    text = json.dumps(_plain(value), ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
