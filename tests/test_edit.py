"""Text edits on a parsed document: only what changed is rewritten, in the document's own style."""

from __future__ import annotations

import copy
import json
import textwrap
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from runai_postrender.documents.stream import Span
from runai_postrender.documents.style import Style
from runai_postrender.reading import sparse
from runai_postrender.reading.load import load
from runai_postrender.reading.readback import check
from runai_postrender.reading.reader import compose, construct, shares
from runai_postrender.writers import new_documents, splice, write
from runai_postrender.writers.splice import Edit
from runai_postrender.writers.textedit import Partial, Shared, edit, edit_encoded


def edited(text: str, change: Callable[[Any], None], style: Style | None = None) -> str:
    """The text as the writers write it (write.write_back: the sparse tree, or the whole node tree for what
    libyaml's events leave), which must be text edits; the whole node tree must give the same text."""
    text = textwrap.dedent(text)
    data = text.encode()
    doc = load(data, Span(1, 0, len(data))).replaced(style=style or Style(mapping=2, offset=2))
    new = copy.deepcopy(doc.data)
    change(new)
    doc.data = new
    written = write.write_back(doc)
    assert written is not None
    out, writer = written
    assert writer == write.TEXT_EDITS
    node = compose(text)
    assert node is not None
    whole = edit(text, node, construct(node), new, doc.style)
    check(whole, new)
    assert out.decode() == whole
    return whole


def through_events(text: str, new: Any, style: Style) -> str:
    tree = sparse.sparse(text, new)
    result = edit(text, tree.node, tree.old, new, style, anchors=(tree.anchored, tree.aliases))
    check(result, new)
    encoded = edit_encoded(text, text.encode(), tree.node, tree.old, new, style, anchors=(tree.anchored, tree.aliases))
    assert encoded == result.encode()
    return result


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
    out = edited(text, lambda d: d.update(m=[{"a": 1}, {"a": 2}]), Style(offset=0))
    assert out == "m:\n- a: 1\n- a: 2\nz: 0\n"


def test_a_null_value_becomes_a_block_below_its_key() -> None:
    assert edited("r: null\nx: 1\n", lambda d: d.update(r={"a": 1})) == "r:\n  a: 1\nx: 1\n"


def test_crlf_documents_get_crlf_lines() -> None:
    text = "a:\r\n  b: 1\r\n"
    out = edited(text, lambda d: d["a"].update(c=2), Style(newline="\r\n"))
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


def test_a_block_scalar_being_replaced_is_written_on_its_key_line() -> None:
    assert edited("a: |\n  text\n  more\nb: 1\n", lambda d: d.update(a="other")) == "a: other\nb: 1\n"
    assert edited("l:\n- >\n  folded\n", lambda d: d.update(l=["x"])) == "l:\n- x\n"
    assert edited("a: |\n  text", lambda d: d.update(a="1")) == "a: '1'"


def test_a_scalar_over_several_lines_is_replaced_by_one_line() -> None:
    assert edited('a: "one\n  two"\nb: 1\n', lambda d: d.update(a="x")) == 'a: "x"\nb: 1\n'


def test_removing_every_key_of_a_block_mapping_leaves_an_empty_mapping_not_null() -> None:
    # `spec:` alone would read as null: `spec: {}` is what the data says
    text = "spec:  # the spec\n  replicas: 3\nx: 1\n"
    assert edited(text, lambda d: d["spec"].pop("replicas")) == "spec: {}  # the spec\nx: 1\n"
    assert edited("a:\n  l:\n  - 1\n", lambda d: d["a"].update(l=[])) == "a:\n  l: []\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("spec: {replicas: 3, a: 1}\n", "spec: {a: 1}\n"),
        ("spec: {a: 1, replicas: 3}\n", "spec: {a: 1}\n"),
        ("spec: {replicas: 3}\n", "spec: {}\n"),
        ("spec: {\n  replicas: 3,  # gone\n  a: 1  # stays\n}\n", "spec: {\n  a: 1  # stays\n}\n"),
        ("spec: {\n  replicas: 3,\n  # stays\n  a: 1\n}\n", "spec: {\n  # stays\n  a: 1\n}\n"),
        ("spec: {replicas: 3,\n  # stays\n  a: 1}\n", "spec: {\n  # stays\n  a: 1}\n"),
        ("spec: {\n  a: 1,  # on a\n  # stays\n  replicas: 3\n}\n", "spec: {\n  a: 1  # on a\n  # stays\n}\n"),
        ("spec: {a: 1\n  # stays\n  , replicas: 3}\n", "spec: {a: 1\n  # stays\n  }\n"),
    ],
    ids=[
        "first",
        "last",
        "only",
        "multi-line",
        "a comment line before the next",
        "on the brace's line",
        "last, after a comment line",
        "its comma after a comment line",
    ],
)
def test_a_key_removed_from_a_flow_mapping_takes_its_comma(text: str, expected: str) -> None:
    # (a comment on its line goes with it; a comment line between entries stays)
    assert edited(text, lambda d: d["spec"].pop("replicas")) == expected


