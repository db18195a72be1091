"""A profile as the sizing stage reads it: its rules, each with what it matches and what it sets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runai_postrender.support.record import Frozen
from runai_postrender.support.versions import VersionRange


class Match(Frozen):
    """Which resources a rule targets. Empty tuples match anything."""

    __slots__ = ("kinds", "api_versions", "names", "namespaces", "labels", "charts", "releases", "not_names")

    def __init__(
        self,
        kinds: tuple[str, ...],
        api_versions: tuple[str, ...] = (),
        names: tuple[str, ...] = (),
        namespaces: tuple[str, ...] = (),
        labels: Mapping[str, str] | None = None,
        charts: tuple[str, ...] = (),
        releases: tuple[str, ...] = (),
        not_names: tuple[str, ...] = (),
    ) -> None:
        self.kinds = kinds
        self.api_versions = api_versions
        self.names = names
        self.namespaces = namespaces
        self.labels = {} if labels is None else labels
        self.charts = charts  # the release's chart, as Helm's output says (`# Source:`, Helm 4's annotation)
        self.releases = releases  # the release, from the objects' labels
        self.not_names = not_names  # object names the rule never matches (`{release}` filled in as in names)


class Autoscale(Frozen):
    """The HorizontalPodAutoscaler that a rule gives each Deployment it matches."""

    __slots__ = ("min_replicas", "max_replicas", "cpu_utilization", "memory_utilization", "cpu_requests")

    def __init__(
        self,
        min_replicas: int,
        max_replicas: int,
        cpu_utilization: int | None = None,
        memory_utilization: int | None = None,
        cpu_requests: Mapping[str, str] | None = None,
    ) -> None:
        self.min_replicas = min_replicas
        self.max_replicas = max_replicas
        self.cpu_utilization = cpu_utilization
        self.memory_utilization = memory_utilization
        self.cpu_requests = {} if cpu_requests is None else cpu_requests  # container glob -> request where it has none


class Availability(Frozen):
    """What a rule does for a workload that runs two or more pods."""

    __slots__ = ("disruption_budget", "spread")

    def __init__(self, disruption_budget: bool = True, spread: bool = True) -> None:
        self.disruption_budget = disruption_budget  # a PodDisruptionBudget that lets one pod go at a time
        self.spread = spread  # a soft topology spread across nodes


class Rule(Frozen):
    """One named change of a profile, with every `${value}` already substituted."""

    __slots__ = (
        "name",
        "description",
        "match",
        "containers",
        "set",
        "patch",
        "autoscale",
        "exact",
        "availability",
        "replicas",
    )

    def __init__(
        self,
        name: str,
        description: str,
        match: Match,
        containers: tuple[str, ...] = (),
        set: Mapping[str, Any] | None = None,
        patch: tuple[Mapping[str, Any], ...] = (),
        autoscale: Autoscale | None = None,
        exact: bool = False,
        availability: Availability | None = None,
        replicas: int | None = None,
    ) -> None:
        self.name = name
        self.description = description
        self.match = match
        self.containers = containers
        self.set = {} if set is None else set
        self.patch = patch
        self.autoscale = autoscale
        self.exact = exact  # write `set` values as they are, not as floors and ceilings
        self.availability = availability  # budgets and spreading, after every other rule
        self.replicas = replicas  # a floor on a Deployment's replicas (none with an HPA or a ReadWriteOnce claim)


class Edition(Frozen):
    """One edition of Run:ai's sizing guidance: the Run:ai versions it is for, where it is published, and the
    profile's values and rules for those versions (every `${value}` substituted)."""

    __slots__ = ("name", "versions", "guide", "source", "values", "rules", "recommended_from", "own_values", "sources")

    def __init__(
        self,
        name: str,
        versions: VersionRange,
        guide: str,
        source: str,
        values: Mapping[str, Any],
        rules: tuple[Rule, ...],
        recommended_from: Mapping[str, int] | None = None,
        own_values: Mapping[str, Any] | None = None,
        sources: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.versions = versions
        self.guide = guide
        self.source = source
        self.values = values
        self.rules = rules
        self.recommended_from = {} if recommended_from is None else recommended_from
        self.own_values = {} if own_values is None else own_values  # the values the edition's block sets
        self.sources = {} if sources is None else sources  # value name -> where its number comes from


class Profile(Frozen):
    """A resolved profile: what `runai-size` applies."""

    __slots__ = (
        "name",
        "chain",
        "description",
        "cluster_size",
        "recommended_from",
        "values",
        "rules",
        "written",
        "overrides",
        "editions",
        "runai_version",
    )

    def __init__(
        self,
        name: str,
        chain: tuple[str, ...],
        description: str,
        cluster_size: str,
        recommended_from: Mapping[str, int],
        values: Mapping[str, Any],
        rules: tuple[Rule, ...],
        written: Mapping[str, Any] | None = None,
        overrides: tuple[tuple[str, str], ...] = (),
        editions: tuple[Edition, ...] = (),
        runai_version: str | None = None,
    ) -> None:
        self.name = name
        self.chain = chain  # this profile first, then what it extends, and so on
        self.description = description
        self.cluster_size = cluster_size
        self.recommended_from = recommended_from
        self.values = values
        self.rules = rules
        self.written = {} if written is None else written  # the same as a profile file says it: rules keep ${...}
        self.overrides = overrides
        self.editions = editions  # oldest first; `rules` and `values` are the newest one's
        self.runai_version = runai_version  # --runai-version: the Run:ai version to size for, whatever the stream says

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
