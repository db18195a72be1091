"""One targeted document: parse it round-trip, and write it back changed only where it was patched.

ruamel.yaml keeps comments, key order and quotes, but its emitter still normalises some text (spacing
inside flow collections, trailing blanks, indentation it cannot infer). So a patched document is
written by a three-way merge, line by line: `base` is ruamel's rendering of the document as parsed,
`theirs` its rendering after the patches, `ours` the original text. Where `theirs` equals `base`, the
original lines are kept byte for byte; elsewhere the patched lines are taken. The diff of input and
output therefore shows the patched fields and nothing else. The document's `---` line, directives
and `...` end marker, which ruamel does not render as written, are kept aside and put back.

Anchors, aliases and merge keys (`<<: *defaults`) share one node between several places, so a change
written through one of them would show up at all of them. After parsing, every shared node is
copied to each place it is used ("unshared"), so a rule changes only what it targets; before the
document is written, each copy that still equals its original is replaced by the original again, so
the alias or merge key comes back as written and only what really changed is spelled out.
"""

from __future__ import annotations

import io
import itertools
import re
import warnings
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, Format, merge_attrib
from ruamel.yaml.compat import ordereddict
from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLWarning
from ruamel.yaml.scanner import RoundTripScanner, ScannerError
from ruamel.yaml.tag import Tag

from runai_postrender.emit import Style
from runai_postrender.errors import InputError, describe
from runai_postrender.limits import MAX_ALIAS_COPIES, MAX_FLOW_DEPTH, check_expansion


@dataclass
class _AliasUse:
    """A place that used an alias: `parent[key]` held `original`, and now holds `copy`."""

    parent: Any
    key: Any
    original: Any
    copy: Any


@dataclass
class _MergeUse:
    """A mapping with `<<` merge keys: what it took from its sources when it was parsed."""

    mapping: CommentedMap
    sources: list[Any]
    snapshots: list[Any]  # copies of the sources as parsed
    merged: dict[Any, Any]  # key -> value the mapping took from a source (not its own keys)
    copies: dict[Any, Any] = field(default_factory=dict)  # merged collections now copied into the mapping


@dataclass
class Sharing:
    """The anchors, aliases and merge keys of a document, unshared for patching."""

    aliases: list[_AliasUse] = field(default_factory=list)
    merges: list[_MergeUse] = field(default_factory=list)


@dataclass
class Document:
    """A parsed targeted document: its original text, its tree, and ruamel's rendering of that tree."""

    index: int
    text: str  # LF line endings, no byte-order mark
    original: bytes  # the span exactly as it came in
    tree: Any
    style: Style
    base: str  # ruamel's rendering before any change
    changed: bool = False
    kind: str | None = None
    name: str | None = None
    sharing: Sharing | None = None  # set when the document uses anchors or merge keys
    node: Any = None  # the libyaml node tree, on the fast path (runai_postrender.targets)
    old: Any = None  # the data as parsed, on the fast path

    def describe(self) -> str:
        return describe(self.index, self.kind, self.name)


_KEY_LINE = re.compile(r"^( *)[^ #\-][^:\n]*:[ \t]*(?:#.*)?$")
_DASH_LINE = re.compile(r"^( *)- ")


def detect_style(text: str, newline: str) -> Style:
    """Infer the indentation a document uses, so that lines we write look like their neighbours."""
    lines = text.split("\n")
    mapping = None
    offset = None
    for before, after in itertools.pairwise(lines):
        key = _KEY_LINE.match(before)
        if key is None:
            continue
        indent = len(key.group(1))
        dash = _DASH_LINE.match(after)
        if dash is not None:
            if offset is None and len(dash.group(1)) >= indent:
                offset = len(dash.group(1)) - indent
        elif mapping is None:
            stripped = after.lstrip(" ")
            child = len(after) - len(stripped)
            if stripped and not stripped.startswith("#") and child > indent:
                mapping = child - indent
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = offset or 0
    return Style(mapping=mapping, offset=offset, newline=newline)


