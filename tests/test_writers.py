"""The writers of targeted documents on odd input: output never corrupt (one HPA per Deployment, a
document after one without a final newline, lone CRs, what Helm reads, lists that grow or shrink), the
sniffer reading as a parser reads, and time and memory linear in the size of a targeted document.

Every output is read back with PyYAML (YAML 1.1, as Helm reads it where the two agree) and, where the
finding is about Helm's reading, with `helm_read` below, which reads plain scalars as Helm's reader does.
The minimal input files are in `tests/inputs/`.
"""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from runai_postrender.pipeline import run
from runai_postrender.profiles.load import load_profile
from tests import big_documents
from tests.conftest import ROOT, run_cli

LARGE = load_profile("large")
INPUTS = ROOT / "tests" / "inputs"


def output(data: bytes, profile: Any = LARGE) -> bytes:
    return b"".join(bytes(piece) for piece in run(data, profile).pieces)


def documents(data: bytes) -> list[Any]:
    return list(yaml.safe_load_all(data))


def kinds(data: bytes) -> list[str]:
    return [doc["kind"] for doc in documents(data) if isinstance(doc, dict)]


def profile_file(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "profile.yaml"
    path.write_text(textwrap.dedent(text))
    return load_profile(str(path))


# ---------------------------------------------------------------- one HPA per Deployment


@pytest.mark.parametrize(
    "name",
    ["hpa-namespace-on-the-deployment-only.yaml", "hpa-namespace-on-the-hpa-only.yaml"],
    ids=["namespace on the Deployment", "on the HPA"],
)
def test_a_chart_hpa_pairs_with_its_deployment_whichever_spells_the_namespace(name: str) -> None:
    data = (INPUTS / name).read_bytes()
    out = output(data)
    hpas = [doc for doc in documents(out) if doc["kind"] == "HorizontalPodAutoscaler"]
    assert len(hpas) == 1
    assert (hpas[0]["spec"]["minReplicas"], hpas[0]["spec"]["maxReplicas"]) != (1, 10)  # the chart's, sized


# ---------------------------------------------------------------- a document after one without a final newline


@pytest.mark.parametrize(
    "ending",
    ["  annotations:\n    note: |\n      keep exactly", "  annotations:\n    note: |+\n      keep exactly"],
    ids=["clip", "keep"],
)
@pytest.mark.parametrize("marker", [b"", b"---\n"], ids=["bare", "with ---"])
def test_an_hpa_added_after_a_block_scalar_that_ends_the_stream_keeps_its_value(ending: str, marker: bytes) -> None:
    data = marker + b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: r-backend\n" + ending.encode()
    out = output(data)
    assert kinds(out) == ["HorizontalPodAutoscaler", "Deployment"]
    assert documents(out)[1] == documents(data)[0]
    assert out.endswith(data.removeprefix(b"---\n"))  # the Deployment byte for byte
    assert output(out) == out


def test_a_note_block_scalar_that_ends_the_stream_keeps_its_value_when_an_hpa_is_added() -> None:
    out = output((INPUTS / "note-block-scalar-ends-the-stream.yaml").read_bytes())
    assert documents(out)[1]["metadata"]["annotations"]["note"] == "keep exactly"


def test_an_hpa_after_a_document_that_reads_the_same_with_a_final_newline_still_follows_it() -> None:
    data = b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: r-backend\nspec:\n  replicas: 2"
    assert kinds(output(data)) == ["Deployment", "HorizontalPodAutoscaler"]


# ---------------------------------------------------------------- lone CR


SERVICE = b"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n"
BACKEND = b"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: r-backend\nspec:\n  replicas: 3\n"
QUERY = (
    b"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: r-thanos-query\nspec:\n  template:\n"
    b"    spec:\n      containers:\n        - name: query\n          image: thanos\n"
)
CR_STREAMS = {
    "targeted last": [SERVICE, BACKEND],
    "targeted first": [BACKEND, SERVICE],
    "targeted in the middle": [SERVICE, BACKEND, SERVICE.replace(b"svc", b"svc2")],
    "patched then another": [QUERY, SERVICE],
    "patched without a final line break": [SERVICE, QUERY.rstrip()],
}


@pytest.mark.parametrize("parts", list(CR_STREAMS.values()), ids=list(CR_STREAMS))
def test_lone_cr_streams_keep_every_document(parts: list[bytes]) -> None:
    data = b"".join(parts).replace(b"\n", b"\r")
    expected = documents(output(b"".join(parts)))  # the same stream with LF
    out = output(data)
    assert b"\n" not in out
    assert documents(out) == expected
    assert output(out) == out


def test_a_lone_cr_service_before_a_scaled_deployment_is_kept_and_the_hpa_follows() -> None:
    out = output((INPUTS / "lone-cr-service-and-deployment.yaml").read_bytes())
    assert kinds(out) == ["Service", "Deployment", "HorizontalPodAutoscaler"]


# ---------------------------------------------------------------- E4, E5: clean errors


def test_keys_equal_in_python_are_one_line_input_error() -> None:
    result = run_cli(["-q", "-p", "large"], (INPUTS / "annotation-keys-1-and-true.yaml").read_bytes())
    assert (result.returncode, result.stdout) == (1, b"")
    assert re.fullmatch(
        rb"runai-size: error: document 1 \(Deployment/r-thanos-query\), line 6: a mapping has keys that YAML "
        rb"tells apart but that read as one value \(such as 1 and true\); refused\n",
        result.stderr,
    )


@pytest.mark.parametrize("keys", ["{0: a, false: b}", "{1: a, 1.0: b}", "{true: a, 1: b}"])
def test_every_pair_of_keys_equal_in_python_is_refused(keys: str) -> None:
    data = QUERY + f"  annotations: {keys}\n".encode()
    result = run_cli(["-q", "-p", "large"], data)
    assert result.returncode == 1 and b"read as one value" in result.stderr and len(result.stderr.splitlines()) == 1


def nested(levels: int, anchor: bool) -> bytes:
    labels = b"  labels: &l {app: q}\n" if anchor else b"  labels: {app: q}\n"
    deep = b"".join(b" " * (i + 2) + b"k:\n" for i in range(levels)) + b" " * (levels + 2) + b"v\n"
    return QUERY.replace(
        b"spec:\n", labels + b"  annotations:\n" + deep + b"spec:\n" + (b"  selector: *l\n" if anchor else b""), 1
    )


@pytest.mark.parametrize("anchor", [False, True], ids=["text edits", "round trip"])
@pytest.mark.parametrize("levels", [300, 330, 400, 1000, 5000])
def test_block_mappings_nested_300_to_5000_deep_patch_or_fail_cleanly(levels: int, anchor: bool) -> None:
    result = run_cli(["-q", "-p", "large"], nested(levels, anchor))
    assert result.returncode in (0, 1), result.stderr
    if result.returncode:
        assert re.fullmatch(
            rb"runai-size: error: document 1 \(Deployment/r-thanos-query\): nested too deeply to process\n",
            result.stderr,
        )
    else:
        assert documents(result.stdout)


# ---------------------------------------------------------------- what Helm reads, lists that grow or shrink

ENV = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  template:
    spec:
      containers:
        - name: app
          env:
            - name: WINDOW
              value: 12:30   # maintenance window
            - name: PROXY
              value: "http://proxy:3128"
            - name: LIMIT
              value: 1e3
            - name: FLAG
              value: y
            - name: MODE
              value: 0o17
            - name: SCRIPT
              value: |
                multi
                line
"""
# Each item's lines in the text above, and what Helm reads for its value (checked with `fromYaml`).
ITEMS = {
    "WINDOW": ("12:30", ["            - name: WINDOW\n", "              value: 12:30   # maintenance window\n"]),
    "PROXY": ("http://proxy:3128", ["            - name: PROXY\n", '              value: "http://proxy:3128"\n']),
    "LIMIT": (1000.0, ["            - name: LIMIT\n", "              value: 1e3\n"]),
    "FLAG": (True, ["            - name: FLAG\n", "              value: y\n"]),
    "MODE": (15, ["            - name: MODE\n", "              value: 0o17\n"]),
    "SCRIPT": (
        "multi\nline\n",
        [
            "            - name: SCRIPT\n",
            "              value: |\n",
            "                multi\n",
            "                line\n",
        ],
    ),
}
ANCHORED = ENV.replace("  name: x\n", "  name: x\n  labels: &l {app: x}\n  annotations: {copy: *l}\n")
NEW = '{name: NEW, value: "on"}'
LIST_PATCHES = {
    "append": (f"{{op: add, path: /env/-, value: {NEW}}}", [*ITEMS, "NEW"]),
    "insert first": (f"{{op: add, path: /env/0, value: {NEW}}}", ["NEW", *ITEMS]),
    "insert in the middle": (f"{{op: add, path: /env/3, value: {NEW}}}", [*list(ITEMS)[:3], "NEW", *list(ITEMS)[3:]]),
    "remove the first": ("{op: remove, path: /env/0}", list(ITEMS)[1:]),
    "remove one in the middle": ("{op: remove, path: /env/2}", [n for n in ITEMS if n != "LIMIT"]),
    "remove the last": ("{op: remove, path: /env/5}", list(ITEMS)[:-1]),
    "move the first to the end": ("{op: move, from: /env/0, path: /env/-}", [*list(ITEMS)[1:], "WINDOW"]),
    "copy the first to the end": ("{op: copy, from: /env/0, path: /env/-}", [*ITEMS, "WINDOW"]),
}


def helm_values(out: bytes) -> list[tuple[str, Any]]:
    """The env of the output as Helm reads it: values resolved as go-yaml v2 resolves them."""
    from runai_postrender.reading import reader

    doc = reader.read(out.decode())
    return [(item["name"], item["value"]) for item in doc["spec"]["template"]["spec"]["containers"][0]["env"]]


@pytest.mark.parametrize("text", [ENV, ANCHORED], ids=["text edits", "round trip"])
@pytest.mark.parametrize(("operation", "names"), list(LIST_PATCHES.values()), ids=list(LIST_PATCHES))
def test_a_patch_that_changes_a_lists_length_touches_only_the_items_concerned(
    tmp_path: Path, text: str, operation: str, names: list[str]
) -> None:
    profile = profile_file(
        tmp_path,
        f"""\
        rules:
          - name: env
            match: {{kind: Deployment}}
            containers: [app]
            patch:
              - {operation}
        """,
    )
    out = output(text.encode(), profile)
    assert helm_values(out) == [(name, "on" if name == "NEW" else ITEMS[name][0]) for name in names]
    # Untouched items keep their lines byte for byte; removed ones take theirs; new ones are written fresh.
    head = text.split("            - name: WINDOW")[0]
    fresh = {"NEW": "'on'", "WINDOW": "'12:30'"}
    moved = len(names) - 1 if names[-1] == "WINDOW" else None  # the item a move or copy put at the end
    items = [
        f"            - name: {name}\n              value: {fresh[name]}\n"
        if name == "NEW" or index == moved
        else "".join(ITEMS[name][1])
        for index, name in enumerate(names)
    ]
    assert out.decode() == head + "".join(items)


@pytest.mark.parametrize("name", ["labels-anchored.yaml", "labels-plain.yaml"], ids=["round trip", "text edits"])
def test_a_profile_string_helm_reads_as_a_boolean_is_quoted_on_both_paths(name: str) -> None:
    profile = load_profile(str(INPUTS / "annotation-on-profile.yaml"))
    out = output((INPUTS / name).read_bytes(), profile)
    assert b"    enabled: 'on'\n" in out


def test_profile_strings_and_keys_helm_reads_as_other_types_are_quoted_on_the_round_trip() -> None:
    from runai_postrender.reading import reader

    profile = load_profile(str(INPUTS / "annotations-helm-reads-as-other-types-profile.yaml"))
    out = output((INPUTS / "query-labels-anchored.yaml").read_bytes(), profile)
    annotations = reader.read(out.decode())["metadata"]["annotations"]
    expected = {rule_path.rsplit("/", 1)[1]: value for rule_path, value in profile.rules[0].set.items()}
    assert annotations == expected
    assert all(isinstance(value, str) for value in annotations.values())


def test_an_env_entry_appended_after_values_with_colons_and_comments_changes_no_other_line(tmp_path: Path) -> None:
    profile = load_profile(str(INPUTS / "add-env-profile.yaml"))
    data = (INPUTS / "env-values-with-colons-and-comments.yaml").read_bytes()
    out = output(data, profile)
    assert out == data + b"            - name: NEW\n              value: x\n"


# ---------------------------------------------------------------- the sniffer reads as a parser reads

INDENTED = b"---\n# Source: control-plane/templates/q.yaml\n" + b"".join(
    b"  " + line + b"\n" for line in QUERY.removeprefix(b"---\n").splitlines()
)
SNIFFED = {
    "whole mapping indented after a comment": INDENTED,
    "a flow mapping on the --- line": b"--- {apiVersion: apps/v1, kind: Deployment, metadata: {name: r-thanos-query},"
    b" spec: {template: {spec: {containers: [{name: query}]}}}}\n",
    "a # inside a plain name": QUERY.replace(b"name: r-thanos-query", b"name: r#-thanos-query"),
}


@pytest.mark.parametrize("data", list(SNIFFED.values()), ids=list(SNIFFED))
def test_documents_the_sniffer_cannot_read_are_parsed_and_patched(data: bytes) -> None:
    (doc,) = documents(output(data))
    assert doc["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {"cpu": 1, "memory": "3G"}


def test_a_hash_after_a_space_still_ends_a_sniffed_name() -> None:
    from runai_postrender.documents import sniff

    data = QUERY.replace(b"name: r-thanos-query", b"name: r-thanos-query #-x")
    assert sniff.sniff_metadata(data, 0, len(data)) == ("r-thanos-query", None)
    hashed = QUERY.replace(b"name: r-thanos-query", b"name: r#-thanos-query")
    assert sniff.sniff_metadata(hashed, 0, len(hashed)) in (sniff.UNKNOWN, ("r#-thanos-query", None))


# ---------------------------------------------------------------- linear in the size of a targeted document


def anchored_list(items: int) -> bytes:
    parts = [b"apiVersion: v1\nkind: List\nitems:\n"]
    for i in range(items):
        labels = b"    labels: &l\n      app: x\n" if i == 0 else b"    labels:\n      app: x\n"
        parts.append(
            b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm-%d\n" % i
            + labels
            + b"  data:\n    key: value\n    third: |\n      line one\n      line two\n"
        )
    query = QUERY.removeprefix(b"---\n").splitlines(keepends=True)
    parts += [b"- " + query[0], *(b"  " + line for line in query[1:]), b"- copy: *l\n"]
    return b"".join(parts)


@pytest.mark.slow
def test_a_megabyte_anchored_list_is_patched() -> None:
    # (It took minutes before the line merge was linear; scripts/bench --large-documents measures speed.)
    data = anchored_list(7_000)
    assert len(data) > 1_000_000
    out = output(data)
    assert out.count(b"memory: 3G") == 2


# The 5 MB inputs of that bound: `python -m tests.big_documents list none 5` writes one (see there).
BIG = [(kind, anchor) for kind in big_documents.KINDS for anchor in big_documents.ANCHORS]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "anchor"), BIG, ids=[f"{kind}, anchor {anchor}" for kind, anchor in BIG])
def test_a_5_mb_targeted_document_is_patched(kind: str, anchor: str) -> None:
    # Its speed and memory are measured by scripts/bench --large-documents, not asserted here.
    data = big_documents.big(kind, anchor, 5)
    result = run_cli(["-p", "large", "-q"], data)
    out = result.stdout
    assert result.returncode == 0, result.stderr.decode()
    assert len(out) > len(data) and (b"retention: 1h" in out or out.count(b"memory: 3G") == 2)


@pytest.mark.parametrize("kind", big_documents.KINDS)
def test_a_large_document_with_an_anchor_away_from_the_change_is_written_by_text_edits(kind: str) -> None:
    data = big_documents.big(kind, "elsewhere", 0.1)
    result = run(data, LARGE)
    out = b"".join(bytes(piece) for piece in result.pieces)
    assert list(result.report.writers.values()) == ["text edits"]
    assert out.count(b"&labels") == 1 and out.count(b"*labels") == 1
    removed, added = changed_lines(data, out)  # only the changed lines: the List's container gains its resources
    assert (removed, added[:1]) in [
        ([], ["            resources:"]),
        (["      retention: 2h"], ["      retention: 1h"]),
    ]
    assert documents(out) == [_expected(data, out)]


@pytest.mark.parametrize("kind", big_documents.KINDS)
def test_a_change_through_an_aliased_node_is_a_text_edit_that_writes_the_alias_out(kind: str) -> None:
    # It took the round trip before: about 36 s and 0.5 GB for 5 MB.
    data = big_documents.big(kind, "changed", 0.1)
    result = run(data, LARGE)
    out = b"".join(bytes(piece) for piece in result.pieces)
    assert list(result.report.writers.values()) == ["text edits"]
    removed, _ = changed_lines(data, out)
    assert removed in (["      retention: 2h", "  backupPrometheus: *prometheus"], ["    template: *template"])
    assert out.count(b"&") == 1 and out.count(b"*") == 0  # the anchor stays; its one alias is written out
    (before,), (after,) = documents(data), documents(out)
    if kind == "list":
        copy = after["items"][-1]["spec"]["template"]
        assert copy == before["items"][-1]["spec"]["template"]  # the alias's copy did not change
        (query,) = [item for item in after["items"] if item["metadata"]["name"] == "r-thanos-query"]
        assert "resources" in query["spec"]["template"]["spec"]["containers"][0]
    else:
        assert after["spec"]["backupPrometheus"] == {"retention": "2h"}
        assert after["spec"]["prometheus"]["spec"] == {"retention": "1h"}


def changed_lines(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    diff = list(difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0))
    removed = [line[1:] for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]
    return removed, added


def _expected(data: bytes, out: bytes) -> Any:
    """The input's data with the change the large profile makes to it (read from the output, checked here)."""
    (before,), (after,) = documents(data), documents(out)
    if before["kind"] == "List":
        (query,) = [item for item in before["items"] if item["kind"] == "Deployment"]
        container = query["spec"]["template"]["spec"]["containers"][0]
        assert "resources" not in container
        container["resources"] = {"requests": {"cpu": 1, "memory": "3G"}, "limits": {"cpu": 1, "memory": "3G"}}
    else:
        before["spec"]["prometheus"]["spec"]["retention"] = "1h"
        before["spec"]["global"] = after["spec"]["global"]
    return before


def test_a_mapping_key_that_is_a_block_mapping_is_a_clean_error_where_only_the_round_trip_could_write() -> None:
    # Found by test_properties: `? ` before a block mapping makes it a key, which libyaml reads (as a tuple)
    # but ruamel cannot hold; it was an internal error (TypeError).
    data = (
        b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: rel-backend\nspec:\n  replicas: 1\n"
        b"  template:\n    spec:\n      containers:\n      - name: query\n        image: alpha\n"
        b"      ?   resources:\n          limits:\n            memory: 1Gi\n"
    )
    result = run_cli(["-p", "large"], data)
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        "runai-size: error: document 1 (Deployment/rel-backend): a mapping key that is itself a mapping or a list: "
        "cannot write it"
    ]


