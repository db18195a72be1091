"""Property-based tests: generated manifest streams, odd in every way the generators know.

For any stream of targeted and untouched documents, with comments, quotes, block scalars, anchors,
CRLF or LF, a final newline or not:
- the output parses, and means what the input means with the profile's changes and nothing else;
- untouched documents come out byte for byte, targeted ones change only in the patched lines;
- a second pass changes nothing;
- nothing but runai-size's own errors ever escapes, even from mangled input;
and the splitter and the sniffer agree with a real YAML parser.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError, YAMLWarning

from runai_postrender.documents import sniff
from runai_postrender.documents.stream import BOM, split_stream
from runai_postrender.support import quantity
from runai_postrender.support.errors import RunaiSizeError
from tests.conftest import SIZED, load_all, sized
from tests.test_stream import assert_agrees_with_parser

# More examples for a deeper search: RUNAI_SIZE_EXAMPLES=2000 pytest tests/test_properties.py
EXAMPLES = int(os.environ.get("RUNAI_SIZE_EXAMPLES", "100"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHEAP = settings(max_examples=3 * EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


# ---------------------------------------------------------------- building blocks


@dataclass
class Doc:
    """A generated document: its text (LF, from its `---` line on) and what sizing must do to it."""

    text: str
    role: str  # "untouched", "thanos-query" or "backend"
    name: str = ""


@dataclass
class Style:
    indent: int  # spaces per mapping level
    offset: int  # spaces before a sequence's dash, relative to its key
    comments: list[str] = field(default_factory=list)


WORDS = st.sampled_from(["alpha", "beta", "x1", "some-thing", "a.b", "über", "✓ ok", "tab\there", "it's"])
COMMENTS = st.sampled_from(["# a comment", "# kind: Deployment", "#", "# --- not a marker", "# ünïcode ✓"])


@st.composite
def scalar(draw: st.DrawFn) -> str:
    """A string value in one of YAML's spellings."""
    word = draw(WORDS)
    how = draw(st.sampled_from(["plain", "single", "double"]))
    if how == "plain" and re.fullmatch(r"[a-z][a-z0-9.-]*", word):
        return word
    if how == "single":
        return "'" + word.replace("'", "''") + "'"
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


@st.composite
def block_scalar(draw: st.DrawFn, column: int) -> list[str]:
    """`|` or `>` and its lines, which may look like markers, comments or keys."""
    header = draw(st.sampled_from(["|", "|-", ">", "|+", "|2"]))
    pad = " " * (column + 2)
    lines = draw(
        st.lists(
            st.sampled_from(["echo start", "---", "...", "--- not a document", "# not a comment", "key: value", ""]),
            min_size=1,
            max_size=4,
        )
    )
    if not lines[0]:
        lines[0] = "first"
    return [header] + [pad + line if line else "" for line in lines]


@st.composite
def entries(draw: st.DrawFn, column: int, style: Style, keys: list[str]) -> list[str]:
    """Lines of `key: value` pairs at `column`, with comments and block scalars among them."""
    pad = " " * column
    lines: list[str] = []
    for key in keys:
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from([pad, ""])) + draw(COMMENTS))
        kind = draw(st.sampled_from(["scalar", "scalar", "block", "flow"]))
        if kind == "block":
            header, *rest = draw(block_scalar(column))
            lines += [f"{pad}{key}: {header}", *rest]
        elif kind == "flow":
            lines.append(f"{pad}{key}: [{draw(scalar())}, {draw(scalar())}]")
        else:
            comment = "  " + draw(COMMENTS) if draw(st.integers(0, 4)) == 0 else ""
            lines.append(f"{pad}{key}: {draw(scalar())}{comment}")
    return lines


@st.composite
def untouched(draw: st.DrawFn) -> Doc:
    kind = draw(st.sampled_from(["ConfigMap", "Secret", "Service"]))
    name = draw(st.sampled_from(["rel-config", "rel-backend", "rel-thanos-query", "ü-config"]))
    lines = ["apiVersion: v1", f"kind: {kind}", "metadata:", f"  name: {name}"]
    style = Style(2, 0)
    lines += ["data:", *draw(entries(2, style, ["a", "b", "c"][: draw(st.integers(0, 3))]))]
    if draw(st.booleans()):
        lines.append(draw(COMMENTS))
    return Doc("\n".join(lines) + "\n", "untouched", name)


