"""A mapping's keys keep the order the text has them in, whatever order the new data gives them: the keys
kept stay where they are written, the keys added go below them (after them in a flow mapping). Helm and
Kubernetes read a mapping without regard to its order; a minimal change keeps the text's. A change that
reorders keys and nothing else changes nothing."""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from runai_postrender.documents.stream import Span
from runai_postrender.reading.load import load
from runai_postrender.writers import write
from tests.conftest import run_profile_file
from tests.test_edit import edited


def put(**keys: Any) -> Callable[[Any], None]:
    return lambda data: data.update(keys)


@pytest.mark.parametrize(
    ("text", "change", "expected"),
    [
        (
            "m:\n  a: 1  # A\n  b: 2  # B\n",
            put(m={"b": 3, "a": 1}),
            "m:\n  a: 1  # A\n  b: 3  # B\n",
        ),
        ("m: {a: 1, b: 2}\n", put(m={"b": 2, "a": 3}), "m: {a: 3, b: 2}\n"),
        ("m:\n  a: 1\n  b: 2\n", put(m={"c": 0, "b": 2, "a": 1}), "m:\n  a: 1\n  b: 2\n  c: 0\n"),
        ("m: {a: 1, b: 2}\n", put(m={"c": 0, "a": 1, "b": 2}), "m: {a: 1, b: 2, c: 0}\n"),
        ("m:\n  a: 1\n  b: 2\n  c: 3\n", put(m={"d": 0, "c": 3, "a": 1}), "m:\n  a: 1\n  c: 3\n  d: 0\n"),
        (
            "m:\n  a:\n    x: 1\n    z: 2\n  b: 2\n",
            put(m={"b": 2, "a": {"w": 0, "z": 2, "x": 5}}),
            "m:\n  a:\n    x: 5\n    z: 2\n    w: 0\n  b: 2\n",
        ),
        ("a: 1\nb: 2\n", lambda data: (data.clear(), data.update(c=3, b=2, a=1)), "a: 1\nb: 2\nc: 3\n"),
    ],
    ids=[
        "block mapping, kept keys reordered",
        "flow mapping, kept keys reordered",
        "block mapping, a key added before the kept ones",
        "flow mapping, a key added before the kept ones",
        "a key removed, one added before the kept ones",
        "nested",
        "the document",
    ],
)
def test_kept_keys_stay_in_the_texts_order_and_added_keys_go_after_them(
    text: str, change: Callable[[Any], Any], expected: str
) -> None:
    assert edited(text, change) == expected


@pytest.mark.parametrize(
    ("text", "change", "expected"),
    [
        (
            """\
            containers:
            - name: query
              image: thanos
            - name: store
              image: thanos
            """,
            put(containers=[{"image": "thanos", "name": "query", "env": []}, {"image": "v2", "name": "store"}]),
            """\
            containers:
            - name: query
              image: thanos
              env: []
            - name: store
              image: v2
            """,
        ),
        (
            """\
            containers:
            -
              name: query
              image: thanos
            """,
            put(containers=[{"image": "v2", "name": "query"}]),
            """\
            containers:
            -
              name: query
              image: v2
            """,
        ),
        ("l: [{a: 1, b: 2}, {c: 3}]\n", put(l=[{"b": 2, "a": 0}, {"c": 3}]), "l: [{a: 0, b: 2}, {c: 3}]\n"),
        ("- - a: 1\n    b: 2\n", lambda data: data[0].__setitem__(0, {"b": 3, "a": 1}), "- - a: 1\n    b: 3\n"),
    ],
    ids=["after the dash", "below the dash", "in a flow list", "after two dashes"],
)
def test_a_list_items_keys_stay_in_the_texts_order(text: str, change: Callable[[Any], Any], expected: str) -> None:
    assert edited(textwrap.dedent(text), change) == textwrap.dedent(expected)


