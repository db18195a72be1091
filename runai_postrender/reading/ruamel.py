"""Read a document with ruamel.yaml: what libyaml refuses (a reused anchor), and the tree the round trip edits.

ruamel.yaml is imported only for a document that needs it: it costs more start-up time than everything
else a run imports.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLWarning
from ruamel.yaml.scanner import RoundTripScanner, ScannerError

from runai_postrender.documents.style import Style
from runai_postrender.support.errors import InputError
from runai_postrender.support.limits import MAX_FLOW_DEPTH


class _Scanner(RoundTripScanner):
    """ruamel's round-trip scanner, refusing flow collections nested past MAX_FLOW_DEPTH (its cost grows
    with the square of the depth)."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        if self.flow_level >= MAX_FLOW_DEPTH:
            raise ScannerError(
                None, None, f"flow collections nested more than {MAX_FLOW_DEPTH} deep", self.reader.get_mark()
            )
        super().fetch_flow_collection_start(TokenClass, to_push)


@cache
def yaml_for(style: Style) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Scanner = _Scanner
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # never wrap long lines
    yaml.allow_unicode = True
    yaml.indent(mapping=style.mapping, sequence=style.offset + 2, offset=style.offset)  # `- ` then the item
    return yaml


def load(text: str, style: Style, where: str, first_line: int) -> Any:
    """ruamel's round-trip tree of a document's text (LF line endings); errors name the stream's line."""
    try:
        with warnings.catch_warnings():
            # ruamel warns (on stderr, several lines) about reused anchors and YAML 1.1 floats: valid YAML.
            warnings.simplefilter("ignore", YAMLWarning)
            return yaml_for(style).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {first_line + mark.line}" if mark is not None else ""
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise InputError(f"{where}{line}: {problem}") from exc
    except YAMLError as exc:
        raise InputError(f"{where}: {str(exc).splitlines()[0] if str(exc) else 'invalid YAML'}") from exc
    except RecursionError as exc:
        raise InputError(f"{where}: nested too deeply to process") from exc
    except TypeError as exc:  # ruamel cannot hold a mapping or a list as a key (`? ` with a block below it)
        raise InputError(f"{where}: a mapping key that is itself a mapping or a list: cannot write it") from exc


def read(text: str, where: str, first_line: int) -> Any:
    """The plain data of a document that libyaml refused, as ruamel reads it (duplicate anchors, YAML 1.2
    forms); or the InputError ruamel words for it, naming the line and the problem as users read them."""
    tree = load(text.replace("\r\n", "\n"), Style(), where, first_line)
    try:
        return _plain(tree)
    except RecursionError as exc:
        raise InputError(f"{where}: nested too deeply to process") from exc


def _plain(value: Any) -> Any:
    """ruamel's round-trip types as plain data (a tagged value as the value; merged keys spelled out)."""
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "value") and not isinstance(value, str | int | float):  # TaggedScalar
        return _plain(value.value)
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value