def test_a_key_after_a_list_items_dash_is_removed_up_to_the_next_key() -> None:
    text = "l:\n- replicas: 1\n  name: x\n"
    assert edited(text, lambda d: d["l"][0].pop("replicas")) == "l:\n- name: x\n"


@pytest.mark.parametrize("empty", ["{}", "~", "null"])
def test_a_value_inside_a_flow_collection_is_written_as_flow_where_it_stands(empty: str) -> None:
    text = f"""\
        c: [
          {{name: q,   # the query container
           r: {empty}}},
          {{name: s}}   # keep me
        ]
        """
    out = edited(text, lambda d: d["c"][0].update(r={"requests": {"cpu": 1}}))
    assert out == textwrap.dedent(text).replace(f"r: {empty}", "r: {requests: {cpu: 1}}")


def test_keys_after_a_block_scalar_are_added_after_its_last_line() -> None:
    out = edited("m:\n  a: |\n    text\n\n  b: 1\n", lambda d: d["m"].update(c=2))
    assert out == "m:\n  a: |\n    text\n\n  b: 1\n  c: 2\n"
    out = edited("m:\n  a: |\n    text\nz: 0\n", lambda d: d["m"].update(c=2))
    assert out == "m:\n  a: |\n    text\n  c: 2\nz: 0\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_an_empty_mapping_alone_on_the_next_line_becomes_a_block_without_a_blank_line(newline: str) -> None:
    # Helm's `resources: {{- toYaml .Values.resources | nindent 12 }}` renders `{}` on a line of its own.
    text = "c:\n  resources:\n    {}\n  image: x\n".replace("\n", newline)
    out = edited(text, lambda d: d["c"]["resources"].update(requests={"cpu": "100m"}), Style(newline=newline))
    assert out == "c:\n  resources:\n    requests:\n      cpu: 100m\n  image: x\n".replace("\n", newline)


# ---------------------------------------------------------------- the sparse tree


def test_the_sparse_tree_has_nodes_only_where_the_text_and_the_data_differ() -> None:
    items = "".join(f"- name: item-{i}\n  labels: {{app: x}}\n  value: {i}\n" for i in range(500))
    text = "kind: List\nitems:\n" + items
    new = yaml.safe_load(text)
    new["items"][250]["value"] = "changed"
    tree = sparse.sparse(text, new)
    assert not tree.equal
    nodes, stubs = count_nodes(tree.node)
    assert stubs == 499 + 1  # the equal items, and item 250's labels (scalars stay nodes: one each)
    assert nodes < 20  # against some 3,000 in the whole tree
    assert tree.old["items"][0] is new["items"][0]  # what is equal is the new data's own objects
    assert edit(text, tree.node, tree.old, new, Style()) == text.replace("  value: 250\n", "  value: changed\n")
    assert sparse.sparse(text, yaml.safe_load(text)).equal


def count_nodes(node: yaml.Node) -> tuple[int, int]:
    if isinstance(node, sparse.Stub):
        return 0, 1
    children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
    counts = [count_nodes(child) for child in children] if isinstance(node.value, list) else []
    return 1 + sum(n for n, _ in counts), sum(s for _, s in counts)


def test_a_list_diff_that_pairs_items_the_sparse_tree_left_out_is_edited_on_the_whole_tree() -> None:
    text = "l:\n- {k: c}\n- {k: a}\n- {k: b}\n- {k: b}\n"
    new = {"l": [{"k": value} for value in "cadba"]}
    tree = sparse.sparse(text, new)
    with pytest.raises(Partial):  # the list diff pairs item 3, equal where it stands, with another
        edit(text, tree.node, tree.old, new, Style())
    data = text.encode()
    doc = load(data, Span(1, 0, len(data)))
    doc.data = new
    written = write.write_back(doc)
    assert written is not None
    out, writer = written
    assert writer == write.TEXT_EDITS and yaml.safe_load(out) == new
    assert out.startswith(b"l:\n- {k: c}\n- {k: a}\n")


