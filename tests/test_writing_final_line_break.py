"""A text without a final line break keeps its end as its data needs it: where removals leave a block
scalar (`|`, `|+`, `>`) at the end of the text, the line break its value ends with stays; `|-` needs none,
and a text that ends as before ends without one as before."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from runai_postrender.documents.stream import Span
from runai_postrender.reading.load import load
from runai_postrender.reading.readback import check
from runai_postrender.reading.reader import compose, construct
from runai_postrender.writers import write
from runai_postrender.writers.textedit import edit
from tests.conftest import run_cli, run_profile_file


def written(text: str, change: Callable[[Any], None]) -> str:
    """The text as write.write_back writes it (text edits that read back as the new data); the whole
    node tree gives the same text."""
    data = text.encode()
    doc = load(data, Span(1, 0, len(data)))
    new = copy.deepcopy(doc.data)
    change(new)
    doc.data = new
    result = write.write_back(doc)
    assert result is not None and result[1] == write.TEXT_EDITS
    out = result[0].decode()
    check(out, new)
    node = compose(text)
    assert node is not None
    assert edit(text, node, construct(node), new, doc.style) == out
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: |\n  beta\nb: 43", "a: |\n  beta\n"),
        ("a: |2\n  beta\nb: 43", "a: |2\n  beta\n"),
        ("a: >\n  beta\nb: 43", "a: >\n  beta\n"),
        ("a: |+\n  beta\nb: 43", "a: |+\n  beta\n"),
        ("a: |+\n  beta\n\n\nb: 43", "a: |+\n  beta\n\n\n"),  # (its blank lines are its value's)
        ("a: |-\n  beta\nb: 43", "a: |-\n  beta"),
        ("a: >-\n  beta\nb: 43", "a: >-\n  beta"),
        ("a: |\n  beta\n# a comment\nb: 43", "a: |\n  beta\n# a comment"),  # (the comment's line holds it)
        ("a: |\r\n  beta\r\nb: 43", "a: |\r\n  beta\r\n"),
    ],
    ids=[
        "clip",
        "indentation indicator",
        "folded",
        "keep",
        "keep, blank lines",
        "strip",
        "folded strip",
        "comment",
        "CRLF",
    ],
)
def test_a_block_scalar_left_at_the_end_of_a_text_without_a_final_line_break_keeps_its_value(
    text: str, expected: str
) -> None:
    assert written(text, lambda d: d.pop("b")) == expected


@pytest.mark.parametrize(
    ("text", "change", "expected"),
    [
        (
            "m:\n  a: |\n    beta\n  b: 1\n  c: 2",
            lambda d: (d["m"].pop("b"), d["m"].pop("c")),
            "m:\n  a: |\n    beta\n",
        ),
        ("m:\n  a: |\n    beta\nz: 1", lambda d: d.pop("z"), "m:\n  a: |\n    beta\n"),
        ("l:\n- |\n  beta\n- x", lambda d: d["l"].pop(), "l:\n- |\n  beta\n"),
        ("l:\n- a: |\n    beta\n  b: 1", lambda d: d["l"][0].pop("b"), "l:\n- a: |\n    beta\n"),
        ("a: |\n  beta\nb: 43", lambda d: (d.pop("b"), d.update(c=1)), "a: |\n  beta\nc: 1"),
        ("a: x\nb: 43", lambda d: d.pop("b"), "a: x"),
        ("a: [x]\nb: 43", lambda d: d.pop("b"), "a: [x]"),
        ("a: 1\nb: [x, y]", lambda d: d.update(b=["x"]), "a: 1\nb:\n- x"),
        ("a: 1\nb: {x: y}", lambda d: d["b"].update(z=1), "a: 1\nb: {x: y, z: 1}"),
        ("a: 1\nb: {x: y}", lambda d: d.update(c=1), "a: 1\nb: {x: y}\nc: 1"),
    ],
    ids=[
        "the keys after it removed",
        "the mapping after its own",
        "the last item after it",
        "in a list item",
        "a key added after the ones removed",
        "a plain scalar left at the end",
        "a flow list left at the end",
        "a flow list at the end rewritten",
        "a flow mapping at the end gaining a key",
        "a key added after a flow mapping",
    ],
)
def test_the_end_of_a_text_without_a_final_line_break(text: str, change: Callable[[Any], Any], expected: str) -> None:
    assert written(text, change) == expected


@pytest.mark.parametrize("indicator", ["|", "|+", ">"])
def test_the_round_trip_keeps_the_line_break_of_a_block_scalar_it_leaves_at_the_end(indicator: str) -> None:
    # (an anchored scalar that changes: the round trip writes the document)
    text = f"x: &x 1\ny: *x\na: {indicator}\n  beta\nb: 43"
    data = text.encode()
    doc = load(data, Span(1, 0, len(data)))
    doc.data = {**doc.data, "x": 2}
    del doc.data["b"]
    result = write.write_back(doc)
    assert result is not None and result[1] == write.ROUND_TRIP
    assert result[0].decode().endswith(f"a: {indicator}\n  beta\n")
    assert yaml.safe_load(result[0]) == {"x": 2, "y": 1, "a": "beta\n"}


PROFILE = """\
rules:
  - name: drop-b
    match: {kind: ConfigMap}
    patch:
      - {op: remove, path: /data/b}
"""
CONFIG_MAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: |\n    beta\n  b: "43"'


@pytest.mark.parametrize(
    "stream",
    [CONFIG_MAP, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: y\n---\n" + CONFIG_MAP],
    ids=["alone", "the last of two"],
)
def test_the_cli_keeps_the_value_of_a_block_scalar_left_last_in_a_stream_without_a_final_line_break(
    tmp_path: Path, stream: str
) -> None:
    result = run_profile_file(tmp_path, PROFILE, stream)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (stream[: -len('  b: "43"')]).encode()
    assert list(yaml.safe_load_all(result.stdout))[-1]["data"] == {"a": "beta\n"}


def test_the_cli_keeps_the_value_of_a_block_scalar_left_last_in_a_document_before_another(tmp_path: Path) -> None:
    (tmp_path / "profile.yaml").write_text(PROFILE)
    stream = CONFIG_MAP + "\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: y"
    result = run_cli(["-p", str(tmp_path / "profile.yaml")], stream.encode())
    assert result.returncode == 0, result.stderr
    assert result.stdout == stream.replace('  b: "43"\n', "").encode()
    assert next(yaml.safe_load_all(result.stdout))["data"] == {"a": "beta\n"}
