"""Which way a profile may move each sizing setting, and what an absent field stands for.

A profile raises capacities and lowers ceilings; it never shrinks what a chart or a user already set
higher. So each setting has a direction: requests, limits, replica counts, HPA bounds, queue capacity
and samples per send are floors (the larger value stays); retention and the number of shards are
ceilings (the smaller value stays). A rule marked `exact` writes its values whatever is there. Where a
field is absent, the comparison is with the value the software then uses (its effective default): for a
container's request, its limit (Kubernetes then requests the limit); for a replica count, 1.

Numbers compare as Helm reads them: `5.0` and `5e0` are the count 5 (sigs.k8s.io/yaml writes the float
5.0 as the JSON number 5, which Kubernetes reads into its int32 fields).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from runai_postrender.support import pointer, quantity

FLOOR = "floor"
CEILING = "ceiling"
EXACT = "exact"

_FLOORS = {"replicas", "minReplicas", "maxReplicas", "replicaCount", "capacity", "maxSamplesPerSend", "minShards"}
_CEILINGS = {"retention", "maxShards"}
# Prometheus' remote-write queue defaults changed in 2.44 (prometheus/prometheus pull request 12203):
# before, 2500 / 500 / 200; since, 10000 / 2000 / 50. Writing the old guide's numbers into an empty
# queueConfig of a modern Prometheus would shrink its batches and allow more shards.
QUEUE_DEFAULTS_SINCE_2_44 = {"capacity": 10000, "maxSamplesPerSend": 2000, "maxShards": 50}
QUEUE_DEFAULTS_BEFORE_2_44 = {"capacity": 2500, "maxSamplesPerSend": 500, "maxShards": 200}
RUNAICONFIG_RETENTION = "2h"  # what Run:ai's operator gives its Prometheus when the RunaiConfig says nothing
OPERATOR_RETENTION = "24h"  # prometheus-operator's default when neither retention nor retentionSize is set
# Replica counts whose absence means 1: a profile value below it (0, -3) never switches a workload off.
_WORKLOAD_REPLICAS = (["spec", "replicas"],)
_COUNTS = {
    "Deployment": _WORKLOAD_REPLICAS,
    "StatefulSet": _WORKLOAD_REPLICAS,
    "ReplicaSet": _WORKLOAD_REPLICAS,
    "HorizontalPodAutoscaler": (["spec", "minReplicas"],),
    "RunaiConfig": (["spec", "global", "replicaCount"],),
}
_VERSION = re.compile(r"v?(\d+)\.(\d+)")
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNITS = (("ms", "0.001"), ("s", "1"), ("m", "60"), ("h", "3600"), ("d", "86400"), ("w", "604800"), ("y", "31536000"))
_SECONDS = {unit: Decimal(seconds) for unit, seconds in _UNITS}


def direction(path: str) -> str:
    """A setting's direction, from where it is: `.../requests/cpu` is a floor, `.../retention` a ceiling."""
    parts = pointer.split(path)
    if len(parts) >= 2 and parts[-2] in ("requests", "limits"):
        return FLOOR
    if parts and parts[-1] in _FLOORS:
        return FLOOR
    if parts and parts[-1] in _CEILINGS:
        return CEILING
    return EXACT


def compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 as `a` is below, at or above `b`, as quantities, durations or numbers; None if they
    cannot be compared."""
    for parse in (quantity.parse, duration):
        x, y = parse(a), parse(b)
        if x is not None and y is not None:
            return (x > y) - (x < y)
    return None


SCALED_TO_ZERO = "a workload scaled to zero on purpose stays off"


def count(value: Any) -> int | None:
    """A whole number as Kubernetes reads it into a count (replicas, HPA bounds): an int, or a float with
    no fraction (`6.0`, `6e0`); None for anything else (Kubernetes would refuse the object)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def duration(value: Any) -> Decimal | None:
    """A Prometheus duration (`1h`, `10d`, `2h30m`) in seconds, or None."""
    if not isinstance(value, str) or not value or _DURATION.sub("", value):
        return None
    return sum((Decimal(n) * _SECONDS[unit] for n, unit in _DURATION.findall(value)), Decimal(0))


def keeps(way: str, current: Any, wanted: Any) -> bool:
    """Whether the value in place stays: it is at or beyond the profile's floor or ceiling (`way`: FLOOR,
    CEILING or EXACT), or cannot be compared with it (then the chart's value is kept, never weakened by a
    guess)."""
    if way == EXACT or current is None:
        return False
    order = compare(current, wanted)
    if order is None:
        return not quantity.same(current, wanted)
    return order >= 0 if way == FLOOR else order <= 0


def effective_default(kind: str | None, obj: Any, path: str) -> Any:
    """The value an absent field stands for, where the software's default is known; else None."""
    parts = pointer.split(path)
    if len(parts) >= 2 and parts[-2] == "requests":
        # Kubernetes requests a container's limit where it sets no request: the limit is the floor in place.
        _, limit = pointer.resolve(obj, pointer.join([*parts[:-2], "limits", parts[-1]]))
        return limit
    if parts in _COUNTS.get(str(kind), ()):
        return 1
    if len(parts) >= 2 and parts[-2] == "queueConfig" and parts[-1] in QUEUE_DEFAULTS_SINCE_2_44:
        defaults = QUEUE_DEFAULTS_BEFORE_2_44 if _before_2_44(kind, obj) else QUEUE_DEFAULTS_SINCE_2_44
        return defaults[parts[-1]]
    if kind == "RunaiConfig" and parts == ["spec", "prometheus", "spec", "retention"]:
        return RUNAICONFIG_RETENTION
    if kind == "Prometheus" and parts == ["spec", "retention"]:
        return OPERATOR_RETENTION
    return None


def _before_2_44(kind: str | None, obj: Any) -> bool:
    """Whether the stream says the Prometheus runs a version before 2.44 (its `version` or image tag);
    where it says nothing, the newer defaults are assumed."""
    at = "/spec" if kind == "Prometheus" else "/spec/prometheus/spec"
    _, spec = pointer.resolve(obj, at)
    if not isinstance(spec, dict):
        return False
    for text in (spec.get("version"), str(spec.get("image") or "").rpartition(":")[2]):
        found = _VERSION.match(str(text or ""))
        if found:
            return (int(found.group(1)), int(found.group(2))) < (2, 44)
    return False
