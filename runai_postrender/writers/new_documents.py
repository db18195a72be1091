"""The text of a document the profile adds: in its workload's style and line endings, its labels quoted
as the workload quotes them (read from the workload's text at write time, by the reading layer's one
walker of libyaml's events: `sparse.styles_at`)."""

from __future__ import annotations

import yaml

from runai_postrender.documents.document import Source
from runai_postrender.reading import sparse
from runai_postrender.reading.events import Slow
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
    return dict(sparse.styles_at(text, steps))
