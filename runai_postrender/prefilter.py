"""Which documents of a stream to parse: the text checks, and what a profile looks for.

Most documents of a stream are never touched, so they are judged from their bytes: the sniffer reads
kind, name and namespace where the text leaves no doubt, and only a document whose header a rule could
match, or whose header the sniffer cannot read, is parsed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from runai_postrender import selection, sniff
from runai_postrender.errors import InputError, describe
from runai_postrender.profiles import Profile, Rule
from runai_postrender.stream import BOM, Span

# C0 control characters other than tab, LF and CR, and DEL: YAML allows none of them in a stream.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Header:
    """What a document's bytes say of it: kind (None: it has none), name and namespace, or unsure."""

    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    sure: bool = True  # False: the sniffer could not read the kind, so the document must be parsed
    metadata_sure: bool = True  # False: the kind is known, but name and namespace are not


def header(data: bytes | bytearray, span: Span, metadata_of: Callable[[str], bool] = lambda kind: True) -> Header:
    """What the document's bytes say of it; its name and namespace only where `metadata_of` its kind (reading
    them costs more than the kind, and most documents of a stream are of kinds no rule looks at)."""
    start = span.start + (len(BOM) if span.start == 0 and data.startswith(BOM) else 0)
    if not sniff.is_regular(data, start, span.end):
        return Header(sure=False)
    kind = sniff.sniff_kind(data, start, span.end)
    if kind == sniff.UNKNOWN:
        return Header(sure=False)
    if kind is None or not metadata_of(kind):
        return Header(kind)
    metadata = sniff.sniff_metadata(data, start, span.end)
    if not isinstance(metadata, tuple):
        return Header(kind, metadata_sure=False)
    return Header(kind, metadata[0], metadata[1])


def check_text(data: bytes | bytearray, spans: list[Span]) -> None:
    """Refuse binary data and invalid UTF-8 anywhere in the stream, naming the document."""
    binary = _BINARY.search(data)
    if binary is not None:
        span = spans[bisect_right([span.start for span in spans], binary.start()) - 1]
        raise InputError(
            f"{_describe(data, span)}: byte {binary.start()} is control character "
            f"0x{data[binary.start()]:02x}; the input is binary data, not a YAML stream"
        )
    if data.isascii():
        return
    for span in spans:
        try:
            bytes(data[span.start : span.end]).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{_describe(data, span)}: not valid UTF-8 text (byte {span.start + exc.start})") from exc


def _describe(data: bytes | bytearray, span: Span) -> str:
    found = header(data, span)
    return describe(span.index, found.kind, found.name)


@dataclass(frozen=True)
class Finder:
    """What to look for in a stream, worked out once per run from the profile's rules."""

    rules: tuple[Rule, ...]
    kinds: frozenset[str]  # kinds written out in full
    patterns: tuple[str, ...]  # kinds given as globs
    spelled: tuple[bytes, ...]  # every kind as bytes, when none is a glob

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
