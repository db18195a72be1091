"""Count a cluster's running and pending Run:ai workloads: the Run:ai scheduler's PodGroups
(`podgroups.scheduling.run.ai`), from a file that also holds the nodes, or from kubectl run here.

Run:ai's "at scale" guide sizes the scheduling services by "the number of workloads handled by the
Scheduler (running / pending)". The scheduler's unit of work is the PodGroup: Run:ai's pod grouper makes one
for every workload it schedules (Run:ai's own training, workspace, inference and distributed workloads, and
Jobs, Kubeflow or Ray workloads submitted to it), in every Run:ai version, while the `workloads.run.ai`
kinds exist only for Run:ai's own workloads and only in newer versions.

What the PodGroup's status says, as the scheduler's open source (NVIDIA/KAI-Scheduler, read at commit
72de64fc) defines and fills it: the CRD `deployments/kai-scheduler/crds/scheduling.run.ai_podgroups.yaml`
serves `scheduling.run.ai/v2alpha2` only (`v2` of the group is the Queue's); `pkg/apis/scheduling/v2alpha2/
podgroup_types.go` declares `status.phase` (a PodGroupPhase with no constants) and pod counts `running`,
`pending`, `succeeded`, `failed`, but nothing in the scheduler sets them. What it sets is
`status.resourcesStatus`: `pkg/podgroupcontroller/controllers/metadata/pod.go` sums `requested` over the
group's pods that are Pending or Running (and `allocated` over those bound or running), so an empty
`requested` means no pod is left running or pending. A phase or pod counts, where some version sets them,
still decide first.
"""

from __future__ import annotations

import json
from typing import Any

from runai_postrender.recommend.nodes import read_node_list, run_kubectl
from runai_postrender.support.errors import InputError
from runai_postrender.support.record import Frozen

GROUP = "scheduling.run.ai"  # PodGroup's API group: apiVersion scheduling.run.ai/v2alpha2 (any version is read)
RESOURCE = f"podgroups.{GROUP}"
KUBECTL_ARGS = ("get", RESOURCE, "-A", "-o", "json")
BOTH = f"kubectl get nodes,{RESOURCE} -A -o json"  # one file with the nodes and the workloads
_ACTIVE_PHASES = {"pending", "running"}
_LIST_KINDS = ("List", "PodGroupList")


class WorkloadCounts(Frozen):
    """Running or pending PodGroups, and how many finished ones were left out (for messages)."""

    __slots__ = ("source", "active", "finished")

    def __init__(self, source: str, active: int, finished: int) -> None:
        self.source = source
        self.active = active
        self.finished = finished


def is_podgroup(item: Any) -> bool:
    """A Run:ai PodGroup (not another scheduler's PodGroup, such as Volcano's scheduling.volcano.sh)."""
    if not isinstance(item, dict) or item.get("kind") != "PodGroup":
        return False
    api = item.get("apiVersion")
    return isinstance(api, str) and api.split("/")[0] == GROUP


def split_list(data: Any) -> tuple[Any, list[Any] | None]:
    """A List of nodes and PodGroups (`kubectl get nodes,podgroups... -o json`): the List with the nodes
    alone, and the PodGroups (None: the List holds none, so the workloads are not known)."""
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not any(is_podgroup(item) for item in items):
        return data, None
    nodes = [item for item in items if not is_podgroup(item)]
    return data | {"items": nodes}, [item for item in items if is_podgroup(item)]


def count_workloads(podgroups: list[Any], source: str) -> WorkloadCounts:
    """How many PodGroups are running or pending, by their status (see the module's docstring).

    In this order: `status.phase` where set (Pending, Running; any other phase, such as Succeeded, Failed or
    Successful, is finished); else the pod counts where set (a running or pending pod counts, pods that all
    succeeded or failed do not); else `status.resourcesStatus` where the PodGroup controller wrote it (a
    non-empty `requested`: a pod is pending or running); else the PodGroup is not yet seen by the controller
    (no status, or only the scheduler's conditions): just submitted, so pending."""
    active = 0
    for index, item in enumerate(podgroups, 1):
        status = item.get("status")
        if status is None:
            status = {}
        if not isinstance(status, dict):
            raise InputError(f"{source}: PodGroup {_name(item, index)}: status is not a mapping")
        active += _is_active(status, _name(item, index), source)
    return WorkloadCounts(source, active, len(podgroups) - active)


def _is_active(status: dict[Any, Any], name: str, source: str) -> bool:
    phase = status.get("phase")
    if isinstance(phase, str) and phase:
        return phase.lower() in _ACTIVE_PHASES
    keys = ("running", "pending", "succeeded", "failed")
    pods = {key: _pod_count(status.get(key), key, name, source) for key in keys}
    if pods["running"] or pods["pending"]:
        return True
    if pods["succeeded"] or pods["failed"]:
        return False
    resources = status.get("resourcesStatus")
    if resources is None:
        return True  # the PodGroup controller has not seen it yet: just submitted
    requested = resources.get("requested") if isinstance(resources, dict) else None
    if not isinstance(resources, dict) or not isinstance(requested, dict | None):
        raise InputError(f"{source}: PodGroup {name}: status.resourcesStatus is not a mapping of resources")
    return bool(requested)


def _pod_count(value: Any, key: str, name: str, source: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(
            f"{source}: PodGroup {name}: status.{key} is {json.dumps(value, default=str)}, not a count of pods"
        )
    return value


def _name(item: Any, index: int) -> str:
    metadata = item.get("metadata") if isinstance(item, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name:
        return f"(item {index})"
    return f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name


def kubectl_workloads() -> tuple[WorkloadCounts | None, str]:
    """Run `kubectl get podgroups.scheduling.run.ai -A -o json`: the counts, or None and why not.

    Never an error: a cluster without the resource type (no Run:ai scheduler), a user who may not list
    PodGroups, or an answer that cannot be read leaves the recommendation to the nodes and GPUs."""
    shown = "kubectl " + " ".join(KUBECTL_ARGS)
    try:
        data = read_node_list(run_kubectl(KUBECTL_ARGS), shown)
        kind = data.get("kind") if isinstance(data, dict) else None
        items = data.get("items") if isinstance(data, dict) else None
        if kind not in _LIST_KINDS or not isinstance(items, list):
            raise InputError(f"{shown}: not a List of PodGroups")
        strangers = [item for item in items if not is_podgroup(item)]
        if strangers:
            raise InputError(f"{shown}: item {items.index(strangers[0]) + 1} is not a Run:ai PodGroup")
        return count_workloads(items, shown), ""
    except InputError as exc:
        return None, str(exc).removesuffix("; give the output of kubectl get nodes -o json")