@pytest.mark.parametrize(
    ("text", "steps", "quotes"),
    [
        ("metadata:\n  labels: {a: 'x', b: \"y\", c: z}\n", ["metadata", "labels"], {"a": "'", "b": '"', "c": None}),
        (
            "items:\n- metadata:\n    labels: {a: x}\n- metadata:\n    labels:\n      a: 'x'\n",
            ["items", "1", "metadata", "labels"],
            {"a": "'"},
        ),
        (
            "? [complex]\n: 1\nmetadata:\n  labels:\n    a: \"1\"\n    b: {c: 'd'}\n",
            ["metadata", "labels"],
            {"a": '"', "b": None},
        ),
        ("metadata:\n  name: x\n", ["metadata", "labels"], {}),
        ("metadata: [labels]\n", ["metadata", "labels"], {}),
    ],
    ids=["flow", "list item", "after a complex key", "no labels", "not a mapping"],
)
def test_quotes_at_says_how_a_mapping_quotes_its_values(text: str, steps: list[str], quotes: dict[str, Any]) -> None:
    assert new_documents._quotes_at(text, steps) == quotes


ALIASES = {
    "the anchored node changes": ("a: &x {p: 1}\nb: *x\n", ["a", "p"], "a: &x {p: 2}\nb:\n  p: 1\n"),
    "the alias's place changes": ("a: &x {p: 1}\nb: *x\n", ["b", "p"], "a: &x {p: 1}\nb:\n  p: 2\n"),
    "a list item's anchor": ("l:\n- &x\n  p: 1\n- *x\n", ["l", 0, "p"], "l:\n- &x\n  p: 2\n- p: 1\n"),
    "a scalar alias": ("a: &v 1\nb: *v\nc: *v\n", ["b"], "a: &v 1\nb: 2\nc: *v\n"),
    # inside a flow collection (which may span lines: libyaml's events say), written out as flow
    "in a flow mapping": ("a: &x {p: 1}\nb: {k: *x}\n", ["a", "p"], "a: &x {p: 2}\nb: {k: {p: 1}}\n"),
    "in a flow mapping over lines": (
        "a: &x {p: 1}\nb: {\n  k: *x\n}\n",
        ["a", "p"],
        "a: &x {p: 2}\nb: {\n  k: {p: 1}\n}\n",
    ),
    "in a flow list": ("a: &x {p: 1}\nb: [*x, 1]\n", ["a", "p"], "a: &x {p: 2}\nb: [{p: 1}, 1]\n"),
    # where it does not start its line, written where it stands
    "an item after a dash": ("a: &x {p: 1}\nl:\n- - *x\n  - 1\n", ["a", "p"], "a: &x {p: 2}\nl:\n- - p: 1\n  - 1\n"),
    "after a key after a dash": ("a: &x {p: 1}\nl:\n- k: *x\n", ["a", "p"], "a: &x {p: 2}\nl:\n- k:\n    p: 1\n"),
}


@pytest.mark.parametrize(("text", "path", "expected"), ALIASES.values(), ids=ALIASES.keys())
def test_a_change_through_an_anchor_writes_out_the_aliases_that_must_not_change(
    text: str, path: list[Any], expected: str
) -> None:
    new = json.loads(json.dumps(yaml.safe_load(text)))  # (no two places sharing one object)
    parent = new
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = 2
    assert through_events(text, new, Style(mapping=2, offset=0)) == expected


def test_an_anchored_scalar_that_changes_is_left_to_the_round_trip() -> None:
    with pytest.raises(Shared):
        through_events("a: &v 1\nb: *v\n", {"a": 2, "b": 1}, Style())


@pytest.mark.parametrize("text", ["a:\n  b: 1", "a:\n  b: é", "a:\r\n  b: é"], ids=["ASCII", "UTF-8", "CRLF"])
def test_keys_added_at_the_end_of_a_text_without_a_final_line_break_get_their_own_line(text: str) -> None:
    newline = "\r\n" if "\r\n" in text else "\n"
    style = Style(mapping=2, offset=2, newline=newline)
    assert edited(text, lambda d: d["a"].update(c=2), style) == text + f"{newline}  c: 2"


