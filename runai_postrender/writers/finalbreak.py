"""The end of a text that had no final line break, as the text editor writes it.

The editor edits such a text as if it had one (lines added at the end would each bring one), and the
result ends without it again, but for a block scalar (`|`, `>`) that the edits leave at the end: its
value needs the line break it ends with. A block scalar that ended the text gets the indicator that
keeps its value without one (`|-`) where lines are added after it.
"""

from __future__ import annotations

import re

from runai_postrender.reading import marks
from runai_postrender.writers import splice

_INDICATOR = re.compile(r"[|>]([1-9]?)([+-]?)([1-9]?)")


def strips(text: str, edits: list[splice.Edit]) -> bool:
    """Whether the result of the `edits` to `text`, which had no final line break (the editor added one),
    ends without one, as the text did. A block scalar that ended the text has none in its value (`|`
    clips to nothing, `|+` keeps nothing): where lines are added after it, its indicator strips it
    (`|-`, an edit added to `edits`), as the round trip writes it. A block scalar that comes to end the
    text where the keys or items after it are removed has one in its value (but with `-`): the result
    keeps the line break."""
    size = len(text)
    ends = size  # where the result's text from the original ends: before the removals that reach its end
    for item in reversed(splice.ordered(edits)):
        if item.end != ends or item.text:
            break
        ends = item.start
    if ends == size and not any(item.start == size for item in edits):
        return True  # (the text's end as it was)
    scalars = marks.scalar_marks(text)
    # a block scalar that ends where the result's text from the original does
    uncovered = [start for style, start, end in scalars if style in ("|", ">") and end == ends < size]
    if uncovered:
        found = _INDICATOR.match(text, uncovered[-1])
        return found is not None and found.group(2) == "-"
    if not scalars or scalars[-1][0] not in ("|", ">") or text[scalars[-1][2] :].strip():
        return True
    start = scalars[-1][1]
    found = _INDICATOR.match(text, start)
    if found is not None and found.group(2) != "-":
        indicator = text[start] + found.group(1) + found.group(3) + "-"
        edits.append(splice.Edit(start, found.end(), indicator))
    return True
