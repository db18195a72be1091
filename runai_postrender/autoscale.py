"""Give a Deployment a HorizontalPodAutoscaler: patch the one the stream has, or write a new document.

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
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from runai_postrender import emit
from runai_postrender.patch import Change, apply_operation, set_value
from runai_postrender.profiles import Autoscale
from runai_postrender.select import HPA_KIND, Resource

HELM4_FILENAME = "postrenderer.helm.sh/postrender-filename"
_LEADING_COMMENTS = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?\n)*")


@dataclass
class NewDocument:
    """A document a profile adds, written right after the document of `after` (1-based).

    It stays data until the end of the run, so that a later rule for the same Deployment patches
    it rather than adding a second one.
    """

    after: int
    tree: dict[str, Any]
    header: str  # the comment lines it shares with its Deployment (Helm 3's `# Source:`)
    style: emit.Style
    description: str

    @property
    def text(self) -> bytes:
        body = "---\n" + self.header + emit.document(self.tree, replace(self.style, newline="\n"))
        return body.replace("\n", self.style.newline).encode("utf-8")


def hpa_target(resource: Resource) -> tuple[str | None, str] | None:
    """(namespace, Deployment name) that an HPA scales, or None if it scales something else."""
    spec = resource.obj.get("spec")
    ref = spec.get("scaleTargetRef") if isinstance(spec, dict) else None
    if not isinstance(ref, dict) or ref.get("kind") != "Deployment" or ref.get("name") is None:
        return None
    return resource.namespace, str(ref["name"])


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


def patch_hpa(hpa: Resource, spec: Autoscale, where: str) -> list[Change]:
    base = hpa.pointer
    changes = set_value(hpa.obj, "/spec/minReplicas", spec.min_replicas, where)
    changes += set_value(hpa.obj, "/spec/maxReplicas", spec.max_replicas, where)
    if str(hpa.api_version).endswith("/v1"):  # autoscaling/v1 knows only a CPU target
        if spec.cpu_utilization is not None:
            changes += set_value(hpa.obj, "/spec/targetCPUUtilizationPercentage", spec.cpu_utilization, where)
    elif metrics(spec):
        changes += set_value(hpa.obj, "/spec/metrics", metrics(spec), where)
    return [Change(base + c.pointer, c.old, c.new, c.op) for c in changes]


def drop_replicas(deployment: Resource, where: str) -> list[Change]:
    return apply_operation(deployment.obj, {"op": "remove", "path": "/spec/replicas"}, where)


def new_hpa(deployment: Resource, spec: Autoscale) -> NewDocument:
    """A new autoscaling/v2 HPA document, in the style of the Deployment's document."""
    source = deployment.document
    metadata = CommentedMap()
    metadata["name"] = deployment.name
    if deployment.namespace is not None:
        metadata["namespace"] = deployment.namespace
    labels = deployment.metadata.get("labels")
    if isinstance(labels, dict) and labels:
        quotes = _label_quotes(deployment)
        metadata["labels"] = {str(k): emit.Quoted(str(v), quotes.get(str(k))) for k, v in labels.items()}
    annotations = deployment.metadata.get("annotations")
    if isinstance(annotations, dict) and HELM4_FILENAME in annotations:
        metadata["annotations"] = CommentedMap([(HELM4_FILENAME, str(annotations[HELM4_FILENAME]))])
    hpa = CommentedMap()
    hpa["apiVersion"] = "autoscaling/v2"
    hpa["kind"] = HPA_KIND
    hpa["metadata"] = metadata
    hpa["spec"] = CommentedMap()
    hpa["spec"]["scaleTargetRef"] = CommentedMap(
        [("apiVersion", deployment.api_version or "apps/v1"), ("kind", "Deployment"), ("name", deployment.name)]
    )
    hpa["spec"]["minReplicas"] = spec.min_replicas
    hpa["spec"]["maxReplicas"] = spec.max_replicas
    if metrics(spec):
        hpa["spec"]["metrics"] = CommentedSeq(metrics(spec))
    header = _LEADING_COMMENTS.match(_after_marker(source.text))
    return NewDocument(
        after=source.index,
        tree=hpa,
        header=header.group(0) if header else "",
        style=source.style,
        description=f"{HPA_KIND}/{deployment.name}",
    )


def _after_marker(text: str) -> str:
    """The document's text after its `---` line (and any directives before it)."""
    match = re.search(r"^---[ \t]*(?:#[^\n]*)?\n", text, re.M)
    return text[match.end() :] if match else text


def _label_quotes(deployment: Resource) -> dict[str, str | None]:
    """How the Deployment quotes its label values, so that the HPA's copies look the same."""
    labels = deployment.metadata.get("labels")
    if not isinstance(labels, dict):
        return {}
    node = deployment.document.node
    if node is None:  # the round-trip path: ruamel keeps quoting in the string's type
        return {
            str(k): getattr(v, "style", None) if getattr(v, "style", None) in ("'", '"') else None
            for k, v in labels.items()
        }
    for step in [*(p for p in deployment.pointer.split("/")[1:]), "metadata", "labels"]:
        node = _child(node, step)
        if node is None:
            return {}
    return {key.value: value.style if value.style in ("'", '"') else None for key, value in node.value}


def _child(node: Any, step: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        return next((value for key, value in node.value if key.value == step), None)
    if isinstance(node, yaml.SequenceNode) and step.isdigit() and int(step) < len(node.value):
        return node.value[int(step)]
    return None
