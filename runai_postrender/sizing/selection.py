"""Which objects of the targeted documents a rule matches, and which of their containers."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from runai_postrender.documents import identity
from runai_postrender.documents.document import Document
from runai_postrender.profiles.model import Match
from runai_postrender.support import pointer
from runai_postrender.support.errors import PatchError, yaml_type
from runai_postrender.support.record import Record

HPA_KIND = "HorizontalPodAutoscaler"


class Resource(Record):
    """A Kubernetes object inside a targeted document: the document itself, or an item of a `kind: List`."""

    __slots__ = ("document", "pointer", "obj")

    def __init__(self, document: Document, pointer: str, obj: dict[str, Any]) -> None:
        self.document = document
        self.pointer = pointer  # where the object sits in the document: "" or "/items/3"
        self.obj = obj

    @property
    def kind(self) -> str | None:
        return _text(self.obj.get("kind"))

    @property
    def api_version(self) -> str | None:
        return _text(self.obj.get("apiVersion"))

    @property
    def metadata(self) -> dict[str, Any]:
        metadata = self.obj.get("metadata")
        return metadata if isinstance(metadata, dict) else {}

    @property
    def name(self) -> str | None:
        return _text(self.metadata.get("name"))

    @property
    def namespace(self) -> str | None:
        return _text(self.metadata.get("namespace"))

    @property
    def labels(self) -> dict[str, Any]:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    def describe(self) -> str:
        where = self.document.describe()
        if self.pointer:
            return f"{where}, item {self.pointer} ({self.kind}/{self.name})"
        return where


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def resources_of(document: Document) -> list[Resource]:
    """The objects of a document that rules can target."""
    tree = document.data
    if not isinstance(tree, dict):
        return []
    if tree.get("kind") == "List" and isinstance(tree.get("items"), list):
        return [
            Resource(document, f"/items/{index}", item)
            for index, item in enumerate(tree["items"])
            if isinstance(item, dict)
        ]
    return [Resource(document, "", tree)]


def _any(patterns: tuple[str, ...], value: str | None) -> bool:
    return not patterns or (value is not None and any(fnmatchcase(value, pattern) for pattern in patterns))


RELEASE = "{release}"  # in a name pattern: the release of the object, from its labels


def _names(patterns: tuple[str, ...], release: str | None) -> tuple[str, ...]:
    """Name patterns with `{release}` filled in; where the release is not known, any release."""
    fill = "*" if release is None else release.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]")
    return tuple(pattern.replace(RELEASE, fill) for pattern in patterns)


def could_match(match: Match, kind: str, name: str | None, namespace: str | None) -> bool:
    """What the sniffed header says; labels, apiVersion, chart and release are checked after parsing."""
    return _any(match.kinds, kind) and _any(_names(match.names, None), name) and _any(match.namespaces, namespace)


def matches(match: Match, resource: Resource, identified: bool = True) -> bool:
    """Whether a rule's match holds for an object. `identified`: the stream says which chart rendered
    what; where it says nothing at all, a rule's `chart` is not checked and names alone decide, but only
    for a rule that names what it targets: one that names no object (every control-plane Deployment) needs
    the object's own `helm.sh/chart` label to name the chart, or it would match every object of its kind."""
    if not (
        _any(match.kinds, resource.kind)
        and _any(match.api_versions, resource.api_version)
        and _any(match.namespaces, resource.namespace)
    ):
        return False  # (before the origin: most objects are refused by their kind alone)
    origin = identity.origin(resource.metadata, resource.document.head)
    if not (
        _any(_names(match.names, origin.release), resource.name)
        and not (match.not_names and _any(_names(match.not_names, origin.release), resource.name))
        and (_any(match.charts, origin.chart) if identified else _by_name_alone(match, resource))
        and _any(match.releases, origin.release)
    ):
        return False
    labels = resource.labels
    return all(key in labels and str(labels[key]) == value for key, value in match.labels.items())


def _by_name_alone(match: Match, resource: Resource) -> bool:
    """In a stream that names no chart: a rule that names its objects matches by their names; one that names
    none matches only an object whose `helm.sh/chart` label names one of its charts."""
    if not match.charts or match.names:
        return True
    label = resource.labels.get(identity.CHART_LABEL)
    chart = str(label).rsplit("-", 1)[0] if label is not None else None
    return _any(match.charts, chart)


def pod_spec_pointer(kind: str | None) -> str:
    """Where a workload of this kind keeps its pod spec."""
    if kind == "Pod":
        return "/spec"
    if kind == "CronJob":
        return "/spec/jobTemplate/spec/template/spec"
    return "/spec/template/spec"


def containers(resource: Resource, names: tuple[str, ...], rule: str) -> tuple[list[tuple[str, Any]], list[str]]:
    """The named containers of a workload as (pointer, container), and the names it does not have.

    Containers are found by name, never by position: charts put sidecars first.
    """
    base = pod_spec_pointer(resource.kind) + "/containers"
    _, found = pointer.resolve(resource.obj, base)
    if found is None:
        return [], list(names)
    if not isinstance(found, list):
        raise PatchError(
            f"rule {rule!r}: {resource.describe()}: {resource.pointer}{base} "
            f"is {yaml_type(found)}, not a list of containers"
        )
    selected: list[tuple[str, Any]] = []
    missing = []
    for name in names:
        hits = [
            (f"{base}/{index}", item)
            for index, item in enumerate(found)
            if isinstance(item, dict) and str(item.get("name")) == name
        ]
        if not hits:
            missing.append(name)
        selected.extend(hits)
    return selected, missing
