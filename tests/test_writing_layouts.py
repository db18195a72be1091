"""The few layouts the text editor does not write: each goes to the round trip by name, so that the report
says why (`round trip (<layout>)`), and the round trip's text reads back as the new data. Each input here
is the smallest that has the layout; the change is the kind the rules make (keys added, removed, a value
replaced by a collection)."""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from runai_postrender.documents.stream import Span
from runai_postrender.documents.style import Style
from runai_postrender.reading.load import load
from runai_postrender.reading.readback import check
from runai_postrender.writers import write


def written(text: str, change: Callable[[Any], None]) -> tuple[str, str]:
    """The document's text as write.write_back writes it with `change` made to its data, and the writer as
    the report names it; the text must read back as the new data."""
    data = textwrap.dedent(text).encode()
    doc = load(data, Span(1, 0, len(data))).replaced(style=Style(mapping=2, offset=2))
    new = copy.deepcopy(doc.data)
    change(new)
    doc.data = new
    result = write.write_back(doc)
    assert result is not None
    check(result[0].decode(), new)
    return result[0].decode(), result[1]


def set_item(path: str, index: int, value: Any) -> Callable[[Any], None]:
    return lambda data: data[path].__setitem__(index, value)


LAYOUTS = {
    # the first key after `?`: the mapping's column is the `?`'s, not the key's
    "keys at uneven columns (the first key written after `?`)": (
        """\
        containers:
          - ? name
            : query
            ? image
            : thanos
        """,
        lambda data: data["containers"][0].update(resources={"limits": {"cpu": 1}}),
    ),
    "removing a key written after `?`": (
        """\
        resources:
          ? limits
          : {cpu: 1}
          requests: {cpu: 1}
        """,
        lambda data: data["resources"].pop("limits"),
    ),
    "removing the last key of a mapping that shares its first line": (
        """\
        items:
          - replicas: 1
        """,
        set_item("items", 0, {"resources": {"limits": {"cpu": 1}}}),
    ),
    "a block collection that starts after other text": (
        """\
        items:
          - name: query
            image: thanos
        """,
        set_item("items", 0, ["query", "thanos"]),
    ),
    "a list item that does not start its line": (
        """\
        items:
          - - query
            - thanos
        """,
        lambda data: data["items"][0].pop(0),
    ),
    # the first key's removal runs up to the second key, whose removal takes its whole line
    "overlapping edits": (
        """\
        items:
          - name: query
            image: thanos
        """,
        set_item("items", 0, {"resources": {"limits": {"cpu": 1}}}),
    ),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_layout_the_text_editor_does_not_write_takes_the_round_trip_by_name(layout: str) -> None:
    text, change = LAYOUTS[layout]
    _, writer = written(text, change)
    assert writer == f"round trip ({layout})"
