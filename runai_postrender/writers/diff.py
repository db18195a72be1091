"""The one comparison of a document's data before and after its change, which both writers replay.

`Diff` walks the old data against the new and calls its writer's hooks for each difference: a key
removed or added, list items removed or inserted (only those: see `listdiff`), a value replaced. Where the
writer is in the document (`At`: a node for the text editor, a path for the round trip) is the writer's
own: `child` and `item` say how it goes down. Hooks come in an order either writer can apply: in a list,
the items kept are compared before the ones removed and inserted after them, and the list's stretches
last first, so that indices still to come stay valid.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from runai_postrender.reading import reader
from runai_postrender.writers.listdiff import list_opcodes

At = TypeVar("At")


def in_text_order(old: dict[Any, Any], new: dict[Any, Any]) -> None:
    """Give the mapping `new` the order its keys are written in where the writers change `old` into it:
    the keys kept in the order the text has them, then the keys added (below them), in their own order.
    Helm and Kubernetes read a mapping without regard to its order; a minimal change keeps the text's.
    In place: the new data then reads as what is written (the read-back compares keys in order)."""
    order = [name for name in old if name in new]
    if len(order) < len(new):
        order += [name for name in new if name not in old]
    if order != list(new):
        items = [(name, new[name]) for name in order]
        new.clear()
        new.update(items)


def in_old_order(old: Any, new: Any) -> None:
    """Give `new`, data equal to `old` but for the order of mappings' keys, `old`'s order all the way
    down (in place): where the writers leave a node's text as it is, the new data reads as it is written."""
    stack = [(old, new)]
    while stack:
        old, new = stack.pop()
        if old is new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            in_text_order(old, new)
            stack.extend((old[name], new[name]) for name in old)
        elif isinstance(old, list) and isinstance(new, list):
            stack.extend(zip(old, new, strict=True))


class Diff(Generic[At]):
    """The walk; a writer subclasses it with its hooks."""

    def diff(self, at: At, old: Any, new: Any) -> None:
        if old is new:
            return
        if isinstance(old, dict) and isinstance(new, dict):
            self.diff_mapping(at, old, new)
        elif isinstance(old, list) and isinstance(new, list) and old:
            self.diff_sequence(at, old, new)
        elif not reader.same(old, new):
            self.replace(at, new)

    def diff_mapping(self, at: At, old: dict[Any, Any], new: dict[Any, Any]) -> None:
        for index, name in enumerate(old):
            if name not in new:
                self.remove_key(at, index, name)
            else:
                self.diff(self.child(at, index, name), old[name], new[name])
        added = {name: value for name, value in new.items() if name not in old}
        if added:
            self.add_keys(at, added)

    def diff_sequence(self, at: At, old: list[Any], new: list[Any]) -> None:
        """Only the items inserted or removed are written or taken out (a moved item is one removed and one
        inserted); the others are compared in place."""
        for _, old_start, old_end, new_start, new_end in list_opcodes(old, new):
            common = min(old_end - old_start, new_end - new_start)
            for offset in range(common):
                index = old_start + offset
                self.diff(self.item(at, index), old[index], new[new_start + offset])
            if old_end - old_start > common:
                self.remove_items(at, old_start + common, old_end)
            if new_end - new_start > common:
                self.insert_items(at, old_start + common, new[new_start + common : new_end])

    # ---- the writer's hooks
    def child(self, at: At, index: int, name: Any) -> At:
        """Where the value of the mapping's `index`th key, `name`, stands."""
        raise NotImplementedError

    def item(self, at: At, index: int) -> At:
        raise NotImplementedError

    def replace(self, at: At, new: Any) -> None:
        raise NotImplementedError

    def remove_key(self, at: At, index: int, name: Any) -> None:
        raise NotImplementedError

    def add_keys(self, at: At, added: dict[Any, Any]) -> None:
        raise NotImplementedError

    def remove_items(self, at: At, start: int, end: int) -> None:
        raise NotImplementedError

    def insert_items(self, at: At, before: int, items: list[Any]) -> None:
        raise NotImplementedError
