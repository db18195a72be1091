"""New YAML values written in a document's style: scalars quoted where they must be, flow and block forms."""

from __future__ import annotations

import json
import re
from typing import Any

from runai_postrender.documents.style import Style

# A string that YAML reads back as the same string when written without quotes: starts with a letter,
# digit, `/` or `.`, holds no indicator that could end or start something, and is no other type.
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9./_][A-Za-z0-9./_+=@()-]*(?: [A-Za-z0-9./_+=@()-]+)*")
_NOT_A_STRING = re.compile(
    r"""(?x)
    ~ | null | Null | NULL
    | y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    | [-+]?(?:0|[1-9][0-9_]*)                      # int
    | [-+]?0[bB][01_]+ | [-+]?0[oO]?[0-7_]+ | [-+]?0[xX][0-9a-fA-F_]+   # other bases (YAML 1.1, 1.2, Go)
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?        # sexagesimal (YAML 1.1)
    | [-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?   # float
    | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
    | \d{4}-\d\d?-\d\d?(?:[Tt ].*)?                # timestamp
    | <<
    """
)


_OTHER_BREAKS = "\x85\u2028\u2029"
_ESCAPED_BREAKS = {ord(c): f"\\u{ord(c):04x}" for c in _OTHER_BREAKS}


class Quoted(str):
    """A string to write in the quotes it had where it was copied from (`'` or `"`)."""

    quote: str | None = None

    def __new__(cls, text: str, quote: str | None) -> Quoted:
        made = super().__new__(cls, text)
        made.quote = quote
        return made


def reads_as_another_type(text: str) -> bool:
    """Whether a YAML 1.1 or 1.2 reader takes this text, written without quotes, for something other than
    a string (`on`, `n`, `12:30`, `1e3`, `0o17`, `~` ...)."""
    return bool(_NOT_A_STRING.fullmatch(text))


def is_plain_safe(text: str) -> bool:
    return bool(_PLAIN_SAFE.fullmatch(text)) and not _NOT_A_STRING.fullmatch(text)


def scalar(value: Any, quote: str | None = None) -> str:
    """A scalar as YAML text; `quote` (`'` or `"`) asks for that quoting where the value is a string."""
    if isinstance(value, Quoted) and quote is None:
        quote = value.quote
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
        return _quoted(text, quote) if quote else text
    text = str(value)
    if quote is None and is_plain_safe(text):
        return text
    return _quoted(text, quote or "'")


def _quoted(text: str, quote: str | None) -> str:
    if quote == '"' or "\n" in text or any(ord(c) < 32 or c in _OTHER_BREAKS for c in text):
        # JSON's escapes are YAML's too; NEL, LS and PS are line breaks to libyaml, folded in quotes as they stand
        return json.dumps(text, ensure_ascii=False).translate(_ESCAPED_BREAKS)
    return "'" + text.replace("'", "''") + "'"


def flow(value: Any) -> str:
    """A value on one line: `{a: 1, b: [x, y]}`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(key)}: {flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    return scalar(value)


def block_entries(mapping: dict[Any, Any], indent: int, style: Style) -> list[str]:
    """The lines (without line endings) of mapping entries at `indent` spaces."""
    lines: list[str] = []
    pad = " " * indent
    for key, value in mapping.items():
        head = f"{pad}{scalar(key)}:"
        if isinstance(value, dict) and value:
            lines.append(head)
            lines.extend(block_entries(value, indent + style.mapping, style))
        elif isinstance(value, list) and value:
            lines.append(head)
            lines.extend(block_items(value, indent + style.offset, style))
        else:
            lines.append(f"{head} {flow(value)}")
    return lines


def block_items(items: list[Any], indent: int, style: Style) -> list[str]:
    """The lines of a block sequence whose dashes stand at `indent` spaces."""
    lines: list[str] = []
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            inner = block_entries(item, indent + 2, style)
            lines.append(f"{pad}- {inner[0].lstrip(' ')}")
            lines.extend(inner[1:])
        elif isinstance(item, list) and item:
            inner = block_items(item, indent + 2, style)
            lines.append(f"{pad}- {inner[0].lstrip(' ')}")
            lines.extend(inner[1:])
        else:
            lines.append(f"{pad}- {flow(item)}")
    return lines


def document(mapping: dict[Any, Any], style: Style) -> str:
    """A whole document body, each line ended in the document's line ending."""
    return "".join(line + style.newline for line in block_entries(mapping, 0, style))
