"""A floor on a Deployment's replicas, where a second pod can work.

Run:ai's newer guide runs key control-plane services at two replicas. A Deployment with an HPA (the
chart's, or one a rule of the profile added) keeps it: the HPA decides its pods. One that mounts a
ReadWriteOnce claim (or a claim the stream does not hold) keeps its replicas: a second pod could not start
on another node. Which software may run replicas at all is the rule's match (its `notName` list).
"""

from __future__ import annotations

from runai_postrender.profiles.model import Rule
from runai_postrender.report import Report
from runai_postrender.sizing import viability
from runai_postrender.sizing.autoscale import HpaIndex
from runai_postrender.sizing.patch import Change, set_value
from runai_postrender.sizing.selection import Resource
from runai_postrender.support import pointer


def apply(rule: Rule, deployment: Resource, hpas: HpaIndex, claims: viability.Claims, report: Report) -> list[Change]:
    """Raise spec.replicas to the rule's floor; never lower it, never where an HPA or a claim decides."""
    wanted = rule.replicas
    assert wanted is not None
    if deployment.kind != "Deployment" or hpas.find(deployment) is not None:
        return []
    exists, current = pointer.resolve(deployment.obj, "/spec/replicas")
    if exists and current is not None and (isinstance(current, bool) or not isinstance(current, int | float)):
        report.notes.append(f"{deployment.describe()}: replicas {current!r} is not a number; left (rule {rule.name})")
        return []
    ran = current if exists and current is not None else 1  # 3.0 and 3 alike: never below what is set
    if ran >= wanted:
        if ran > wanted:
            report.kept.append(
                f"{deployment.describe()}: replicas kept at {ran}: above the profile's {wanted} (rule {rule.name})"
            )
        return []
    blocked = claims.single_node(deployment)
    if blocked:
        report.warnings.append(
            f"{deployment.describe()}: kept at {ran} replica(s) (rule {rule.name}): it mounts {', '.join(blocked)}; "
            "a second pod could not start elsewhere"
        )
        return []
    return set_value(deployment.obj, "/spec/replicas", wanted, f"rule {rule.name!r}: {deployment.describe()}")
