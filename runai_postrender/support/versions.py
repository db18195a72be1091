"""Run:ai versions and the version ranges (`>=2.20,<2.24`) that guidance editions and rules apply to."""

from __future__ import annotations

import re

from runai_postrender.support.errors import ProfileError
from runai_postrender.support.record import Frozen

Version = tuple[int, int, int]
_VERSION = re.compile(r"^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?(?:[-+][0-9A-Za-z.+-]*)?$")
_BOUND = re.compile(r"^(>=|<)\s*(\S+)$")
NEWEST: Version = (10**6, 0, 0)


def parse_version(text: str) -> Version | None:
    """`2.18.3`, `v2.20`, `2.22.47-rc.1` as (major, minor, patch); None for anything else."""
    found = _VERSION.match(text.strip())
    if found is None:
        return None
    return int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)


def show(version: Version) -> str:
    return ".".join(map(str, version))


class VersionRange(Frozen):
    """The versions from `low` (included) up to `high` (excluded); as written in a profile."""

    __slots__ = ("low", "high", "text")

    def __init__(self, low: Version = (0, 0, 0), high: Version = NEWEST, text: str = "any") -> None:
        self.low = low
        self.high = high
        self.text = text

    def holds(self, version: Version) -> bool:
        return self.low <= version < self.high

    def within(self, other: VersionRange) -> bool:
        """Whether every version of this range is in `other`."""
        return other.low <= self.low and self.high <= other.high


def parse_range(text: object, where: str) -> VersionRange:
    """`>=2.20`, `<2.20`, `>=2.20,<2.24`: a lower bound (included) and an upper bound (excluded)."""
    if not isinstance(text, str) or not text.strip():
        raise ProfileError(f"{where}: runaiVersions is {text!r}, not a range such as '>=2.20' or '>=2.20,<2.24'")
    low, high = (0, 0, 0), NEWEST
    for part in text.split(","):
        bound = _BOUND.match(part.strip())
        version = parse_version(bound.group(2)) if bound else None
        if bound is None or version is None:
            raise ProfileError(
                f"{where}: runaiVersions {text!r}: {part.strip()!r} is not `>=X.Y` or `<X.Y` (a version: 2.20, 2.20.1)"
            )
        if bound.group(1) == ">=":
            low = max(low, version)
        else:
            high = min(high, version)
    if low >= high:
        raise ProfileError(f"{where}: runaiVersions {text!r} holds no version")
    return VersionRange(low, high, text.strip())
