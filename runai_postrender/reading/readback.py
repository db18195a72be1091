"""Whether a written text reads back as exactly the patched data: the check under both writers.

`matches` walks the edited text's events alongside the data with the walker of the write-time re-read
(`events.Walk`, see `sparse`), stopping at the first difference. Merge keys, tags and complex keys (what
the events leave to the node tree) are read whole.
"""

from __future__ import annotations

from typing import Any

import yaml

from runai_postrender.documents.document import Source
from runai_postrender.reading import reader, sparse
from runai_postrender.reading.events import Slow
from runai_postrender.support.errors import InputError


class Mismatch(Exception):
    """A written text that does not read back as the data it was written for."""


def check(result: str | bytes, new: Any, *, ordered: bool = True, by_ruamel: bool = False) -> None:
    """Raise Mismatch unless the written text `result` reads back as exactly the new data: the one check
    under both writers. The round trip's result may order a mapping's keys otherwise (`ordered`), and a
    document only ruamel reads is read back by ruamel (`by_ruamel`)."""
    try:
        if by_ruamel:
            from runai_postrender.reading import ruamel  # (only for such a document: ruamel is slow to load)

            found = ruamel.read(result if isinstance(result, str) else result.decode("utf-8"), "", 1)
        else:
            try:
                if not ordered:
                    raise Slow("keys in any order")
                if matches(result, new):
                    return
                raise Mismatch("the written text does not read back as the new data")
            except Slow:  # merge keys, tags, complex keys: read it whole
                found = reader.read(result if isinstance(result, str) else result.decode("utf-8"))
    except (yaml.YAMLError, reader.Shape, InputError, RecursionError) as exc:
        raise Mismatch(f"the written text does not parse: {exc}") from exc
    if not reader.same(found, new, ordered=ordered, quoted_numbers=True):
        raise Mismatch("the written text does not read back as the new data")


def matches(text: Source, new: Any) -> bool:
    """Whether `text` reads as exactly `new` (a string equals the number it spells: the writers keep a
    value's quotes): the re-read's walk (`sparse`) finds no difference. Raises Slow, yaml.YAMLError."""
    return sparse.differs_nowhere(text, new)
