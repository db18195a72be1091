"""Profiles catch typos and load fast: values nothing uses, fields a kind does not have,
a resolved profile that reads back, "did you mean" for names, lines at the key; built-ins without ruamel."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from ruamel.yaml import YAML

from runai_postrender.cli.group import main
from runai_postrender.profiles.load import builtin_names, flatten_values, load_profile, parse_overrides, resolved_text
from runai_postrender.support.errors import ProfileError
from tests.conftest import ROOT


def write(tmp_path: Path, text: str, name: str = "mine.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


# ---------------------------------------------------------------- values: typos are errors, like --set


@pytest.mark.parametrize(
    ("values", "line", "message"),
    [
        (
            "  thanos: {recieve: {memory: 8G}}\n",
            3,
            r"value thanos.recieve.memory is not a value of large, and no rule uses it",
        ),
        (
            "  thanos:\n    receive:\n      memroy: 8G\n",
            5,
            r"value thanos.receive.memroy is not a value of large, and no rule uses it",
        ),
    ],
    ids=["misspelled group", "misspelled leaf"],
)
def test_a_misspelled_value_in_a_child_is_an_error_at_its_key(
    tmp_path: Path, values: str, line: int, message: str
) -> None:
    path = write(tmp_path, "extends: large\nvalues:\n" + values)
    with pytest.raises(
        ProfileError, match=rf"mine\.yaml, line {line}: {message} .*\(did you mean 'thanos\.receive\.memory'\?\)"
    ):
        load_profile(path)
    result = CliRunner().invoke(main, ["validate", path])
    assert result.exit_code == 2 and "did you mean 'thanos.receive.memory'" in result.stderr


def test_a_value_a_child_adds_is_fine_when_a_rule_uses_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        extends: large
        values:
          prometheus: {queueConfig: {batchSendDeadline: 5s}}   # under a group a rule uses whole
          agent: {memory: 2Gi}
        rules:
          - name: agent
            match: {kind: Deployment, name: "*-agent"}
            containers: [agent]
            set: {/resources/limits/memory: "${agent.memory}"}
        """,
    )
    profile = load_profile(path)
    assert flatten_values(profile.values)["prometheus.queueConfig.batchSendDeadline"] == "5s"
    assert profile.rules[-1].set == {"/resources/limits/memory": "2Gi"}


def test_a_root_profile_defines_only_values_its_rules_use(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "values: {a: 1, b: 2}\nrules:\n  - {name: r, match: {kind: Deployment}, set: {/spec/replicas: '${a}'}}\n",
    )
    with pytest.raises(ProfileError, match=r"mine\.yaml, line 1: value b is used by no rule"):
        load_profile(path)


def test_a_misspelled_reference_is_reported_at_the_reference(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "values: {replicas: 1}\nrules:\n"
        "  - {name: r, match: {kind: Deployment}, set: {/spec/replicas: '${replica}'}}\n",
    )
    with pytest.raises(
        ProfileError, match=r"rule 'r': \$\{replica\} names no value of the profile \(did you mean 'replicas'\?\)"
    ):
        load_profile(path)


def test_set_of_a_group_says_it_is_a_group() -> None:
    with pytest.raises(
        ProfileError, match=r"thanos\.receive is a group of values \(thanos\.receive\.cpu, thanos\.receive\.memory\)"
    ):
        load_profile("large", parse_overrides(["thanos.receive=8G"]))


# ---------------------------------------------------------------- rules write only fields the kind has


RULE = (
    "extends: large\nrules:\n  - name: x\n    match: {{kind: {kind}, name: '*-agent'}}\n"
    "{extra}    set:\n      {pointer}: 1Gi\n"
)


@pytest.mark.parametrize(
    ("kind", "extra", "pointer", "message"),
    [
        ("Deployment", "", "/resources/limits/memory",
         r"rule 'x', set /resources/limits/memory: "
         r"Deployment has no top-level `resources`; did you mean `containers: \[NAME\]`"),
        ("StatefulSet", "", "/spek/replicas", r"StatefulSet has no top-level `spek` \(did you mean 'spec'\?\)"),
        ("Deployment", "    containers: [agent]\n", "/spec/replicas", r"a container has no field `spec`"),
        ("Deployment", "    containers: [agent]\n", "/resorces/limits/memory",
         r"no field `resorces` \(did you mean 'resources'\?\)"),
    ],
    ids=["resources without containers", "a misspelled spec", "spec inside a container", "a misspelled field"],
)  # fmt: skip
def test_a_rule_that_writes_a_field_its_kind_does_not_have_is_an_error(
    tmp_path: Path, kind: str, extra: str, pointer: str, message: str
) -> None:
    path = write(tmp_path, RULE.format(kind=kind, extra=extra, pointer=pointer))
    with pytest.raises(ProfileError, match=message):
        load_profile(path)


