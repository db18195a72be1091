"""A document a profile adds (an HPA, a PodDisruptionBudget) quotes its labels as its workload's text does,
whichever way the workload was read: libyaml's events, the node tree (a tag it keeps), or as a List item."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import sized

LABELS = "{app.kubernetes.io/instance: 'runai-backend', tier: \"api\", plain: x, version: '1'}"
WORKLOAD = textwrap.dedent(
    """\
    ---
    # Source: control-plane/templates/x.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: runai-backend-backend
      namespace: runai-backend
      labels: LABELS
    spec:
      replicas: 1
      selector: {matchLabels: {app: runai-backend-backend}}
      template:
        metadata: {labels: {app: runai-backend-backend}}
        spec:
          containers: [{name: app, image: a, resources: {requests: {cpu: 250m}}}]
    """
).replace("LABELS", LABELS)
AS_LIST_ITEM = "---\napiVersion: v1\nkind: List\nitems:\n- " + "\n  ".join(WORKLOAD.split("\n")[2:]).rstrip() + "\n"
COPIED = (
    b"  labels:\n    app.kubernetes.io/instance: 'runai-backend'\n    tier: \"api\"\n    plain: x\n    version: '1'\n"
)

WORKLOADS = {
    "read by the events": WORKLOAD,
    "read by the node tree": WORKLOAD.replace("  replicas: 1\n", "  replicas: 1\n  extra: !custom x\n"),
    "a List item": AS_LIST_ITEM,
}


@pytest.mark.parametrize("text", WORKLOADS.values(), ids=WORKLOADS.keys())
def test_an_added_document_quotes_its_labels_as_its_workload_does(text: str) -> None:
    out = sized(text.encode())
    added = out.split(b"kind: HorizontalPodAutoscaler\n")[1:] + out.split(b"kind: PodDisruptionBudget\n")[1:]
    assert len(added) == 2
    for document in added:
        assert document.split(b"\nspec:\n")[0].endswith(COPIED.rstrip(b"\n"))


def test_labels_the_workload_writes_through_an_alias_are_quoted_only_as_needed() -> None:
    text = WORKLOAD.replace(f"labels: {LABELS}", "labels: *l").replace("metadata:\n", f"x: &l {LABELS}\nmetadata:\n")
    out = sized(text.encode())
    [hpa] = out.split(b"kind: HorizontalPodAutoscaler\n")[1:]
    assert b"    app.kubernetes.io/instance: runai-backend\n    tier: api\n    plain: x\n    version: '1'\n" in hpa
