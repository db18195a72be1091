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