class _Scanner(RoundTripScanner):
    """ruamel's round-trip scanner, refusing flow collections nested past MAX_FLOW_DEPTH."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        if self.flow_level >= MAX_FLOW_DEPTH:
            raise ScannerError(
                None, None, f"flow collections nested more than {MAX_FLOW_DEPTH} deep", self.reader.get_mark()
            )
        super().fetch_flow_collection_start(TokenClass, to_push)


@cache
def _yaml(style: Style) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Scanner = _Scanner
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # never wrap long lines
    yaml.allow_unicode = True
    yaml.indent(mapping=style.mapping, sequence=style.offset + 2, offset=style.offset)  # `- ` then the item
    return yaml


def dump(tree: Any, style: Style) -> str:
    buffer = io.StringIO()
    _yaml(style).dump(tree, buffer)
    return buffer.getvalue()


def _load(yaml: YAML, text: str) -> Any:
    with warnings.catch_warnings():
        # ruamel warns (on stderr, several lines) about reused anchors and YAML 1.1 floats: valid YAML.
        warnings.simplefilter("ignore", YAMLWarning)
        return yaml.load(text)


def _line_number(data: bytes | bytearray, start: int, mark_line: int) -> int:
    return data.count(b"\n", 0, start) + mark_line + 1


def parse(
    data: bytes | bytearray,
    start: int,
    end: int,
    index: int,
    kind: str | None = None,
    name: str | None = None,
) -> Document:
    """Parse bytes `start:end` of the stream (one document) round-trip; errors name the document."""
    original = bytes(data[start:end])
    raw = original[3:] if original.startswith(b"\xef\xbb\xbf") else original
    where = describe(index, kind, name)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not valid UTF-8 text (byte {start + exc.start})") from exc
    newline = "\r\n" if "\r\n" in decoded else "\n"
    text = decoded.replace("\r\n", "\n")
    style = detect_style(text, newline)
    yaml = _yaml(style)
    try:
        tree = _load(yaml, text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {_line_number(data, start, mark.line)}" if mark is not None else ""
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise InputError(f"{where}{line}: {problem}") from exc
    except YAMLError as exc:
        raise InputError(f"{where}: {str(exc).splitlines()[0] if str(exc) else 'invalid YAML'}") from exc
    except RecursionError as exc:
        raise InputError(f"{where}: nested too deeply to process") from exc
    check_expansion(tree, where)
    shares = b"&" in raw or b"<<" in raw  # anchors (and so aliases), or merge keys
    document = Document(
        index=index, text=text, original=original, tree=tree, style=style, base="", kind=kind, name=name
    )
    try:
        if shares:
            _keep_anchors(tree)
        document.base = dump(tree, style)
        if shares:
            document.sharing = _unshare(tree, where)
    except RecursionError as exc:
        raise InputError(f"{where}: nested too deeply to process") from exc
    return document


# ---------------------------------------------------------------- anchors, aliases and merge keys


def _items(node: CommentedMap) -> list[tuple[Any, Any]]:
    """Every key of a mapping with its value, merged keys included, without ruamel's merge lookups."""
    return [(key, ordereddict.__getitem__(node, key)) for key in ordereddict.__iter__(node)]


def _set_own(node: CommentedMap, key: Any, value: Any) -> None:
    ordereddict.__setitem__(node, key, value)
    node._ok.add(key)


def _keep_anchors(tree: Any) -> None:
    """Have every anchor of the source written again, used or not, so renderings keep their `&name`."""
    seen: set[int] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict | list) or id(node) in seen:
            continue
        seen.add(id(node))
        anchor = getattr(node, "anchor", None)
        if anchor is not None and anchor.value is not None:
            anchor.always_dump = True
        if isinstance(node, CommentedMap):
            stack.extend(value for _, value in _items(node))
        else:
            stack.extend(node.values() if isinstance(node, dict) else node)


