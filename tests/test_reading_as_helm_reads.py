"""A targeted document is read as Helm's reader (go-yaml v2 under sigs.k8s.io/yaml) reads it: merge keys,
tags, NaN, line breaks; and a quantity is what Kubernetes' ParseQuantity reads. Where kubectl (which
decodes YAML as Helm does) is at hand, the readings are compared with its own."""

from __future__ import annotations

import json
import subprocess
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runai_postrender.cli.group import main
from runai_postrender.documents import sniff
from runai_postrender.documents.sniff import UNKNOWN
from runai_postrender.documents.stream import split_stream
from runai_postrender.pipeline import run
from runai_postrender.profiles.load import load_profile
from runai_postrender.reading import reader, ruamel
from runai_postrender.support import quantity
from runai_postrender.support.errors import InputError
from tests.conftest import QUERY_HEAD, ROOT

KUBECTL = ROOT / ".tools" / "bin" / "kubectl"
LARGE = load_profile("large")

MERGES = textwrap.dedent("""\
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: merges
    data:
      a: &a {x: a1, q: a2, p: a3}
      b: &b {x: b1, z: b2, p: b3}
      before: {x: own, <<: *a}
      after: {<<: *a, x: own}
      list: {<<: [*a, *b]}
      listbefore: {p: own, <<: [*a, *b]}
      listafter: {<<: [*a, *b], p: own}
      nested: {<<: {x: n1, <<: *b}}
    """)
# Two `<<` keys in one mapping: go-yaml and libyaml take them, ruamel refuses them.
TWO_MERGES = MERGES + "  multi: {x: own, <<: *a, <<: *b}\n  multi2: {<<: *b, x: own, <<: *a}\n"
# What go-yaml v2 reads (kubectl label --local -f - x=y -o json): a merge overrides the keys before it.
HELM_READS = {
    "before": {"x": "a1", "q": "a2", "p": "a3"},
    "after": {"x": "own", "q": "a2", "p": "a3"},
    "list": {"x": "a1", "q": "a2", "p": "a3", "z": "b2"},
    "listbefore": {"x": "a1", "q": "a2", "p": "a3", "z": "b2"},
    "listafter": {"x": "a1", "q": "a2", "p": "own", "z": "b2"},
    "nested": {"x": "b1", "z": "b2", "p": "b3"},
    "multi": {"x": "b1", "q": "a2", "p": "b3", "z": "b2"},
    "multi2": {"x": "a1", "q": "a2", "p": "a3", "z": "b2"},
}


def with_containers(containers: str) -> bytes:
    return (QUERY_HEAD + textwrap.indent(textwrap.dedent(containers), " " * 8)).encode()


def helm_reads(text: str) -> Any:
    result = subprocess.run(
        [str(KUBECTL), "label", "--local", "-f", "-", "x=y", "-o", "json"],
        input=text.encode(),
        capture_output=True,
        check=True,
    )
    return json.loads(result.stdout)


def postrender(data: bytes, *args: str) -> Any:
    return CliRunner().invoke(main, ["-p", "large", "-q", *args], input=data)


# ---------------------------------------------------------------- merge keys


@pytest.mark.parametrize(
    "read", [reader.read, lambda text: ruamel.read(text, "document 1", 1)], ids=["libyaml", "ruamel"]
)
def test_a_merge_key_overrides_the_keys_written_before_it_as_helm_reads_it(read: Any) -> None:
    data = read(MERGES)["data"]
    assert {key: data[key] for key in data if key in HELM_READS} == {k: v for k, v in HELM_READS.items() if k in data}


def test_two_merge_keys_in_one_mapping_apply_in_the_order_written() -> None:
    data = reader.read(TWO_MERGES)["data"]
    assert (data["multi"], data["multi2"]) == (HELM_READS["multi"], HELM_READS["multi2"])


@pytest.mark.skipif(not KUBECTL.exists(), reason="needs .tools/bin/kubectl: scripts/setup")
def test_the_merge_readings_pinned_here_are_kubectls() -> None:
    found = helm_reads(TWO_MERGES)["data"]
    assert {key: found[key] for key in HELM_READS} == HELM_READS
    assert reader.read(TWO_MERGES)["data"] == {**found, "a": {"x": "a1", "q": "a2", "p": "a3"}}


SIDECAR_MERGED_FROM_QUERY = with_containers("""\
    - &base
      name: query
      image: thanos
      resources: {limits: {cpu: 500m, memory: 1Gi}}
    - resources: {limits: {cpu: 50m, memory: 64Mi}}
      <<: *base
      name: sidecar
    """)
QUERY_WITH_RESOURCES_BEFORE_ITS_MERGE = with_containers("""\
    - name: query
      resources: {limits: {cpu: 200m}}
      <<: &defaults {image: thanos, resources: {limits: {cpu: 100m, memory: 512Mi}}}
    """)


