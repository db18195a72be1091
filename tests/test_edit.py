"""Text edits on a parsed document: only what changed is rewritten, in the document's own style."""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from runai_postrender import emit
from runai_postrender.reader import compose, construct, shares
from runai_postrender.textedit import Unsupported, rewrite


def edited(text: str, change: Callable[[Any], None], style: emit.Style | None = None) -> str:
    text = textwrap.dedent(text)
    node = compose(text)
    old = construct(node)
    new = copy.deepcopy(old)
    change(new)
    return rewrite(text, node, old, new, style or emit.Style(mapping=2, offset=2))


def test_a_replaced_scalar_keeps_its_quotes_and_its_comment() -> None:
    text = "a: \"1Gi\"   # keep\nb: 'x'\nc: 1\n"

    def change(d: Any) -> None:
        d.update(a="3G", b="y", c=2)

    assert edited(text, change) == "a: \"3G\"   # keep\nb: 'y'\nc: 2\n"


def test_a_string_that_would_read_as_another_type_is_quoted() -> None:
    assert edited("a: x\n", lambda d: d.update(a="1")) == "a: '1'\n"
    assert edited("a: x\n", lambda d: d.update(a="on")) == "a: 'on'\n"
    assert edited("a: x\n", lambda d: d.update(a="3G")) == "a: 3G\n"


def test_a_removed_key_takes_its_lines_and_nothing_else() -> None:
    text = """\
        spec:
          replicas: 1  # gone with it
          # a comment about the selector stays
          selector:
            matchLabels: {app: x}
        """
    assert edited(text, lambda d: d["spec"].pop("replicas")) == textwrap.dedent("""\
        spec:
          # a comment about the selector stays
          selector:
            matchLabels: {app: x}
        """)


def test_added_keys_go_below_their_siblings_in_the_documents_indentation() -> None:
    text = """\
        containers:
          - name: query
            resources:
              limits:
                memory: 1Gi
            # trailing comment
        other: 1
        """

    def change(d: Any) -> None:
        d["containers"][0]["resources"]["limits"]["cpu"] = 1
        d["containers"][0]["resources"]["requests"] = {"cpu": 1, "memory": "3G"}

    assert edited(text, change) == textwrap.dedent("""\
        containers:
          - name: query
            resources:
              limits:
                memory: 1Gi
                cpu: 1
              requests:
                cpu: 1
                memory: 3G
            # trailing comment
        other: 1
        """)


def test_an_empty_flow_mapping_becomes_a_block_and_a_full_one_stays_flow() -> None:
    assert edited("r: {}\nx: 1\n", lambda d: d["r"].update(limits={"cpu": 1})) == "r:\n  limits:\n    cpu: 1\nx: 1\n"
    assert edited("r: {a: 1}\n", lambda d: d["r"].update(b={"c": "d"})) == "r: {a: 1, b: {c: d}}\n"


def test_a_list_that_changes_length_is_rewritten_in_the_sequence_style_of_the_document() -> None:
    text = "m:\n- a: 1\n  b: 2\nz: 0\n"
    out = edited(text, lambda d: d.update(m=[{"a": 1}, {"a": 2}]), emit.Style(offset=0))
    assert out == "m:\n- a: 1\n- a: 2\nz: 0\n"


def test_a_null_value_becomes_a_block_below_its_key() -> None:
    assert edited("r: null\nx: 1\n", lambda d: d.update(r={"a": 1})) == "r:\n  a: 1\nx: 1\n"


def test_crlf_documents_get_crlf_lines() -> None:
    text = "a:\r\n  b: 1\r\n"
    out = edited(text, lambda d: d["a"].update(c=2), emit.Style(newline="\r\n"))
    assert out == "a:\r\n  b: 1\r\n  c: 2\r\n"


def test_non_ascii_and_long_lines_are_left_alone() -> None:
    long = "x" * 300
    text = f'note: "Grüße — ça marche"\nlong: {long}\ncount: 1\n'
    assert edited(text, lambda d: d.update(count=2)) == f'note: "Grüße — ça marche"\nlong: {long}\ncount: 2\n'


@pytest.mark.parametrize(
    "text",
    ["a: &x {b: 1}\nc: *x\n", "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n", "a: !custom 1\n"],
    ids=["alias", "merge-key", "tag"],
)
def test_documents_the_editor_cannot_keep_exact_are_left_to_the_round_trip_path(text: str) -> None:
    node = compose(text)
    assert node is not None and shares(node)
    assert not shares(compose("a: {b: 1}\nc: [1, 2]\n"))  # type: ignore[arg-type]


def test_a_block_scalar_being_replaced_is_left_to_the_round_trip_path() -> None:
    with pytest.raises(Unsupported):
        edited("a: |\n  text\nb: 1\n", lambda d: d.update(a="other"))


def test_keys_after_a_block_scalar_are_added_after_its_last_line() -> None:
    out = edited("m:\n  a: |\n    text\n\n  b: 1\n", lambda d: d["m"].update(c=2))
    assert out == "m:\n  a: |\n    text\n\n  b: 1\n  c: 2\n"
    out = edited("m:\n  a: |\n    text\nz: 0\n", lambda d: d["m"].update(c=2))
    assert out == "m:\n  a: |\n    text\n  c: 2\nz: 0\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_an_empty_mapping_alone_on_the_next_line_becomes_a_block_without_a_blank_line(newline: str) -> None:
    # Helm's `resources: {{- toYaml .Values.resources | nindent 12 }}` renders `{}` on a line of its own.
    text = "c:\n  resources:\n    {}\n  image: x\n".replace("\n", newline)
    out = edited(text, lambda d: d["c"]["resources"].update(requests={"cpu": "100m"}), emit.Style(newline=newline))
    assert out == "c:\n  resources:\n    requests:\n      cpu: 100m\n  image: x\n".replace("\n", newline)
