"""The sniffer: kind, name and namespace read from a document's bytes, or UNKNOWN where in doubt.

A document sniffed as not targeted is never parsed, so every answer other than UNKNOWN must be exactly
what a YAML parser reads. Each case below is checked twice: against the expected answer, and against
ruamel.yaml's reading of the same document.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from ruamel.yaml import YAML

from runai_postrender.documents import sniff
from runai_postrender.documents.sniff import UNKNOWN
from runai_postrender.documents.stream import BOM

Metadata = tuple[str | None, str | None] | str


def sniffed(data: bytes) -> tuple[str | None, Metadata]:
    """What the pipeline asks: kind, then name and namespace; both only of a regular document."""
    start = len(BOM) if data.startswith(BOM) else 0
    end = len(data)
    if not sniff.is_regular(data, start, end):
        return UNKNOWN, UNKNOWN
    return sniff.sniff_kind(data, start, end), sniff.sniff_metadata(data, start, end)


def parsed(data: bytes) -> tuple[str | None, Metadata]:
    """The same, read by ruamel.yaml (values as the pipeline turns them into text)."""
    tree: Any = YAML(typ="rt", pure=True).load(data.decode("utf-8-sig"))
    if not isinstance(tree, dict):
        return None, (None, None)

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    metadata = tree.get("metadata")
    if not isinstance(metadata, dict):
        return text(tree.get("kind")), (None, None)
    return text(tree.get("kind")), (text(metadata.get("name")), text(metadata.get("namespace")))


def doc(text: str) -> bytes:
    return textwrap.dedent(text).encode()


PLAIN = doc("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: runai-thanos-query
      namespace: runai
      labels:
        name: not-this-one
    spec: {}
    """)

