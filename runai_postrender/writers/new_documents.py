"""The text of a document the profile adds: in its workload's style and line endings, its labels quoted
as the workload quotes them (read from the workload's text here, at write time)."""

from __future__ import annotations

from typing import Any

import yaml

from runai_postrender.documents.document import Source
from runai_postrender.reading.events import END, Events, Slow, read
from runai_postrender.sizing.added import NewDocument
from runai_postrender.writers import emit


def render(new: NewDocument) -> bytes:
    """The added document's text, `---` line first, in its workload's style and line endings."""
    data = new.data
    labels = data.get("metadata", {}).get("labels")
    if isinstance(labels, dict) and labels:
        quotes = _label_quotes(new)
        quoted = {key: emit.Quoted(str(value), quotes.get(str(key))) for key, value in labels.items()}
        data = {**data, "metadata": {**data["metadata"], "labels": quoted}}
    body = "---\n" + new.header + emit.document(data, new.style.replaced(newline="\n"))
    return body.replace("\n", new.style.newline).encode("utf-8")


def _label_quotes(new: NewDocument) -> dict[str, str | None]:
    """How the workload quotes its label values, so that the copies look the same."""
    try:
        return _quotes_at(new.workload.source, list(new.labels_at))
    except (yaml.YAMLError, Slow):  # (ruamel read it: libyaml refuses it)
        return {}


def _quotes_at(text: Source, steps: list[str]) -> dict[str, str | None]:
    """How the mapping at `steps` (keys, and list indexes as digits) quotes its scalar values: its keys
    with `'`, `"` or None; empty if there is no mapping there. Raises yaml.YAMLError, Slow."""
    return read(text, lambda events: _read_quotes(events, steps), whole=lambda _: False)


def _read_quotes(events: Events, steps: list[str]) -> dict[str, str | None]:
    # A frame: [a mapping, its key whose value comes next (None: a key comes next), items read, its step]
    stack: list[list[Any]] = []
    found: dict[str, str | None] | None = None  # the mapping at `steps`, while it is read
    while True:
        event = events.next()
        cls = event.__class__
        if cls in END:
            stack.pop()
            if (found is not None and len(stack) == len(steps)) or not stack:
                return found or {}
            continue
        if cls not in (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent):
            return {}
        step: str | None = ""
        if stack:
            frame = stack[-1]
            if not frame[0]:
                step, frame[2] = str(frame[2]), frame[2] + 1
            elif frame[1] is None:  # a key: a complex one leads nowhere
                frame[1] = event.value if cls is yaml.ScalarEvent else ""
                if cls is yaml.ScalarEvent or cls is yaml.AliasEvent:
                    continue
                step = None
            else:
                step, frame[1] = frame[1], None
        if found is not None and len(stack) == len(steps) + 1 and step is not None:
            found[step] = event.style if cls is yaml.ScalarEvent and event.style in ("'", '"') else None
        if cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            stack.append([cls is yaml.MappingStartEvent, None, 0, step])
            if found is None and cls is yaml.MappingStartEvent and [frame[3] for frame in stack[1:]] == steps:
                found = {}
        elif not stack:
            return {}