def sequence_item(first: str, rest: list[str], column: int, style: Style) -> list[str]:
    """A block-sequence item under a key at `column`: `- first` and the rest aligned with it."""
    dash = " " * (column + style.offset)
    return [f"{dash}- {first}", *[" " * (len(dash) + 2) + line for line in rest]]


@st.composite
def resources(draw: st.DrawFn, column: int, style: Style) -> tuple[list[str], dict[str, Any] | None]:
    """The `resources` of a container (lines at `column`) and what it holds, or nothing."""
    choice = draw(st.sampled_from(["absent", "empty", "limits", "both", "extra"]))
    pad, inner = " " * column, " " * (column + style.indent)
    deeper = " " * (column + 2 * style.indent)
    if choice == "absent":
        return [], None
    if choice == "empty":
        return [f"{pad}resources: {{}}"], {}
    memory = draw(st.sampled_from(["1Gi", "512Mi", '"2G"']))
    lines = [f"{pad}resources:", f"{inner}limits:", f"{deeper}memory: {memory}"]
    value: dict[str, Any] = {"limits": {"memory": memory.strip('"')}}
    if choice in ("both", "extra"):
        cpu = draw(st.sampled_from(["100m", "'250m'", "2"]))
        lines += [f"{inner}requests:", f"{deeper}cpu: {cpu}"]
        value["requests"] = {"cpu": int(cpu) if cpu.isdigit() else cpu.strip("'")}
    if choice == "extra":
        lines.insert(2, f"{deeper}ephemeral-storage: 1Gi")
        value["limits"]["ephemeral-storage"] = "1Gi"
    if draw(st.booleans()):
        lines.insert(draw(st.integers(1, len(lines))), draw(st.sampled_from([inner, ""])) + draw(COMMENTS))
    return lines, value


@st.composite
def container(draw: st.DrawFn, name: str, column: int, style: Style) -> list[str]:
    """A container as a sequence item under `containers:` at `column`."""
    rest = [f"image: {draw(scalar())}"]
    if draw(st.booleans()):
        header, *lines = draw(block_scalar(0))
        rest += ["args:", *sequence_item(header, [line[2:] if line else line for line in lines], 0, style)]
    lines, _ = draw(resources(0, style))
    rest += lines
    return sequence_item(f"name: {name}", rest, column, style)


@st.composite
def workload(draw: st.DrawFn, role: str) -> Doc:
    style = Style(draw(st.sampled_from([2, 4])), draw(st.sampled_from([0, 2])))
    release = draw(st.sampled_from(["rel", "runai-backend", "x"]))
    name = f"{release}-{role}"
    i = style.indent
    lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"{' ' * i}name: {name}"]
    if draw(st.booleans()):
        lines.append(f"{' ' * i}labels: {{app: {release}}}")
    lines.append("spec:")
    if role == "backend" or draw(st.booleans()):
        lines.append(f"{' ' * i}replicas: {draw(st.integers(1, 3))}")
    lines += [f"{' ' * i}template:", f"{' ' * 2 * i}spec:", f"{' ' * 3 * i}containers:"]
    names = draw(st.permutations(["query", "sidecar", "reloader"]))[: draw(st.integers(1, 3))]
    if role == "thanos-query" and "query" not in names:
        names = [*names, "query"]
    for container_name in names:
        item = draw(container(container_name, 3 * i, style))
        lines += item
    if draw(st.integers(0, 3)) == 0:
        lines.append(draw(st.sampled_from(["", " " * i])) + draw(COMMENTS))
    return Doc("\n".join(lines) + "\n", role, name)


@st.composite
def odd(draw: st.DrawFn) -> Doc:
    text = draw(
        st.sampled_from(
            [
                "# only a comment\n",
                "just a scalar\n",
                "- a\n- [b, c]\n",
                "{kind: ConfigMap, metadata: {name: flow}}\n",
                "|\n  kind: Deployment\n",
                "",
            ]
        )
    )
    return Doc(text, "untouched")


