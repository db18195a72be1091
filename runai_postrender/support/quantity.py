"""Kubernetes resource quantities (`500m`, `1`, `6G`, `7Gi`): parse them to compare and to check profile values.

A quantity is what Kubernetes' resource.ParseQuantity reads: ASCII digits only, a decimal or binary SI
suffix (`E` is exa, `Ei` exbi) or a decimal exponent (`e3`, `E-2`) that fits in 32 bits (ParseQuantity
casts it to int32: a larger one wraps around into another value); the value capped at 2^63-1 and a
non-zero value rounded up to a whole nano, as Kubernetes stores it.
"""

from __future__ import annotations

import math
import re
from decimal import MAX_EMAX, MIN_EMIN, ROUND_UP, Context, Decimal, InvalidOperation
from typing import Any

_QUANTITY = re.compile(
    r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE]([+-]?[0-9]+))?", re.ASCII
)
_INT32 = 1 << 31
_LARGEST = Decimal((1 << 63) - 1)
_NANO = Decimal("1e-9")
_EXACT = Context(prec=80, Emax=MAX_EMAX, Emin=MIN_EMIN)
_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def parse(value: Any) -> Decimal | None:
    """The quantity's value in base units, or None if it is not a Kubernetes quantity."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None  # (the reader refuses NaN and infinities, as Helm does: never compared)
    if isinstance(value, int | float):
        value = str(value)  # as Helm hands it on: a JSON number, which Kubernetes parses as a quantity
    if not isinstance(value, str):
        return None
    match = _QUANTITY.fullmatch(value)  # ParseQuantity allows no spaces: `4G ` is not a quantity
    if match is None:
        return None
    number, suffix, exponent = match.group(1), match.group(2) or "", match.group(3)
    try:
        if exponent is not None:
            if not -_INT32 <= int(exponent) < _INT32:
                return None
            amount = Decimal(number).scaleb(int(exponent), _EXACT)
        else:
            amount = _EXACT.multiply(Decimal(number), _SUFFIX[suffix])
    except InvalidOperation:
        return None
    if amount.copy_abs() > _LARGEST:
        return _LARGEST.copy_sign(amount)
    return amount if amount == amount.to_integral_value() else amount.quantize(_NANO, ROUND_UP, _EXACT)


def same(a: Any, b: Any) -> bool:
    """Whether two scalars mean the same setting: equal, or equal quantities (`1` and `1000m`)."""
    if a == b and type(a) is type(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    qa, qb = parse(a), parse(b)
    return qa is not None and qa == qb


def larger(a: Any, b: Any) -> Any:
    """The larger of two quantities, or of two mappings leaf by leaf (a missing leaf is the smaller); None
    where two leaves are not both quantities and differ."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        merged = {}
        for name in [*a, *(n for n in b if n not in a)]:
            leaf = larger(a.get(name), b.get(name))
            if leaf is None:
                return None
            merged[name] = leaf
        return merged
    if same(a, b):
        return a
    qa, qb = parse(a), parse(b)
    if qa is None or qb is None:
        return None
    return a if qa >= qb else b


def same_leaves(a: Any, b: Any) -> bool:
    """Whether two quantities, or two mappings leaf by leaf, are the same."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_leaves(a[name], b[name]) for name in a)
    return same(a, b)
