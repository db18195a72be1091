"""The read-back check (`readback.matches`) is the write-time re-read's walk (`sparse`) stopped at the first
difference: both say the same of a text and its data, but for the read-back's notion of equal scalars (a
string equals the number it spells: the writers keep a value's quotes) and what the node tree must read."""

from __future__ import annotations

from typing import Any

import pytest

from runai_postrender.reading import sparse
from runai_postrender.reading.events import Slow
from runai_postrender.reading.readback import matches

# (text, data, whether the text reads as the data) where both walks must say the same
AGREE = [
    ("a: 1\nb: [x, 2]\n", {"a": 1, "b": ["x", 2]}, True),
    ("a: 1\nb: [x, 2]\n", {"a": 1, "b": ["x", 3]}, False),
    ("a: 1\nb: [x, 2]\n", {"a": 1, "b": ["x"]}, False),
    ("a: 1\nb: [x, 2]\n", {"a": 1, "b": ["x", 2, 3]}, False),
    ("a: 1\nb: 2\n", {"b": 2, "a": 1}, False),  # key order
    ("a: 1\nb: 2\n", {"a": 1}, False),
    ("a: 1\n", {"a": 1, "b": 2}, False),
    ("a: 1\n", {"a": 1.0}, False),  # 1 == 1.0 in Python, not in YAML
    ("a: 1\n", {"a": True}, False),
    ("a: '1'\n", {"a": "1"}, True),
    ("a: {p: 1}\n", {"a": [1]}, False),
    ("a: [1]\n", {"a": {"p": 1}}, False),
    ("a: &x {p: 1}\nb: *x\n", {"a": {"p": 1}, "b": {"p": 1}}, True),
    ("a: &x {p: 1}\nb: *x\n", {"a": {"p": 1}, "b": {"p": 2}}, False),
    ("a: &x {p: 1}\nb: *x\n", {"a": {"p": 2}, "b": {"p": 1}}, False),
    ("a: &x [1, 2]\nb: [*x, *x]\n", {"a": [1, 2], "b": [[1, 2], [1, 2]]}, True),
    ("a: &x 5\nb: *x\n", {"a": 5, "b": 5}, True),
    ("a: &x 5\nb: *x\n", {"a": 5, "b": 6}, False),
    ("&k key: v\nother: *k\n", {"key": "v", "other": "key"}, True),  # an anchored key, aliased as a value
    ("a: !!str 5\n", {"a": "5"}, True),
    ("a: !!int '5'\n", {"a": 5}, True),
    ("a: !!map {p: 1}\n", {"a": {"p": 1}}, True),
    ("- 1\n- - 2\n", [1, [2]], True),
    ("x\n", "x", True),
    ("x\n", "y", False),
]


@pytest.mark.parametrize(("text", "data", "equal"), AGREE)
def test_the_read_back_check_and_the_re_read_agree(text: str, data: Any, equal: bool) -> None:
    assert matches(text, data) is equal
    assert sparse.sparse(text, data).equal is equal


def test_a_quoted_number_reads_back_as_the_number_but_is_re_read_as_a_string() -> None:
    text = 'cpu: "500"\nmemory: 1Gi\n'
    assert matches(text, {"cpu": 500, "memory": "1Gi"})
    assert not sparse.sparse(text, {"cpu": 500, "memory": "1Gi"}).equal
    assert matches("a: &x '5'\nb: *x\n", {"a": 5, "b": "5"})


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("base: &b {p: 1}\nm:\n  <<: *b\n", {"base": {"p": 1}, "m": {"p": 1}}),  # a merge key
        ("a: !!binary aGVsbG8=\n", {"a": "hello"}),
        ("a: !foo {p: 1}\n", {"a": {"p": 1}}),
        ("a: !!seq {p: 1}\n", {"a": {"p": 1}}),
        ("? [k]\n: v\n", {"a": "v"}),  # a complex key
        ("a: &x k\n*x : v\n", {"a": "k", "k": "v"}),  # an alias as a key
    ],
)
def test_what_the_events_leave_to_the_node_tree_is_not_checked_by_the_walk(text: str, data: Any) -> None:
    with pytest.raises(Slow):
        matches(text, data)


def test_deep_nesting_is_left_to_the_node_tree() -> None:
    depth = 300
    text = "[" * depth + "]" * depth + "\n"
    data: Any = []
    for _ in range(depth - 1):
        data = [data]
    with pytest.raises(Slow):
        matches(text, data)


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("a: 1\na: 1\n", {"a": 1}),  # a duplicate key: the data has one
        ("a: *nowhere\n", {"a": 1}),  # an alias to no anchor
        ("a: &x [*x]\n", {"a": [[]]}),  # an alias inside the node it names
        ("a: 1\n", None),
    ],
)
def test_the_read_back_check_refuses_what_the_re_read_never_meets(text: str, data: Any) -> None:
    assert not matches(text, data)
