"""Patching round-trip objects: leaves written in place, parents created, styles kept, errors named."""

from __future__ import annotations

import io
import textwrap

import pytest
from ruamel.yaml import YAML

from runai_postrender.errors import PatchError
from runai_postrender.patch import apply_operation, expand, set_value


def load(text: str):  # type: ignore[no-untyped-def]
    yaml = YAML()
    yaml.preserve_quotes = True
    return yaml.load(textwrap.dedent(text))


def dump(tree) -> str:  # type: ignore[no-untyped-def]
    yaml = YAML()
    buffer = io.StringIO()
    yaml.dump(tree, buffer)
    return buffer.getvalue()


def test_set_creates_missing_parents_and_turns_an_empty_flow_mapping_into_a_block() -> None:
    tree = load("spec:\n  resources: {}\n")
    changes = set_value(tree, "/spec/resources", {"limits": {"cpu": 1}, "requests": {"cpu": "500m"}}, "t")
    assert [c.pointer for c in changes] == ["/spec/resources/limits/cpu", "/spec/resources/requests/cpu"]
    assert dump(tree) == "spec:\n  resources:\n    limits:\n      cpu: 1\n    requests:\n      cpu: 500m\n"


def test_set_keeps_the_quotes_of_the_value_it_replaces() -> None:
    tree = load("a: \"1Gi\"\nb: 'x'\n")
    set_value(tree, "/a", "2Gi", "t")
    set_value(tree, "/b", "y", "t")
    assert dump(tree) == "a: \"2Gi\"\nb: 'y'\n"


def test_set_skips_values_already_in_place_even_when_spelled_differently() -> None:
    tree = load("cpu: 1000m\nmemory: '1Gi'\n")
    assert set_value(tree, "/cpu", 1, "t") == []
    assert set_value(tree, "/memory", "1Gi", "t") == []


def test_set_names_the_path_whose_parent_is_not_a_mapping() -> None:
    tree = load("spec: [1, 2]\n")
    with pytest.raises(PatchError, match="t: cannot set /spec/x/y: /spec is a list, not a mapping"):
        set_value(tree, "/spec/x/y", 1, "t")


def test_star_expands_to_every_item_of_a_list_and_to_nothing_when_absent() -> None:
    tree = load("spec:\n  remoteWrite:\n    - url: a\n    - url: b\n")
    assert expand(tree, "/spec/remoteWrite/*/queueConfig", "t") == [
        "/spec/remoteWrite/0/queueConfig",
        "/spec/remoteWrite/1/queueConfig",
    ]
    assert expand(load("spec: {}\n"), "/spec/remoteWrite/*/queueConfig", "t") == []
    with pytest.raises(PatchError, match="is not a list"):
        expand(load("spec: {remoteWrite: {a: 1}}\n"), "/spec/remoteWrite/*/x", "t")


def test_remove_of_an_absent_field_is_a_no_op_so_that_a_second_run_changes_nothing() -> None:
    tree = load("spec:\n  replicas: 1\n")
    assert len(apply_operation(tree, {"op": "remove", "path": "/spec/replicas"}, "t")) == 1
    assert apply_operation(tree, {"op": "remove", "path": "/spec/replicas"}, "t") == []


def test_a_failing_rfc6902_operation_is_a_patch_error() -> None:
    tree = load("spec: {a: 1}\n")
    with pytest.raises(PatchError, match=r"t: test /spec/a"):
        apply_operation(tree, {"op": "test", "path": "/spec/a", "value": 2}, "t")
    with pytest.raises(PatchError, match=r"t: replace /spec/b"):
        apply_operation(tree, {"op": "replace", "path": "/spec/b", "value": 2}, "t")
