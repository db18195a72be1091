"""Value objects without the dataclasses module: equality and repr by the fields a class names in its
`__slots__`, a hash by them for the immutable ones (`Frozen`), and `replaced` for a changed copy.

Why not dataclasses: a plain run's start-up is promised within 9x a bare interpreter, and with the wheel
installed the dataclasses module (it imports inspect, ast, dis and tokenize) and the code it compiles for
each class cost 21 of the 72 ms our imports took (measured 2026-12-08, CPU time, median of 21 runs).
Each class here writes its own `__init__`; its `__slots__` name its fields, in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self


class Record:
    """Equal to another of its class with equal fields; unhashable, as a mutable dataclass is."""

    __slots__: tuple[str, ...] = ()

    def fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__ and self.fields() == other.fields()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({shown})"

    def replaced(self, **changes: Any) -> Self:
        """A copy with `changes` made (field names, as in the constructor)."""
        unknown = set(changes) - set(self.__slots__)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        new = object.__new__(type(self))
        for name in self.__slots__:
            object.__setattr__(new, name, changes[name] if name in changes else getattr(self, name))
        return new


class Frozen(Record):
    """A Record never changed once made (by convention), and so hashable by its fields."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self.fields())
