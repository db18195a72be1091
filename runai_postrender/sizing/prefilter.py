"""Which documents of a stream to read: what a profile's rules look for, judged from each document's header.

Most documents of a stream are never touched, so they are judged from their bytes: the sniffer reads
kind, name and namespace where the text leaves no doubt, and only a document whose header a rule could
match, or whose header the sniffer cannot read, is parsed.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from runai_postrender.documents.sniff import Header
from runai_postrender.documents.stream import Span
from runai_postrender.profiles.model import Profile, Rule
from runai_postrender.sizing import selection
from runai_postrender.support.record import Frozen

_GLOB = re.compile(r"[*?\[]")


class Finder(Frozen):
    """What to look for in a stream, worked out once per run from the profile's rules."""

    __slots__ = ("rules", "kinds", "patterns", "spelled")

    def __init__(
        self,
        rules: tuple[Rule, ...],
        kinds: frozenset[str],
        patterns: tuple[str, ...],
        spelled: tuple[bytes, ...],
    ) -> None:
        self.rules = rules
        self.kinds = kinds  # kinds written out in full
        self.patterns = patterns  # kinds given as globs
        self.spelled = spelled  # every kind as bytes, when none is a glob

    @classmethod
    def of(cls, profile: Profile) -> Finder:
        kinds = [kind for rule in profile.rules for kind in rule.match.kinds]
        if any(rule.autoscale for rule in profile.rules):
            kinds += [selection.HPA_KIND, "PersistentVolumeClaim"]  # an HPA to merge into; claims that pin pods
        if any(rule.availability for rule in profile.rules):
            kinds += [selection.HPA_KIND, "PodDisruptionBudget"]  # the pod count; a budget the chart has
        if kinds:
            kinds.append("List")
        patterns = tuple(kind for kind in kinds if _GLOB.search(kind))
        spelled = () if patterns else tuple(kind.encode() for kind in dict.fromkeys(kinds))
        return cls(profile.rules, frozenset(kinds) - set(patterns), patterns, spelled)

    def wants(self, data: bytes | bytearray, span: Span, found: Header) -> bool:
        """Whether a rule may target the document, judged from its header (and its bytes when unsure)."""
        if not self.rules:
            return False
        if not found.sure:
            return self._may_hold_a_kind(data, span)
        if found.kind is None or not self.wants_kind(found.kind):
            return False  # a document without a kind is no Kubernetes object
        if found.kind in (selection.HPA_KIND, "PersistentVolumeClaim", "PodDisruptionBudget", "List"):
            return True
        if not found.metadata_sure:
            return True
        return any(selection.could_match(rule.match, found.kind, found.name, found.namespace) for rule in self.rules)

    def wants_kind(self, kind: str) -> bool:
        return kind in self.kinds or any(fnmatchcase(kind, pattern) for pattern in self.patterns)

    def _may_hold_a_kind(self, data: bytes | bytearray, span: Span) -> bool:
        """An unsniffable document could be of a wanted kind only if it spells one, or escapes characters."""
        if not self.spelled or data.find(b"\\", span.start, span.end) >= 0:
            return True
        return any(data.find(kind, span.start, span.end) >= 0 for kind in self.spelled)
