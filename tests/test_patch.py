"""Patching plain data: leaves written in place, parents created, no-ops skipped, errors named."""

from __future__ import annotations

import pytest

from runai_postrender.sizing.patch import apply_operation, set_value
from runai_postrender.support.errors import PatchError
from runai_postrender.support.pointer import expand


def test_set_creates_missing_parents_and_fills_an_empty_mapping() -> None:
    tree = {"spec": {"resources": {}}}
    changes = set_value(tree, "/spec/resources", {"limits": {"cpu": 1}, "requests": {"cpu": "500m"}}, "t")
    assert [c.pointer for c in changes] == ["/spec/resources/limits/cpu", "/spec/resources/requests/cpu"]
    assert tree == {"spec": {"resources": {"limits": {"cpu": 1}, "requests": {"cpu": "500m"}}}}


def test_set_replaces_a_null_parent_with_a_mapping() -> None:
    tree = {"spec": {"resources": None}}
    set_value(tree, "/spec/resources/limits/cpu", 1, "t")
    assert tree == {"spec": {"resources": {"limits": {"cpu": 1}}}}


def test_set_skips_values_already_in_place_even_when_spelled_differently() -> None:
    tree = {"cpu": "1000m", "memory": "1Gi"}
    assert set_value(tree, "/cpu", 1, "t") == []
    assert set_value(tree, "/memory", "1Gi", "t") == []


def test_set_names_the_path_whose_parent_is_not_a_mapping() -> None:
    tree = {"spec": [1, 2]}
    with pytest.raises(PatchError, match="t: cannot set /spec/x/y: /spec is a list, not a mapping"):
        set_value(tree, "/spec/x/y", 1, "t")


def test_set_never_shares_the_profiles_value_between_documents() -> None:
    value = {"cpu": 1}
    first: dict[str, object] = {}
    second: dict[str, object] = {}
    set_value(first, "/resources", {"limits": value}, "t")
    set_value(second, "/resources", {"limits": value}, "t")
    first["resources"]["limits"]["cpu"] = 2  # type: ignore[index]
    assert second == {"resources": {"limits": {"cpu": 1}}} and value == {"cpu": 1}


def test_star_expands_to_every_item_of_a_list_and_to_nothing_when_absent() -> None:
    tree = {"spec": {"remoteWrite": [{"url": "a"}, {"url": "b"}]}}
    assert expand(tree, "/spec/remoteWrite/*/queueConfig", "t") == [
        "/spec/remoteWrite/0/queueConfig",
        "/spec/remoteWrite/1/queueConfig",
    ]
    assert expand({"spec": {}}, "/spec/remoteWrite/*/queueConfig", "t") == []
    with pytest.raises(PatchError, match="is not a list"):
        expand({"spec": {"remoteWrite": {"a": 1}}}, "/spec/remoteWrite/*/x", "t")


def test_remove_of_an_absent_field_is_a_no_op_so_that_a_second_run_changes_nothing() -> None:
    tree = {"spec": {"replicas": 1}}
    assert len(apply_operation(tree, {"op": "remove", "path": "/spec/replicas"}, "t")) == 1
    assert apply_operation(tree, {"op": "remove", "path": "/spec/replicas"}, "t") == []


def test_a_failing_rfc6902_operation_is_a_patch_error() -> None:
    tree = {"spec": {"a": 1}}
    with pytest.raises(PatchError, match=r"t: test /spec/a"):
        apply_operation(tree, {"op": "test", "path": "/spec/a", "value": 2}, "t")
    with pytest.raises(PatchError, match=r"t: replace /spec/b"):
        apply_operation(tree, {"op": "replace", "path": "/spec/b", "value": 2}, "t")