DOCUMENTS = st.one_of(untouched(), odd(), workload("thanos-query"), workload("backend"))


@dataclass
class Stream:
    data: bytes
    docs: list[Doc]
    pieces: list[bytes]  # each document's bytes as they appear in `data`
    newline: str


@st.composite
def streams(draw: st.DrawFn) -> Stream:
    docs = draw(st.lists(DOCUMENTS, min_size=1, max_size=6))
    names = [doc.name for doc in docs if doc.role != "untouched"]
    assume(len(names) == len(set(names)))  # the same workload twice is another test's business
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    # No newline at the very end, after a plain last line (were the last line block scalar text, a line
    # added after it would change the scalar's value: test_hostile pins how that case is handled).
    unfinished = (docs[-1].role != "untouched" or bool(docs[-1].name)) and draw(st.booleans())
    # pipeline.py separates an added HPA from such a document with LF even in a CRLF stream (an xfail in
    # test_hostile); keep that out of the way here.
    assume(not (unfinished and docs[-1].role == "backend" and newline == "\r\n"))
    pieces: list[str] = []
    for index, doc in enumerate(docs):
        content = any(line.strip() and not line.startswith("#") for line in doc.text.splitlines())
        start = "" if index == 0 and content and draw(st.booleans()) else "---\n"
        end = "...\n" if draw(st.integers(0, 4)) == 0 else ""
        if unfinished and index == len(docs) - 1:
            end = "x-last: line"
        pieces.append(start + doc.text + end)
    encoded = [piece.replace("\n", newline).encode("utf-8") for piece in pieces]
    if draw(st.integers(0, 5)) == 0:
        encoded[0] = BOM + encoded[0]
    return Stream(b"".join(encoded), docs, encoded, newline)


# ---------------------------------------------------------------- what sizing must do, as data


def _at_least(current: Any, floor: Any) -> Any:
    """The larger of two quantities (a profile's values are floors: a larger value in place stays)."""
    if current is None or Decimal(str(quantity.parse(current))) < Decimal(str(quantity.parse(floor))):
        return floor
    return current


def expected(docs: list[Any], roles: list[str]) -> list[Any]:
    """The input's documents with the large profile's changes to thanos-query and backend applied."""
    result: list[Any] = []
    for doc, role in zip(docs, roles, strict=True):
        doc = copy.deepcopy(doc)
        result.append(doc)
        if role == "thanos-query":
            for item in doc["spec"]["template"]["spec"]["containers"]:
                if item["name"] == "query":
                    current = item.get("resources") or {}
                    for part in ("requests", "limits"):
                        have = current.get(part) or {}
                        current[part] = {**have, **{k: _at_least(have.get(k), v) for k, v in SIZED[part].items()}}
                    for key, request in current["requests"].items():  # a limit is never below its request
                        current["limits"][key] = _at_least(current["limits"][key], request)
                    item["resources"] = current
        elif role == "backend":
            for item in doc["spec"]["template"]["spec"]["containers"]:
                have = item.get("resources") or {}
                if "cpu" not in (have.get("requests") or {}) and "cpu" not in (have.get("limits") or {}):
                    # a CPU-utilization HPA needs a CPU request on every container: large supplies 100m
                    item["resources"] = {**have, "requests": {**(have.get("requests") or {}), "cpu": "100m"}}
            result.append(("an HPA", doc["spec"].pop("replicas", 1)))
    return result