@pytest.mark.skipif(not KUBECTL.exists(), reason="needs .tools/bin/kubectl: scripts/setup")
@pytest.mark.parametrize(
    "data", [SIDECAR_MERGED_FROM_QUERY, QUERY_WITH_RESOURCES_BEFORE_ITS_MERGE], ids=["sidecar", "targeted"]
)
def test_a_container_whose_merge_overrides_its_own_keys_is_written_as_helm_reads_it(data: bytes) -> None:
    """Helm reads the merged resources; the output must read (as Helm reads it) with the targeted
    container sized and every other container as it was."""
    result = postrender(data)
    assert result.exit_code == 0, result.output
    before = {item["name"]: item for item in helm_reads(data.decode())["spec"]["template"]["spec"]["containers"]}
    after = {item["name"]: item for item in helm_reads(result.stdout)["spec"]["template"]["spec"]["containers"]}
    assert after.pop("query")["resources"] == {
        "limits": {"cpu": 1, "memory": "3G"},
        "requests": {"cpu": 1, "memory": "3G"},
    }
    before.pop("query")
    assert after == before


def test_the_targeted_container_reads_with_the_resources_its_merge_gives_it() -> None:
    doc = reader.read(QUERY_WITH_RESOURCES_BEFORE_ITS_MERGE.decode())
    query = doc["spec"]["template"]["spec"]["containers"][0]
    assert query["resources"] == {"limits": {"cpu": "100m", "memory": "512Mi"}}


# ---------------------------------------------------------------- tags


@pytest.mark.parametrize(
    ("value", "read"),
    [
        ("!!set {a, b}", {"a": None, "b": None}),
        ("!!set x", "x"),
        ("!!omap [{a: 1}]", [{"a": 1}]),
        ("!!pairs [{a: 1}]", [{"a": 1}]),
        ("!!map [a]", ["a"]),
        ("!!str {a: 1}", {"a": 1}),
        ("!!timestamp 2020-01-01", "2020-01-01"),
        ("!!timestamp 2020-01-01 10:00:00", "2020-01-01 10:00:00"),
        ('!!int "12"', 12),
        ("!!float 0x10", 16.0),
        ("!!str 12", "12"),
        ("!!bool yes", True),
        ("!!binary aGVsbG8=", "hello"),
        ("!foo 12", "12"),
    ],
)
def test_a_tagged_value_reads_as_helm_reads_it(value: str, read: Any) -> None:
    text = f"kind: ConfigMap\nv: {value}\n"
    assert reader.read(text)["v"] == read


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("env: [{name: A, value: !!int x}]", "cannot decode !!str `x` as a !!int"),
        ("env: [{name: A, value: !!float x}]", "cannot decode !!str `x` as a !!float"),
        ("env: [{name: A, value: !!timestamp x}]", "cannot decode !!str `x` as a !!timestamp"),
        ("env: [{name: A, value: !!timestamp 2020-13-45}]", "cannot decode !!str `2020-13-45` as a !!timestamp"),
        ("env: [{name: A, value: !!int 1.5}]", "cannot decode !!float `1.5` as a !!int"),
        ("env: [{name: A, value: !!bool x}]", "cannot decode !!str `x` as a !!bool"),
        ("env: [{name: A, value: !!null x}]", "cannot decode !!str `x` as a !!null"),
        ("env: [{name: A, value: !!binary '!!!'}]", "!!binary value contains invalid base64 data"),
        ("env: [{!!int name: A}]", "cannot decode !!str `name` as a !!int"),
        ("env: [{name: A, !!float value: x}]", "cannot decode !!str `value` as a !!float"),
        ("env: [{name: A, value: .nan}]", r"`.nan` is not a number Helm can read"),
        ("env: [{name: A, value: -.inf}]", r"`-.inf` is not a number Helm can read"),
        ("resources: {limits: {cpu: .NaN}}", r"`.NaN` is not a number Helm can read"),
    ],
)
def test_a_value_helm_refuses_is_refused_in_one_line_naming_the_document_and_line(entry: str, message: str) -> None:
    data = with_containers(f"- name: query\n  {entry}\n")
    result = postrender(data)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"runai-size: error: document 1 (Deployment/runai-backend-thanos-query), line 12: {message}"
    )
    assert len(result.stderr.splitlines()) == 1


def test_a_set_in_a_targeted_container_is_the_mapping_helm_reads_and_the_container_is_sized() -> None:
    data = with_containers("- name: query\n  args: !!set {--log.level=info}\n")
    result = postrender(data)
    assert result.exit_code == 0, result.output
    assert "args: !!set {--log.level=info}" in result.stdout
    assert "cpu: 1" in result.stdout


