"""Read a document with ruamel.yaml: what libyaml refuses (a reused anchor), and the tree the round trip edits.

ruamel.yaml is imported only for a document that needs it: it costs more start-up time than everything
else a run imports.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, merge_attrib
from ruamel.yaml.compat import ordereddict
from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLWarning
from ruamel.yaml.scanner import RoundTripScanner, ScannerError

from runai_postrender.documents.style import Style
from runai_postrender.reading.helmscalars import TagError, number
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
    except (ValueError, AttributeError, KeyError) as exc:  # ruamel's constructor of a tag (`!!omap env: ...`)
        raise InputError(f"{where}: a tagged value that ruamel.yaml cannot build ({exc}): cannot write it") from exc


def read(text: str, where: str, first_line: int) -> Any:
    """The plain data of a document that libyaml refused, as ruamel reads it (duplicate anchors, YAML 1.2
    forms); or the InputError ruamel words for it, naming the line and the problem as users read them."""
    tree = load(text.replace("\r\n", "\n"), Style(), where, first_line)
    try:
        return _plain(tree)
    except RecursionError as exc:
        raise InputError(f"{where}: nested too deeply to process") from exc
    except TagError as exc:
        raise InputError(f"{where}: {exc}") from exc


def _plain(value: Any) -> Any:
    """ruamel's round-trip types as plain data (a tagged value as the value; merged keys spelled out as
    go-yaml v2 merges them, see `_merged`); NaN and infinities refused, as Helm refuses them."""
    if isinstance(value, CommentedMap) and getattr(value, merge_attrib, None):
        return _merged(value)
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "value") and not isinstance(value, str | int | float):  # TaggedScalar
        return _plain(value.value)
    if isinstance(value, float):
        return number(float(value), str(value))
    for kind in (bool, int, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def _merged(mapping: CommentedMap) -> dict[Any, Any]:
    """A mapping with a `<<` merge as Helm's reader (go-yaml v2) reads it: the keys written before `<<`,
    then the merged mappings (in `<<: [*a, *b]` the first one winning), then the keys written after it,
    each setting a key again. ruamel lets a key written before `<<` win, as the YAML merge spec says."""
    merge = getattr(mapping, merge_attrib)
    own = [(key, ordereddict.__getitem__(mapping, key)) for key in ordereddict.__iter__(mapping) if key in mapping._ok]
    at = merge.merge_pos or 0
    data: dict[Any, Any] = {_plain(key): _plain(value) for key, value in own[:at]}
    for source in reversed(list(merge.value)):
        data.update(_plain(source))
    data.update((_plain(key), _plain(value)) for key, value in own[at:])
    return data
