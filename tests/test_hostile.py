"""Hostile and odd input: each promise runai-size makes about input it did not expect, pinned by a test.

1. All or nothing: the whole output and exit 0, or nothing on stdout, a non-zero exit and one line on
   stderr naming the document (number, kind/name) or the profile file and line. No traceback
   unless --debug.
2. Valid but unusual input passes: untouched documents byte for byte, targeted ones patched, and
   only at the patched lines.
3. Invalid input fails cleanly. Documents no rule targets are not parsed: malformed YAML there
   passes through for Helm to report.
4. Resource exhaustion is refused: alias bombs, deep nesting; memory stays a small multiple of the
   input.
5. Profile files are data, and every mistake in one gets a clear message.
6. Process edges: a closed stdout, SIGINT, the report file.

docs/hostile-inputs.md tabulates every input tried, its outcome and the test below that pins it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from runai_postrender.documents.stream import BOM
from runai_postrender.pipeline import run
from runai_postrender.profiles.load import load_profile
from runai_postrender.support.errors import InputError, PatchError, RunaiSizeError
from tests.conftest import LARGE, QUERY_HEAD, ROOT, RUNAI_SIZE, SIZED, changed_lines, load_all, sized

# The thanos-query Deployment with a config-reloader before `query`, whose memory limit (1Gi) the large profile
# raises: the changed lines of every patched variant below are known (REMOVED, ADDED).
LIMITED_QUERY = (
    QUERY_HEAD
    + textwrap.indent(
        textwrap.dedent("""\
            - name: config-reloader
              image: reloader
            - name: query
              image: thanos
              resources:
                limits:
                  memory: 1Gi
            """),
        " " * 8,
    )
).encode()
CONFIGMAP = textwrap.dedent("""\
    ---
    # Source: control-plane/templates/configmap.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: runai-backend-config
    data:
      key: "value"
    """).encode()


# ---------------------------------------------------------------- helpers


def container(obj: Any, name: str) -> dict[str, Any]:
    found = [c for c in obj["spec"]["template"]["spec"]["containers"] if c["name"] == name]
    assert len(found) == 1
    return found[0]  # type: ignore[no-any-return]


def query_of(output: bytes) -> dict[str, Any]:
    """The `query` container of the (only) thanos-query Deployment in the output."""
    deployments = [d for d in load_all(output) if isinstance(d, dict) and d.get("kind") == "Deployment"]
    assert len(deployments) == 1
    return container(deployments[0], "query")


def cli(
    args: list[str], stdin: bytes, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """runai-size as Helm runs it: a process with the stream on stdin."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RUNAI_SIZE_")}
    return subprocess.run(
        [RUNAI_SIZE, *args], input=stdin, capture_output=True, env={**clean, **(env or {})}, timeout=timeout
    )


def assert_failed_cleanly(result: subprocess.CompletedProcess[bytes], message: str) -> None:
    """Nothing on stdout, a non-zero exit, one line on stderr matching `message`, no traceback."""
    stderr = result.stderr.decode()
    assert result.returncode != 0, stderr
    assert result.stdout == b""
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1, stderr
    assert re.match(r"runai-size: error: " + message, stderr), stderr


def with_containers(containers: str) -> bytes:
    """LIMITED_QUERY with another list of containers (given unindented)."""
    head = LIMITED_QUERY.split(b"      containers:")[0]
    return head + b"      containers:\n" + textwrap.indent(textwrap.dedent(containers), " " * 8).encode()


def bomb(levels: int, leaf: str = '"lol"', width: int = 9) -> str:
    """A "billion laughs" mapping: each level an anchored list of `width` aliases of the one before."""
    lines = [f"lol0: &a0 [{', '.join([leaf] * width)}]"]
    lines += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- 1 and 3: all or nothing, clean errors

