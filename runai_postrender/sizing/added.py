"""Documents a profile adds (HPAs, PodDisruptionBudgets), filed with the workload they belong to.

An added document copies its workload's leading comments (Helm 3's `# Source:`), labels and Helm 4's
`postrenderer.helm.sh/postrender-filename` annotation, so that both Helm versions put it in the same file
of the release as its workload, and it is written right after it (the writer quotes the labels as the
workload does: writers/new_documents.py). It stays data until the last rule is through with it, so that a
later rule merges into it.
"""

from __future__ import annotations

import re
from typing import Any

from runai_postrender.documents.document import Document
from runai_postrender.documents.identity import HELM4_FILENAME
from runai_postrender.documents.style import Style
from runai_postrender.sizing.selection import Resource
from runai_postrender.support import pointer
from runai_postrender.support.record import Record

_LEADING_COMMENTS = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?\n)*")
_MARKER_LINE = re.compile(r"^---[ \t]*(?:#[^\n]*)?\n", re.M)


class NewDocument(Record):
    """A document a profile adds, written right after the document `after` (1-based). It stays data until
    the last rule is through with it, so that a later rule for the same workload merges into it."""

    __slots__ = ("after", "data", "header", "style", "description", "workload", "labels_at")

    def __init__(
        self,
        after: int,
        data: dict[str, Any],
        header: str,
        style: Style,
        description: str,
        workload: Document,
        labels_at: tuple[str, ...] = (),
    ) -> None:
        self.after = after
        self.data = data
        self.header = header  # the comment lines it shares with its Deployment (Helm 3's `# Source:`)
        self.style = style
        self.description = description  # "HorizontalPodAutoscaler/runai-backend-backend"
        self.workload = workload  # the document of the workload it is filed with
        self.labels_at = labels_at  # where that workload's labels are in its document (keys, list indexes)


def filed_with(workload: Resource, api_version: str, kind: str, spec: dict[str, Any]) -> NewDocument:
    """A new object named like `workload`, in its namespace, with its labels, filed right after it."""
    source = workload.document
    metadata: dict[str, Any] = {"name": workload.name}
    if workload.namespace is not None:
        metadata["namespace"] = workload.namespace
    if workload.labels:
        metadata["labels"] = {str(k): str(v) for k, v in workload.labels.items()}
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
        workload=source,
        labels_at=(*pointer.split(workload.pointer), "metadata", "labels"),
    )
