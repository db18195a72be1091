"""Rare layouts are written as minimal text edits, as any other: a key written after `?` (an explicit key,
its value after `:` on a line of its own, or no value at all), a node that does not start its line (after
`- `, `? ` or `: `: `- - a`, `- name: q`, or a document after `--- `), and keys removed whose texts run into
each other's (edits that would overlap). Each case is the smallest input with the layout and a change
the rules make (keys added, removed, a value replaced by a collection); the whole text written is pinned,
the writer is the text editor, and the text reads back as the new data, as Helm's own reader reads it."""

from __future__ import annotations

import copy
import json
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runai_postrender.documents.stream import Span
from runai_postrender.documents.style import Style
from runai_postrender.reading.load import load
from runai_postrender.reading.readback import check
from runai_postrender.reading.reader import compose, construct
from runai_postrender.writers import write
from runai_postrender.writers.textedit import edit
from tests.helm_support import clean_environment, helm_binary

Change = Callable[[Any], Any]  # the new data, made from a copy of the old one


def written(text: str, change: Change) -> tuple[str, str, Any]:
    """The document's text as write.write_back writes it with `change` made to its data, the writer as the
    report names it, and the new data; the text must read back as the new data, and the whole node tree
    (the editor's other source of positions) must give the same text."""
    text = textwrap.dedent(text)
    data = text.encode()
    doc = load(data, Span(1, 0, len(data))).replaced(style=Style(mapping=2, offset=2))
    new = change(copy.deepcopy(doc.data))
    doc.data = new
    result = write.write_back(doc)
    assert result is not None
    out = result[0].decode()
    check(out, new)
    node = compose(text)
    assert node is not None
    assert edit(text, node, construct(node), new, doc.style) == out
    return out, result[1], new


def at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def put(*path: Any, value: Any) -> Change:
    def change(data: Any) -> Any:
        if not path:
            return value
        at(data, path[:-1])[path[-1]] = value
        return data

    return change


def drop(*path: Any) -> Change:
    def change(data: Any) -> Any:
        del at(data, path[:-1])[path[-1]]
        return data

    return change


def add(*path: Any, **keys: Any) -> Change:
    def change(data: Any) -> Any:
        at(data, path).update(keys)
        return data

    return change


def insert(*path: Any, value: Any) -> Change:
    def change(data: Any) -> Any:
        at(data, path[:-1]).insert(path[-1], value)
        return data

    return change


def both(*changes: Change) -> Change:
    def change(data: Any) -> Any:
        for each in changes:
            data = each(data)
        return data

    return change


LIMITS = {"limits": {"cpu": 1}}