class _Copier:
    """Deep copies without anchors, comments or merge keys, within a budget of nodes."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.left = MAX_ALIAS_COPIES
        self.active: set[int] = set()

    def copy(self, node: Any) -> Any:
        if not isinstance(node, dict | list):
            return node  # scalars are immutable: sharing them is harmless
        self.left -= 1
        if self.left < 0:
            raise InputError(
                f"{self.where}: its aliases would need more than {MAX_ALIAS_COPIES:,} copied nodes "
                "(an alias bomb?); refused"
            )
        if id(node) in self.active:
            raise InputError(f"{self.where}: a node contains itself through an alias; refused")
        self.active.add(id(node))
        try:
            if isinstance(node, CommentedMap):
                new: Any = CommentedMap()
                for key, value in _items(node):
                    new[key] = self.copy(value)
            elif isinstance(node, dict):
                new = {key: self.copy(value) for key, value in node.items()}
            elif isinstance(node, CommentedSeq):
                new = CommentedSeq(self.copy(value) for value in node)
            else:
                new = [self.copy(value) for value in node]
        finally:
            self.active.discard(id(node))
        for attrib in (Format.attrib, Tag.attrib):  # flow or block style, and an explicit tag
            if hasattr(node, attrib):
                setattr(new, attrib, getattr(node, attrib))
        return new


def _unshare(tree: Any, where: str) -> Sharing:
    """Give every place that uses an alias or a merge key its own copy; remember how to undo it."""
    sharing = Sharing()
    copier = _Copier(where)
    seen: set[int] = set()

    def visit(node: Any) -> None:
        seen.add(id(node))
        if isinstance(node, CommentedMap):
            copies: dict[Any, Any] = {}
            sources = getattr(node, merge_attrib, None)
            if sources:
                merged = {key: value for key, value in _items(node) if key not in node._ok}
                snapshots = [copier.copy(source) for source in sources]
                use = _MergeUse(node, list(sources), snapshots, merged, copies)
                for source in sources:
                    # ruamel's own bookkeeping of merges fails on deletes; _reshare does the job instead
                    source._ref.clear()
                for key, value in merged.items():
                    if isinstance(value, dict | list):
                        copies[key] = copier.copy(value)
                        _set_own(node, key, copies[key])
                sharing.merges.append(use)
            for key, value in _items(node):
                if key in node._ok and key not in copies:  # merged scalars and fresh copies share nothing
                    step(node, key, value)
        elif isinstance(node, dict):
            for key, value in list(node.items()):
                step(node, key, value)
        elif isinstance(node, list):
            for key, value in enumerate(node):
                step(node, key, value)

    def step(parent: Any, key: Any, value: Any) -> None:
        if not isinstance(value, dict | list):
            return
        if id(value) in seen:
            copy = copier.copy(value)
            if isinstance(parent, CommentedMap):
                ordereddict.__setitem__(parent, key, copy)
            else:
                parent[key] = copy
            sharing.aliases.append(_AliasUse(parent, key, value, copy))
        else:
            visit(value)

    if isinstance(tree, dict | list):
        visit(tree)
    return sharing


def _reshare(sharing: Sharing) -> None:
    """Put aliases and merge keys back wherever the copies still equal what they were copied from."""
    for use in reversed(sharing.aliases):
        parent = use.parent
        if isinstance(parent, list):
            key = next((index for index, value in enumerate(parent) if value is use.copy), None)
            if key is not None and use.copy == use.original:
                parent[key] = use.original
        elif isinstance(parent, CommentedMap):
            current = ordereddict.get(parent, use.key)
            if current is use.copy and use.copy == use.original:
                ordereddict.__setitem__(parent, use.key, use.original)
        elif parent.get(use.key) is use.copy and use.copy == use.original:
            parent[use.key] = use.original
    for merge in sharing.merges:
        mapping = merge.mapping
        pairs = zip(merge.sources, merge.snapshots, strict=True)
        unchanged = all(source == snapshot for source, snapshot in pairs)
        if unchanged and all(ordereddict.__contains__(mapping, key) for key in merge.merged):
            # The merge key still means what it did: copies that nothing changed become merged values again.
            for key, copy in merge.copies.items():
                if ordereddict.__getitem__(mapping, key) is copy and copy == merge.merged[key]:
                    ordereddict.__setitem__(mapping, key, merge.merged[key])
                    mapping._ok.discard(key)
            continue
        # A source changed, or a merged key was removed: spell the merged keys out where `<<` was, drop it.
        position = getattr(getattr(mapping, merge_attrib), "merge_pos", 0)
        keys = list(ordereddict.__iter__(mapping))
        taken = [key for key in keys if key in merge.merged]
        own = [key for key in keys if key not in merge.merged]
        mapping._ok |= set(keys)
        delattr(mapping, merge_attrib)
        for key in [*own[:position], *taken, *own[position:]]:
            mapping.move_to_end(key)


# ---------------------------------------------------------------- writing


def render(document: Document) -> bytes:
    """The document's bytes: the original where nothing changed, the original merged with the changes
    otherwise, or, should the merge not mean what the patched tree means, ruamel's rendering of it."""
    if not document.changed:
        return document.original
    if document.sharing is not None:
        _reshare(document.sharing)
    newline = document.style.newline
    theirs = _after_start(dump(document.tree, document.style).split("\n"))
    text = document.original.decode("utf-8")
    bom = ""
    if text.startswith("\ufeff"):
        bom, text = "\ufeff", text[1:]
    head, body, tail = _frame(_lines(text))
    merged = merge_lines(body, _after_start(document.base.split("\n")), theirs, newline)
    if not _means(document, _finish(head, body, merged, tail, newline)):
        rendered = theirs[:-1] if theirs and theirs[-1] == "" else theirs
        merged = [line + newline for line in rendered]
    return (bom + _finish(head, body, merged, tail, newline)).encode("utf-8")


