"""Keep a workload that runs two or more pods available through voluntary disruptions (node drains,
cluster-autoscaler scale-downs): a PodDisruptionBudget that lets one pod go at a time, and a soft spread of
its pods across nodes.

A budget the stream already has for those pods is kept, never doubled; one that blocks every eviction is
reported, since a drain would hang on it. A pod template that already has a spread constraint or a pod
anti-affinity keeps its own; the spread added is never hard (`ScheduleAnyway`), so no pod is left pending.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from runai_postrender.profiles.model import Rule
from runai_postrender.sizing import added, autoscale, directions
from runai_postrender.sizing.autoscale import HpaIndex
from runai_postrender.sizing.outcome import Decision, located
from runai_postrender.sizing.patch import Change, set_value
from runai_postrender.sizing.selection import Resource, pod_spec_pointer
from runai_postrender.support import pointer

PDB_KIND = "PodDisruptionBudget"
HOSTNAME = "kubernetes.io/hostname"


class Budgets:
    """The PodDisruptionBudgets of the stream, to find those that already cover a workload's pods.

    Indexed, so that N workloads and N budgets cost N lookups, not N x N selector matches: a budget is
    filed under one of its matchLabels pairs (the least shared one so far), which every pod it selects
    must carry, and under its whole selector, which a budget this run added carries (a second run over
    the output finds it there, also where the workload's selector does not select its own template).
    """

    def __init__(self, resources: list[Resource]) -> None:
        self._by_label: dict[tuple[str, str], list[tuple[str | None, Resource]]] = {}
        self._by_selector: dict[str, list[tuple[str | None, Resource]]] = {}
        self._unindexed: list[tuple[str | None, Resource]] = []  # no matchLabels: checked against every workload
        for budget in resources:
            if budget.kind != PDB_KIND:
                continue
            entry = (budget.namespace, budget)
            selector = _spec(budget).get("selector")
            self._by_selector.setdefault(_key(selector), []).append(entry)
            match_labels = selector.get("matchLabels") if isinstance(selector, dict) else None
            if isinstance(match_labels, dict) and match_labels:
                pairs = [(str(key), str(value)) for key, value in match_labels.items()]
                least = min(pairs, key=lambda pair: len(self._by_label.get(pair, ())))
                self._by_label.setdefault(least, []).append(entry)
            else:
                self._unindexed.append(entry)

    def covering(self, workload: Resource) -> list[Resource]:
        labels = _template_labels(workload)
        namespace = workload.namespace
        candidates = [entry for pair in _pairs(labels) for entry in self._by_label.get(pair, ())]
        candidates += self._unindexed
        found = {
            id(budget): budget
            for budget_namespace, budget in candidates
            if (budget_namespace == namespace or None in (budget_namespace, namespace))
            and selects(_spec(budget).get("selector"), labels)
        }
        for budget_namespace, budget in self._by_selector.get(_key(_spec(workload).get("selector")), ()):
            if budget_namespace == namespace or None in (budget_namespace, namespace):
                found.setdefault(id(budget), budget)
        return list(found.values())


def _pairs(labels: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(key), str(value)) for key, value in labels.items()]


def _key(selector: Any) -> str:
    """A selector as an index key: equal selectors, equal keys."""
    try:
        return json.dumps(selector, sort_keys=True, default=str)
    except (TypeError, ValueError):  # keys of mixed types cannot be sorted
        return repr(selector)


def _spec(obj: Resource) -> dict[str, Any]:
    spec = obj.obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _template_labels(workload: Resource) -> dict[str, Any]:
    _, labels = pointer.resolve(workload.obj, pod_spec_pointer(workload.kind).rsplit("/", 1)[0] + "/metadata/labels")
    return labels if isinstance(labels, dict) else {}


def selects(selector: Any, labels: dict[str, Any]) -> bool:
    """Whether a label selector selects pods with these labels (an empty selector selects every pod)."""
    if not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels") or {}
    if not all(key in labels and str(labels[key]) == str(value) for key, value in match_labels.items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = [str(value) for value in expression.get("values") or []]
        present = key in labels
        if not {
            "In": present and str(labels.get(key)) in values,
            "NotIn": not present or str(labels.get(key)) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(operator, False):
            return False
    return True


def pods(workload: Resource, hpas: HpaIndex) -> int:
    """The pods a workload runs at the least: its HPA's minReplicas, or its replicas (default 1)."""
    hpa = hpas.find(workload) if workload.kind == "Deployment" else None
    minimum = hpa.spec.get("minReplicas", 1) if hpa is not None else _spec(workload).get("replicas", 1)
    found = directions.count(minimum)
    return 1 if found is None else found


def blocks(budget: Resource, count: int) -> str | None:
    """Why a budget allows no voluntary disruption of `count` pods, or None if it allows one."""
    spec = _spec(budget)
    unavailable, available = spec.get("maxUnavailable"), spec.get("minAvailable")
    if unavailable in (0, "0%"):
        return "maxUnavailable: 0"
    least = directions.count(available)
    if available == "100%" or (least is not None and least >= count):
        return f"minAvailable: {available} with {count} pods"
    return None


def apply(rule: Rule, workload: Resource, hpas: HpaIndex, budgets: Budgets) -> Decision:
    """A budget and a soft spread for a workload that runs two or more pods; nothing for one."""
    wanted = rule.availability
    assert wanted is not None
    decision = Decision(rule.name, workload.describe())
    if autoscale.scaled_to_zero(workload):
        decision.kept.append(
            f"{workload.describe()}: no disruption budget and no spread: a workload scaled to zero on purpose "
            f"stays off (rule {rule.name})"
        )
        return decision
    count = pods(workload, hpas)
    if count < 2:
        return decision
    where = f"rule {rule.name!r}: {workload.describe()}"
    selector = _spec(workload).get("selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        decision.notes.append(f"{workload.describe()} has no pod selector: no budget and no spread (rule {rule.name})")
        return decision
    if wanted.disruption_budget:
        found = budgets.covering(workload)
        for budget in found:
            reason = blocks(budget, count)
            if reason is not None:
                decision.warnings.append(
                    f"{budget.describe()} allows no voluntary disruption of {workload.describe()} ({reason}): "
                    f"a node drain would hang on it; kept as the chart renders it (rule {rule.name})"
                )
        if not found:
            spec = {"maxUnavailable": 1, "selector": copy.deepcopy(selector)}
            decision.added.append(added.filed_with(workload, "policy/v1", PDB_KIND, spec))
    if wanted.spread:
        decision.changes = located(workload.pointer, _spread(workload, selector, where))
    return decision


def _spread(workload: Resource, selector: dict[str, Any], where: str) -> list[Change]:
    pod = pod_spec_pointer(workload.kind)
    _, spec = pointer.resolve(workload.obj, pod)
    if not isinstance(spec, dict):
        return []
    affinity = spec.get("affinity")
    if spec.get("topologySpreadConstraints") or (isinstance(affinity, dict) and affinity.get("podAntiAffinity")):
        return []  # the chart spreads its pods already, its own way
    constraint = {
        "maxSkew": 1,
        "topologyKey": HOSTNAME,
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": copy.deepcopy(selector),
    }
    return set_value(workload.obj, pod + "/topologySpreadConstraints", [constraint], where)
