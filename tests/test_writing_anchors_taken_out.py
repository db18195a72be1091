"""An edit that takes out the text defining an anchor (a key or a list item removed, a value rewritten, with
the anchored node inside) writes out the aliases of it that stay, each with what it stands for, as the
round trip would: an alias must not be left without its anchor."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from runai_postrender.documents.stream import Span
from runai_postrender.documents.style import Style
from runai_postrender.reading.load import load
from runai_postrender.reading.reader import compose, construct
from runai_postrender.writers import write
from runai_postrender.writers.textedit import Shared, edit
from tests.conftest import run_profile_file

CASES: dict[str, tuple[str, Callable[[Any], Any], str]] = {
    "an anchored scalar's key removed": ("a: &x 1\nc: *x\n", lambda d: d.pop("a"), "c: 1\n"),
    "an anchored mapping's key removed": ("a: &x {p: 1}\nc: *x\n", lambda d: d.pop("a"), "c:\n  p: 1\n"),
    "the anchor inside a value replaced by a scalar": (
        "a:\n  b: &x 1\nc: *x\n",
        lambda d: d.update(a=5),
        "a: 5\nc: 1\n",
    ),
    "the anchor inside a mapping emptied": (
        "a:\n  b: &x {p: 1}\n  d: 2\nc: *x\n",
        lambda d: d.update(a={}),
        "a: {}\nc:\n  p: 1\n",
    ),
    "the anchor inside a mapping becoming a list": (
        "a:\n  b: &x {p: 1}\n  d: 2\nc: *x\n",
        lambda d: d.update(a=[1]),
        "a:\n- 1\nc:\n  p: 1\n",
    ),
    "an anchored list item removed": (
        "l:\n- &x {p: 1}\n- 2\nc: *x\n",
        lambda d: d["l"].pop(0),
        "l:\n- 2\nc:\n  p: 1\n",
    ),
    "an anchor in a list item removed": (
        "l:\n- q: &x {p: 1}\n- 2\nc: [*x]\n",
        lambda d: d["l"].pop(0),
        "l:\n- 2\nc: [{p: 1}]\n",
    ),
    "an anchor in a flow list rewritten": (
        "a: [&x {p: 1}, 2]\nc: *x\n",
        lambda d: d.update(a=[3]),
        "a:\n- 3\nc:\n  p: 1\n",
    ),
    "an alias taken out with its anchor": ("a:\n  b: &x 1\n  c: *x\nd: 2\n", lambda d: d.pop("a"), "d: 2\n"),
    "one alias taken out, one staying": (
        "a: &x {p: 1}\nb: *x\nc: *x\n",
        lambda d: (d.pop("a"), d.pop("b")),
        "c:\n  p: 1\n",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_aliases_of_an_anchor_an_edit_takes_out_are_written_out(case: str) -> None:
    text, change, expected = CASES[case]
    data = text.encode()
    doc = load(data, Span(1, 0, len(data))).replaced(style=Style(mapping=2, offset=0))
    new = copy.deepcopy(doc.data)
    change(new)
    doc.data = new
    result = write.write_back(doc)  # (it reads the text written back)
    assert result is not None
    assert result == (expected.encode(), write.TEXT_EDITS)


def test_on_the_whole_node_tree_the_round_trip_writes_it() -> None:
    # the whole node tree has no alias stubs to write out: the change goes to the round trip
    text = "a:\n  b: &x 1\nc: *x\n"
    node = compose(text)
    assert node is not None
    with pytest.raises(Shared):
        edit(text, node, construct(node), {"a": 5, "c": 1}, Style())


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  labels: &labels
    app: app
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
"""
PROFILE = """\
rules:
  - name: no-labels
    match: {kind: Deployment}
    patch:
      - {op: remove, path: /metadata/labels}
"""


def test_the_cli_removes_an_anchored_mapping_whose_aliases_stay(tmp_path: Path) -> None:
    result = run_profile_file(tmp_path, PROFILE, DEPLOYMENT)
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load(result.stdout)
    assert "labels" not in written["metadata"]
    assert written["spec"]["selector"]["matchLabels"] == {"app": "app"}
    assert written["spec"]["template"]["metadata"]["labels"] == {"app": "app"}
    assert b"&" not in result.stdout and b"*" not in result.stdout