BAD_INPUTS = {
    "malformed YAML in a targeted document": (
        CONFIGMAP + LIMITED_QUERY.replace(b"image: thanos", b"image: [thanos"),
        r"document 2 \(Deployment/runai-backend-thanos-query\), line 23: expected ',' or ']'",
    ),
    "invalid UTF-8 in a targeted document": (
        CONFIGMAP + LIMITED_QUERY.replace(b"image: thanos", b"image: th\xffnos"),
        r"document 2 \(Deployment/runai-backend-thanos-query\): not valid UTF-8 text \(byte \d+\)",
    ),
    "invalid UTF-8 in an untouched document": (
        CONFIGMAP.replace(b"value", b"val\xc3ue") + LIMITED_QUERY,
        r"document 1 \(ConfigMap/runai-backend-config\): not valid UTF-8 text",
    ),
    "binary data (NUL bytes)": (
        CONFIGMAP + b"\x00\x01\x02\x00" * 16 + LIMITED_QUERY,
        r"document 1: byte \d+ is control character 0x00; the input is binary data",
    ),
    "duplicate keys in a targeted document": (
        LIMITED_QUERY.replace(b"image: thanos\n", b"image: thanos\n          image: other\n"),
        r'document 1 \(Deployment/runai-backend-thanos-query\), line 15: found duplicate key "image"',
    ),
    "containers not a list": (
        LIMITED_QUERY.split(b"      containers:")[0] + b"      containers: {name: query}\n",
        r"rule 'thanos-query': document 1 \(Deployment/runai-backend-thanos-query\): "
        r"/spec/template/spec/containers is a \w+, not a list of containers",
    ),
    "spec not a mapping": (
        LIMITED_QUERY.split(b"spec:")[0] + b"spec: [1, 2]\n",
        r"rule 'thanos-query': document 1 \(Deployment/runai-backend-thanos-query\): "
        r"spec is a \w+, not a mapping",
    ),
    "resources not a mapping": (
        LIMITED_QUERY.replace(b"resources:\n            limits:\n              memory: 1Gi", b"resources: [1Gi]"),
        r"rule 'thanos-query': document 1 \(Deployment/runai-backend-thanos-query\): cannot set ",
    ),
    "UTF-16": (
        (CONFIGMAP + LIMITED_QUERY).decode().encode("utf-16"),
        r"document 1: byte 3 is control character 0x00; the input is binary data",
    ),
    "an alias bomb in a targeted document": (
        LIMITED_QUERY + bomb(9).encode(),
        r"document 1 \(Deployment/runai-backend-thanos-query\): its aliases expand to more than",
    ),
    "100,000 nested [ in a targeted document": (
        LIMITED_QUERY + b"deep: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        r"document 1 \(Deployment/runai-backend-thanos-query\), line 18: "
        r"flow collections nested more than \d+ deep",
    ),
    "block mappings nested 5,000 deep in a targeted document": (
        LIMITED_QUERY + b"deep:\n" + b"".join(b" " * (i + 1) + b"k:\n" for i in range(5000)),
        r"document 1 \(Deployment/runai-backend-thanos-query\): nested too deeply to process",
    ),
}


@pytest.mark.parametrize(("data", "message"), list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_writes_nothing_and_one_line_naming_the_document(data: bytes, message: str) -> None:
    result = cli(["--profile", "large"], data)
    assert_failed_cleanly(result, message)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(LIMITED_QUERY.replace(b"image: thanos", b"image: [thanos"), InputError, id="malformed"),
        pytest.param(LIMITED_QUERY.replace(b"thanos\n", b"th\xe2\x28nos\n"), InputError, id="invalid UTF-8"),
        pytest.param(LIMITED_QUERY + b"\x00", InputError, id="NUL byte"),
        pytest.param(LIMITED_QUERY + b"spec: {}\n", InputError, id="duplicate top-level key"),
        pytest.param(
            LIMITED_QUERY.replace(b"- name: query", b"- name: query\n          name: q"), InputError, id="dup"
        ),
        pytest.param(LIMITED_QUERY.split(b"      containers:")[0] + b"      containers: 7\n", PatchError, id="shape"),
    ],
)
def test_the_core_raises_only_its_own_errors(data: bytes, error: type[RunaiSizeError]) -> None:
    with pytest.raises(error, match=r"document 1\b"):
        run(data, LARGE)


