"""A three-way merge of lines: the original text, and two renderings of it (before and after a change).

ruamel.yaml keeps comments, key order and quotes, but its emitter still normalises some text (spacing
inside flow collections, trailing blanks, indentation it cannot infer). So a changed document is
written by a three-way merge, line by line: `base` is ruamel's rendering of the document as parsed,
`theirs` its rendering after the change, `ours` the original text. Where `theirs` equals `base`, the
original lines are kept byte for byte; elsewhere the changed lines are taken. The diff of input and
output therefore shows the changed fields and nothing else. The document's `---` line, directives
and `...` end marker, which ruamel does not render as written, are kept aside and put back.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher


def merge(text: str, base: str, theirs: str, newline: str) -> str:
    """The original `text` with the change from ruamel's `base` rendering to its `theirs` rendering."""
    head, body, tail = _frame(_lines(text))
    merged = merge_lines(body, _after_start(base.split("\n")), _after_start(theirs.split("\n")), newline)
    return _finish(head, body, merged, tail, newline)


def rendering(text: str, theirs: str, newline: str) -> str:
    """ruamel's whole rendering `theirs`, inside the original text's `---` line and `...` marker."""
    head, body, tail = _frame(_lines(text))
    rendered = _after_start(theirs.split("\n"))
    rendered = rendered[:-1] if rendered and rendered[-1] == "" else rendered
    return _finish(head, body, [line + newline for line in rendered], tail, newline)


def _finish(head: list[str], body: list[str], merged: list[str], tail: list[str], newline: str) -> str:
    merged = list(merged)
    if merged and body and not body[-1].endswith("\n") and merged[-1].endswith("\n"):
        merged[-1] = merged[-1].rstrip("\r\n")  # the original did not end its last line: neither do we
    if tail and merged and not merged[-1].endswith("\n"):
        merged[-1] += newline
    return "".join(head + merged + tail)


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


# Below this many line pairs, a gap between anchors is matched by difflib (quadratic, exact enough).
_SMALL = 40_000


def _matches(a: list[str], b: list[str]) -> dict[int, int]:
    """Lines of `a` paired with equal lines of `b`, in order: a patience diff. The common head and tail
    are paired first, then lines that occur once on each side anchor the rest, and only small gaps
    between anchors go to difflib, so a document of repeated lines costs near-linear time, not the
    square of its length (difflib alone, on lines that repeat)."""
    pairs: dict[int, int] = {}
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            pairs[alo] = blo
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
            pairs[ahi] = bhi
        if alo == ahi or blo == bhi:
            continue
        anchors = _unique_anchors(a, b, alo, ahi, blo, bhi)
        if not anchors:
            if (ahi - alo) * (bhi - blo) <= _SMALL:
                for block in SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False).get_matching_blocks():
                    for offset in range(block.size):
                        pairs[alo + block.a + offset] = blo + block.b + offset
            continue  # a large gap without an anchor stays unpaired: its lines are taken as changed
        previous = (alo, blo)
        for i, j in anchors:
            pairs[i] = j
            stack.append((previous[0], i, previous[1], j))
            previous = (i + 1, j + 1)
        stack.append((previous[0], ahi, previous[1], bhi))
    return pairs


def _unique_anchors(a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int) -> list[tuple[int, int]]:
    """Lines that occur exactly once in `a[alo:ahi]` and once in `b[blo:bhi]`, paired, the longest run
    in the same order on both sides."""
    seen_a: dict[str, int] = {}
    for i in range(alo, ahi):
        seen_a[a[i]] = -1 if a[i] in seen_a else i
    seen_b: dict[str, int] = {}
    for j in range(blo, bhi):
        if seen_a.get(b[j], -1) >= 0:
            seen_b[b[j]] = -1 if b[j] in seen_b else j
    candidates = sorted((seen_a[line], j) for line, j in seen_b.items() if j >= 0)
    # The longest increasing run of b positions (patience sorting), with back links to rebuild it.
    tops: list[int] = []  # index into candidates of the smallest tail of each run length
    back: list[int] = [-1] * len(candidates)
    for index, (_, j) in enumerate(candidates):
        length = _bisect(candidates, tops, j)
        if length > 0:
            back[index] = tops[length - 1]
        if length == len(tops):
            tops.append(index)
        else:
            tops[length] = index
    run: list[tuple[int, int]] = []
    index = tops[-1] if tops else -1
    while index >= 0:
        run.append(candidates[index])
        index = back[index]
    return run[::-1]


def _bisect(candidates: list[tuple[int, int]], tops: list[int], j: int) -> int:
    """How many runs have a tail below `j`: the length of the run `j` extends."""
    low, high = 0, len(tops)
    while low < high:
        middle = (low + high) // 2
        if candidates[tops[middle]][1] < j:
            low = middle + 1
        else:
            high = middle
    return low


def _opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib-style opcodes from `_matches`: runs of equal lines and the changes between them."""
    codes: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for x, y in sorted(_matches(a, b).items()):
        if x > i or y > j:
            codes.append(("replace" if x > i and y > j else "delete" if x > i else "insert", i, x, j, y))
        codes.append(("equal", x, x + 1, y, y + 1))
        i, j = x + 1, y + 1
    if i < len(a) or j < len(b):
        codes.append(
            ("replace" if i < len(a) and j < len(b) else "delete" if i < len(a) else "insert", i, len(a), j, len(b))
        )
    return codes


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
    for tag, _, _, first, last in _opcodes(base, theirs):
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
            for tag, b1, b2, t1, t2 in _opcodes(base_chunk, theirs_chunk):
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
