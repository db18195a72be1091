"""What a plain YAML scalar means to Helm and Kubernetes: the resolver the reader uses for every plain scalar.

Helm's reader is go-yaml v2 under sigs.k8s.io/yaml, whose YAML 1.1 differs from PyYAML's: `y` and `n`
are booleans, `1e3` and `0o17` numbers, `12:30` and `2020-01-01` strings. It resolves a plain scalar by
a table of words, then as a number the way Go parses one (underscores dropped; ints in any base Go's
ParseInt knows, a leading 0 meaning octal; floats of the shape below); everything else is a string.
"""

from __future__ import annotations

import re

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
