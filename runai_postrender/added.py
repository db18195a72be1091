"""Documents a profile adds (HPAs, PodDisruptionBudgets), filed with the workload they belong to.

An added document copies its workload's leading comments (Helm 3's `# Source:`), labels (quoted as the
workload quotes them) and Helm 4's `postrenderer.helm.sh/postrender-filename` annotation, so that both
Helm versions put it in the same file of the release as its workload, and it is written right after it.
It stays data until the last rule is through with it, so that a later rule merges into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import yaml

from runai_postrender import emit, pointer
from runai_postrender.events import END, Events, Slow, Source, read
from runai_postrender.identity import HELM4_FILENAME
from runai_postrender.selection import Resource

_LEADING_COMMENTS = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?\n)*")
_MARKER_LINE = re.compile(r"^---[ \t]*(?:#[^\n]*)?\n", re.M)


@dataclass
class NewDocument:
    """A document a profile adds, written right after the document `after` (1-based). It stays data until
    the last rule is through with it, so that a later rule for the same workload merges into it."""

    after: int
    data: dict[str, Any]
    header: str  # the comment lines it shares with its Deployment (Helm 3's `# Source:`)
    style: emit.Style
    description: str  # "HorizontalPodAutoscaler/runai-backend-backend"


def render(new: NewDocument) -> bytes:
    """The added document's text, `---` line first, in its workload's style and line endings."""
    body = "---\n" + new.header + emit.document(new.data, replace(new.style, newline="\n"))
    return body.replace("\n", new.style.newline).encode("utf-8")


def filed_with(workload: Resource, api_version: str, kind: str, spec: dict[str, Any]) -> NewDocument:
    """A new object named like `workload`, in its namespace, with its labels, filed right after it."""
    source = workload.document
    metadata: dict[str, Any] = {"name": workload.name}
    if workload.namespace is not None:
        metadata["namespace"] = workload.namespace
    if workload.labels:
        quotes = _label_quotes(workload)
        metadata["labels"] = {str(k): emit.Quoted(str(v), quotes.get(str(k))) for k, v in workload.labels.items()}
    annotations = workload.metadata.get("annotations")
    if isinstance(annotations, dict) and HELM4_FILENAME in annotations:
        metadata["annotations"] = {HELM4_FILENAME: str(annotations[HELM4_FILENAME])}
    text = source.head.replace("\r\n", "\n")
    marker = _MARKER_LINE.search(text)
    header = _LEADING_COMMENTS.match(text[marker.end() :] if marker else text)
    return NewDocument(
        after=source.index,
        data={"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec},
        header=header.group(0) if header else "",
        style=source.style,
        description=f"{kind}/{workload.name}",
    )


def _label_quotes(deployment: Resource) -> dict[str, str | None]:
    """How the workload quotes its label values, so that the copies look the same."""
    try:
        return _quotes_at(deployment.document.source, [*pointer.split(deployment.pointer), "metadata", "labels"])
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