def test_debug_shows_the_traceback_and_still_writes_nothing() -> None:
    result = cli(["--profile", "large", "--debug"], LIMITED_QUERY + bomb(9).encode())
    assert result.returncode == 1 and result.stdout == b""
    assert b"Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith(b"runai-size: error: document 1 (Deployment/")


def test_a_good_run_writes_the_whole_output_and_exits_0() -> None:
    data = CONFIGMAP + LIMITED_QUERY
    result = cli(["--profile", "large", "--quiet"], data)
    assert result.returncode == 0 and result.stderr == b""
    assert result.stdout == sized(data)
    assert query_of(result.stdout)["resources"] == SIZED


# ---------------------------------------------------------------- 3: untouched documents are not parsed


@pytest.mark.parametrize(
    "untouched",
    [
        pytest.param(CONFIGMAP.replace(b'key: "value"', b'key: "value'), id="malformed YAML"),
        pytest.param(CONFIGMAP + b"data: {}\n", id="duplicate keys"),
        pytest.param(CONFIGMAP + b"\t\tbad: indentation\n", id="tab indentation"),
        pytest.param(CONFIGMAP.replace(b"value", b"*nowhere"), id="an undefined alias"),
        pytest.param(CONFIGMAP + bomb(9).encode(), id="an alias bomb"),
        pytest.param(CONFIGMAP + b"deep: " + b"[" * 100_000 + b"\n", id="100,000 unclosed ["),
    ],
)
def test_documents_no_rule_targets_pass_through_unparsed(untouched: bytes) -> None:
    # The design decision: only targeted documents are parsed. Whatever is wrong elsewhere is Helm's to
    # report (it parses every document); runai-size neither reports it nor changes a byte of it.
    output = sized(untouched + LIMITED_QUERY)
    assert output.startswith(untouched)
    assert query_of(output[len(untouched) :])["resources"] == SIZED


# ---------------------------------------------------------------- 2: valid but unusual input


def test_an_empty_stream_gives_an_empty_output() -> None:
    result = cli(["--profile", "large", "--quiet"], b"")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


UNTOUCHED_STREAMS = {
    "comment-only documents": b"---\n# nothing\n---\n# nothing either\n",
    "a stream of comments": b"# Source: chart/templates/empty.yaml\n",
    "empty documents": b"---\n---\n",
    "final document without a trailing newline": CONFIGMAP.rstrip(b"\n"),
    "end markers": CONFIGMAP + b"...\n" + CONFIGMAP + b"... # the end\n",
    "a %YAML directive": b"%YAML 1.2\n" + CONFIGMAP,
    "a byte-order mark": BOM + CONFIGMAP,
    "CRLF line endings": CONFIGMAP.replace(b"\n", b"\r\n"),
    "tabs and non-ASCII text": CONFIGMAP.replace(b'"value"', '"tab\there, ünïcödé ✓ 🚀"'.encode()),
    "block scalars holding --- and ... lines": CONFIGMAP
    + b"  script: |\n    echo start\n    ---\n    ...\n    --- not a document\n",
    "a bare scalar document": b"--- just some text\n",
    "a sequence document": b"---\n- one\n- two\n",
    "a null document": b"--- ~\n",
    "a root block scalar": b"--- |\n  kind: Deployment\n  metadata:\n    name: x-thanos-query\n",
    "a kind: List of untargeted items": b"kind: List\nitems:\n  - {kind: ConfigMap, metadata: {name: a}}\n",
    "a JSON document": b'{"kind": "ConfigMap", "metadata": {"name": "x"}}\n',
    "kind spelled in a comment only": b"---\n# kind: Deployment\nkind: ConfigMap\n",
    "a byte-order mark in the middle of the stream": CONFIGMAP + BOM + CONFIGMAP,
}


@pytest.mark.parametrize("data", list(UNTOUCHED_STREAMS.values()), ids=list(UNTOUCHED_STREAMS))
def test_unusual_documents_no_rule_targets_come_out_byte_for_byte(data: bytes) -> None:
    assert sized(data) == data
    # After a targeted document; `...` ends it, as a document without `---` or with directives needs.
    after = b"...\n" + data.removeprefix(BOM)
    output = sized(LIMITED_QUERY + after)
    assert output.endswith(after)
    assert query_of(output[: -len(after)])["resources"] == SIZED


def test_a_multi_megabyte_base64_secret_passes_byte_for_byte() -> None:
    # How fast: scripts/bench --hostile.
    blob = b"QUJD" * 1_500_000  # 6 MB on one line
    secret = b"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: big\ndata:\n  blob: " + blob + b"\n"
    output = sized(secret + LIMITED_QUERY + secret)
    assert output.startswith(secret) and output.endswith(secret)
    assert query_of(output[len(secret) : -len(secret)])["resources"] == SIZED


def patched_document(variant: bytes) -> tuple[bytes, list[str], list[str]]:
    """Size a variant of the thanos-query document; check it; return the output and the changed lines."""
    output = sized(variant)
    assert query_of(output)["resources"] == SIZED
    removed, added = changed_lines(variant, output)
    return output, removed, added


# The lines sizing LIMITED_QUERY removes and adds.
REMOVED = ["              memory: 1Gi\n"]
ADDED = [
    "              memory: 3G\n",
    "              cpu: 1\n",
    "            requests:\n",
    "              cpu: 1\n",
    "              memory: 3G\n",
]


def test_a_targeted_document_changes_only_at_the_patched_lines() -> None:
    _, removed, added = patched_document(LIMITED_QUERY)
    assert (removed, added) == (REMOVED, ADDED)


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(LIMITED_QUERY + b"...\n", id="end marker"),
        pytest.param(LIMITED_QUERY + b"... # the end\n# about the next document\n", id="end marker and comment"),
        pytest.param(b"%YAML 1.2\n" + LIMITED_QUERY, id="YAML directive"),
        pytest.param(BOM + LIMITED_QUERY, id="byte-order mark"),
        pytest.param(LIMITED_QUERY.replace(b"image: thanos", '"image": "thänos\t✓"'.encode()), id="tabs, non-ASCII"),
        pytest.param(LIMITED_QUERY + b"# a comment after the last line\n", id="trailing comment"),
        pytest.param(
            LIMITED_QUERY + b"# about the next container\n        - name: after\n          image: after\n",
            id="comment before the next container",
        ),
        pytest.param(
            LIMITED_QUERY.replace(b"        - name: query", b"# between containers\n        - name: query"),
            id="comment at column 0",
        ),
        pytest.param(
            LIMITED_QUERY.replace(b"image: reloader", b"image: reloader\n          args: [--a=1,   --b=2]  "),
            id="odd spacing elsewhere",
        ),
        pytest.param(
            LIMITED_QUERY.replace(
                b"image: reloader",
                b"image: reloader\n          command:\n            - |\n              ---\n              ...",
            ),
            id="block scalar with --- and ...",
        ),
        pytest.param(
            LIMITED_QUERY.replace(b"metadata:\n", b"metadata:\n  annotations:\n    big: " + b"x" * 300_000 + b"\n"),
            id="300 kB line",
        ),
    ],
)
@pytest.mark.parametrize("path", ["text edits", "round trip"])
def test_unusual_targeted_documents_are_patched_only_at_the_patched_lines(variant: bytes, path: str) -> None:
    # Targeted documents are written by text edits or, when they hold what the editor leaves alone
    # (anchors and aliases here), by the round trip: the result says which writer wrote each document.
    if path == "round trip":
        variant = with_an_alias(variant)
    result = run(variant, LARGE)
    output = b"".join(result.pieces)
    assert output == variant.replace("".join(REMOVED).encode(), "".join(ADDED).encode())
    assert list(result.report.writers.values()) == [path]
    assert sized(output) == output  # a second pass changes nothing