def test_a_tag_the_round_trip_cannot_build_is_refused_in_one_line() -> None:
    # the change goes through the tagged `resources`: the round trip writes it, and cannot build `!!omap`
    data = with_containers("- name: query\n  !!omap env: [{name: A}]\n  resources: !!map {}\n")
    result = postrender(data)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("runai-size: error: document 1 (Deployment/runai-backend-thanos-query): ")
    assert len(result.stderr.splitlines()) == 1


def test_a_nan_quantity_in_a_runaiconfig_is_refused_not_compared() -> None:
    data = b"# Source: control-plane/templates/runaiconfig.yaml\napiVersion: run.ai/v1\nkind: RunaiConfig\n"
    data += b"metadata:\n  name: runai\nspec:\n  global:\n    replicaCount: .nan\n"
    with pytest.raises(InputError, match=r"document 1 \(RunaiConfig/runai\), line 8: `.nan` is not a number"):
        run(data, LARGE)


# ---------------------------------------------------------------- line breaks


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\u0085"], ids=["LS", "PS", "NEL"])
@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: apps/v1{brk}kind: Deployment\nmetadata:\n  name: x\n",
        "kind: Deployment\nmetadata:\n  labels: {{}}{brk}  name: x\n",
        "kind: Deployment\nmetadata:\n  name: y # c{brk}  namespace: ns\n",
        'kind: Deployment\nmetadata:\n  name: x\ndata:\n  a: "x{brk}y"\n',
    ],
    ids=["before-kind", "before-name", "in-a-comment", "in-a-quoted-value"],
)
def test_a_document_with_a_unicode_line_break_is_parsed_not_sniffed(brk: str, text: str) -> None:
    data = text.format(brk=brk).encode()
    assert not sniff.is_regular(data, 0, len(data))
    (span,) = split_stream(data)
    found = sniff.header(data, span)
    assert not found.sure and found.kind in (None, UNKNOWN)


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\u0085"], ids=["LS", "PS", "NEL"])
def test_a_run_ai_object_written_with_a_unicode_line_break_is_sized(brk: str) -> None:
    text = QUERY_HEAD.replace("apiVersion: apps/v1\n", f"apiVersion: apps/v1{brk}") + "        - name: query\n"
    result = postrender(text.encode())
    assert result.exit_code == 0, result.output
    assert "memory: 3G" in result.stdout


# ---------------------------------------------------------------- quantities


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1Ei", Decimal(2) ** 60),
        ("2E", Decimal(2) * 10**18),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("1.", Decimal(1)),
        (".5", Decimal("0.5")),
        ("0.0000000001", Decimal("1e-9")),  # rounded up to a whole nano, as Kubernetes stores it
        ("1e30", Decimal(2**63 - 1)),  # capped, as Kubernetes caps it
        ("1e2147483647", Decimal(2**63 - 1)),
    ],
)
def test_a_quantity_is_what_kubernetes_reads(text: str, value: Decimal) -> None:
    assert quantity.parse(text) == value


@pytest.mark.parametrize(
    "text", ["٢", "٣Gi", "١٠", "1e2147483648", "1e-2147483649", "1.5.5", "", "1e", "1Ki ", "1 G", "Gi"]
)
def test_what_kubernetes_cannot_parse_is_no_quantity(text: str) -> None:
    assert quantity.parse(text) is None


def test_nan_and_infinities_are_no_quantities() -> None:
    assert quantity.parse(float("nan")) is None
    assert quantity.parse(float("inf")) is None


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("thanos.query.cpu=١٠", "value thanos.query.cpu = '١٠' is not a Kubernetes quantity"),
        ("thanos.query.cpu=1.5.5", "value thanos.query.cpu = '1.5.5' is not a Kubernetes quantity"),
        ("thanos.query.cpu=", "value thanos.query.cpu = '' is not a Kubernetes quantity"),
        ("thanos.query.memory=1e2147483648", "value thanos.query.memory = '1e2147483648' is not a Kubernetes quantity"),
    ],
)
def test_an_override_that_is_no_quantity_is_refused_saying_so(override: str, message: str) -> None:
    result = postrender(with_containers("- name: query\n"), "--set", override)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


@pytest.mark.parametrize("override", ["thanos.receive.memory=1Ei", "thanos.receive.memory=2E"])
def test_exa_and_exbi_quantities_are_taken(override: str) -> None:
    result = postrender(with_containers("- name: query\n"), "--set", override)
    assert result.exit_code == 0, result.output


def test_a_profile_value_in_non_ascii_digits_is_refused(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text('extends: large\nvalues:\n  thanos:\n    query:\n      cpu: "٢"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(profile)])
    assert result.exit_code == 2, result.output
    assert "is not a Kubernetes quantity" in result.stderr
