"""A floor on a Deployment's replicas, where a second pod can work.

Run:ai's newer guide runs key control-plane services at two replicas. A Deployment with an HPA (the
chart's, or one a rule of the profile added) keeps it: the HPA decides its pods. One that mounts a
ReadWriteOnce claim (or a claim the stream does not hold) keeps its replicas: a second pod could not start
on another node. Which software may run replicas at all is the rule's match (its `notName` list).
"""

from __future__ import annotations

from runai_postrender.profiles.model import Rule
from runai_postrender.sizing import directions, viability
from runai_postrender.sizing.autoscale import HpaIndex
from runai_postrender.sizing.outcome import Decision, located
from runai_postrender.sizing.patch import set_value
from runai_postrender.sizing.selection import Resource
from runai_postrender.support import pointer


def apply(rule: Rule, deployment: Resource, hpas: HpaIndex, claims: viability.Claims) -> Decision:
    """Raise spec.replicas to the rule's floor; never lower it, never where an HPA or a claim decides."""
    wanted = rule.replicas
    assert wanted is not None
    decision = Decision(rule.name, deployment.describe())
    if deployment.kind != "Deployment" or hpas.find(deployment) is not None:
        return decision
    exists, current = pointer.resolve(deployment.obj, "/spec/replicas")
    ran = 1 if not exists or current is None else directions.count(current)  # 3.0 and 3 alike
    if ran is None:
        decision.notes.append(f"{deployment.describe()}: replicas {current!r} is not a number; left (rule {rule.name})")
        return decision
    if ran == 0:
        decision.kept.append(
            f"{deployment.describe()}: spec/replicas kept at 0: {directions.SCALED_TO_ZERO} (rule {rule.name})"
        )
        return decision
    if ran >= wanted:
        if ran > wanted:
            decision.kept.append(
                f"{deployment.describe()}: replicas kept at {ran}: above the profile's {wanted} (rule {rule.name})"
            )
        return decision
    blocked = claims.single_node(deployment)
    if blocked:
        decision.warnings.append(
            f"{deployment.describe()}: kept at {ran} replica(s) (rule {rule.name}): it mounts {', '.join(blocked)}; "
            "a second pod could not start elsewhere"
        )
        return decision
    made = set_value(deployment.obj, "/spec/replicas", wanted, f"rule {rule.name!r}: {deployment.describe()}")
    decision.changes = located(deployment.pointer, made)
    return decision