def test_a_multi_line_json_document_keeps_its_lines_when_patched() -> None:
    data = (
        b'{\n  "apiVersion": "apps/v1",\n  "kind": "Deployment",\n  "metadata": {"name": "r-thanos-query"},\n'
        b'  "spec": {"template": {"spec": {"containers": [\n'
        b'    {"name": "query", "resources": {"limits": {"cpu": "100m", "memory": "1Gi"}}}\n  ]}}}\n}\n'
    )
    out = output(data)
    assert out.count(b"\n") == data.count(b"\n")
    assert b'"cpu": "1"' in out
    (doc,) = documents(out)
    assert doc["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"] == {"cpu": 1, "memory": "3G"}


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("comment", [b"", " # é".encode()], ids=["ASCII", "UTF-8"])
def test_a_last_document_without_a_final_line_break_gets_lines_added_at_its_end(newline: bytes, comment: bytes) -> None:
    # The text editor writes its result from views of the input: the line break it adds before lines
    # added at the very end is not in the input, and must be written all the same (else the check
    # refuses the edit, and the round trip writes the document).
    data = (SERVICE + QUERY.replace(b"kind: Deployment", b"kind: Deployment" + comment)).rstrip(b"\n")
    data = data.replace(b"\n", newline)
    result = run(data, LARGE)
    out = b"".join(bytes(piece) for piece in result.pieces)
    assert list(result.report.writers.values()) == ["text edits"]
    assert out.startswith(data)  # everything kept, the last line included
    assert out[len(data) : len(data) + len(newline) + 21] == newline + b"          resources:" + newline[:1]
    assert not out.endswith(newline)  # ends as the input ended: without a line break
    assert documents(out)[-1]["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == 1


@pytest.mark.parametrize("after", [b"\t", b"\t# the image", b" \t "], ids=["tab", "tab then comment", "blanks"])
def test_a_blank_tab_after_a_value_is_kept_in_a_document_the_round_trip_writes(after: bytes) -> None:
    # libyaml and Helm's reader take a tab after a value as a blank; ruamel's scanner refused it, and the
    # round trip (this document changes through a merge key) blamed the input.
    case = ROOT / "tests" / "cases" / "anchors-merge-keys"
    line = b"          image: thanos\n"
    data = (case / "input.yaml").read_bytes().replace(line, line[:-1] + after + b"\n", 1)
    result = run(data, LARGE)
    out = b"".join(bytes(piece) for piece in result.pieces)
    assert list(result.report.writers.values()) == ["round trip"]
    assert out == (case / "expected.yaml").read_bytes().replace(line, line[:-1] + after + b"\n", 1)


FLOW_CONTAINERS = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: runai-backend-thanos-query, labels: {app.kubernetes.io/instance: runai-backend}}
    spec:
      template:
        spec:
          containers: [
            {name: query,   # the query container
             image: thanos, resources: EMPTY},
            {name: sidecar, image: x}   # keep me
          ]
    """


@pytest.mark.parametrize("empty", ["{}", "~", "null"])
def test_a_container_in_a_multi_line_flow_list_is_sized_on_its_own_line(empty: str) -> None:
    data = textwrap.dedent(FLOW_CONTAINERS).replace("EMPTY", empty).encode()
    result = run(data, LARGE)
    out = b"".join(bytes(piece) for piece in result.pieces)
    assert list(result.report.writers.values()) == ["text edits"]
    removed, added = changed_lines(data, out)
    assert removed == [f"         image: thanos, resources: {empty}}},"]
    assert added == [
        "         image: thanos, resources: {requests: {cpu: 1, memory: 3G}, limits: {cpu: 1, memory: 3G}}},"
    ]


def test_a_flow_style_template_keeps_its_comments_when_replicas_go_and_resources_come() -> None:
    data = textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: runai-backend-backend
          labels: {app.kubernetes.io/instance: runai-backend}
        spec:
          replicas: 3
          # the selector must match the template labels
          selector:
            matchLabels: {app: backend}
          template: {metadata: {labels: {app: backend}}, spec: {containers: [{name: backend,  # the API server
              image: backend, resources: {}}]}}
        """).encode()
    result = run(data, LARGE)
    out = b"".join(bytes(piece) for piece in result.pieces)
    assert set(result.report.writers.values()) == {"text edits"}
    first = out.split(b"\n---\n")[0] + b"\n"
    assert b"# the selector must match the template labels\n" in first and b"# the API server\n" in first
    assert b"replicas" not in first and b"resources: {requests: {cpu:" in first


