"""Which built-in profile Run:ai's guidance gives for a cluster of a given size, and why.

Each built-in profile says from which size it is recommended (`recommendedFrom: {nodes: 100, gpus: 1500}`);
a cluster gets the largest profile for which any of its counts reaches the threshold. A large cluster also
needs Run:ai system nodes for high availability: `system_node_warning` says when it has too few.
"""

from __future__ import annotations

from runai_postrender.profiles.load import Profile, builtin_names, load_profile
from runai_postrender.recommend.nodes import SYSTEM_LABEL, NodeCounts
from runai_postrender.recommend.workloads import RESOURCE, WorkloadCounts
from runai_postrender.report import plural
from runai_postrender.support.errors import InputError, VerifyError
from runai_postrender.support.record import Frozen
from runai_postrender.support.versions import Version, parse_version

_UNITS = {"nodes": "nodes", "gpus": "GPUs", "workloads": "running or pending workloads"}
# Profiles that run several replicas of Run:ai's services: replicas on one node survive no node failure.
HA_PROFILES = ("large", "xlarge")
HA_SYSTEM_NODES = 3  # Run:ai's high-availability guide: at least three system nodes


class SystemNodesError(VerifyError):
    """`recommend --strict`: the cluster is large enough for a highly available profile, its system nodes are not."""


class Recommendation(Frozen):
    __slots__ = ("profile", "reason")

    def __init__(self, profile: Profile, reason: str) -> None:
        self.profile = profile
        self.reason = reason  # "here 120 nodes >= 100; 120 nodes < 500"


def recommend(
    nodes: int | None, gpus: int | None, workloads: int | None = None, runai_version: str | None = None
) -> Recommendation:
    """The profile for a cluster of `nodes` nodes, `gpus` GPUs and `workloads` running or pending workloads
    (None: not known), by the tiers of the guide of `runai_version` (None: the newest). One count is known.

    Each edition of the guide has its own measures: up to 2.19 nodes or GPUs, from 2.20 nodes or
    workloads; a count the edition does not measure by is not used."""
    given = (("nodes", nodes), ("gpus", gpus), ("workloads", workloads))
    counts = {name: count for name, count in given if count is not None}
    if not counts:
        raise ValueError("recommend needs the number of nodes, GPUs or workloads")
    version = parse_version(runai_version) if runai_version is not None else None
    if runai_version is not None and version is None:
        raise InputError(f"--runai-version {runai_version!r} is not a version such as 2.22 or 2.18.4")
    profiles = [_for_version(load_profile(name), version) for name in builtin_names()]
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


def _for_version(profile: Profile, version: Version | None) -> Profile:
    """The profile with the thresholds of the edition for this version (the newest when None)."""
    edition = profile.edition_for(version)
    if edition is None or not edition.recommended_from:
        return profile
    return profile.replaced(recommended_from=edition.recommended_from)


def _thresholds(profile: Profile, counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(name, int(profile.recommended_from[name])) for name in counts if name in profile.recommended_from]


def _count(count: int, name: str) -> str:
    return f"{count:,} {_UNITS[name]}"


def describe_counts(counts: NodeCounts, workloads: WorkloadCounts | None = None) -> str:
    """The counts `recommend` used, for people: `nodes.json: 120 nodes, 64 GPUs on 8 GPU nodes, 3 system nodes`,
    and the running or pending workloads where they were counted."""

    def many(count: int, noun: str) -> str:  # 1,504 GPUs, as the reason writes them
        return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"

    text = (
        f"{counts.source}: {many(counts.nodes, 'node')}, {many(counts.gpus, 'GPU')} on "
        f"{many(counts.gpu_nodes, 'GPU node')}, {many(len(counts.system_nodes), 'system node')} "
        f"(labelled {SYSTEM_LABEL})"
    )
    if workloads is None:
        return text
    where = f"{workloads.source}: " if workloads.source != counts.source else ""
    noun = "running or pending workload" if workloads.active == 1 else "running or pending workloads"
    return (
        f"{text}; {where}{workloads.active:,} {noun} (Run:ai scheduler PodGroups, {RESOURCE}; "
        f"{workloads.finished:,} finished not counted)"
    )


def system_node_warning(profile: Profile, counts: NodeCounts) -> str | None:
    """Why a cluster that gets a highly available profile is not ready for it (None: it is)."""
    have = len(counts.system_nodes)
    if profile.name not in HA_PROFILES or have >= HA_SYSTEM_NODES:
        return None
    names = f" ({', '.join(counts.system_nodes)})" if counts.system_nodes else ""
    return (
        f"profile {profile.name} on {plural(have, 'system node')}{names}: Run:ai's services prefer nodes labelled "
        f"{SYSTEM_LABEL} (a node affinity) and high availability needs at least {HA_SYSTEM_NODES}; label "
        f"{HA_SYSTEM_NODES - have} more with: kubectl label node NAME {SYSTEM_LABEL}=true"
    )
