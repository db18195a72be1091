"""Apply a profile's rules to the objects of the targeted documents, and record what each one changed."""

from __future__ import annotations

from typing import Any

from runai_postrender import autoscale, selection
from runai_postrender.autoscale import HpaIndex, NewDocument
from runai_postrender.document import Document
from runai_postrender.errors import PatchError, yaml_type
from runai_postrender.patch import Change, apply_operation, set_value
from runai_postrender.pointer import expand
from runai_postrender.profiles import Profile, Rule
from runai_postrender.report import Entry, Report
from runai_postrender.selection import Resource


def apply_rules(profile: Profile, documents: list[Document], report: Report) -> list[NewDocument]:
    """Patch the documents' data in place, rule after rule; return the documents the profile adds."""
    resources = [resource for doc in documents for resource in selection.resources_of(doc)]
    hpas = HpaIndex(resources)
    added: list[NewDocument] = []
    for rule in profile.rules:
        matched = [resource for resource in resources if selection.matches(rule.match, resource)]
        if not matched:
            report.unmatched.append(rule.name)
        for resource in matched:
            changes = _apply_rule(rule, resource, report)
            if rule.autoscale is not None:
                new = _autoscale(rule, resource, hpas, report)
                if new is not None:
                    added.append(new)
                changes += autoscale.drop_replicas(resource, _where(rule, resource))
            target = resource.describe()
            report.changes.extend(
                Entry(rule.name, target, resource.pointer + c.pointer, c.old, c.new, c.field or c.pointer.lstrip("/"))
                for c in changes
            )
    return added


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
        for path, value in rule.set.items():
            for concrete in expand(obj, path, where):
                found += set_value(obj, concrete, value, where)
        for operation in rule.patch:
            found += apply_operation(obj, dict(operation), where)
        changes += [Change(prefix + c.pointer, c.old, c.new, label + c.pointer.lstrip("/")) for c in found]
    return changes


def _autoscale(rule: Rule, deployment: Resource, hpas: HpaIndex, report: Report) -> NewDocument | None:
    """Patch the HPA of the Deployment, or add one; return the one added."""
    assert rule.autoscale is not None
    existing = hpas.find(deployment)
    if existing is None:
        new = autoscale.new_hpa(deployment, rule.autoscale)
        hpas.add(deployment, new)  # later rules, and a second run, patch this one instead of adding another
        report.added.append(f"{new.description}, filed with {deployment.describe()} (rule {rule.name})")
        return new
    if isinstance(existing, NewDocument):
        label, base = f"new {existing.description}", ""
    else:
        label, base = existing.describe(), existing.pointer
    changes = autoscale.patch_hpa(existing, rule.autoscale, f"rule {rule.name!r}: {label}")
    report.changes.extend(
        Entry(rule.name, label, base + c.pointer, c.old, c.new, c.pointer.lstrip("/")) for c in changes
    )
    return None
