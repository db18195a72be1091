"""`runai-size profiles --values`: every value of the built-in profiles side by side, with the Run:ai versions
and the guide page each value is for."""

from __future__ import annotations

from typing import Any


def values_table(loaded: list[Any]) -> list[str]:
    """Every value side by side; a value a guide gives, once per edition, with the edition and its page."""
    from runai_postrender.profiles.load import flatten_values

    editions = loaded[-1].editions
    names = list(dict.fromkeys(name for p in loaded for e in p.editions or [p] for name in flatten_values(e.values)))
    rows = [["value", "Run:ai", *(p.name for p in loaded), "source"]]
    for name in names:
        guides = [e for e in editions if any(name in flatten_values(_edition(p, e.name).own_values) for p in loaded)]
        for edition in guides or [None]:
            cells = [
                flatten_values(_edition(p, edition.name).values if edition else p.values).get(name, "as rendered")
                for p in loaded
            ]
            shown = f"{edition.versions.text} ({edition.name})" if edition else "all"
            source = edition.source if edition else "runai-size (the comments in profiles/)"
            rows.append([name, shown, *map(_cell, cells), source])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def _edition(profile: Any, name: str) -> Any:
    return next(edition for edition in profile.editions if edition.name == name)


def _cell(value: Any) -> str:
    """A value as a profile file spells it (`true`, not Python's `True`)."""
    if isinstance(value, list):
        return ",".join(map(_cell, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