@pytest.mark.parametrize("indicator", ["|", "|+", ">2"])
def test_a_block_scalar_ending_a_text_without_a_line_break_strips_it_when_lines_follow(indicator: str) -> None:
    # Its value has no final line break (the text ends): the lines added after it would give it one.
    text = f"m:\n  a: {indicator}\n    text"
    out = edited(text, lambda d: d["m"].update(b=2))
    assert out == f"m:\n  a: {indicator.replace('+', '')}-\n    text\n  b: 2"


def test_a_value_on_the_line_below_its_key_becoming_a_block_leaves_no_line_behind() -> None:
    assert edited("m:\n  null\nn: 1\n", lambda d: d.update(m={"a": 1})) == "m:\n  a: 1\nn: 1\n"
    assert edited("m:\n  # kept\n  ~\nn: 1\n", lambda d: d.update(m=[1])) == "m:\n  # kept\n  - 1\nn: 1\n"
    crlf = Style(mapping=2, offset=2, newline="\r\n")
    assert edited("m:\r\n  {}\r\nn: 1\r\n", lambda d: d.update(m=[1]), crlf) == "m:\r\n  - 1\r\nn: 1\r\n"


@pytest.mark.parametrize("offset", [0, 2])
def test_a_block_collection_changing_kind_is_rewritten_at_the_column_its_key_gives(offset: int) -> None:
    style = Style(mapping=2, offset=offset)
    items = " " * offset + "- 1\n" + " " * offset + "- 2\n"
    assert edited("m:\n  a: 1\nn: 1\n", lambda d: d.update(m=[1, 2]), style) == f"m:\n{items}n: 1\n"
    assert edited(f"m:\n{items}n: 1\n", lambda d: d.update(m={"a": 1}), style) == "m:\n  a: 1\nn: 1\n"


def test_a_single_pair_in_a_flow_sequence_gets_its_braces_when_keys_are_added() -> None:
    assert edited("l: [a: 1, b]\n", lambda d: d["l"][0].update(c=2)) == "l: [{a: 1, c: 2}, b]\n"
    assert edited("l: [a: [1, 2]]\n", lambda d: d["l"][0].update(c=2)) == "l: [{a: [1, 2], c: 2}]\n"


def test_keys_are_added_after_a_last_key_written_after_a_question_mark() -> None:
    assert edited("m:\n  a: 1\n  ? b\n  : 2\n", lambda d: d["m"].update(c=3)) == "m:\n  a: 1\n  ? b\n  : 2\n  c: 3\n"


@pytest.mark.parametrize(
    ("text", "path", "value", "expected"),
    [
        ("a: x  # kept\nb: 1\n", ["a"], [], "a: []  # kept\nb: 1\n"),
        ("l:\n- x\n", ["l", 0], {}, "l:\n- {}\n"),
        ("l: [x, z]\n", ["l", 0], {}, "l: [{}, z]\n"),
        ("a: |\n  text\nb: 1\n", ["a"], [], "a: []\nb: 1\n"),
    ],
    ids=["a value", "a list item", "a flow list item", "a block scalar"],
)
def test_a_scalar_becoming_an_empty_collection_is_written_as_flow(
    text: str, path: list[Any], value: Any, expected: str
) -> None:
    def change(data: Any) -> None:
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = value

    assert edited(text, change, Style(mapping=2, offset=0)) == expected


@pytest.mark.parametrize(("value", "block"), [([1], "- 1"), ({"p": 1}, "  p: 1")], ids=["list", "mapping"])
def test_a_block_scalar_becoming_a_block_collection_keeps_the_line_after_it(value: Any, block: str) -> None:
    # a block scalar ends at the start of the line after its last: the block written in its place ends its line
    out = edited("a: >\n  text\nb: 1\n", lambda d: d.update(a=value), Style(mapping=2, offset=0))
    assert out == f"a:\n{block}\nb: 1\n"


def test_an_edit_within_another_is_part_of_it_and_two_that_cross_are_a_bug() -> None:
    # each edit writes the whole of its range anew: one inside another (an alias written out in a value
    # that is rewritten) is part of it already; an insertion where another starts or ends is not inside it
    edits = [Edit(2, 8, "X"), Edit(3, 5, "y"), Edit(2, 2, "<"), Edit(8, 8, ">"), Edit(5, 5, "z")]
    assert splice.apply("0123456789", edits) == "01<X>89"
    with pytest.raises(splice.Overlap):
        splice.apply("0123456789", [Edit(2, 6, ""), Edit(4, 8, "")])
    with pytest.raises(splice.Overlap):
        splice.apply("0123456789", [Edit(2, 6, "a"), Edit(2, 6, "b")])
