"""Apply a profile's rules to the objects of the targeted documents, and record what each one changed.

Every value a rule sets moves in its setting's direction only (`directions`): a value the chart already
has beyond the profile's floor or ceiling stays, and the report says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runai_postrender.documents.document import Document
from runai_postrender.profiles.model import Profile, Rule
from runai_postrender.report import Entry, Report
from runai_postrender.sizing import autoscale, availability, directions, replicas, selection, viability
from runai_postrender.sizing.added import NewDocument
from runai_postrender.sizing.autoscale import HpaIndex
from runai_postrender.sizing.patch import Change, apply_operation, set_value
from runai_postrender.sizing.selection import Resource
from runai_postrender.support import pointer, quantity
from runai_postrender.support.errors import PatchError, yaml_type


def apply_rules(
    profile: Profile,
    documents: list[Document],
    report: Report,
    identified: bool = True,
    applies: Callable[[Resource], bool] | None = None,
) -> list[NewDocument]:
    """Patch the documents' data in place, rule after rule; return the documents the profile adds.
    `identified`: the stream says which chart rendered what (else rules that name charts match by name).
    `applies`: the objects these rules are for (an edition's Run:ai versions); the others are only looked at."""
    resources = [resource for doc in documents for resource in selection.resources_of(doc)]
    hpas = HpaIndex(resources)
    claims = viability.Claims(resources)
    added: list[NewDocument] = []
    matches = {
        rule.name: [
            resource
            for resource in resources
            if selection.matches(rule.match, resource, identified) and (applies is None or applies(resource))
        ]
        for rule in profile.rules
    }
    report.unmatched += [rule.name for rule in profile.rules if not matches[rule.name]]
    for rule in profile.rules:
        for resource in matches[rule.name]:
            changes = _apply_rule(rule, resource, report)
            if rule.autoscale is not None:
                scaled = autoscale.apply(rule, resource, hpas, claims, report)
                changes += scaled.changes
                added += scaled.added
            if rule.replicas is not None:
                changes += replicas.apply(rule, resource, hpas, claims, report)
            _record(report, rule, resource, changes)
    # Budgets and spreading last: they depend on how many pods each workload ends up with.
    budgets = availability.Budgets(resources)
    for rule in profile.rules:
        if rule.availability is None:
            continue
        for resource in matches[rule.name]:
            if resource.kind in ("Deployment", "StatefulSet"):
                kept = availability.apply(rule, resource, hpas, budgets, report)
                _record(report, rule, resource, kept.changes)
                added += kept.added
    return added


def _record(report: Report, rule: Rule, resource: Resource, changes: list[Change]) -> None:
    target = resource.describe()
    report.changes.extend(
        Entry(rule.name, target, resource.pointer + c.pointer, c.old, c.new, c.field or c.pointer.lstrip("/"))
        for c in changes
    )


def _where(rule: Rule, resource: Resource) -> str:
    return f"rule {rule.name!r}: {resource.describe()}"


def _apply_rule(rule: Rule, resource: Resource, report: Report) -> list[Change]:
    """The rule's `set` and `patch`, on the object or on each container it names."""
    where = _where(rule, resource)
    if not isinstance(resource.obj.get("spec", {}), dict | type(None)):
        raise PatchError(f"{where}: spec is {yaml_type(resource.obj['spec'])}, not a mapping")
    objects: list[tuple[str, Any]] = [("", resource.obj)]
    if rule.containers:
        objects, missing = selection.containers(resource, rule.containers, rule.name)
        report.notes.extend(f"{where} has no container {name!r}" for name in missing)
    changes: list[Change] = []
    for prefix, obj in objects:
        label = f"container {obj['name']}: " if prefix else ""
        found: list[Change] = []
        sized: dict[str, None] = {}  # the `resources` mappings the rule set requests or limits in
        for path, value in rule.set.items():
            for concrete in pointer.expand(obj, path, where):
                for leaf, wanted in _leaves(concrete, value):
                    found += _set(rule, resource, obj, prefix + leaf, leaf, wanted, label, report)
                    parts = pointer.split(leaf)
                    if len(parts) >= 3 and parts[-2] in ("requests", "limits"):
                        sized[pointer.join(parts[:-2])] = None
        for resources in sized:
            found += _limits_above_requests(obj, resources, where, label, report)
        for operation in rule.patch:
            found += apply_operation(obj, dict(operation), where)
        changes += [Change(prefix + c.pointer, c.old, c.new, label + c.pointer.lstrip("/")) for c in found]
    return changes


def _leaves(path: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        return [leaf for key, child in value.items() for leaf in _leaves(f"{path}/{pointer.escape(str(key))}", child)]
    return [(path, value)]


def _set(
    rule: Rule, resource: Resource, obj: Any, full: str, path: str, wanted: Any, label: str, report: Report
) -> list[Change]:
    """Set one leaf, in its direction: a value already beyond the profile's stays, and the report says why."""
    where = directions.EXACT if rule.exact else directions.direction(path)
    exists, current = pointer.resolve(obj, path)
    if not exists or current is None:
        current = directions.effective_default(resource.kind, resource.obj, full)
        if current is not None and directions.keeps(where, current, wanted):
            report.kept.append(
                f"{resource.describe()}: {label}{path.lstrip('/')} left unset: its default {current} is "
                f"{_beyond(where)} the profile's {wanted} (rule {rule.name})"
            )
            return []
    elif directions.keeps(where, current, wanted):
        if not quantity.same(current, wanted):
            report.kept.append(
                f"{resource.describe()}: {label}{path.lstrip('/')} kept at {current}: "
                f"{_beyond(where, current, wanted)} the profile's {wanted} (rule {rule.name})"
            )
        return []
    return set_value(obj, path, wanted, _where(rule, resource))


def _beyond(where: str, current: Any = None, wanted: Any = None) -> str:
    if current is not None and directions.compare(current, wanted) is None:
        return "cannot be compared with"
    return "above" if where == directions.FLOOR else "below"


def _limits_above_requests(obj: Any, resources: str, where: str, label: str, report: Report) -> list[Change]:
    """A limit below its request (a request kept above the profile's limit) is raised to the request:
    Kubernetes refuses a container whose limit is below its request."""
    _, requests = pointer.resolve(obj, resources + "/requests")
    _, limits = pointer.resolve(obj, resources + "/limits")
    if not isinstance(requests, dict) or not isinstance(limits, dict):
        return []
    changes: list[Change] = []
    for name, request in requests.items():
        limit = limits.get(name)
        if limit is not None and directions.compare(limit, request) == -1:
            path = f"{resources}/limits/{pointer.escape(str(name))}"
            report.kept.append(f"{where}: {label}{path.lstrip('/')} raised to its request {request}")
            changes += set_value(obj, path, request, where)
    return changes