def check_hpas(output_docs: list[Any], want: list[Any]) -> list[Any]:
    """Check each added HorizontalPodAutoscaler against the Deployment before it; leave a placeholder."""
    assert len(output_docs) == len(want)
    checked = []
    for index, (got, wanted) in enumerate(zip(output_docs, want, strict=True)):
        if isinstance(wanted, tuple):
            deployment = output_docs[index - 1]
            assert got["kind"] == "HorizontalPodAutoscaler"
            assert got["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
            ran = wanted[1]  # the HPA never goes below the replicas the Deployment ran
            assert (got["spec"]["minReplicas"], got["spec"]["maxReplicas"]) == (max(2, ran), 4)
            checked.append(wanted)
        else:
            checked.append(got)
    return checked


def quantities_as_text(node: Any) -> Any:
    """Every cpu and memory value as text: a patch keeps a quoted value quoted (`'250m'` becomes `'1'`)."""
    if isinstance(node, dict):
        return {k: str(v) if k in ("cpu", "memory") else quantities_as_text(v) for k, v in node.items()}
    if isinstance(node, list):
        return [quantities_as_text(item) for item in node]
    return node


PATCHED_LINE = re.compile(r"^\s*(?:-\s+)?(?:resources|requests|limits|cpu|memory|replicas):")


# ---------------------------------------------------------------- the properties


@SETTINGS
@given(streams())
def test_sizing_any_stream_means_the_profile_and_nothing_else(stream: Stream) -> None:
    output = sized(stream.data)

    # It parses, and means the input with the profile's changes applied.
    inputs = load_all(stream.data)
    roles = [doc.role for doc, piece in zip(stream.docs, stream.pieces, strict=True) if holds(piece)]
    assert len(inputs) == len(roles)
    want = expected(inputs, roles)
    assert quantities_as_text(check_hpas(load_all(output), want)) == quantities_as_text(want)

    # Untouched documents come out byte for byte, and in order.
    position = 0
    for doc, piece in zip(stream.docs, stream.pieces, strict=True):
        if doc.role == "untouched":
            found = output.find(piece, position)
            assert found >= 0, piece
            position = found + len(piece)

    # Targeted documents change only in the patched lines, and keep the stream's line endings.
    before = [stream.data[span.start : span.end] for span in split_stream(stream.data)]
    after = [output[span.start : span.end] for span in split_stream(output)]
    after = [piece for piece in after if b"kind: HorizontalPodAutoscaler" not in piece]  # the added ones
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        diff = difflib.unified_diff(old.decode().splitlines(), new.decode().splitlines(), n=0, lineterm="")
        removed = [line[1:] for line in diff if line.startswith("-") and not line.startswith("---")]
        assert all(PATCHED_LINE.match(line) for line in removed), removed
    if stream.newline == "\r\n":
        assert output.count(b"\n") == output.count(b"\r\n")

    # A second pass is a no-op.
    assert sized(output) == output


def holds(piece: bytes) -> bool:
    """Whether a generated piece holds a YAML document (a `---` line or content)."""
    text = piece.removeprefix(BOM).decode()
    return text.startswith("---") or any(
        line.strip() and not line.lstrip().startswith("#") and line != "..." for line in text.splitlines()
    )


MANGLERS = st.sampled_from(
    [b"", b"\n", b"---\n", b"...", b":", b" ", b"\t", b"-", b"- ", b"&a ", b"*a", b"<<: *a\n", b"!!", b"[",
     b"]", b"{", b"}", b'"', b"'", b"|", b">", b"#", b"%YAML 1.2\n", b"\r", BOM, b"\x00", b"\xff", b"\xc3",
     b"kind: Deployment\n", b"? ", b"\\", b"\xe2\x80\xa8"]
)  # fmt: skip


@SETTINGS
@given(streams(), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), MANGLERS), min_size=1, max_size=4))
def test_mangled_input_raises_nothing_but_runai_size_errors(
    stream: Stream, edits: list[tuple[float, int, bytes]]
) -> None:
    data = stream.data
    for where, cut, insert in edits:
        position = int(where * len(data))
        data = data[:position] + insert + data[position + cut :]
    try:
        output = sized(data)
    except RunaiSizeError as exc:
        assert "\n" not in str(exc)  # one line, for `runai-size: error: <message>`
        return
    # pipeline.py puts an added HPA between an end marker and a document without `---`, which then
    # becomes part of the HPA's document (an xfail in test_hostile): keep that case out of the way.
    assume(not BARE_AFTER_END.search(data))
    if parses(data):
        assert parses(output)  # valid YAML in, valid YAML out
    assert sized(output) == output  # whatever came out, a second pass leaves it alone


# An end marker, then (after comments) a document that does not start with `---` or a directive.
BARE_AFTER_END = re.compile(rb"^\.\.\.(?:[ \t][^\n]*)?\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*(?!---|%|\.\.\.)[^\s#]", re.M)