def with_an_alias(variant: bytes) -> bytes:
    """The thanos-query document with labels shared by an alias, and a custom tag on the mapping the profile
    changes: a tag there sends the change to the round-trip path (text edits keep a document whose anchors
    and tags stand away from what changes)."""
    variant = variant.replace(b"metadata:\n", b"metadata:\n  labels: &labels {app: thanos}\n", 1)
    variant = variant.replace(b"            limits:\n", b"            limits: !limits\n", 1)
    return variant.replace(b"spec:\n  template:", b"spec:\n  selector: {matchLabels: *labels}\n  template:")


def test_a_round_trip_document_without_a_final_newline_changes_only_at_the_patched_lines() -> None:
    variant = CONFIGMAP + with_an_alias(LIMITED_QUERY).rstrip(b"\n")
    output = sized(variant)
    assert query_of(output.replace(b" !limits", b""))["resources"] == SIZED  # the tag is kept; the reader knows none
    assert output == variant.replace(b"memory: 1Gi", "".join(ADDED).strip().encode())


def test_a_targeted_document_without_a_final_newline_changes_only_at_the_patched_lines() -> None:
    variant = CONFIGMAP + LIMITED_QUERY.rstrip(b"\n")
    output = sized(variant)
    assert query_of(output)["resources"] == SIZED
    assert output.startswith(CONFIGMAP)
    assert changed_lines(variant + b"\n", output + b"\n") == (REMOVED, ADDED)
    assert not output.endswith(b"\n")


def test_a_targeted_document_without_a_final_newline_is_patched() -> None:
    variant = CONFIGMAP + LIMITED_QUERY.rstrip(b"\n")
    output = sized(variant)
    assert query_of(output)["resources"] == SIZED
    assert output.startswith(CONFIGMAP)
    assert sized(output) == output


def test_crlf_targeted_document_keeps_crlf_on_every_line_including_new_ones() -> None:
    variant = (CONFIGMAP + LIMITED_QUERY).replace(b"\n", b"\r\n")
    output = sized(variant)
    assert query_of(output)["resources"] == SIZED
    assert output.count(b"\n") == output.count(b"\r\n") == variant.count(b"\r\n") + len(ADDED) - len(REMOVED)
    assert output.startswith(CONFIGMAP.replace(b"\n", b"\r\n"))
    assert sized(output) == output


def test_lone_cr_line_endings_are_split_and_patched() -> None:
    # YAML reads a lone CR as a line break; Helm never writes one. The documents are found and the
    # targeted one is patched (the lines added end in LF), the others come out byte for byte.
    variant = (CONFIGMAP + LIMITED_QUERY + CONFIGMAP).replace(b"\n", b"\r")
    output = sized(variant)
    untouched = CONFIGMAP.replace(b"\n", b"\r")
    assert output.startswith(untouched) and output.endswith(untouched)
    assert query_of(output[len(untouched) : -len(untouched)].replace(b"\r", b"\n"))["resources"] == SIZED


def test_a_workload_without_its_containers_is_left_alone_with_a_note() -> None:
    variant = LIMITED_QUERY.split(b"  template:")[0] + b"  template: 3\n"
    result = run(variant, LARGE)
    assert b"".join(bytes(piece) for piece in result.pieces) == variant
    assert any("has no container 'query'" in note for note in result.report.notes)


def test_a_byte_order_mark_then_kind_on_the_first_line_is_still_found() -> None:
    variant = BOM + b"kind: Deployment\n" + LIMITED_QUERY.replace(b"kind: Deployment\n", b"").split(b"\n", 2)[2]
    output = sized(variant)
    assert output.startswith(BOM)
    assert query_of(output)["resources"] == SIZED


def test_a_byte_order_mark_before_an_empty_first_document() -> None:
    variant = BOM + b"---\n# empty\n" + LIMITED_QUERY
    output = sized(variant)
    assert output.startswith(BOM + b"---\n# empty\n")
    assert query_of(output)["resources"] == SIZED


def test_merge_keys_in_the_targeted_container_patch_only_that_container() -> None:
    # `query` takes its image and resources from an anchored sidecar through `<<`. Sizing `query` must
    # leave the sidecar and a third container that aliases the same resources as they were.
    variant = with_containers("""\
                - &defaults
                  name: sidecar
                  image: thanos
                  resources: &small
                    limits:
                      memory: 1Gi
                - <<: *defaults
                  name: query
                - name: other
                  image: other
                  resources: *small
        """)
    output = sized(variant)
    deployment = load_all(output)[0]
    assert container(deployment, "query") == {"name": "query", "image": "thanos", "resources": SIZED}
    assert container(deployment, "sidecar")["resources"] == {"limits": {"memory": "1Gi"}}
    assert container(deployment, "other")["resources"] == {"limits": {"memory": "1Gi"}}
    assert b"- <<: *defaults\n" in output and b"resources: *small\n" in output  # kept as written
    assert sized(output) == output


