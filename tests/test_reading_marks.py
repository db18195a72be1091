"""Where anchors, aliases and scalars stand in a text, as the writers ask libyaml's events for them."""

from __future__ import annotations

import textwrap

from runai_postrender.reading import marks


def test_an_alias_inside_a_flow_collection_over_several_lines_is_told_from_one_in_a_block() -> None:
    text = textwrap.dedent("""\
        a: &x 1
        b: {
          k: *x}
        c: *x
        d: [*x]
        """)
    flow = sorted(text.index("*x", start) for start in (text.index("k:"), text.index("[")))
    assert sorted(marks.flow_alias_starts(text)) == flow


def test_anchors_and_aliases_are_listed_in_order_with_where_they_start() -> None:
    text = "labels: &l {app: q}\nselector: {matchLabels: *l}\nother: &o [1]\n"
    assert marks.anchor_marks(text) == [
        ("l", text.index("&l"), False),
        ("l", text.index("*l"), True),
        ("o", text.index("&o"), False),
    ]


def test_scalars_are_listed_with_their_style_and_span() -> None:
    text = "a: |\n  one\nb: 'two'\n"
    found = marks.scalar_marks(text)
    assert [(style, text[start:end]) for style, start, end in found] == [
        (None, "a"),
        ("|", "|\n  one\n"),
        (None, "b"),
        ("'", "'two'"),
    ]
