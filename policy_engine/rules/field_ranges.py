"""A threshold outside the range its field can take: the commonest slip with shares and scores.

A share is a fraction (`late_paid_share` is 0 to 1), so `{late_paid_share: {lte: 10}}` written for 10 %
held for every customer with a payment record, and `{gte: 35}` for 35 % never held; lint took both. A
comparison whose threshold lies outside the field's range and that, over that range, always or never
holds is reported at that threshold, with the fraction to write where a percentage was plainly meant.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from policy_engine.features import FieldSpec
from policy_engine.rules.condition_nodes import is_number

RANGES = {"0-1": (0.0, 1.0), "0-100": (0.0, 100.0)}
"""The fields with a closed range, by the unit `credit-policy fields` shows."""
EVERY = "holds for every value it can take"


def out_of_range(spec: FieldSpec, op: str, operand: Any) -> list[tuple[tuple[int, ...], str]]:
    """(where under the operator, message) for each threshold outside the field's range that makes the
    comparison always or never hold; empty when the field has no closed range or all is well."""
    bounds = RANGES.get(spec.unit)
    if bounds is None:
        return []
    lo, hi = bounds
    if op in ("in", "not_in") and isinstance(operand, list):
        return [((i,), _message(spec, f"{op} item {_shown(v)}", "never matches", _fraction(v), v))
                for i, v in enumerate(operand) if is_number(v) and not lo <= v <= hi]
    if op == "between" and isinstance(operand, list) and len(operand) == 2 and all(map(is_number, operand)):
        a, b = operand
        verdict = "never holds" if a > hi else EVERY if a <= lo and b > hi else None
        if verdict is None:
            return []
        ends = [_fraction(a) if a else "0", _fraction(b)]
        meant = f"[{ends[0]}, {ends[1]}]" if all(ends) else None
        return [((0 if a > hi else 1,), _message(spec, f"between [{_shown(a)}, {_shown(b)}]", verdict, meant, b))]
    if not is_number(operand) or lo <= operand <= hi:
        return []
    above = operand > hi
    never = {"gt": above, "gte": above, "lt": not above, "lte": not above, "eq": True, "ne": False}.get(op)
    if never is None:
        return []
    verdict = "never holds" if never else EVERY
    return [((), _message(spec, f"{op} {_shown(operand)}", verdict, _fraction(operand), operand))]


def _message(spec: FieldSpec, comparison: str, verdict: str, meant: str | None, example: float) -> str:
    lo, hi = RANGES[spec.unit]
    what = f'"{spec.name}" is from {_shown(lo)} to {_shown(hi)}, so {comparison} {verdict}'
    fraction = _fraction(example)
    if hi == 1 and meant is not None and fraction is not None:
        why = f"a share, factor or ratio is a fraction here: {_shown(example)}% is {fraction}"
        return f"{what}; write {meant} ({why})"
    return f"{what}; write a threshold from {_shown(lo)} to {_shown(hi)}"


def _fraction(value: float) -> str | None:
    """The fraction a percentage written without its % sign means (35 → 0.35); None unless 1 < value <= 100."""
    if not 1 < value <= 100:
        return None
    return format((Decimal(str(value)) / 100).normalize(), "f")


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
