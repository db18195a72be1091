"""Give a Deployment a HorizontalPodAutoscaler that can work: merge into the one the stream has, or add one.

An HPA that the chart already renders (`autoscaling.enabled=true`) is merged into, never doubled or
replaced: its metrics, targets and `behavior` stay; its bounds only go up; a CPU metric is added only
where it has none. A new one is filed with its Deployment (`added`). The Deployment loses
`spec.replicas`, or every upgrade would reset the number of pods the HPA chose; the HPA never goes below
the replicas it ran.

Only autoscaling that can work is added: a CPU-utilization HPA needs a CPU request on every container
(where one is missing the profile's `cpuRequests` supplies it, or the Deployment is left alone), and a
Deployment that mounts a ReadWriteOnce claim gets no second pod (it could not start on another node).
"""

from __future__ import annotations

from typing import Any

from runai_postrender.profiles.model import Autoscale, Rule
from runai_postrender.sizing import added, directions, viability
from runai_postrender.sizing.added import NewDocument
from runai_postrender.sizing.outcome import Decision, located
from runai_postrender.sizing.patch import Change, apply_operation, remove_value, set_value
from runai_postrender.sizing.selection import HPA_KIND, Resource
from runai_postrender.support import pointer
from runai_postrender.support.record import Frozen, Record


class Hpa(Frozen):
    """An HPA of the run, one shape whether the stream has it or the run adds it."""

    __slots__ = ("obj", "target", "pointer")

    def __init__(self, obj: dict[str, Any], target: str, pointer: str = "") -> None:
        self.obj = obj  # the object's data, changed in place
        self.target = (
            target  # how the report names it: "document 4 (HorizontalPodAutoscaler/x)", "new HorizontalPodAutoscaler/x"
        )
        self.pointer = pointer  # where it sits in its document

    @classmethod
    def of(cls, hpa: Resource | NewDocument) -> Hpa:
        if isinstance(hpa, NewDocument):
            return cls(hpa.data, f"new {hpa.description}")
        return cls(hpa.obj, hpa.describe(), hpa.pointer)

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.obj.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def v1(self) -> bool:
        """autoscaling/v1, which knows only a CPU target."""
        return str(self.obj.get("apiVersion")).endswith("/v1")


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
                    self._by_name.setdefault(target, []).append((resource.namespace, Hpa.of(resource)))

    def find(self, deployment: Resource) -> Hpa | None:
        found = self._by_name.get(str(deployment.name), [])
        exact = [hpa for namespace, hpa in found if namespace == deployment.namespace]
        loose = [hpa for namespace, hpa in found if namespace is None or deployment.namespace is None]
        return (exact or loose)[0] if exact or loose else None

    def add(self, deployment: Resource, hpa: NewDocument) -> None:
        self._by_name.setdefault(str(deployment.name), []).append((deployment.namespace, Hpa.of(hpa)))


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


def merge_hpa(hpa: Hpa, spec: Autoscale, floor: int, where: str) -> list[Change]:
    """Raise an HPA's bounds to the profile's (and to `floor`, the replicas its Deployment ran), and add
    the profile's metrics where it has none of that resource; everything else it has stays."""
    obj, hpa_spec = hpa.obj, hpa.spec
    minimum = max(_count(hpa_spec.get("minReplicas"), 1), spec.min_replicas, floor)
    maximum = max(_count(hpa_spec.get("maxReplicas"), 0), spec.max_replicas, minimum)
    changes = set_value(obj, "/spec/minReplicas", minimum, where)
    changes += set_value(obj, "/spec/maxReplicas", maximum, where)
    if hpa.v1:
        if spec.cpu_utilization is not None and hpa_spec.get("targetCPUUtilizationPercentage") is None:
            changes += set_value(obj, "/spec/targetCPUUtilizationPercentage", spec.cpu_utilization, where)
        return changes
    present = hpa_spec.get("metrics")
    if present is not None and not isinstance(present, list):
        return changes
    measured = {_resource_of(metric) for metric in present or []}
    for metric in metrics(spec):
        if metric["resource"]["name"] not in measured:
            if present is None:
                changes += set_value(obj, "/spec/metrics", [], where)
                present = []
            changes += apply_operation(obj, {"op": "add", "path": "/spec/metrics/-", "value": metric}, where)
    return changes


def _resource_of(metric: Any) -> str | None:
    """The resource (cpu, memory) a metric measures, for Resource and ContainerResource metrics."""
    if not isinstance(metric, dict):
        return None
    for key in ("resource", "containerResource"):
        source = metric.get(key)
        if isinstance(source, dict) and source.get("name") is not None:
            return str(source["name"])
    return None


