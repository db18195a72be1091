"""Profiles: the built-ins encode Run:ai's guidance; files extend them; overrides and errors are precise."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from runai_postrender.profiles.load import builtin_names, flatten_values, load_profile, parse_overrides
from runai_postrender.support import quantity
from runai_postrender.support.errors import ProfileError
from tests.conftest import ROOT


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_builtins_are_small_large_xlarge() -> None:
    assert builtin_names() == ["small", "large", "xlarge"]


@pytest.mark.parametrize("name", ["small", "large", "xlarge"])
def test_builtin_profile_is_valid_against_the_published_schema(name: str) -> None:
    schema = json.loads((ROOT / "profiles" / "profile.schema.json").read_text())
    data = YAML(typ="safe", pure=True).load((ROOT / "profiles" / f"{name}.yaml").read_text())
    errors = [
        f"{error.json_path}: {error.message}" for error in jsonschema.Draft202012Validator(schema).iter_errors(data)
    ]
    assert errors == []


@pytest.mark.parametrize("name", ["small", "large", "xlarge"])
def test_builtin_quantities_are_valid_and_limits_cover_requests(name: str) -> None:
    values = flatten_values(load_profile(name).values)
    for key, value in values.items():
        if key.endswith((".cpu", ".memory")):
            assert quantity.parse(value) is not None, key
        if ".limits." in key:
            request = values[key.replace(".limits.", ".requests.")]
            assert quantity.parse(value) >= quantity.parse(request), key


def _values(name: str, edition: str = "scaling") -> dict[str, object]:
    """A built-in profile's values for one edition of the guide (by default "Scaling the Run:ai system", <2.20)."""
    found = {e.name: e for e in load_profile(name).editions}
    return flatten_values(found[edition].values)


def test_large_follows_the_scaling_guide() -> None:
    values = _values("large")
    assert values["thanos.query.cpu"] == 1 and values["thanos.query.memory"] == "3G"
    assert values["thanos.receive.cpu"] == 1 and values["thanos.receive.memory"] == "6G"
    for group in ("scheduling", "sync"):
        assert quantity.same(values[f"serviceGroups.{group}.requests.cpu"], "1")
        assert values[f"serviceGroups.{group}.requests.memory"] == "1Gi"
        assert quantity.same(values[f"serviceGroups.{group}.limits.cpu"], "2")
        assert values[f"serviceGroups.{group}.limits.memory"] == "2Gi"
    assert values["prometheus.queueConfig.capacity"] == 5000
    assert values["prometheus.queueConfig.maxSamplesPerSend"] == 1000
    assert values["prometheus.queueConfig.maxShards"] == 100
    assert values["controlPlane.minReplicas"] == 2 and values["grafana.minReplicas"] == 2


def test_retention_is_shorter_than_two_hours_in_large_and_xlarge() -> None:
    def hours(text: object) -> float:
        match = re.fullmatch(r"(\d+)([smhd])", str(text))
        assert match, text
        return int(match.group(1)) * {"s": 1 / 3600, "m": 1 / 60, "h": 1, "d": 24}[match.group(2)]

    assert hours(_values("large")["prometheus.retention"]) < 2
    assert hours(_values("xlarge")["prometheus.retention"]) < 2


def test_xlarge_is_at_least_large_everywhere_and_follows_the_at_scale_figures() -> None:
    large, xlarge = _values("large"), _values("xlarge")
    for key, value in large.items():
        if isinstance(value, int) and not key.endswith("cpuUtilization"):
            assert xlarge[key] >= value, key
        elif quantity.parse(value) is not None:
            assert quantity.parse(xlarge[key]) >= quantity.parse(value), key
    assert xlarge["thanos.receive.memory"] == "15G" and xlarge["thanos.receive.cpu"] == 2
    assert xlarge["serviceGroups.scheduling.requests.memory"] == "7Gi"
    for group in ("sync", "workload"):
        assert xlarge[f"serviceGroups.{group}.requests.cpu"] == 4
        assert xlarge[f"serviceGroups.{group}.requests.memory"] == "24Gi"


def test_small_keeps_the_default_service_group_resources() -> None:
    values = _values("small")
    for group in ("scheduling", "sync", "workload"):
        assert values[f"serviceGroups.{group}.requests.cpu"] == "100m"
        assert values[f"serviceGroups.{group}.limits.memory"] == "1Gi"
    assert not any(key.startswith(("thanos", "controlPlane", "prometheus")) for key in values)


def test_extends_resolves_the_chain_and_overrides_one_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine.yaml",
        """\
        extends: large
        values:
          thanos: {receive: {memory: 8G}}
        """,
    )
    profile = load_profile(path)
    assert profile.chain == (path, "large", "small")
    values = flatten_values(profile.values)
    assert values["thanos.receive.memory"] == "8G"
    assert values["thanos.receive.cpu"] == 2  # inherited, from the newest edition of large (2.20+)
    receive = next(rule for rule in profile.rules if rule.name == "thanos-receive")
    assert receive.set["/resources/limits/memory"] == "8G"


