"""A copy of plain data (mappings, lists, scalars), as profile values and rules are: copy.deepcopy's
bookkeeping costs a profile's load milliseconds of every run."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def copied(value: T) -> T:
    """`value` with every mapping and list copied (a value reached twice is copied twice); scalars shared."""
    if isinstance(value, dict):
        return {key: copied(item) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [copied(item) for item in value]  # type: ignore[return-value]
    return value
