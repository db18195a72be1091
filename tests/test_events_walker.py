"""One walker reads libyaml's events for every use (`events.Walk`): the first read (`build`), the re-read
against the patched data (`sparse`), the read-back check (`readback.matches`) and how a workload quotes its
labels (`sparse.styles_at`). What the node tree must read, the first read leaves to it (Slow) and so does
the re-read; the check tells it from a difference as it always has."""

from __future__ import annotations

from typing import Any

import pytest

from runai_postrender.reading import events, sparse
from runai_postrender.reading.events import MAX_DEPTH, Slow
from runai_postrender.reading.readback import matches


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth + "\n"


LEFT_TO_THE_NODE_TREE = {
    "an anchor defined twice": "a: &x 1\nb: &x 2\n",
    "an anchor defined twice on collections": "a: &x {p: 1}\nb: &x [1]\n",
    "an anchor defined again inside its node": "a: &x {b: &x [1]}\n",
    "an alias to an open anchor": "a: &x [*x]\n",
    "an alias to no anchor": "a: *nowhere\n",
    "an alias as a key": "a: &x k\n*x : v\n",
    "a complex key": "? [k]\n: v\n",
    "a float key": "1.5: x\n",
    "a float key Helm reads from an exponent": "1e3: x\n",
    "duplicate keys": "a: 1\na: 2\n",
    "a merge key": "base: &b {p: 1}\nm:\n  <<: *b\n",
    "an unknown tag on a scalar": "a: !foo x\n",
    "a binary scalar": "a: !!binary aGVsbG8=\n",
    "an unknown tag on a list": "a: !foo [1]\n",
    "a list's tag on a mapping": "a: !!seq {p: 1}\n",
    "nesting past MAX_DEPTH": nested(MAX_DEPTH + 1),
    "no document": "# a comment\n",
}


@pytest.mark.parametrize("text", LEFT_TO_THE_NODE_TREE.values(), ids=LEFT_TO_THE_NODE_TREE.keys())
def test_the_first_read_leaves_to_the_node_tree_what_needs_it(text: str) -> None:
    with pytest.raises(Slow):
        events.build(text)


@pytest.mark.parametrize("text", LEFT_TO_THE_NODE_TREE.values(), ids=LEFT_TO_THE_NODE_TREE.keys())
def test_the_re_read_leaves_the_same_to_the_node_tree(text: str) -> None:
    with pytest.raises(Slow):
        sparse.sparse(text, {})


def test_nesting_up_to_max_depth_is_read_by_the_events() -> None:
    data: Any = []
    for _ in range(MAX_DEPTH - 1):
        data = [data]
    assert events.build(nested(MAX_DEPTH)).data == data
    assert sparse.sparse(nested(MAX_DEPTH), data).equal


def test_the_first_read_places_each_aliased_collection_and_counts_the_nodes_aliases_expand_to() -> None:
    built = events.build("a: &x {p: 1}\nb: *x\nc: [*x, *x]\nd: &v 1\ne: *v\n")
    data = built.data
    assert data == {"a": {"p": 1}, "b": {"p": 1}, "c": [{"p": 1}, {"p": 1}], "d": 1, "e": 1}
    assert data["b"] is data["a"] and data["c"][0] is data["a"]  # (the caller copies them apart)
    assert [(container is data, key) for container, key in built.placements] == [(True, "b"), (False, 0), (False, 1)]
    assert built.placements[1][0] is data["c"]
    assert built.expanded == 12  # values, not keys: the root, a and b (2 each), c (5), d and e
    assert built.aliased


def test_a_document_without_aliases_is_not_aliased() -> None:
    built = events.build("a: {p: 1}\nb: [1, 2]\n")
    assert not built.aliased and built.placements == [] and built.expanded == 6


def test_the_first_read_keeps_a_string_read_more_than_once_once() -> None:
    data = events.build("a: same\nb: [same]\nc: {a: 1}\n").data
    assert data["a"] is data["b"][0]
    assert next(iter(data["c"])) is next(iter(data))


@pytest.mark.parametrize(
    ("text", "data", "equal"),
    [
        ("a: &x 1\nb: &x 2\nc: *x\n", {"a": 1, "b": 2, "c": 2}, True),  # an alias names the latest anchor
        ("a: &x 1\nb: &x 2\nc: *x\n", {"a": 1, "b": 2, "c": 1}, False),
        ("1.5: x\n", {1.5: "x"}, True),  # a float key is compared, not left to the node tree
        ("1.5: x\n", {1.5: "y"}, False),
        ("a: &x 1\nb: [*x]\n", {"a": 1, "b": [1]}, True),
    ],
    ids=["anchor defined twice", "anchor defined twice, other value", "float key", "float key, other value", "alias"],
)
def test_the_read_back_check_reads_by_yaml_what_the_first_read_leaves_to_the_node_tree(
    text: str, data: Any, equal: bool
) -> None:
    assert matches(text, data) is equal


LABELS = ["metadata", "labels"]
STYLES: dict[str, tuple[str, list[str], list[tuple[str, str | None]]]] = {
    "flow": ("metadata:\n  labels: {a: 'x', b: \"y\", c: z}\n", LABELS, [("a", "'"), ("b", '"'), ("c", None)]),
    "merge key and tags: read all the same": (
        "metadata:\n  <<: {x: 1}\n  labels: !!map {a: 'q', b: !foo \"r\"}\n",
        LABELS,
        [("a", "'"), ("b", '"')],
    ),
    "anchored and aliased values": (
        "metadata:\n  labels: {a: &v 'x', b: *v, c: [1]}\n",
        LABELS,
        [("a", "'"), ("b", None), ("c", None)],
    ),
    "a complex key and an alias as keys": (
        "metadata:\n  labels: {? [a] : 'x', *k : \"y\"}\n",
        LABELS,
        [("", "'"), ("", '"')],
    ),
    "keys as written": ("metadata:\n  labels: {'true': x, 1: \"y\"}\n", LABELS, [("true", None), ("1", '"')]),
    "labels through an alias: none": ("x: &l {a: 'q'}\nmetadata:\n  labels: *l\n", LABELS, []),
    "the first of two": ("metadata:\n  labels: {a: 'x'}\n  labels: {a: \"y\"}\n", LABELS, [("a", "'")]),
    "a list item": (
        "items:\n- metadata: {labels: {a: 'x'}}\n- metadata: {labels: {a: \"y\"}}\n",
        ["items", "1", *LABELS],
        [("a", '"')],
    ),
}


@pytest.mark.parametrize(("text", "steps", "styles"), STYLES.values(), ids=STYLES.keys())
def test_styles_at_reads_how_a_mapping_quotes_its_values_from_any_document_libyaml_reads(
    text: str, steps: list[str], styles: list[tuple[str, str | None]]
) -> None:
    assert sparse.styles_at(text, steps) == styles


def test_styles_at_stops_at_the_end_of_the_mapping() -> None:
    text = "metadata:\n  labels: {a: 'x'}\n---\nmore: [\n"  # (a second document, and one libyaml refuses)
    assert sparse.styles_at(text, LABELS) == [("a", "'")]
