"""Apply a profile's rules to the objects of the targeted documents, and say what each one decided.

Every value a rule sets moves in its setting's direction only (`directions`): a value the chart already
has beyond the profile's floor or ceiling stays, and the decision says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runai_postrender.documents.document import Document
from runai_postrender.profiles.model import Profile, Rule
from runai_postrender.sizing import autoscale, availability, directions, replicas, selection, viability
from runai_postrender.sizing.autoscale import HpaIndex
from runai_postrender.sizing.outcome import Decision, Outcome, located
from runai_postrender.sizing.patch import Change, apply_operation, check_settable, set_value
from runai_postrender.sizing.selection import Resource
from runai_postrender.support import pointer, quantity
from runai_postrender.support.errors import PatchError, yaml_type


def apply_rules(
    profile: Profile,
    documents: list[Document],
    identified: bool = True,
    applies: Callable[[Resource], bool] | None = None,
) -> Outcome:
    """Patch the documents' data in place, rule after rule; return what each rule decided for each object
    (the documents the profile adds among it). `identified`: the stream says which chart rendered what (else
    rules that name charts match by name). `applies`: the objects these rules are for (an edition's Run:ai
    versions); the others are only looked at."""
    resources = [resource for doc in documents for resource in selection.resources_of(doc)]
    hpas = HpaIndex(resources)
    claims = viability.Claims(resources)
    matches = {
        rule.name: [
            resource
            for resource in resources
            if selection.matches(rule.match, resource, identified) and (applies is None or applies(resource))
        ]
        for rule in profile.rules
    }
    outcome = Outcome([], [rule.name for rule in profile.rules if not matches[rule.name]])
    for rule in profile.rules:
        for resource in matches[rule.name]:
            decision = _apply_rule(rule, resource)
            if rule.autoscale is not None:
                scaled = autoscale.apply(rule, resource, hpas, claims)
                if scaled.hpa is not None:
                    outcome.decisions.append(scaled.hpa)  # (the report has always listed the HPA first)
                decision.extend(scaled.workload)
            if rule.replicas is not None:
                decision.extend(replicas.apply(rule, resource, hpas, claims))
            outcome.decisions.append(decision)
    # Budgets and spreading last: they depend on how many pods each workload ends up with.
    budgets = availability.Budgets(resources)
    for rule in profile.rules:
        if rule.availability is None:
            continue
        for resource in matches[rule.name]:
            if resource.kind in ("Deployment", "StatefulSet"):
                outcome.decisions.append(availability.apply(rule, resource, hpas, budgets))
    return outcome


def _where(rule: Rule, resource: Resource) -> str:
    return f"rule {rule.name!r}: {resource.describe()}"


def _apply_rule(rule: Rule, resource: Resource) -> Decision:
    """The rule's `set` and `patch`, on the object or on each container it names."""
    where = _where(rule, resource)
    if not isinstance(resource.obj.get("spec", {}), dict | type(None)):
        raise PatchError(f"{where}: spec is {yaml_type(resource.obj['spec'])}, not a mapping")
    decision = Decision(rule.name, resource.describe())
    objects: list[tuple[str, Any]] = [("", resource.obj)]
    if rule.containers:
        objects, missing = selection.containers(resource, rule.containers, rule.name)
        decision.notes += [f"{where} has no container {name!r}" for name in missing]
    changes: list[Change] = []
    for prefix, obj in objects:
        label = f"container {obj['name']}: " if prefix else ""
        found: list[Change] = []
        sized: dict[str, None] = {}  # the `resources` mappings the rule set requests or limits in
        for path, value in rule.set.items():
            for concrete in pointer.expand(obj, path, where):
                for leaf, wanted in _leaves(concrete, value):
                    made, kept = _set(rule, resource, obj, prefix + leaf, leaf, wanted, label)
                    found += made
                    decision.kept += kept
                    parts = pointer.split(leaf)
                    if len(parts) >= 3 and parts[-2] in ("requests", "limits"):
                        sized[pointer.join(parts[:-2])] = None
        for resources in sized:
            made, kept = _limits_above_requests(obj, resources, where, label)
            found += made
            decision.kept += kept
        for operation in rule.patch:
            found += apply_operation(obj, dict(operation), where)
        changes += [Change(prefix + c.pointer, c.old, c.new, label + c.pointer.lstrip("/")) for c in found]
    decision.changes = located(resource.pointer, changes)
    return decision


def _leaves(path: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        return [leaf for key, child in value.items() for leaf in _leaves(f"{path}/{pointer.escape(str(key))}", child)]
    return [(path, value)]


def _set(
    rule: Rule, resource: Resource, obj: Any, full: str, path: str, wanted: Any, label: str
) -> tuple[list[Change], list[str]]:
    """Set one leaf, in its direction: what changed, or why a value already beyond the profile's stays."""
    way = directions.EXACT if rule.exact else directions.direction(path)
    exists, current = pointer.resolve(obj, path)
    if not exists or current is None:
        check_settable(obj, path, _where(rule, resource))  # a list where a mapping belongs is an error, not "unset"
        current = directions.effective_default(resource.kind, resource.obj, full)
        if current is not None and directions.keeps(way, current, wanted):
            stands = (
                f"Kubernetes requests its limit {current}," if "/requests/" in path else f"its default {current} is"
            )
            return [], [
                f"{resource.describe()}: {label}{path.lstrip('/')} left unset: {stands} "
                f"{_beyond(way, current, wanted)} the profile's {wanted} (rule {rule.name})"
            ]
    elif directions.keeps(way, current, wanted):
        if quantity.same(current, wanted):
            return [], []
        return [], [
            f"{resource.describe()}: {label}{path.lstrip('/')} kept at {current}: "
            f"{_beyond(way, current, wanted)} the profile's {wanted} (rule {rule.name})"
        ]
    elif way != directions.EXACT and full == "/spec/replicas" and directions.count(current) == 0:
        return [], [f"{resource.describe()}: spec/replicas kept at 0: {directions.SCALED_TO_ZERO} (rule {rule.name})"]
    return set_value(obj, path, wanted, _where(rule, resource)), []


def _beyond(way: str, current: Any = None, wanted: Any = None) -> str:
    if current is not None and directions.compare(current, wanted) is None:
        return "cannot be compared with"
    if current is not None and directions.compare(current, wanted) == 0:
        return "the same as"
    return "above" if way == directions.FLOOR else "below"


def _limits_above_requests(obj: Any, resources: str, where: str, label: str) -> tuple[list[Change], list[str]]:
    """A limit below its request (a request kept above the profile's limit) is raised to the request:
    Kubernetes refuses a container whose limit is below its request."""
    _, requests = pointer.resolve(obj, resources + "/requests")
    _, limits = pointer.resolve(obj, resources + "/limits")
    if not isinstance(requests, dict) or not isinstance(limits, dict):
        return [], []
    changes: list[Change] = []
    raised: list[str] = []
    for name, request in requests.items():
        limit = limits.get(name)
        if limit is not None and directions.compare(limit, request) == -1:
            path = f"{resources}/limits/{pointer.escape(str(name))}"
            raised.append(f"{where}: {label}{path.lstrip('/')} raised to its request {request}")
            changes += set_value(obj, path, request, where)
    return changes, raised
