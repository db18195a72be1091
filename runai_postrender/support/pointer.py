"""RFC 6901 JSON pointers: split, join, resolve in plain data, and expand the profiles' `*` segments."""

from __future__ import annotations

from typing import Any

from runai_postrender.support.errors import PatchError


def unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def split(pointer: str) -> list[str]:
    """The unescaped reference tokens of a pointer (`""` is the whole document: no tokens)."""
    return [unescape(part) for part in pointer.split("/")[1:]]


def join(parts: list[str]) -> str:
    return "".join("/" + escape(str(part)) for part in parts)


def child(node: Any, part: str) -> tuple[bool, Any]:
    """(found, value) of one step into a mapping (by key) or a list (by index)."""
    if isinstance(node, dict):
        return (part in node, node.get(part))
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return True, node[int(part)]
    return False, None


def resolve(node: Any, pointer: str) -> tuple[bool, Any]:
    """(found, value) at `pointer` in plain data."""
    for part in split(pointer):
        found, node = child(node, part)
        if not found:
            return False, None
    return True, node


def expand(node: Any, pointer: str, where: str) -> list[str]:
    """The pointers that a pointer with `*` segments stands for: one per item of the list found there.
    A `*` over an absent field stands for nothing; over something that is not a list, it is an error."""
    results: list[str] = []
    stack: list[tuple[Any, list[str], list[str]]] = [(node, [], pointer.split("/")[1:])]
    while stack:
        current, done, rest = stack.pop()
        if not rest:
            results.append("/".join(["", *done]) if done else "")
            continue
        head, tail = rest[0], rest[1:]
        if head == "*":
            if current is None:
                continue
            if not isinstance(current, list):
                raise PatchError(f"{where}: {'/'.join(['', *done])} is not a list, so `*` cannot expand")
            stack.extend((item, [*done, str(index)], tail) for index, item in reversed(list(enumerate(current))))
            continue
        _, value = child(current, unescape(head))
        stack.append((value, [*done, head], tail))
    return results