def _finish(head: list[str], body: list[str], merged: list[str], tail: list[str], newline: str) -> str:
    merged = list(merged)
    if merged and body and not body[-1].endswith("\n") and merged[-1].endswith("\n"):
        merged[-1] = merged[-1].rstrip("\r\n")  # the original did not end its last line: neither do we
    if tail and merged and not merged[-1].endswith("\n"):
        merged[-1] += newline
    return "".join(head + merged + tail)


def _means(document: Document, text: str) -> bool:
    """Whether `text` parses to what the patched document holds: the safety net under the line merge."""
    try:
        tree = _load(_yaml(document.style), text.replace("\r\n", "\n"))
    except (YAMLError, RecursionError):
        return False
    return bool(tree == document.tree)


def _lines(text: str) -> list[str]:
    """Lines with their endings; only LF (and CR LF) end a line, as in YAML 1.2."""
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result


_MARKER_LINE = re.compile(r"^---[ \t]*(?:#.*)?\r?\n?$")
_PREFIX_LINE = re.compile(r"^(?:%.*|[ \t]*(?:#.*)?)\r?\n?$")
_END_LINE = re.compile(r"^\.\.\.(?:[ \t].*)?\r?\n?$")


def _frame(ours: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(directives, comments and the `---` line; the document's lines; the `...` line)."""
    head: list[str] = []
    for index, line in enumerate(ours):
        if _MARKER_LINE.match(line):
            head = ours[: index + 1]
            break
        if not _PREFIX_LINE.match(line):
            break
    tail = [ours[-1]] if len(ours) > len(head) and _END_LINE.match(ours[-1]) else []
    return head, ours[len(head) : len(ours) - len(tail)], tail


def _after_start(lines: list[str]) -> list[str]:
    """A rendering without the directives and bare `---` line that ruamel writes before a document."""
    for index, line in enumerate(lines):
        if line.rstrip() == "---":
            return lines[index + 1 :]
        if not line.startswith("%"):
            break
    return lines


def _matches(a: list[str], b: list[str]) -> dict[int, int]:
    pairs: dict[int, int] = {}
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for offset in range(block.size):
            pairs[block.a + offset] = block.b + offset
    return pairs


_COMMENT = re.compile(r"^( *)#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _sink_comments(base: list[str], theirs: list[str]) -> list[str]:
    """Move comment lines that ruamel keeps in front of lines it inserted to after them.

    ruamel attaches a comment to the node before it, so keys added at the end of a mapping land after
    a comment that, in the original, introduced whatever follows the mapping. A run of comment lines
    (and blank lines after them) directly followed by inserted lines is moved below them, unless the
    comment lines are indented deeper than the inserted ones (then they may be text of a block scalar).
    """
    out: list[str] = []
    for tag, _, _, first, last in SequenceMatcher(None, base, theirs, autojunk=False).get_opcodes():
        block = theirs[first:last]
        if tag == "insert":
            start = len(out)
            while start > 0 and (_COMMENT.match(out[start - 1]) or not out[start - 1].strip()):
                start -= 1
            while start < len(out) and not _COMMENT.match(out[start]):
                start += 1  # blank lines before the comments stay where they are
            run = out[start:]
            lead = next((line for line in block if line.strip()), None)
            shallow = lead is not None and all(_indent(line) <= _indent(lead) for line in run if line.strip())
            if run and shallow:
                out[start:] = block + run
                continue
        out.extend(block)
    return out


def merge_lines(ours: list[str], base: list[str], theirs: list[str], newline: str) -> list[str]:
    """diff3 of the original lines (with their endings) and two renderings (without): see the module doc."""
    # The renderings end with "\n", so split() leaves an empty last item: drop it on both sides.
    if base and base[-1] == "":
        base = base[:-1]
    if theirs and theirs[-1] == "":
        theirs = theirs[:-1]
    theirs = _sink_comments(base, theirs)
    ours_plain = [line.rstrip("\r\n") for line in ours]
    to_ours = _matches(base, ours_plain)
    to_theirs = _matches(base, theirs)
    out: list[str] = []
    i0 = j0 = k0 = 0

    def settle(i: int, j: int, k: int) -> None:
        base_chunk, ours_chunk, theirs_chunk = base[i0:i], ours[j0:j], theirs[k0:k]
        if theirs_chunk == base_chunk:
            out.extend(ours_chunk)
        elif len(base_chunk) == len(ours_chunk):
            # The original and ruamel's rendering differ here only line for line (trailing blanks,
            # spacing): keep the original for every line the patch left alone.
            matcher = SequenceMatcher(None, base_chunk, theirs_chunk, autojunk=False)
            for tag, b1, b2, t1, t2 in matcher.get_opcodes():
                if tag == "equal":
                    out.extend(ours_chunk[b1:b2])
                else:
                    out.extend(line + newline for line in theirs_chunk[t1:t2])
        else:
            out.extend(line + newline for line in theirs_chunk)

    for i in range(len(base)):
        j, k = to_ours.get(i), to_theirs.get(i)
        if j is None or k is None or j < j0 or k < k0:
            continue
        settle(i, j, k)
        out.append(ours[j])
        i0, j0, k0 = i + 1, j + 1, k + 1
    settle(len(base), len(ours), len(theirs))
    return _fix_missing_newlines(out, newline)


def _fix_missing_newlines(lines: list[str], newline: str) -> list[str]:
    """A line taken from the original without its break, now followed by others, gets one."""
    last = len(lines) - 1
    return [line if line.endswith("\n") or i == last else line + newline for i, line in enumerate(lines)]
