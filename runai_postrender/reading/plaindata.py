"""Plain data as the writers compare it: copies that share nothing, and equality that tells types apart."""

from __future__ import annotations

from typing import Any

from runai_postrender.support import limits


class Shape(Exception):
    """The document cannot be read as plain data (duplicate keys, an alias bomb); the message says why,
    `line` (0-based, in the document's text) where."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def unshare(data: Any) -> Any:
    """`data` with no container in two places: where an alias put a container again, that place gets a
    copy of its own (in place: the first place keeps the original, so a document without aliases costs
    nothing). copy.deepcopy would keep the sharing (that is what its memo is for), and a patch written
    through one alias would show up at every other. Iterative, so deep nesting costs no recursion."""
    if not isinstance(data, dict | list):
        return data
    seen = {id(data)}
    budget = [limits.MAX_ALIAS_COPIES]
    stack = [data]
    while stack:
        node = stack.pop()
        for key, value in list(node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(value, dict | list):
                if id(value) in seen:
                    node[key] = _copy(value, budget)
                else:
                    seen.add(id(value))
                    stack.append(value)
    return data


def copy_apart(placements: list[tuple[Any, Any]]) -> None:
    """Give each place an alias put a mapping or a list (a container and a key or index in it, see
    events.Walk.placements) a copy of its own: `unshare` for a document whose aliases are known."""
    budget = [limits.MAX_ALIAS_COPIES]
    for container, key in placements:
        container[key] = _copy(container[key], budget)


def _copy(data: dict[Any, Any] | list[Any], budget: list[int]) -> Any:
    """A copy of `data` sharing no container with it, each copied container taken from `budget`."""
    root: Any = {} if isinstance(data, dict) else []
    stack = [(data, root)]
    while stack:
        budget[0] -= 1
        if budget[0] < 0:
            raise Shape(f"its aliases would need more than {limits.MAX_ALIAS_COPIES:,} copied nodes (an alias bomb?)")
        source, target = stack.pop()
        for key, value in source.items() if isinstance(source, dict) else enumerate(source):
            if isinstance(value, dict | list):
                copy: Any = {} if isinstance(value, dict) else []
                stack.append((value, copy))
                value = copy
            if isinstance(target, dict):
                target[key] = value
            else:
                target.append(value)
    return root


def same(a: Any, b: Any, ordered: bool = True, quoted_numbers: bool = False) -> bool:
    """Equal data of equal types all the way down (`1 == True` and `1 == 1.0` in Python, not here), with
    mapping keys in the same order unless `ordered` is false. With `quoted_numbers`, a string equals the
    number it spells: the writers keep a value's quotes, so a number replacing `cpu: "500m"` reads back
    as the string "1"."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y:
            continue
        if isinstance(x, dict) and isinstance(y, dict):
            if (list(x) != list(y)) if ordered else (x.keys() != y.keys()):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif (type(x) is not type(y) or x != y) and not (quoted_numbers and (_spells(x, y) or _spells(y, x))):
            return False
    return True


def _spells(text: Any, number: Any) -> bool:
    return (
        isinstance(text, str)
        and isinstance(number, int | float)
        and not isinstance(number, bool)
        and (text == str(number))
    )