def test_an_item_inserted_before_one_whose_keys_are_reordered_reads_back() -> None:
    # (the list diff pairs items that are equal in order: the reordered one is written anew, as inserted)
    text = "l:\n- name: q\n  image: t\n"
    out = edited(text, put(l=[{"name": "new"}, {"image": "t", "name": "q"}]))
    assert yaml.safe_load(out) == {"l": [{"name": "new"}, {"image": "t", "name": "q"}]}


@pytest.mark.parametrize(
    ("text", "change"),
    [
        ("base: &b\n  a: 1\n  b: 2\nuse:\n  <<: *b\n  c: 3\nx: 1\n", put(base={"b": 2, "a": 1}, x=2)),
        ("base: &b\n  a: 1\n  b: 2\nuse:\n  <<: *b\n  c: 3\nx: 1\n", put(use={"c": 3, "b": 2, "a": 1}, x=2)),
        ("m: !!map\n  a: 1\n  b: 2\nx: 1\n", put(m={"b": 2, "a": 1}, x=2)),
    ],
    ids=["an anchored node merged elsewhere", "a mapping with a merge key", "a tagged mapping"],
)
def test_keys_reordered_in_a_node_the_editor_may_not_change_leave_it_as_written(
    text: str, change: Callable[[Any], Any]
) -> None:
    # (merge keys and tags are the round trip's to change: keys only reordered there are no change)
    data = text.encode()
    doc = load(data, Span(1, 0, len(data)))
    doc.data = copy.deepcopy(doc.data)
    change(doc.data)
    assert write.write_back(doc) == (text.replace("x: 1", "x: 2").encode(), write.TEXT_EDITS)


@pytest.mark.parametrize(
    "text", ["m: {a: 1, b: 2}\n", "m:\n  a: 1\n  b: [x, {p: 1, q: 2}]\n"], ids=["flow mapping", "nested in a list"]
)
def test_keys_reordered_and_nothing_else_leave_the_document_unchanged(text: str) -> None:
    data = text.encode()
    doc = load(data, Span(1, 0, len(data)))
    new = copy.deepcopy(doc.data)

    def reversed_keys(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: reversed_keys(value[key]) for key in reversed(list(value))}
        if isinstance(value, list):
            return [reversed_keys(item) for item in value]
        return value

    doc.data = reversed_keys(new)
    assert list(doc.data["m"]) == ["b", "a"]
    assert write.write_back(doc) is None


CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  m: {a: "1", b: "2"}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
      - name: app
        env:
        - name: A  # the first
          value: "0"
"""


@pytest.mark.parametrize(
    ("stream", "rule", "expected"),
    [
        (
            CONFIG_MAP,
            """\
            match: {kind: ConfigMap}
            patch:
              - {op: replace, path: /data/m, value: {b: "2", a: "5"}}
            """,
            CONFIG_MAP.replace('a: "1"', 'a: "5"'),
        ),
        (
            CONFIG_MAP,
            """\
            match: {kind: ConfigMap}
            patch:
              - {op: replace, path: /data/m, value: {c: "3", b: "2", a: "1"}}
            """,
            CONFIG_MAP.replace('b: "2"}', "b: \"2\", c: '3'}"),
        ),
        (
            DEPLOYMENT,
            """\
            match: {kind: Deployment}
            containers: [app]
            set:
              /env: [{value: "1", name: A}]
            """,
            DEPLOYMENT.replace('value: "0"', 'value: "1"'),
        ),
    ],
    ids=["patch: replace, kept keys reordered", "patch: replace, a key added first", "set: a list of mappings"],
)
def test_the_cli_writes_a_profile_value_that_orders_keys_otherwise_in_the_texts_order(
    tmp_path: Path, stream: str, rule: str, expected: str
) -> None:
    profile = "rules:\n  - name: reorder\n" + textwrap.indent(textwrap.dedent(rule), "    ")
    result = run_profile_file(tmp_path, profile, stream)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == expected