def test_a_change_to_an_anchored_node_does_not_leak_into_its_aliases() -> None:
    # Here the anchor sits on the targeted container itself; the sidecar merges it.
    variant = with_containers("""\
                - &query
                  name: query
                  image: thanos
                  env: &env
                    - {name: A, value: "1"}
                - <<: *query
                  name: sidecar
                  env: *env
        """)
    output = sized(variant)
    deployment = load_all(output)[0]
    assert container(deployment, "query")["resources"] == SIZED
    assert container(deployment, "sidecar") == {
        "name": "sidecar",
        "image": "thanos",
        "env": [{"name": "A", "value": "1"}],
    }
    assert b"env: *env\n" in output
    assert sized(output) == output


def test_anchors_and_aliases_elsewhere_in_a_targeted_document_stay_as_written() -> None:
    variant = LIMITED_QUERY.replace(b"metadata:\n", b"metadata:\n  labels: &labels {app: thanos}\n") + (
        b"  selector:\n    matchLabels: *labels\n"
    )
    output, removed, added = patched_document(variant)
    assert (removed, added) == (REMOVED, ADDED)
    assert load_all(output)[0]["spec"]["selector"]["matchLabels"] == {"app": "thanos"}


def test_a_kind_list_is_searched_for_targeted_items() -> None:
    listed = textwrap.dedent("""\
        ---
        # Source: control-plane/templates/list.yaml
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: ConfigMap
            metadata: {name: runai-thanos-query}
          - apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: runai-thanos-query
            spec:
              template:
                spec:
                  containers:
                    - name: query
                      image: thanos
        """).encode()
    output = sized(CONFIGMAP + listed + CONFIGMAP)
    items = load_all(output)[1]["items"]
    assert items[0] == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "runai-thanos-query"}}
    assert container(items[1], "query")["resources"] == SIZED
    assert output.startswith(CONFIGMAP) and output.endswith(CONFIGMAP)


def test_documents_that_are_not_mappings_sit_next_to_targeted_ones() -> None:
    odd = b"--- plain text\n---\n- [kind, Deployment]\n--- 42\n---\n"
    output = sized(odd + LIMITED_QUERY + odd)
    assert output.startswith(odd) and output.endswith(odd)
    assert query_of(output[len(odd) : -len(odd)])["resources"] == SIZED


# ---------------------------------------------------------------- 4: resource exhaustion


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        pytest.param(bomb(9), "expand to more than", id="billion laughs"),
        pytest.param(bomb(30, width=2), "expand to more than", id="deep and narrow"),
        pytest.param(bomb(5, leaf="[]"), "more than 100,000 copied nodes", id="just under the expansion limit"),
        pytest.param(
            "m0: &m0 {a: 1}\n" + "".join(f"m{i}: &m{i} {{a: *m{i - 1}, b: *m{i - 1}}}\n" for i in range(1, 40)),
            "expand to more than",
            id="mappings",
        ),
    ],
)
def test_an_alias_bomb_in_a_targeted_document_is_refused(addition: str, message: str) -> None:
    # How fast: scripts/bench --hostile.
    with pytest.raises(InputError, match=message):
        run(LIMITED_QUERY + addition.encode(), LARGE)


def test_a_few_aliases_in_a_targeted_document_are_fine() -> None:
    _, removed, added = patched_document(LIMITED_QUERY + bomb(3).encode())
    assert (removed, added) == (REMOVED, ADDED)


@pytest.mark.parametrize(
    "addition",
    [
        pytest.param(b"deep: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", id="100,000 ["),
        pytest.param(b"deep: " + b"{a: " * 100_000 + b"1" + b"}" * 100_000 + b"\n", id="100,000 {"),
        pytest.param(b"deep: " + b"[" * 100_000 + b"\n", id="100,000 unclosed ["),
        pytest.param(b"deep:\n  " + b"- " * 50_000 + b"x\n", id="50,000 nested sequences on one line"),
        pytest.param(b"deep:\n  " + b"? " * 50_000 + b"x\n", id="50,000 nested complex keys"),
    ],
)
def test_deep_nesting_in_a_targeted_document_is_a_clean_error(addition: bytes) -> None:
    with pytest.raises(InputError, match=r"^document 1 \(Deployment/runai-backend-thanos-query\)"):
        run(LIMITED_QUERY + addition, LARGE)


def test_many_tiny_documents_pass_and_too_many_are_refused() -> None:
    # Each document costs memory and time however small it is; a million is far beyond any release.
    assert sized(b"---\n" * 200_000) == b"---\n" * 200_000
    with pytest.raises(InputError, match="more than 1,000,000 documents"):
        run(b"---\n" * 1_000_001, LARGE)


