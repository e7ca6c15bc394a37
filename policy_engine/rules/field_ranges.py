"""A threshold outside the range its field can take: the commonest slip with shares and scores.

A share is a fraction (`late_paid_share` is 0 to 1), so `{late_paid_share: {lte: 10}}` written for 10 %
held for every customer with a payment record, and `{gte: 35}` for 35 % never held; lint took both. A
comparison whose threshold lies outside the field's range and that, over that range, always or never
holds is reported at that threshold, with the fraction to write where a percentage was plainly meant.

Most fields have only a lower bound (the catalogue's `minimum`: a count, days, an amount are never
negative), and `{months_since_last_order: {lt: 0}}` linted clean though no customer can meet it: so a
threshold below that bound, or at it where `lt` or `gte` makes it say nothing, is reported the same way.
So is one above the catalogue's `maximum` (a 5C score's 100, a share's 1, the worst grade's rank 9), or at it
where `gt` or `lte` says nothing: `{assess_character: {lte: 100}}` holds for every customer scored.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from policy_engine.features import FieldSpec
from policy_engine.rules.condition_nodes import is_number
from policy_engine.rules.percent_titles import is_ratio

EVERY = "holds for every value it can take"
NEVER = "never holds"


def field_bounds(spec: FieldSpec) -> tuple[float, float] | None:
    """The least and greatest value `spec` can take, as the catalogue declares them (math.inf where it declares
    none); None when it can take any."""
    if spec.minimum is None and spec.maximum is None:
        return None
    lo = -math.inf if spec.minimum is None else spec.minimum
    return lo, math.inf if spec.maximum is None else spec.maximum


def out_of_range(spec: FieldSpec, op: str, operand: Any) -> list[tuple[tuple[int, ...], str]]:
    """(where under the operator, message) for each threshold outside the field's range that makes the
    comparison always or never hold; empty when the field has no bound or all is well."""
    bounds = field_bounds(spec)
    if bounds is None:
        return []
    lo, hi = bounds
    if op in ("in", "not_in") and isinstance(operand, list):
        return [((i,), _message(spec, f"{op} item {_shown(v)}", "never matches", _fraction(v), v, _side(op, v, lo, hi)))
                for i, v in enumerate(operand) if is_number(v) and not lo <= v <= hi]
    if op == "between" and isinstance(operand, list) and len(operand) == 2 and all(map(is_number, operand)):
        return _between(spec, lo, hi, *operand)
    if not is_number(operand):
        return []
    verdict = _verdict(op, operand, lo, hi)
    if verdict is None:
        return []
    comparison = f"{op} {_shown(operand)}"
    return [((), _message(spec, comparison, verdict, _fraction(operand), operand, _side(op, operand, lo, hi)))]


def _verdict(op: str, value: float, lo: float, hi: float) -> str | None:
    """NEVER or EVERY when `op value` says nothing over [lo, hi]; None when it tells values apart."""
    if value > hi:
        return {"gt": NEVER, "gte": NEVER, "eq": NEVER, "lt": EVERY, "lte": EVERY, "ne": EVERY}.get(op)
    if value < lo:
        return {"lt": NEVER, "lte": NEVER, "eq": NEVER, "gt": EVERY, "gte": EVERY, "ne": EVERY}.get(op)
    # At a bound itself only two say nothing: no value is below the least (above the greatest), and every value
    # is at least the least (at most the greatest).
    if value == hi:
        return {"gt": NEVER, "lte": EVERY}.get(op)
    return {"lt": NEVER, "gte": EVERY}.get(op) if value == lo else None


def _between(spec: FieldSpec, lo: float, hi: float, a: float, b: float) -> list[tuple[tuple[int, ...], str]]:
    """`between [a, b]` (b excluded) that never or always holds, at the end that makes it so."""
    comparison = f"between [{_shown(a)}, {_shown(b)}]"
    if b <= lo:  # every value is at or above the excluded high end
        return [((1,), _message(spec, comparison, NEVER, _fraction(b), b, _side("between", b, lo, hi)))]
    if a > hi:
        verdict, where = NEVER, 0
    elif a <= lo and b > hi:
        verdict, where = EVERY, 1
    else:
        return []
    ends = [_fraction(a) if a else "0", _fraction(b)]
    meant = f"[{ends[0]}, {ends[1]}]" if all(ends) else None
    return [((where,), _message(spec, comparison, verdict, meant, b))]


def _side(op: str, value: float, lo: float, hi: float) -> str:
    """For a threshold at or below the least value: what a useful one is (`lt 0` needs one above 0, `eq -3`
    one of 0 or more); at the greatest, `gt 9` or `lte 9`: one below it; "" for any other."""
    if value == hi and op in ("gt", "lte"):
        return f"below {_shown(hi)}"
    if value > lo:
        return ""
    return f"above {_shown(lo)}" if op in ("lt", "gte", "between") else f"of {_shown(lo)} or more"


def _message(spec: FieldSpec, comparison: str, verdict: str, meant: str | None, example: float, side: str = "") -> str:
    """What the field's range is, what the comparison does over it, and what to write: `meant`, the fraction a
    percentage means, where it is in range; else a threshold on the `side` of the least value, or in range."""
    lo, hi = field_bounds(spec) or (-math.inf, math.inf)
    span = (f"from {_shown(lo)} to {_shown(hi)}" if -math.inf < lo and hi < math.inf
            else f"{_shown(hi)} or less" if hi < math.inf else f"{_shown(lo)} or more")
    what = f'"{spec.name}" is {span}, so {comparison} {verdict}'
    fraction = _fraction(example)
    if meant is not None and fraction is not None and is_ratio(spec) and lo <= float(fraction) <= hi:
        why = f"a share, factor or ratio is a fraction here: {_shown(example)}% is {fraction}"
        return f"{what}; write {meant} ({why})"
    if verdict == EVERY and side:  # `gte 0` is often meant as "known at all"
        return f"{what}; write a threshold {side}, or {spec.name}: {{exists: true}} to ask only that it is known"
    return f"{what}; write a threshold {side or span}"


def _fraction(value: float) -> str | None:
    """The fraction a percentage written without its % sign means (35 → 0.35, −30 → −0.3); None unless
    1 < |value| <= 100."""
    if not 1 < abs(value) <= 100:
        return None
    return format((Decimal(str(value)) / 100).normalize(), "f")


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
