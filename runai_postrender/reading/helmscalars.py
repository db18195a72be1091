"""What a plain YAML scalar means to Helm and Kubernetes: the resolver the reader uses for every plain scalar.

Helm's reader is go-yaml v2 under sigs.k8s.io/yaml, whose YAML 1.1 differs from PyYAML's: `y` and `n`
are booleans, `1e3` and `0o17` numbers, `12:30` and `2020-01-01` strings. It resolves a plain scalar by
a table of words, then as a number the way Go parses one (underscores dropped; ints in any base Go's
ParseInt knows, a leading 0 meaning octal; floats of the shape below); everything else is a string.
A scalar with an explicit tag (`!!int "12"`) is resolved the same way and must then be of that type, or
Helm refuses the document (`tagged`); NaN and infinities it refuses too, as JSON has none (`number`).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import math
import re
from typing import Any

TRUE = frozenset(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"])
FALSE = frozenset(["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"])
_INFINITIES = [f"{sign}.{word}" for sign in ("", "+", "-") for word in ("inf", "Inf", "INF")]
_WORDS = {
    **dict.fromkeys(TRUE | FALSE, "bool"),
    **dict.fromkeys(["", "~", "null", "Null", "NULL"], "null"),
    **dict.fromkeys([*_INFINITIES, ".nan", ".NaN", ".NAN"], "float"),
    "<<": "merge",
}
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_GO_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_NUMBER_START = frozenset("+-0123456789")
# go-yaml v2's timestamps: date, date T time with a zone (`t` too), or date space time without one.
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})| ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?)?"
)
SCALAR_TAGS = frozenset(["str", "int", "float", "bool", "null", "timestamp", "binary"])


class TagError(ValueError):
    """A scalar that Helm's reader cannot read as its tag says (`!!int x`), or a number JSON cannot hold."""


def go_int(text: str) -> int:
    """The int that Go's ParseInt reads from `text` (base 0: a prefix picks the base, a leading 0 octal)."""
    plain = text.replace("_", "")
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
        return sign * int(digits, 8)
    return sign * int(digits, 0)


def helm_type(text: str) -> str:
    """What Helm's reader takes the plain scalar `text` for: bool, null, int, float, merge or str."""
    word = _WORDS.get(text)
    if word is not None:
        return word
    if not text:
        return "str"
    if text[0] == ".":
        return "float" if _GO_DOT_FLOAT.fullmatch(text) else "str"
    if text[0] not in _NUMBER_START:
        return "str"
    plain = text.replace("_", "")
    if _GO_INT.fullmatch(plain) and -(1 << 63) <= go_int(plain) < (1 << 64):
        return "int"
    return "float" if _GO_FLOAT.fullmatch(plain) else "str"


def go_float(text: str) -> float:
    """The float that Helm's reader makes of a plain scalar it takes for a float (or an int)."""
    if text in _INFINITIES:
        return -math.inf if text.startswith("-") else math.inf
    if text in (".nan", ".NaN", ".NAN"):
        return math.nan
    plain = text.replace("_", "")
    if _GO_INT.fullmatch(plain):
        return float(go_int(plain))
    return float(plain)


def number(value: float, text: str) -> float:
    """`value` if JSON can hold it: Helm hands every document on as JSON, which has no NaN or infinity."""
    if math.isfinite(value):
        return value
    raise TagError(f"`{text}` is not a number Helm can read (JSON has no NaN or infinity)")


def plain(kind: str, text: str) -> Any:
    """The value of the scalar `text`, which Helm's reader takes for `kind` (as `helm_type` says)."""
    if kind == "null":
        return None
    if kind == "bool":
        return text in TRUE
    if kind == "int":
        return go_int(text)
    if kind == "float":
        return number(go_float(text), text)
    return text


def tagged(kind: str, text: str) -> Any:
    """The value of the scalar `text` written with the tag `!!kind` (one of SCALAR_TAGS), as go-yaml v2
    reads it: resolved as if plain, and then of that kind (an int may be a float); a timestamp is kept as
    its text and !!binary decoded. Raises TagError in Helm's words where Helm refuses the document."""
    if kind == "str":
        return text
    if kind == "binary":
        try:
            data = base64.b64decode(text.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise TagError("!!binary value contains invalid base64 data") from exc
        return data.decode("utf-8", "replace")
    if kind == "timestamp" and _is_timestamp(text):
        return text  # go-yaml v2 gives a timestamp as its text where the type is open (as in Helm's reading)
    found = helm_type(text)
    if found == kind or (kind == "float" and found == "int"):
        return plain(kind, text)
    raise TagError(f"cannot decode !!{found} `{text}` as a !!{kind}")


def _is_timestamp(text: str) -> bool:
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return False
    year, month, day, *times = match.groups()
    hour, minute, second = [int(part) for part in times if part is not None] or [0, 0, 0]
    try:
        datetime.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return hour < 24 and minute < 60 and second < 60