@pytest.mark.slow
def test_a_100_mb_stream_is_processed_in_memory_bounded_by_a_small_multiple_of_its_size(
    tmp_path: Path,
) -> None:
    secret = b"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: big\ndata:\n  blob: " + b"QUJD" * 7_500_000 + b"\n"
    filler = CONFIGMAP.replace(b'"value"', b"x" * 2000)
    count = (100_000_000 - len(secret)) // len(filler)
    data = secret + (filler * 49 + LIMITED_QUERY) * (count // 50)
    source, target = tmp_path / "in.yaml", tmp_path / "out.yaml"
    source.write_bytes(data)
    # Linux counts in a child's peak the memory of the process it was started from (the whole test session
    # here, hundreds of MB): a small Python process starts runai-size and reports its peak.
    measure = (
        "import os, subprocess, sys\n"
        "with open(sys.argv[1], 'rb') as i, open(sys.argv[2], 'wb') as o:\n"
        "    p = subprocess.Popen(sys.argv[3:], stdin=i, stdout=o)\n"
        "    _, status, usage = os.wait4(p.pid, 0)\n"
        "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", measure, str(source), str(target), RUNAI_SIZE, "--profile", "large", "--quiet"],
        capture_output=True,
        text=True,
        check=True,
    )
    status, kilobytes = map(int, done.stdout.split())
    assert status == 0
    peak = kilobytes * 1024  # kilobytes on Linux
    assert peak < 3 * len(data), f"peak RSS {peak / 1e6:.0f} MB for {len(data) / 1e6:.0f} MB of input"
    output = target.read_bytes()
    assert output.startswith(secret) and output.count(b"memory: 3G") == 2 * (count // 50)


# ---------------------------------------------------------------- 5: profile files are data


def profile_file(tmp_path: Path, text: str, name: str = "custom.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


BAD_PROFILES = {
    "a !!python/object tag": (
        """\
        rules:
          - name: evil
            match: {kind: Deployment}
            set:
              /spec/x: !!python/object/apply:os.system ["touch {marker}"]
        """,
        r"{path}, line 5: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object",
    ),
    "a set pointer without its leading /": (
        """\
        rules:
          - name: bad-pointer
            match: {kind: Deployment}
            set:
              spec/replicas: 3
        """,
        r"{path}, line 5, at rules/0/set: 'spec/replicas' does not match",
    ),
    "a patch path with a bad ~ escape": (
        """\
        rules:
          - name: bad-pointer
            match: {kind: Deployment}
            patch:
              - {op: replace, path: /spec/~2, value: 1}
        """,
        r"{path}, line 5, at rules/0/patch/0/path: '/spec/~2' does not match",
    ),
    "an unknown operation": (
        """\
        rules:
          - name: bad-op
            match: {kind: Deployment}
            patch:
              - {op: frobnicate, path: /spec/replicas, value: 3}
        """,
        r"{path}, line 5, at rules/0/patch/0/op: 'frobnicate' is not one of",
    ),
    "a kind that is a number": (
        """\
        rules:
          - name: bad-type
            match: {kind: 3}
            set: {/spec/replicas: 3}
        """,
        r"{path}, line 3, at rules/0/match/kind: 3 is not valid",
    ),
    "rules that are not a list": (
        "rules: {name: x}\n",
        r"{path}, line 1, at rules: .* is not of type 'array'",
    ),
    "a profile that is not a mapping": ("- just\n- a list\n", r"{path}: a profile is a mapping"),
    "malformed YAML": ("rules:\n  - name: [unclosed\n", r"{path}, line 3: expected ',' or ']'"),
    "duplicate keys": (
        "description: a\ndescription: b\n",
        r'{path}, line 2: found duplicate key "description"',
    ),
    "a reference to no value": (
        """\
        values: {a: 1}
        rules:
          - name: r
            match: {kind: Deployment}
            set: {/spec/replicas: "${b}"}
        """,
        r"profile '{path}', rule 'r': \$\{{b\}} names no value of the profile",
    ),
    "extends itself": ("extends: ./custom.yaml\n", r"profile extends itself: {path} -> {path}"),
}


@pytest.mark.parametrize(("text", "message"), list(BAD_PROFILES.values()), ids=list(BAD_PROFILES))
def test_a_bad_profile_file_gets_one_clear_line_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    marker = tmp_path / "pwned"
    path = profile_file(tmp_path, text.replace("{marker}", str(marker)))
    result = cli(["--profile", path], LIMITED_QUERY)
    assert_failed_cleanly(result, message.format(path=re.escape(path)))
    assert result.returncode == 2
    assert not marker.exists()


def test_an_extends_cycle_through_two_files_names_the_cycle(tmp_path: Path) -> None:
    first = profile_file(tmp_path, "extends: ./second.yaml\n", "first.yaml")
    second = profile_file(tmp_path, "extends: ./first.yaml\n", "second.yaml")
    result = cli(["--profile", first], LIMITED_QUERY)
    assert_failed_cleanly(result, re.escape(f"profile extends itself: {first} -> {second} -> {first}"))


def test_a_profile_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00r\x00u\x00l\x00e\x00s\x00")
    assert_failed_cleanly(cli(["--profile", str(path)], LIMITED_QUERY), re.escape(f"cannot read profile file '{path}'"))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "values:\n  l0: &a0 {k0: 1, k1: 1, k2: 1, k3: 1, k4: 1, k5: 1, k6: 1, k7: 1, k8: 1}\n"
            + "".join(f"  l{i}: &a{i} {{{', '.join(f'k{j}: *a{i - 1}' for j in range(9))}}}\n" for i in range(1, 9)),
            id="in values",
        ),
        pytest.param(
            "rules:\n  - name: r\n    match: {kind: Deployment}\n    set:\n      /spec/x:\n"
            "        l0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(f"        l{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)),
            id="in a rule",
        ),
    ],
)
def test_an_alias_bomb_in_a_profile_file_is_refused(tmp_path: Path, text: str) -> None:
    path = profile_file(tmp_path, text)
    result = cli(["--profile", path], LIMITED_QUERY)
    assert_failed_cleanly(result, r".*" + re.escape(path) + r".*its aliases expand to more than")