def _count(value: Any, default: int) -> int:
    found = directions.count(value)
    return default if found is None else found


def uses_resource(hpa: Hpa | None, name: str) -> bool:
    """Whether an HPA scales on the utilization of this resource (an HPA without metrics scales on CPU)."""
    if hpa is None:
        return False
    if hpa.v1:
        return name == "cpu"
    found = hpa.spec.get("metrics")
    if not isinstance(found, list) or not found:
        return name == "cpu"
    return name in {_resource_of(metric) for metric in found}


def scaled_to_zero(workload: Resource) -> bool:
    """Whether a workload says `replicas: 0` (in any spelling): switched off on purpose."""
    return directions.count(pointer.resolve(workload.obj, "/spec/replicas")[1]) == 0


def drop_replicas(deployment: Resource) -> list[Change]:
    return remove_value(deployment.obj, "/spec/replicas")


def new_hpa(deployment: Resource, spec: Autoscale, minimum: int, maximum: int) -> NewDocument:
    """A new autoscaling/v2 HPA document, filed with its Deployment."""
    target = {"apiVersion": deployment.api_version or "apps/v1", "kind": "Deployment", "name": deployment.name}
    hpa_spec: dict[str, Any] = {"scaleTargetRef": target, "minReplicas": minimum, "maxReplicas": maximum}
    if metrics(spec):
        hpa_spec["metrics"] = metrics(spec)
    return added.filed_with(deployment, "autoscaling/v2", HPA_KIND, hpa_spec)


class Scaled(Record):
    """What autoscaling a Deployment decided: for the Deployment (its changes, the HPA it adds, or why it
    is left alone), and for the HPA it merged into, if the run had one."""

    __slots__ = ("workload", "hpa")

    def __init__(self, workload: Decision, hpa: Decision | None = None) -> None:
        self.workload = workload
        self.hpa = hpa


def apply(rule: Rule, deployment: Resource, hpas: HpaIndex, claims: viability.Claims) -> Scaled:
    """Autoscale a Deployment as the rule asks, if that can work; otherwise leave it and say why."""
    spec = rule.autoscale
    assert spec is not None
    where = f"rule {rule.name!r}: {deployment.describe()}"
    scaled = Scaled(Decision(rule.name, deployment.describe()))
    refusal = f"{deployment.describe()}: not autoscaled (rule {rule.name}), so it keeps its replicas:"
    if scaled_to_zero(deployment):  # an HPA does nothing while its target has none; dropping them would revive it
        scaled.workload.kept.append(
            f"{deployment.describe()}: spec/replicas kept at 0, not autoscaled: a workload scaled to zero on "
            f"purpose stays off (rule {rule.name})"
        )
        return scaled
    blocked = claims.single_node(deployment)
    if blocked:
        scaled.workload.warnings.append(
            f"{refusal} it mounts {', '.join(blocked)}; a second pod could not start elsewhere"
        )
        return scaled
    existing = hpas.find(deployment)
    measured = [
        (name, defaults)
        for name, target, defaults in (
            ("cpu", spec.cpu_utilization, spec.cpu_requests),
            ("memory", spec.memory_utilization, {}),
        )
        if target is not None or uses_resource(existing, name)
    ]
    for name, defaults in measured:  # all checked before any is supplied: a refusal changes nothing
        missing = viability.without_requests(deployment, name, defaults)
        if missing:
            fix = (
                "give the chart requests, or the rule `autoscale.cpuRequests`"
                if name == "cpu"
                else "give the chart requests"
            )
            scaled.workload.warnings.append(
                f"{refusal} container(s) {', '.join(missing)} have no {name} request, so a {name}-utilization "
                f"HPA could not compute ({fix})"
            )
            return scaled
    changes: list[Change] = []
    for name, defaults in measured:
        changes += viability.supply_requests(deployment, name, defaults, where)
    ran = _count(pointer.resolve(deployment.obj, "/spec/replicas")[1], 1)
    if existing is None:
        minimum = max(spec.min_replicas, ran)
        new = new_hpa(deployment, spec, minimum, max(spec.max_replicas, minimum))
        hpas.add(deployment, new)  # later rules, and a second run, merge into this one instead of adding another
        scaled.workload.added.append(new)
        if minimum > spec.min_replicas:
            scaled.workload.kept.append(f"{new.description}: minReplicas {minimum}, the replicas its Deployment ran")
    else:
        merged = merge_hpa(existing, spec, ran, f"rule {rule.name!r}: {existing.target}")
        scaled.hpa = Decision(rule.name, existing.target, located(existing.pointer, merged))
    changes += drop_replicas(deployment)
    scaled.workload.changes = located(deployment.pointer, changes)
    return scaled
