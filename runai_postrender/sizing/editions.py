"""Which edition of Run:ai's sizing guidance each Run:ai object gets, and the profile's rules applied per edition.

The version comes from the stream: Run:ai's own charts label their objects `helm.sh/chart:
control-plane-2.18.4` (`runai-cluster-...`), else `app.kubernetes.io/version` names it (identity.runai_version),
and every object of a release (its sub-charts' too) gets the version of that release. Where an object's two
labels name different versions the chart label's applies and the report says so. `--runai-version`
overrides what the stream says; an object whose version nothing names gets the newest edition, and the
report says so. Two releases of different versions in one stream each get their own edition.
"""

from __future__ import annotations

from runai_postrender.documents import identity
from runai_postrender.documents.document import Document
from runai_postrender.profiles.model import Edition, Profile
from runai_postrender.sizing import rules, selection
from runai_postrender.sizing.outcome import Outcome
from runai_postrender.support.versions import Version, parse_version


def needed(profile: Profile, in_stream: list[str], elsewhere: bool = False) -> tuple[Edition, ...]:
    """The editions a stream may need, judged from the versions its bytes name (identity.stream_versions: what
    the prefilter looks for); all of them where a Run:ai object may name its version only in
    `app.kubernetes.io/version` (`elsewhere`, identity.stream_versions), which only reading it tells."""
    if not profile.editions:
        return ()
    if profile.runai_version is not None:
        return (_edition(profile, profile.runai_version),)
    if elsewhere:
        return profile.editions
    found = [_edition(profile, text) for text in in_stream]
    if len(found) != 1:
        found.append(profile.editions[-1])  # objects of a release whose version no object names
    return tuple(edition for edition in profile.editions if any(edition is other for other in found))


def narrowed(profile: Profile, editions: tuple[Edition, ...]) -> Profile:
    """The profile with the rules of these editions only (for the prefilter: what to read)."""
    if not editions:
        return profile
    # A rule of several editions, with the same match in each, once: the prefilter asks every rule of every
    # document whether it may match.
    rules = {(rule.name, repr(rule.match)): rule for edition in editions for rule in edition.rules}
    return profile.replaced(rules=tuple(rules.values()))


def apply(profile: Profile, documents: list[Document], identified: bool, in_stream: list[str]) -> Outcome:
    """Apply each edition's rules to the objects of its Run:ai versions; the outcome names versions and editions."""
    if not profile.editions:
        return rules.apply_rules(profile, documents, identified)
    resources = [resource for doc in documents for resource in selection.resources_of(doc)]
    releases: dict[str | None, str] = {}
    disagreeing: dict[str | None, tuple[str, str]] = {}
    for resource in resources:
        version, other = identity.runai_versions(resource.metadata, resource.document.head)
        if version is not None:
            release = identity.origin(resource.metadata, resource.document.head).release
            releases.setdefault(release, version)
            if other is not None:
                disagreeing.setdefault(release, (version, other))
    in_stream = list(dict.fromkeys([*in_stream, *releases.values()]))  # with app.kubernetes.io/version's
    alone = in_stream[0] if len(in_stream) == 1 else None

    def version_of(resource: selection.Resource) -> str | None:
        if profile.runai_version is not None:
            return profile.runai_version
        return releases.get(identity.origin(resource.metadata, resource.document.head).release) or alone

    of = {(r.document.index, r.pointer): _edition(profile, version_of(r)) for r in resources}
    present = {id(edition) for edition in of.values()}
    # No object targeted: the edition the stream's bytes (or --runai-version) name, for the report.
    used = [edition for edition in profile.editions if id(edition) in present] or [needed(profile, in_stream)[-1]]
    outcome = Outcome([], [])
    unmatched: dict[str, int] = {}
    for edition in used:
        part = rules.apply_rules(
            profile.replaced(rules=edition.rules),
            documents,
            identified,
            lambda resource, edition=edition: of.get((resource.document.index, resource.pointer)) is edition,  # type: ignore[misc]
        )
        outcome.decisions += part.decisions
        for name in part.unmatched:
            unmatched[name] = unmatched.get(name, 0) + 1
    everywhere = {name for name, count in unmatched.items() if count == sum(name in _names(e) for e in used)}
    outcome.unmatched = [name for name in unmatched if name in everywhere]
    _describe(profile, outcome, in_stream, used, not releases and alone is None)
    for release, (version, other) in disagreeing.items():
        outcome.notes.append(
            f"release {release or '(unnamed)'}: helm.sh/chart names Run:ai {version}, app.kubernetes.io/version "
            f"{other}; the chart label's version applies"
        )
    return outcome


def _names(edition: Edition) -> set[str]:
    return {rule.name for rule in edition.rules}


def _edition(profile: Profile, text: str | None) -> Edition:
    version: Version | None = parse_version(text) if text is not None else None
    edition = profile.edition_for(version)
    assert edition is not None
    return edition


def _describe(profile: Profile, outcome: Outcome, found: list[str], used: list[Edition], unnamed: bool) -> None:
    outcome.runai_versions = [profile.runai_version] if profile.runai_version is not None else found
    outcome.editions = [f"{e.name} ({e.guide}, Run:ai {e.versions.text})" for e in used]
    if profile.runai_version is not None:
        said = f"Run:ai {profile.runai_version} as given"
    elif found:
        said = f"Run:ai {', '.join(found)}"
    else:
        said = "no Run:ai version in the stream"
    names = ", ".join(e.name for e in used)
    outcome.runai = f"{said}, edition{'s' if len(used) > 1 else ''} {names}" + (
        ", the newest" if unnamed and profile.runai_version is None else ""
    )
    if unnamed and profile.runai_version is None:
        outcome.notes.append(
            f"the stream names no Run:ai version (helm.sh/chart: control-plane-X.Y.Z): the newest edition "
            f"{used[-1].name} applies; --runai-version (or RUNAI_SIZE_RUNAI_VERSION) names one"
        )