# layout: (input, change, the whole text written)
LAYOUTS: dict[str, tuple[str, Change, str]] = {
    # ---- a key written after `?`
    # the mapping's column is the `?`'s, not its first key's
    "keys at uneven columns (the first key written after `?`)": (
        """\
        containers:
          - ? name
            : query
            ? image
            : thanos
        """,
        add("containers", 0, resources=LIMITS),
        """\
        containers:
          - ? name
            : query
            ? image
            : thanos
            resources:
              limits:
                cpu: 1
        """,
    ),
    "removing a key written after `?`": (
        """\
        resources:
          ? limits
          : {cpu: 1}
          requests: {cpu: 1}
        """,
        drop("resources", "limits"),
        """\
        resources:
          requests: {cpu: 1}
        """,
    ),
    "removing the first key written after `?` of a mapping that shares its first line": (
        """\
        containers:
          - ? name
            : query
            ? image
            : thanos
        """,
        drop("containers", 0, "name"),
        """\
        containers:
          - ? image
            : thanos
        """,
    ),
    # the `?` is found between the nodes, outside comments: a comment ending in `?` is none
    "removing a key after a comment that ends in `?`": (
        """\
        resources:
          requests: {cpu: 1}  # why?
          limits: {cpu: 1}
        """,
        drop("resources", "limits"),
        """\
        resources:
          requests: {cpu: 1}  # why?
        """,
    ),
    "removing a key written after `?` on the line above it": (
        """\
        resources:
          ?  # the limits
            limits
          : {cpu: 1}
          requests: {cpu: 1}
        """,
        drop("resources", "limits"),
        """\
        resources:
          requests: {cpu: 1}
        """,
    ),
    # `? key` without a `:` line: libyaml puts its null where the next key starts
    "removing a key written after `?` without a value": (
        """\
        resources:
          ? limits
          requests: {cpu: 1}
        """,
        drop("resources", "limits"),
        """\
        resources:
          requests: {cpu: 1}
        """,
    ),
    "keys added after a key written after `?` without a value": (
        """\
        resources:
          ? limits
        spec: {}
        """,
        add("resources", requests={"cpu": 1}),
        """\
        resources:
          ? limits
          requests:
            cpu: 1
        spec: {}
        """,
    ),
    "a value given to a key written after `?` without one": (
        """\
        resources:
          ? limits  # none yet
          requests: {cpu: 1}
        """,
        put("resources", "limits", value={"cpu": 1, "memory": "1Gi"}),
        """\
        resources:
          ? limits  # none yet
          : cpu: 1
            memory: 1Gi
          requests: {cpu: 1}
        """,
    ),
    "a value after `:` on a line of its own becoming a block": (
        """\
        resources:
          ? limits
          : null
        """,
        put("resources", "limits", value={"cpu": 1}),
        """\
        resources:
          ? limits
          :
            cpu: 1
        """,
    ),
    # `{}` at the `:`'s column, on a line of its own, would not be the key's value
    "a list at the column of the `:` before it emptied": (
        """\
        ? args
        :
        - --query
        - --store
        """,
        put("args", value=[]),
        """\
        ? args
        : []
        """,
    ),
    # ---- a node that does not start its line
    "removing the last key of a mapping that shares its first line": (
        """\
        items:
          - replicas: 1
        """,
        put("items", 0, value={"resources": LIMITS}),
        """\
        items:
          - resources:
              limits:
                cpu: 1
        """,
    ),
    "a list item's mapping emptied": (
        """\
        items:
          - replicas: 1  # one
          - name: query
        """,
        drop("items", 0, "replicas"),
        """\
        items:
          - {}  # one
          - name: query
        """,
    ),
    "a list item's empty mapping gaining keys": (
        """\
        items:
          - {}
        """,
        add("items", 0, replicas=1, resources=LIMITS),
        """\
        items:
          - replicas: 1
            resources:
              limits:
                cpu: 1
        """,
    ),
    "a block collection that starts after other text": (
        """\
        items:
          - name: query
            image: thanos
        """,
        put("items", 0, value=["query", "thanos"]),
        """\
        items:
          - - query
            - thanos
        """,
    ),
    "a list item that does not start its line": (
        """\
        items:
          - - query
            - thanos
        """,
        drop("items", 0, 0),
        """\
        items:
          - - thanos
        """,
    ),
    "the first two items of a list that shares its first line removed": (
        """\
        items:
          - - query
            - thanos
            - store
        """,
        both(drop("items", 0, 0), drop("items", 0, 0)),
        """\
        items:
          - - store
        """,
    ),
    "an item inserted before a list item that does not start its line": (
        """\
        items:
          - - query
        """,
        insert("items", 0, 0, value={"name": "thanos", "image": "quay.io/thanos"}),
        """\
        items:
          - - name: thanos
              image: quay.io/thanos
            - query
        """,
    ),
    "a list item's list emptied": (
        """\
        items:
          - - query
            - thanos
          - store
        """,
        put("items", 0, value=[]),
        """\
        items:
          - []
          - store
        """,
    ),
    "a list item's scalar becoming a mapping": (
        """\
        items:
          - query  # the query
        """,
        put("items", 0, value={"name": "query", "resources": LIMITS}),
        """\
        items:
          - name: query
            resources:
              limits:
                cpu: 1  # the query
        """,
    ),
    "a list item's flow list growing": (
        """\
        items:
          - [query, thanos]
        """,
        insert("items", 0, 2, value="store"),
        """\
        items:
          - - query
            - thanos
            - store
        """,
    ),
    "a list item below its dash emptied": (
        """\
        items:
          -  # the query
            replicas: 1
        """,
        drop("items", 0, "replicas"),
        """\
        items:
          -  # the query
            {}
        """,
    ),
    "a list item below its dash removed": (
        """\
        items:
          -
            replicas: 1
          - name: query
        """,
        drop("items", 0),
        """\
        items:
          - name: query
        """,
    ),
    "a key that shares its line with a dash, its empty mapping gaining keys": (
        """\
        containers:
          - resources: {}
            name: query
        """,
        add("containers", 0, "resources", limits={"cpu": 1}),
        """\
        containers:
          - resources:
              limits:
                cpu: 1
            name: query
        """,
    ),
    "a key that shares its line with a dash, its mapping emptied": (
        """\
        containers:
          - resources:  # sized
              limits: {cpu: 1}
        """,
        drop("containers", 0, "resources", "limits"),
        """\
        containers:
          - resources: {}  # sized
        """,
    ),
    "a mapping after the `:` of a key written after `?` emptied": (
        """\
        ? resources
        : limits: {cpu: 1}
          requests: {cpu: 1}
        """,
        put("resources", value={}),
        """\
        ? resources
        : {}
        """,
    ),
    # a block collection cannot start on the `---` line
    "a document after `---` becoming a block": (
        """\
        --- [query]  # the containers
        """,
        put(value=["query", "thanos"]),
        """\
        ---
        - query
        - thanos  # the containers
        """,
    ),
    # ---- keys removed whose texts run into each other's
    # the first key's removal runs up to the second key, whose removal takes its whole line: none stays,
    # so the mapping is written anew where it stands
    "overlapping edits": (
        """\
        items:
          - name: query
            image: thanos
        """,
        put("items", 0, value={"resources": LIMITS}),
        """\
        items:
          - resources:
              limits:
                cpu: 1
        """,
    ),
    # the text from the first key up to the first one kept goes, which moves up to the dash's line; a
    # comment line between stays, and so does the key kept, below the dash (a comment on a removed key's
    # line goes with it)
    "the first two keys of a mapping that shares its first line removed": (
        """\
        items:
          - name: query  # the query
            # its image
            image: thanos
            replicas: 1
        """,
        both(drop("items", 0, "name"), drop("items", 0, "image")),
        """\
        items:
          -
            # its image
            replicas: 1
        """,
    ),
    "the first key of a mapping that shares its first line removed, a comment line before the next": (
        """\
        items:
          - name: query
            # kept
            image: thanos
        """,
        drop("items", 0, "name"),
        """\
        items:
          -
            # kept
            image: thanos
        """,
    ),
    "the first item of a list that shares its line removed, a comment line before the next": (
        """\
        items:
          - - query
            # kept
            - thanos
        """,
        drop("items", 0, 0),
        """\
        items:
          -
            # kept
            - thanos
        """,
    ),
    "the first key of a mapping after a list item's dash after another's removed, a comment line kept": (
        """\
        items:
          - - name: query
              # kept
              image: thanos
        """,
        drop("items", 0, 0, "name"),
        """\
        items:
          - -
              # kept
              image: thanos
        """,
    ),
    "the first and the last key of a mapping that shares its first line removed": (
        """\
        items:
          - name: query
            image: thanos
            replicas: 1
        """,
        both(drop("items", 0, "name"), drop("items", 0, "replicas")),
        """\
        items:
          - image: thanos
        """,
    ),
    "the last two keys of a flow mapping removed": (
        """\
        resources: {requests: {cpu: 1}, limits: {cpu: 2}, claims: []}
        """,
        both(drop("resources", "limits"), drop("resources", "claims")),
        """\
        resources: {requests: {cpu: 1}}
        """,
    ),
    "the middle keys of a flow mapping removed": (
        """\
        resources: {requests: {cpu: 1}, limits: {cpu: 2}, claims: [], x: 1}
        """,
        both(drop("resources", "limits"), drop("resources", "claims")),
        """\
        resources: {requests: {cpu: 1}, x: 1}
        """,
    ),
    # a comment line between a flow mapping's entries stays; a comment on a removed entry's line goes with it
    "keys of a flow mapping over several lines removed, its comment lines kept": (
        """\
        resources: {
          requests: {cpu: 1},  # the requests
          # the limits
          limits: {cpu: 2},
          # the claims
          claims: []
        }
        """,
        both(drop("resources", "requests"), drop("resources", "claims")),
        """\
        resources: {
          # the limits
          limits: {cpu: 2}
          # the claims
        }
        """,
    ),
    "every key of a flow mapping replaced": (
        """\
        items:
          - {name: query}
        """,
        put("items", 0, value={"resources": LIMITS}),
        """\
        items:
          - resources:
              limits:
                cpu: 1
        """,
    ),
    "the single pair of a flow list item emptied": (
        """\
        items: [name: query, thanos]
        """,
        drop("items", 0, "name"),
        """\
        items: [{}, thanos]
        """,
    ),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_rare_layout_is_written_as_a_minimal_text_edit(layout: str) -> None:
    text, change, expected = LAYOUTS[layout]
    out, writer, _ = written(text, change)
    assert writer == write.TEXT_EDITS
    assert out == textwrap.dedent(expected)


def test_helm_reads_each_layouts_text_as_the_new_data(tmp_path: Path) -> None:
    """Helm's own reader (`fromYaml` in a template: sigs.k8s.io/yaml), one chart with each text as a file."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "files").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: layouts\nversion: 0.1.0\n")
    expected = {}
    for number, (text, change, _) in enumerate(LAYOUTS.values()):
        out, _, new = written(text, change)
        (chart / "files" / f"{number}.yaml").write_text(out)
        read = "fromYamlArray" if isinstance(new, list) else "fromYaml"
        template = f'read: {{{{ .Files.Get "files/{number}.yaml" | {read} | toJson }}}}\n'
        (chart / "templates" / f"{number}.yaml").write_text(template)
        expected[f"layouts/templates/{number}.yaml"] = new
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(
        [str(helm_binary(3)), "template", "layouts", str(chart)],
        env=clean_environment(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = {}
    for document in result.stdout.split("---\n# Source: ")[1:]:
        source, body = document.split("\n", 1)
        found[source] = json.loads(body.removeprefix("read: "))
    assert found == expected