CASES: dict[str, tuple[bytes, str | None, Metadata]] = {
    "plain block mapping": (PLAIN, "Deployment", ("runai-thanos-query", "runai")),
    "with a --- line and a comment": (
        b"---\n# Source: x\n" + PLAIN,
        "Deployment",
        ("runai-thanos-query", "runai"),
    ),
    "CRLF": (PLAIN.replace(b"\n", b"\r\n"), "Deployment", ("runai-thanos-query", "runai")),
    "four-space indentation": (
        doc("""\
            kind: Service
            metadata:
                namespace: runai
                name: web
            """),
        "Service",
        ("web", "runai"),
    ),
    "quoted values": (
        doc("""\
            kind: "ConfigMap"
            metadata:
              name: 'it''s'
            """),
        "ConfigMap",
        ("it's", None),
    ),
    "comments after values and after metadata:": (
        doc("""\
            kind: Secret  # a comment
            metadata: # a comment
              # a comment line
              name: s  # a comment
            """),
        "Secret",
        ("s", None),
    ),
    "no kind": (b"apiVersion: v1\ndata: {}\n", None, (None, None)),
    "no metadata": (b"kind: List\nitems: []\n", "List", (None, None)),
    "a byte-order mark and kind on the first line": (
        BOM + b"kind: Deployment\nmetadata:\n  name: x-thanos-query\n",
        "Deployment",
        ("x-thanos-query", None),
    ),
    "name inside a block scalar is not the name": (
        doc("""\
            kind: ConfigMap
            metadata:
              annotations:
                note: |
                  name: fake
              name: real
            """),
        "ConfigMap",
        ("real", None),
    ),
    # Irregular documents: the sniffer must not answer.
    "lone CR line endings": (PLAIN.replace(b"\n", b"\r"), UNKNOWN, UNKNOWN),
    "flow mapping": (b'{"kind": "Deployment", "metadata": {"name": "x"}}\n', UNKNOWN, UNKNOWN),
    "quoted top-level key": (b'"kind": Deployment\nmetadata:\n  name: x\n', UNKNOWN, UNKNOWN),
    "complex key": (b"? kind\n: Deployment\n", UNKNOWN, UNKNOWN),
    "merge key at the top": (b"<<: {kind: Deployment}\nmetadata:\n  name: x\n", UNKNOWN, UNKNOWN),
    "two kind keys": (b"kind: Deployment\nkind: Service\n", UNKNOWN, (None, None)),
    "kind with a tag": (b"kind: !!str Deployment\n", UNKNOWN, (None, None)),
    "kind with an anchor": (b"kind: &k Deployment\n", UNKNOWN, (None, None)),
    "kind with an escape": (b'kind: "Deploy\\x6dent"\n', UNKNOWN, (None, None)),
    "kind on the next line": (b"kind:\n  Deployment\n", UNKNOWN, (None, None)),
    "kind continued on the next line": (
        b"kind: Deploy\n  ment\nmetadata:\n  name: x\n",
        UNKNOWN,
        ("x", None),
    ),
    "kind that is a number": (b"kind: 1e3\n", UNKNOWN, (None, None)),
    "kind that is a boolean": (b"kind: true\n", UNKNOWN, (None, None)),
    "metadata inline": (b"kind: Deployment\nmetadata: {name: x-thanos-query}\n", "Deployment", UNKNOWN),
    "metadata with an anchor": (
        b"kind: Deployment\nmetadata: &m\n  name: x-thanos-query\n",
        "Deployment",
        UNKNOWN,
    ),
    "metadata as an alias": (b"kind: Deployment\nx: &m {name: a}\nmetadata: *m\n", "Deployment", UNKNOWN),
    "metadata with a tag": (b"kind: Deployment\nmetadata: !!map\n  name: x\n", "Deployment", UNKNOWN),
    "metadata null": (b"kind: Deployment\nmetadata:\nspec: {}\n", "Deployment", UNKNOWN),
    "two metadata keys": (
        b"kind: Deployment\nmetadata:\n  name: a\nmetadata:\n  name: b\n",
        "Deployment",
        UNKNOWN,
    ),
    "name continued on the next line": (
        b"kind: Deployment\nmetadata:\n  name: rel\n    -thanos-query\n",
        "Deployment",
        UNKNOWN,
    ),
    "quoted name key": (b'kind: Deployment\nmetadata:\n  "name": x-thanos-query\n', "Deployment", UNKNOWN),
    "name key with a space before the colon": (
        b"kind: Deployment\nmetadata:\n  name : x-thanos-query\n",
        "Deployment",
        UNKNOWN,
    ),
    "name from a merge key": (
        b"kind: Deployment\nx: &m {name: x-thanos-query}\nmetadata:\n  <<: *m\n",
        "Deployment",
        UNKNOWN,
    ),
    "name as a complex key": (
        b"kind: Deployment\nmetadata:\n  ? name\n  : x-thanos-query\n",
        "Deployment",
        UNKNOWN,
    ),
    "name with an anchor": (b"kind: Deployment\nmetadata:\n  name: &n x\n", "Deployment", UNKNOWN),
    "name that is a number": (b"kind: Deployment\nmetadata:\n  name: 1e3\n", "Deployment", UNKNOWN),
    "name that is null": (b"kind: Deployment\nmetadata:\n  name: ~\n", "Deployment", UNKNOWN),
    "two name keys": (b"kind: Deployment\nmetadata:\n  name: a\n  name: b\n", "Deployment", UNKNOWN),
    "a line between metadata: and its keys": (
        b"kind: Deployment\nmetadata:\n    name: a\n  x: 1\n",
        "Deployment",
        UNKNOWN,
    ),
}


@pytest.mark.parametrize(("data", "kind", "metadata"), list(CASES.values()), ids=list(CASES))
def test_sniffer_answers_or_says_unknown(data: bytes, kind: str | None, metadata: Metadata) -> None:
    assert sniffed(data) == (kind, metadata)


# Cases that are not valid YAML for ruamel.yaml (duplicate keys, a key that is not one): nothing to compare.
INVALID = {"two kind keys", "two metadata keys", "two name keys", "a line between metadata: and its keys"}


@pytest.mark.parametrize(
    "data",
    [data for name, (data, _, _) in CASES.items() if name not in INVALID],
    ids=[name for name in CASES if name not in INVALID],
)
def test_every_answer_of_the_sniffer_is_what_the_parser_reads(data: bytes) -> None:
    kind, metadata = sniffed(data)
    real_kind, real_metadata = parsed(data)
    if kind != UNKNOWN:
        assert kind == real_kind
    if metadata != UNKNOWN:
        assert metadata == real_metadata


def test_the_sniffer_reads_only_its_own_document() -> None:
    data = b"kind: A\nmetadata:\n  name: a\n---\nkind: B\nmetadata:\n  name: b\n"
    middle = data.index(b"---")
    assert sniff.sniff_kind(data, 0, middle) == "A"
    assert sniff.sniff_kind(data, middle, len(data)) == "B"
    assert sniff.sniff_metadata(data, middle, len(data)) == ("b", None)
