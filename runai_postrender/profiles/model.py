"""A profile as the sizing stage reads it: its rules, each with what it matches and what it sets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runai_postrender.support.versions import VersionRange


@dataclass(frozen=True)
class Match:
    """Which resources a rule targets. Empty tuples match anything."""

    kinds: tuple[str, ...]
    api_versions: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    charts: tuple[str, ...] = ()  # the release's chart, as Helm's output says (`# Source:`, Helm 4's annotation)
    releases: tuple[str, ...] = ()  # the release, from the objects' labels
    not_names: tuple[str, ...] = ()  # object names the rule never matches (`{release}` filled in as in names)


@dataclass(frozen=True)
class Autoscale:
    """The HorizontalPodAutoscaler that a rule gives each Deployment it matches."""

    min_replicas: int
    max_replicas: int
    cpu_utilization: int | None = None
    memory_utilization: int | None = None
    cpu_requests: Mapping[str, str] = field(default_factory=dict)  # container glob -> request where it has none


@dataclass(frozen=True)
class Availability:
    """What a rule does for a workload that runs two or more pods."""

    disruption_budget: bool = True  # a PodDisruptionBudget that lets one pod go at a time
    spread: bool = True  # a soft topology spread across nodes


@dataclass(frozen=True)
class Rule:
    """One named change of a profile, with every `${value}` already substituted."""

    name: str
    description: str
    match: Match
    containers: tuple[str, ...] = ()
    set: Mapping[str, Any] = field(default_factory=dict)
    patch: tuple[Mapping[str, Any], ...] = ()
    autoscale: Autoscale | None = None
    exact: bool = False  # write `set` values as they are, not as floors and ceilings
    availability: Availability | None = None  # budgets and spreading, after every other rule
    replicas: int | None = None  # a floor on a Deployment's replicas (none with an HPA or a ReadWriteOnce claim)


@dataclass(frozen=True)
class Edition:
    """One edition of Run:ai's sizing guidance: the Run:ai versions it is for, where it is published, and the
    profile's values and rules for those versions (every `${value}` substituted)."""

    name: str
    versions: VersionRange
    guide: str
    source: str
    values: Mapping[str, Any]
    rules: tuple[Rule, ...]
    recommended_from: Mapping[str, int] = field(default_factory=dict)
    own_values: Mapping[str, Any] = field(default_factory=dict)  # the values the edition's block sets
    sources: Mapping[str, str] = field(default_factory=dict)  # value name -> where its number comes from


@dataclass(frozen=True)
class Profile:
    """A resolved profile: what `runai-size` applies."""

    name: str
    chain: tuple[str, ...]  # this profile first, then what it extends, and so on
    description: str
    cluster_size: str
    recommended_from: Mapping[str, int]
    values: Mapping[str, Any]
    rules: tuple[Rule, ...]
    written: Mapping[str, Any] = field(default_factory=dict)  # the same as a profile file says it: rules keep ${...}
    overrides: tuple[tuple[str, str], ...] = ()
    editions: tuple[Edition, ...] = ()  # oldest first; `rules` and `values` are the newest one's
    runai_version: str | None = None  # --runai-version: the Run:ai version to size for, whatever the stream says

    def edition_for(self, version: tuple[int, int, int] | None) -> Edition | None:
        """The edition for a Run:ai version: the one whose range holds it; the newest where none does or
        where the version is not known. None for a profile without editions."""
        if not self.editions:
            return None
        if version is not None:
            for edition in self.editions:
                if edition.versions.holds(version):
                    return edition
        return self.editions[-1]