def test_deep_nesting_in_a_profile_file_is_a_profile_error(tmp_path: Path) -> None:
    path = profile_file(tmp_path, "values:\n  a: " + "[" * 1000 + "]" * 1000 + "\n")
    result = cli(["--profile", path], LIMITED_QUERY)
    assert_failed_cleanly(result, re.escape(path))
    assert result.returncode == 2


# ---------------------------------------------------------------- 6: process edges


def test_a_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    # runai-size --profile large < big.yaml | head -1
    big = tmp_path / "big.yaml"
    big.write_bytes((CONFIGMAP * 200 + LIMITED_QUERY) * 100)  # about 5 MB: far more than a pipe holds
    script = f'"{RUNAI_SIZE}" --profile large --quiet < "{big}" 2> "{tmp_path / "err"}" | head -1; '
    script += 'echo "${PIPESTATUS[0]}" > "' + str(tmp_path / "status") + '"'
    head = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60)
    assert head.stdout == b"---\n"
    assert (tmp_path / "status").read_text().strip() in ("141", "0")
    assert (tmp_path / "err").read_bytes() == b""


def _wait_until_reading_stdin(pid: int) -> None:
    """Until the process blocks in read(0, ...) (Linux /proc), or a moment where /proc cannot tell."""
    deadline = time.monotonic() + 10
    syscall = Path(f"/proc/{pid}/syscall")
    while time.monotonic() < deadline:
        try:
            if syscall.read_text().startswith("0 0x0 "):
                return
        except OSError:
            time.sleep(1.5)
            return
        time.sleep(0.02)


def test_sigint_ends_quietly_with_130() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RUNAI_SIZE_")}
    process = subprocess.Popen(
        [RUNAI_SIZE, "--profile", "large"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean,
    )
    assert process.stdin is not None
    process.stdin.write(LIMITED_QUERY)
    process.stdin.flush()
    _wait_until_reading_stdin(process.pid)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=10)
    assert (process.returncode, stdout, stderr) == (130, b"", b"")


def test_the_report_file_is_replaced_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("an older report\n")
    before = report.stat().st_ino
    result = cli(["--profile", "large", "--quiet", "--report", str(report)], LIMITED_QUERY)
    assert result.returncode == 0
    assert report.stat().st_ino != before  # a new file moved in place, not the old one rewritten
    assert '"error": null' in report.read_text()
    assert sorted(tmp_path.iterdir()) == [report]


@pytest.mark.parametrize("how", ["option", "environment"])
def test_on_an_error_the_report_file_holds_the_error(tmp_path: Path, how: str) -> None:
    report = tmp_path / "report.txt"
    args, env = (["--report", str(report)], {}) if how == "option" else ([], {"RUNAI_SIZE_REPORT": str(report)})
    result = cli(["--profile", "large", *args], LIMITED_QUERY + bomb(9).encode(), env=env)
    assert_failed_cleanly(result, "document 1")
    assert "error: document 1 (Deployment/runai-backend-thanos-query): its aliases expand" in report.read_text()
    assert sorted(tmp_path.iterdir()) == [report]


def test_an_unwritable_report_path_fails_before_any_output(tmp_path: Path) -> None:
    result = cli(["--profile", "large", "--report", str(tmp_path / "missing" / "report.txt")], LIMITED_QUERY)
    assert_failed_cleanly(result, r"cannot write the report to ")


# ---------------------------------------------------------------- found by the property tests and probes

BACKEND = textwrap.dedent("""\
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: runai-backend
      labels: {tier: api}
    spec:
      replicas: 1
      template:
        spec:
          containers:
            - name: backend
              image: backend
    """).encode()


def test_no_warning_of_the_yaml_library_reaches_stderr() -> None:
    # A reused anchor and a YAML 1.1 float are valid YAML; ruamel.yaml warns about both, at length.
    data = b"%YAML 1.1\n" + LIMITED_QUERY + b"x: &a 1\ny: &a 2\nz: 1e3\n"
    result = cli(["--profile", "large", "--quiet"], data)
    assert (result.returncode, result.stderr) == (0, b"")
    assert query_of(result.stdout)["resources"] == SIZED


def test_a_block_scalar_that_ends_the_stream_without_a_newline_keeps_its_value() -> None:
    # `- |` then `echo start` and the end of the stream: the value is "echo start" (no line break, as the
    # stream ends). Lines added after it would give it one; the document is then written as ruamel
    # renders it (`- |-`), which keeps the value.
    variant = with_containers("""\
        - name: query
          image: thanos
          args:
            - |
              echo start""")
    assert variant.endswith(b"echo start")
    output = sized(variant)
    assert query_of(output)["resources"] == SIZED
    assert query_of(output)["args"] == ["echo start"]
    assert sized(output) == output


def profile_with_two_autoscale_rules(tmp_path: Path) -> str:
    return profile_file(
        tmp_path,
        """\
        rules:
          - name: by-name
            match: {kind: Deployment, name: "*-backend"}
            autoscale: {minReplicas: 2, maxReplicas: 4, cpuUtilization: 70, cpuRequests: {"*": 100m}}
          - name: by-label
            match: {kind: Deployment, labels: {tier: api}}
            autoscale: {minReplicas: 3, maxReplicas: 6, cpuUtilization: 60}
        """,
    )