def parses(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", YAMLWarning)
            load_all(data)
    except (YAMLError, UnicodeDecodeError, RecursionError):
        return False
    except TypeError:  # a mapping or a list as a key (`? - name: q`): ruamel cannot hold it, nor can Kubernetes
        return False
    return True


@st.composite
def raw_streams(draw: st.DrawFn) -> bytes:
    """Streams of document-shaped chunks, for the splitter: markers, end markers, directives, comments."""
    chunks = draw(
        st.lists(
            st.sampled_from(
                [
                    "---\n",
                    "--- # c\n",
                    "--- text\n",
                    "--- |\n  --- inside\n  ...\n",
                    "--- >\n  folded\n...\n",
                    "a: 1\n",
                    "b: |\n  ---\n  ... x\n",
                    "c: [1,\n  2]\n",
                    '"d": "---"\n',
                    "- item\n",
                    "# comment\n",
                    "\n",
                    "...\n",
                    "... # end\n",
                    "...\n%YAML 1.2\n---\n",
                    "...\n%TAG !e! tag:example.com,2000:\n--- !e!thing\n",
                ]
            ),
            max_size=10,
        )
    )
    text = "".join(chunks)
    if text and draw(st.booleans()):
        text = text[:-1]
    text = text.replace("\n", draw(st.sampled_from(["\n", "\r\n"])))
    data = (BOM if draw(st.integers(0, 4)) == 0 else b"") + text.encode()
    try:
        list(YAML().parse(data.decode("utf-8").removeprefix("\ufeff")))
    except YAMLError:
        assume(False)
    return data


@CHEAP
@given(raw_streams())
def test_split_stream_finds_the_documents_a_yaml_parser_finds(data: bytes) -> None:
    assert_agrees_with_parser(data)


KEYS = st.sampled_from(["kind", "metadata", "name", "namespace", "labels", "spec", "<<", "x"])
VALUES = st.sampled_from(
    ["Deployment", "'Deployment'", '"Deploy\\x6dent"', "&a Deployment", "*a", "!!str x", "1e3", "~", "yes",
     "rel-thanos-query", "rel\n    -thanos-query", "{name: a}", "[a]", "|\n    text", "a # c", ""]
)  # fmt: skip


@st.composite
def sniffable(draw: st.DrawFn) -> bytes:
    """Documents with kind, name and namespace spelled every which way."""
    lines = ["x: &a anchor"]
    for key in draw(st.lists(KEYS, max_size=5)):
        if key == "metadata":
            lines.append("metadata:" + draw(st.sampled_from(["", " # c", " &m", " {name: n}"])))
            indent = draw(st.sampled_from(["  ", "    "]))
            for child in draw(st.lists(KEYS, max_size=3)):
                value = draw(VALUES).replace("\n    ", "\n" + indent + "  ")
                lines.append(f"{indent}{child}: {value}")
        else:
            lines.append(f"{key}: {draw(VALUES)}")
    return ("\n".join(lines) + "\n").encode()


@CHEAP
@given(sniffable())
def test_the_sniffer_never_contradicts_the_parser(data: bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", YAMLWarning)  # a reused anchor
            tree = YAML(typ="rt", pure=True).load(data.decode())
    except YAMLError:
        assume(False)
    end = len(data)
    if not sniff.is_regular(data, 0, end) or not isinstance(tree, dict):
        return

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    kind = sniff.sniff_kind(data, 0, end)
    if kind != sniff.UNKNOWN:
        assert kind == text(tree.get("kind"))
    metadata = sniff.sniff_metadata(data, 0, end)
    if metadata != sniff.UNKNOWN:
        real = tree.get("metadata")
        real = real if isinstance(real, dict) else {}
        assert metadata == (text(real.get("name")), text(real.get("namespace")))


def test_a_stream_with_a_list_as_a_mapping_key_is_one_no_reader_here_builds() -> None:
    # Found by the mangling property above: `? ` inserted before a list item makes the rest a key.
    assert not parses(b"spec:\n  containers:\n  - name: sidecar\n? - name: query\n    image: alpha\n")
