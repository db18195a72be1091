"""Give a Deployment a HorizontalPodAutoscaler: patch the one the stream has, or add a new document.

An HPA that the chart already renders (`autoscaling.enabled=true`) is patched, never doubled. A new
one is filed with its Deployment: it copies the Deployment's leading comments (Helm 3's `# Source:`)
and Helm 4's `postrenderer.helm.sh/postrender-filename` annotation, so both Helm versions put it in
the same file of the release. The Deployment loses `spec.replicas`, or every upgrade would reset the
number of pods the HPA chose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import yaml

from runai_postrender import emit, pointer
from runai_postrender.patch import Change, apply_operation, set_value
from runai_postrender.profiles import Autoscale
from runai_postrender.selection import HPA_KIND, Resource

HELM4_FILENAME = "postrenderer.helm.sh/postrender-filename"
_LEADING_COMMENTS = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?\n)*")
_MARKER_LINE = re.compile(r"^---[ \t]*(?:#[^\n]*)?\n", re.M)


@dataclass
class NewDocument:
    """A document a profile adds, written right after the document `after` (1-based). It stays data until
    the last rule is through with it, so that a later rule for the same Deployment patches it."""

    after: int
    data: dict[str, Any]
    header: str  # the comment lines it shares with its Deployment (Helm 3's `# Source:`)
    style: emit.Style
    description: str  # "HorizontalPodAutoscaler/runai-backend-backend"


def render(new: NewDocument) -> bytes:
    """The added document's text, `---` line first, in its Deployment's style and line endings."""
    body = "---\n" + new.header + emit.document(new.data, replace(new.style, newline="\n"))
    return body.replace("\n", new.style.newline).encode("utf-8")


Hpa = Resource | NewDocument


class HpaIndex:
    """The HPAs of a run by the Deployment they scale: those the stream has, and those the run adds.

    A namespace that an HPA or a Deployment leaves out is the release's, as Helm installs it: such an
    object pairs with one of the same name in any namespace, never with a second HPA.
    """

    def __init__(self, resources: list[Resource]) -> None:
        self._by_name: dict[str, list[tuple[str | None, Hpa]]] = {}
        for resource in resources:
            if resource.kind == HPA_KIND:
                target = _target(resource)
                if target is not None:
                    self._by_name.setdefault(target, []).append((resource.namespace, resource))

    def find(self, deployment: Resource) -> Hpa | None:
        found = self._by_name.get(str(deployment.name), [])
        exact = [hpa for namespace, hpa in found if namespace == deployment.namespace]
        loose = [hpa for namespace, hpa in found if namespace is None or deployment.namespace is None]
        return (exact or loose)[0] if exact or loose else None

    def add(self, deployment: Resource, hpa: NewDocument) -> None:
        self._by_name.setdefault(str(deployment.name), []).append((deployment.namespace, hpa))


def _target(hpa: Resource) -> str | None:
    """The name of the Deployment an HPA scales, or None if it scales something else."""
    spec = hpa.obj.get("spec")
    ref = spec.get("scaleTargetRef") if isinstance(spec, dict) else None
    if not isinstance(ref, dict) or ref.get("kind") != "Deployment" or ref.get("name") is None:
        return None
    return str(ref["name"])


def metrics(spec: Autoscale) -> list[dict[str, Any]]:
    found = []
    for name, target in (("cpu", spec.cpu_utilization), ("memory", spec.memory_utilization)):
        if target is not None:
            found.append(
                {
                    "type": "Resource",
                    "resource": {"name": name, "target": {"type": "Utilization", "averageUtilization": target}},
                }
            )
    return found


def patch_hpa(hpa: Hpa, spec: Autoscale, where: str) -> list[Change]:
    """Bring an HPA to the profile's numbers; changes are pointers within the HPA object."""
    obj = hpa.data if isinstance(hpa, NewDocument) else hpa.obj
    changes = set_value(obj, "/spec/minReplicas", spec.min_replicas, where)
    changes += set_value(obj, "/spec/maxReplicas", spec.max_replicas, where)
    if str(obj.get("apiVersion")).endswith("/v1"):  # autoscaling/v1 knows only a CPU target
        if spec.cpu_utilization is not None:
            changes += set_value(obj, "/spec/targetCPUUtilizationPercentage", spec.cpu_utilization, where)
    elif metrics(spec):
        changes += set_value(obj, "/spec/metrics", metrics(spec), where)
    return changes


def drop_replicas(deployment: Resource, where: str) -> list[Change]:
    return apply_operation(deployment.obj, {"op": "remove", "path": "/spec/replicas"}, where)


def new_hpa(deployment: Resource, spec: Autoscale) -> NewDocument:
    """A new autoscaling/v2 HPA document, in the style of the Deployment's document."""
    source = deployment.document
    metadata: dict[str, Any] = {"name": deployment.name}
    if deployment.namespace is not None:
        metadata["namespace"] = deployment.namespace
    if deployment.labels:
        quotes = _label_quotes(deployment)
        metadata["labels"] = {str(k): emit.Quoted(str(v), quotes.get(str(k))) for k, v in deployment.labels.items()}
    annotations = deployment.metadata.get("annotations")
    if isinstance(annotations, dict) and HELM4_FILENAME in annotations:
        metadata["annotations"] = {HELM4_FILENAME: str(annotations[HELM4_FILENAME])}
    hpa_spec: dict[str, Any] = {
        "scaleTargetRef": {
            "apiVersion": deployment.api_version or "apps/v1",
            "kind": "Deployment",
            "name": deployment.name,
        },
        "minReplicas": spec.min_replicas,
        "maxReplicas": spec.max_replicas,
    }
    if metrics(spec):
        hpa_spec["metrics"] = metrics(spec)
    text = source.text.replace("\r\n", "\n")
    marker = _MARKER_LINE.search(text)
    header = _LEADING_COMMENTS.match(text[marker.end() :] if marker else text)
    return NewDocument(
        after=source.index,
        data={"apiVersion": "autoscaling/v2", "kind": HPA_KIND, "metadata": metadata, "spec": hpa_spec},
        header=header.group(0) if header else "",
        style=source.style,
        description=f"{HPA_KIND}/{deployment.name}",
    )


def _label_quotes(deployment: Resource) -> dict[str, str | None]:
    """How the Deployment quotes its label values, so that the HPA's copies look the same."""
    node = deployment.document.node
    for step in [*pointer.split(deployment.pointer), "metadata", "labels"]:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if key.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and step.isdigit() and int(step) < len(node.value):
            node = node.value[int(step)]
        else:
            return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: value.style if value.style in ("'", '"') else None for key, value in node.value}