@pytest.mark.parametrize("case", ["two autoscale rules", "the same Deployment twice"])
def test_a_deployment_autoscaled_twice_gets_no_hpa_fields(tmp_path: Path, case: str) -> None:
    if case == "two autoscale rules":
        result = run(BACKEND, load_profile(profile_with_two_autoscale_rules(tmp_path)))
    else:
        result = run(BACKEND + BACKEND.replace(b"replicas: 1", b"replicas: 3"), LARGE)
    output = b"".join(bytes(piece) for piece in result.pieces)
    for doc in load_all(output):
        if doc["kind"] == "Deployment":
            assert set(doc["spec"]) == {"template"}, doc["spec"]
    assert [doc["kind"] for doc in load_all(output)].count("HorizontalPodAutoscaler") == 1


def test_an_hpa_added_after_a_crlf_document_without_a_final_newline_keeps_crlf() -> None:
    data = BACKEND.replace(b"\n", b"\r\n").rstrip(b"\r\n")
    output = sized(data)
    assert b"HorizontalPodAutoscaler" in output
    assert output.count(b"\n") == output.count(b"\r\n")


def test_an_hpa_added_before_a_document_without_a_marker_keeps_both_documents() -> None:
    bare = b"kind: ConfigMap\nmetadata:\n  name: bare\n"
    output = sized(BACKEND + b"...\n" + bare)
    assert [doc["kind"] for doc in load_all(output)] == ["Deployment", "HorizontalPodAutoscaler", "ConfigMap"]


@pytest.mark.parametrize("stdin", ["closed", "a terminal"])
def test_no_stream_on_stdin_is_one_line_not_a_traceback(stdin: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RUNAI_SIZE_")}
    if stdin == "closed":
        result = subprocess.run(
            ["bash", "-c", f'"{RUNAI_SIZE}" --profile large <&-'], capture_output=True, env=clean, timeout=60
        )
    else:
        main, terminal = os.openpty()
        try:
            result = subprocess.run(
                [RUNAI_SIZE, "--profile", "large"], stdin=terminal, capture_output=True, env=clean, timeout=60
            )
        finally:
            os.close(main)
            os.close(terminal)
    assert_failed_cleanly(result, r"reads a manifest stream on stdin")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(LIMITED_QUERY.replace(b"image: thanos", b"image: th\xffnos"), id="invalid UTF-8"),
        pytest.param(LIMITED_QUERY.replace(b"image: thanos", b"image: th\x00nos"), id="a NUL byte"),
    ],
)
def test_an_encoding_error_names_the_kind_and_name_of_its_document(data: bytes) -> None:
    with pytest.raises(InputError, match=r"^document 1 \(Deployment/runai-backend-thanos-query\)"):
        run(data, LARGE)


PROBE = """\
import json, os, sys
opened, network, variables = [], [], set()

def hook(event, args):
    if event == "open" and isinstance(args[0], str):
        opened.append(args[0])
    elif event.startswith("socket."):
        network.append(event)

sys.addaudithook(hook)
read = type(os.environ).__getitem__
def recording(self, key):
    variables.add(key)
    return read(self, key)
type(os.environ).__getitem__ = recording
from runai_postrender.cli.group import main
try:
    main(sys.argv[1:], prog_name="runai-size")
except SystemExit:
    pass
sys.stderr.write("\\nPROBE " + json.dumps({"opened": opened, "network": network, "variables": sorted(variables)}))
"""


def test_the_tool_reads_only_its_profiles_writes_only_stdout_and_the_report_and_uses_no_network(
    tmp_path: Path,
) -> None:
    import runai_postrender

    profile = profile_file(tmp_path, "extends: large\nvalues: {thanos: {query: {memory: 4G}}}\n", "profile.yaml")
    report = tmp_path / "report.txt"
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    env = {"PATH": os.environ["PATH"], "RUNAI_SIZE_REPORT": str(report), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(probe), "--profile", profile],
        input=LIMITED_QUERY,
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stderr.decode().rsplit("PROBE ", 1)[1])
    package = Path(runai_postrender.__file__).parent
    builtins = [str(path) for path in (ROOT / "profiles").iterdir()] + [str(path) for path in package.iterdir()]
    python = (sys.prefix, sys.base_prefix, str(package), str(ROOT / "profiles" / "__pycache__"))
    others = [path for path in seen["opened"] if not path.startswith(python) and path not in builtins]
    assert [Path(path).name for path in others if not path.startswith(str(tmp_path / ".report.txt."))] == [
        "profile.yaml"
    ]
    assert sorted(tmp_path.iterdir()) == sorted([Path(profile), report, probe])
    assert seen["network"] == []
    ours = {name for name in seen["variables"] if name.startswith("RUNAI_SIZE")}
    assert ours <= {"RUNAI_SIZE_PROFILE", "RUNAI_SIZE_SET", "RUNAI_SIZE_REPORT", "RUNAI_SIZE_RUNAI_VERSION"}
    libraries = {"LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "RUAMEL_DEBUG", "YAMLDEBUG", "_RUNAI_SIZE_COMPLETE"}
    assert set(seen["variables"]) - ours <= libraries