def test_a_child_rule_replaces_or_disables_the_parents_rule_of_the_same_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine.yaml",
        """\
        extends: large
        rules:
          - name: grafana-autoscaling
            disabled: true
          - name: my-agent
            match: {kind: Deployment, name: "*-agent", labels: {team: ml}}
            containers: [agent]
            set: {/resources/limits/memory: 2Gi}
        """,
    )
    names = [rule.name for rule in load_profile(path).rules]
    assert "grafana-autoscaling" not in names and names[-1] == "my-agent"


def test_extends_a_file_relative_to_the_child(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    write(tmp_path, "base/team.yaml", "extends: xlarge\nvalues: {grafana: {maxReplicas: 6}}\n")
    path = write(tmp_path, "mine.yaml", "extends: base/team.yaml\n")
    assert flatten_values(load_profile(path).values)["grafana.maxReplicas"] == 6


def test_an_extends_cycle_names_the_chain(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ProfileError, match=r"extends itself: .*a\.yaml -> .*b\.yaml -> .*a\.yaml"):
        load_profile(str(tmp_path / "a.yaml"))


def test_a_missing_parent_names_the_child(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "extends: huge\n")
    with pytest.raises(ProfileError, match=r"a\.yaml extends 'huge': unknown profile 'huge'"):
        load_profile(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("extend: large\n", r"line 1.*unknown key 'extend' \(did you mean 'extends'\?\)"),
        ("rules:\n  - name: x\n    match: {kind: Deployment}\n    sett: {/a: 1}\n", r"line 4.*unknown key 'sett'"),
        (
            "rules:\n  - name: x\n    match: {kind: Deployment}\n    patch: [{op: frobnicate, path: /a}]\n",
            r"line 4.*'frobnicate' is not one of",
        ),
        ("rules:\n  - name: x\n    match: {kind: Deployment}\n    set: {a/b: 1}\n", r"line 4.*does not match"),
        (
            "rules:\n  - name: x\n    match: {kind: Deployment}\n    autoscale: {minReplicas: 3, maxReplicas: 2}\n",
            r"maxReplicas \(2\) is below minReplicas \(3\)",
        ),
        (
            "rules:\n  - name: x\n    match: {kind: Deployment}\n    containers: [c]\n"
            "    set: {/resources/limits/cpu: lots}\n",
            r"'lots' is not a Kubernetes quantity",
        ),
        (
            "rules:\n  - name: x\n    match: {kind: Deployment}\n    set: {/a: '${nope}'}\n",
            r"\$\{nope\} names no value",
        ),
        ("values: {a: !!python/object:os.system {}}\n", r"line 1"),
        ("values: [1, 2]\n", r"at values: \[1, 2\] is not of type 'object'"),
        ("- just\n- a list\n", r"a profile is a mapping"),
    ],
    ids=[
        "typo-top",
        "typo-rule",
        "unknown-op",
        "bad-pointer",
        "bad-autoscale",
        "bad-quantity",
        "unknown-reference",
        "python-tag",
        "wrong-type",
        "not-a-mapping",
    ],
)
def test_invalid_profile_files_get_a_precise_error(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(ProfileError, match=message):
        load_profile(path)


def test_unknown_builtin_lists_the_builtins() -> None:
    with pytest.raises(ProfileError, match="unknown profile 'huge': the built-in profiles are small, large, xlarge"):
        load_profile("huge")


def test_a_name_too_long_for_a_file_is_an_unknown_profile() -> None:
    with pytest.raises(ProfileError, match="unknown profile 'aaaa"):
        load_profile("a" * 300)


def test_overrides_are_typed_like_the_value_they_replace() -> None:
    profile = load_profile("large", parse_overrides(["thanos.receive.memory=8G,controlPlane.maxReplicas=6"]))
    values = flatten_values(profile.values)
    assert values["thanos.receive.memory"] == "8G"
    assert values["controlPlane.maxReplicas"] == 6


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("thanos.recieve.memory=8G", r"no value 'thanos.recieve.memory' \(did you mean 'thanos.receive.memory'\?\)"),
        ("controlPlane.maxReplicas=many", "is a whole number"),
        ("controlPlane.maxReplicas", "not of the form name=value"),
        ("thanos.receive.memory=lots", "not a Kubernetes quantity"),
    ],
)
def test_bad_overrides_are_refused(override: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        load_profile("large", parse_overrides([override]))


def test_plugin_and_package_versions_agree() -> None:
    from runai_postrender import __version__

    plugin = YAML(typ="safe", pure=True).load((ROOT / "plugin.yaml").read_text())
    assert plugin["version"] == __version__
    assert plugin["name"] == "runai-size" and plugin["type"] == "postrenderer/v1"


def test_no_warning_of_the_yaml_library_reaches_stderr(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # (the rule uses the values: a value that nothing uses is refused)
    text = "values:\n  v: {x: 1e3, y: &a 1, z: &a 2}\nrules:\n  - {name: r, match: {kind: C}, set: {/v: '${v}'}}\n"
    path = write(tmp_path, "mine.yaml", text)
    assert flatten_values(load_profile(path).values)["v.x"] == 1000.0
    assert capfd.readouterr().err == ""
