"""Which built-in profile Run:ai's guidance gives for a cluster of a given size, and why.

Each built-in profile says from which size it is recommended (`recommendedFrom: {nodes: 100, gpus: 1500}`);
a cluster gets the largest profile for which any of its counts reaches the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from runai_postrender.profiles import Profile, builtin_names, load_profile

_UNITS = {"nodes": "nodes", "gpus": "GPUs"}


@dataclass(frozen=True)
class Recommendation:
    profile: Profile
    reason: str  # "here 120 nodes >= 100; 120 nodes < 500"


def recommend(nodes: int | None, gpus: int | None) -> Recommendation:
    """The profile for a cluster of `nodes` nodes and `gpus` GPUs (None: not known). At least one is known."""
    counts = {name: count for name, count in (("nodes", nodes), ("gpus", gpus)) if count is not None}
    if not counts:
        raise ValueError("recommend needs the number of nodes or of GPUs")
    profiles = [load_profile(name) for name in builtin_names()]
    chosen = 0
    for index, profile in enumerate(profiles):
        if any(counts[name] >= threshold for name, threshold in _thresholds(profile, counts)):
            chosen = index
    profile = profiles[chosen]
    reached = [
        f"{_count(counts[name], name)} >= {threshold:,}"
        for name, threshold in _thresholds(profile, counts)
        if threshold > 0 and counts[name] >= threshold
    ]
    below = []
    if chosen + 1 < len(profiles):  # by construction, every count is below the next profile's thresholds
        following = _thresholds(profiles[chosen + 1], counts)
        below = [f"{_count(counts[name], name)} < {threshold:,}" for name, threshold in following]
    parts = [" and ".join(part) for part in (reached, below) if part]
    return Recommendation(profile, "here " + "; ".join(parts) if parts else "")


def _thresholds(profile: Profile, counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(name, int(profile.recommended_from[name])) for name in counts if name in profile.recommended_from]


def _count(count: int, name: str) -> str:
    return f"{count:,} {_UNITS[name]}"