@pytest.mark.parametrize(
    ("kind", "extra", "pointer"),
    [("Deployment", "    containers: [agent]\n", "/resources/limits/memory"), ("Deployment", "", "/spec/x"),
     ("MyResource", "", "/anything"), ("'*'", "", "/anything")],
    ids=["container resources", "spec", "a kind not in the table", "a glob"],
)  # fmt: skip
def test_fields_the_kind_has_and_kinds_not_in_the_table_pass(
    tmp_path: Path, kind: str, extra: str, pointer: str
) -> None:
    profile = load_profile(write(tmp_path, RULE.format(kind=kind, extra=extra, pointer=pointer)))
    (rule,) = [rule for rule in profile.rules if rule.name == "x"]
    assert dict(rule.set) == {pointer: "1Gi"}  # loaded as written, nothing dropped


# ---------------------------------------------------------------- show: a profile that validates


@pytest.mark.parametrize("name", ["small", "large", "xlarge", "child"])
def test_the_resolved_text_is_a_profile_that_loads_back_to_the_same_rules(tmp_path: Path, name: str) -> None:
    overrides: list[tuple[str, str]] = []
    if name == "child":
        name = write(
            tmp_path, "extends: xlarge\nrules:\n  - {name: grafana-autoscaling, disabled: true}\n", "child.yaml"
        )
        overrides = parse_overrides(["thanos.receive.memory=20G"])
    profile = load_profile(name, overrides)
    text = resolved_text(profile)
    assert text.startswith("# Profile ") and "chain: " in text.splitlines()[0]
    shown = tmp_path / "shown.yaml"
    shown.write_text(text)
    again = load_profile(str(shown))
    assert again.rules == profile.rules and again.values == profile.values
    assert CliRunner().invoke(main, ["validate", str(shown)]).exit_code == 0


def test_the_resolved_text_names_the_chain_and_the_overrides() -> None:
    header = resolved_text(load_profile("xlarge", parse_overrides(["grafana.maxReplicas=5"]))).splitlines()[0]
    assert "xlarge -> large -> small" in header and "grafana.maxReplicas=5" in header


# ---------------------------------------------------------------- messages


def test_a_misspelled_builtin_name_gets_a_suggestion() -> None:
    with pytest.raises(ProfileError, match=r"unknown profile 'larg' \(did you mean 'large'\?\): the built-in profiles"):
        load_profile("larg")


def test_a_schema_error_gives_the_line_of_the_key_not_of_its_value(tmp_path: Path) -> None:
    path = write(tmp_path, "extends: large\nvaluse:\n  thanos: {receive: {memory: 8G}}\n")
    with pytest.raises(
        ProfileError, match=r"line 2, at \(top level\): unknown key 'valuse' \(did you mean 'values'\?\)"
    ):
        load_profile(path)
    path = write(tmp_path, "description:\n  - a list\n")
    with pytest.raises(ProfileError, match=r"line 1, at description: \['a list'\] is not of type 'string'"):
        load_profile(path)


def test_two_unknown_keys_are_keys(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"unknown keys 'chain', 'profile'"):
        load_profile(write(tmp_path, "chain: [a]\nprofile: a\n"))


# ---------------------------------------------------------------- start-up and shape


def test_loading_a_builtin_imports_neither_ruamel_nor_jsonschema() -> None:
    code = (
        "import sys; from runai_postrender.profiles.load import load_profile; load_profile('large'); "
        "print(sorted(m for m in sys.modules if m.startswith(('ruamel', 'jsonschema'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", builtin_names())
def test_both_yaml_readers_give_the_same_data_for_every_builtin(name: str) -> None:
    text = (ROOT / "profiles" / f"{name}.yaml").read_text()
    assert yaml.load(text, Loader=yaml.CSafeLoader) == YAML(typ="safe", pure=True).load(text)
