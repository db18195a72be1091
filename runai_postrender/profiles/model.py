"""A profile as the sizing stage reads it: its rules, each with what it matches and what it sets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
