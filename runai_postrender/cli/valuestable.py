"""`runai-size profiles --values`: every value of the built-in profiles side by side, with the Run:ai versions
and the source each number is for."""

from __future__ import annotations

from typing import Any


def values_table(loaded: list[Any]) -> list[str]:
    """Every value side by side, per edition where the editions differ, and its source: a guide's page, or
    runai-size's own choice and why. Where the profiles' numbers of one row have different sources, the row
    is split, one line per source, each with the numbers that source gives."""
    from runai_postrender.profiles.load import flatten_values

    editions = loaded[-1].editions
    names = list(dict.fromkeys(name for p in loaded for e in p.editions or [p] for name in flatten_values(e.values)))
    rows = [["value", "Run:ai", *(p.name for p in loaded), "source"]]
    for name in names:
        per_edition = [(edition, [_cell_of(p, edition.name, name) for p in loaded]) for edition in editions]
        same = all(cells == per_edition[0][1] for _, cells in per_edition)
        for edition, cells in [(None, per_edition[0][1])] if same or not editions else per_edition:
            shown = f"{edition.versions.text} ({edition.name})" if edition else "all"
            sources = list(dict.fromkeys(source for value, source in cells if value is not None)) or [""]
            for index, source in enumerate(sources):
                row = [
                    value
                    if value is not None and given == source
                    else "as rendered"
                    if value is None and not index
                    else ""
                    for value, given in cells
                ]
                rows.append([name, shown, *row, source])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def _cell_of(profile: Any, edition: str, name: str) -> tuple[str | None, str]:
    """A profile's number for a value in an edition (None: the profile leaves it as rendered) and its source."""
    from runai_postrender.profiles.load import flatten_values

    found = next(e for e in profile.editions if e.name == edition)
    values = flatten_values(found.values)
    return (_cell(values[name]), found.sources.get(name, "not given")) if name in values else (None, "")


def _cell(value: Any) -> str:
    """A value as a profile file spells it (`true`, not Python's `True`)."""
    if isinstance(value, list):
        return ",".join(map(_cell, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