def kubectl_read(tmp_path: Path, data: bytes) -> Any:
    """The object as kubectl (sigs.k8s.io/yaml, Helm's reader) reads the file."""
    path = tmp_path / "read.yaml"
    path.write_bytes(data)
    kubectl = [str(ROOT / ".tools" / "bin" / "kubectl"), "label", "--local", "-f", str(path), "x=y", "-o", "json"]
    return json.loads(subprocess.run(kubectl, capture_output=True, check=True, timeout=120).stdout)


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85"], ids=["LS", "PS", "NEL"])
def test_a_line_break_libyaml_counts_beside_lf_is_a_line_break_to_the_text_editor(brk: str, tmp_path: Path) -> None:
    # U+2028, U+2029 and U+0085 end a line for libyaml and go-yaml (YAML 1.1, as Helm reads it), and libyaml's
    # marks count lines by them: the editor finds lines by them too, so it writes such a text with text edits
    # (the round trip's reader, YAML 1.2, would not even read it). One ends a comment, one a key's line, one
    # the container's last line, after which the resources go.
    data = (
        QUERY.replace(b"    spec:\n", b"    spec:\n      # a comment" + brk.encode() + b"\n")
        .replace(b"kind: Deployment\n", b"kind: Deployment" + brk.encode())
        .replace(b"image: thanos\n", b"image: thanos" + brk.encode())
    )
    result = run(data, LARGE)
    out = b"".join(bytes(piece) for piece in result.pieces)
    assert list(result.report.writers.values()) == ["text edits"]
    assert out.startswith(data)  # every line kept as it was, the resources after them
    resources = {"requests": {"cpu": 1, "memory": "3G"}, "limits": {"cpu": 1, "memory": "3G"}}
    container = kubectl_read(tmp_path, out)["spec"]["template"]["spec"]["containers"][0]
    assert container == {"name": "query", "image": "thanos", "resources": resources}


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85"], ids=["LS", "PS", "NEL"])
def test_a_string_holding_a_line_break_libyaml_counts_is_written_escaped(brk: str) -> None:
    # in quotes as it stands, libyaml folds NEL into a space: the editor writes all three as escapes
    from runai_postrender.writers import emit

    written = emit.scalar(f"a{brk}b")
    assert brk not in written
    assert yaml.safe_load(f"key: {written}") == {"key": f"a{brk}b"}


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85"], ids=["LS", "PS", "NEL"])
def test_a_change_through_an_anchor_in_a_text_with_a_unicode_line_break_is_written_by_the_round_trip(
    brk: str, tmp_path: Path
) -> None:
    # ruamel (YAML 1.2) does not end a line there: the round trip reads and writes those breaks as the
    # document's line ending, and Helm's reader reads the output as sized, the alias as it was.
    data = textwrap.dedent("""\
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: r-thanos-query
        spec:
          template:
            spec:
              containers:
                - &query
                  name: query
              initContainers:
                - *query
        """).encode()
    data = data.replace(b"kind: Deployment\n", b"kind: Deployment" + brk.encode())
    result = run(data, LARGE)
    out = b"".join(bytes(piece) for piece in result.pieces)
    assert list(result.report.writers.values()) == ["round trip"]
    assert brk.encode() not in out
    pod = kubectl_read(tmp_path, out)["spec"]["template"]["spec"]
    assert pod["containers"][0]["resources"]["limits"] == {"cpu": 1, "memory": "3G"}
    assert pod["initContainers"] == [{"name": "query"}]


def test_a_tagged_key_beside_the_change_stays_as_written_and_the_container_is_sized(tmp_path: Path) -> None:
    # Helm's reader takes `!!omap env` as the key `env`: the change (keys added after it) does not go
    # through it, so the text editor writes it and the tag stays
    data = QUERY.replace(b"          image: thanos\n", b"          !!omap env: [{name: A}]\n")
    result = run(data, LARGE)
    out = b"".join(bytes(piece) for piece in result.pieces)
    assert list(result.report.writers.values()) == ["text edits"]
    assert out.startswith(data)
    container = kubectl_read(tmp_path, out)["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "A"}]
    assert container["resources"]["limits"] == {"cpu": 1, "memory": "3G"}
