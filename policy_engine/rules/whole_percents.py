"""A percentage written whole: `{limit_utilisation: {gte: 80}}` meant for 80 %, `{order_trend_ratio: {gt: 150}}`
for 150 %.

A utilisation passes 1 over the limit, a debt ratio when liabilities pass assets and a net margin goes below −1
when a loss passes revenue, so no bound of the field tells 80 from 0.8 there (field_ranges.py catches a share's,
which stops at 1): the threshold asked for exposure 80 times the limit and lint said `ok`. What tells them apart
is the catalogue's `realistic` range: a threshold outside it whose hundredth lies inside reads as the percentage
it is. On a fraction, from 5 up (either sign) that is an `invalid_value`: under 5 it may be a real multiple (over
the limit twice), and past the range's hundredfold (a net margin of −600) it is no percentage either. Elsewhere
(under 5 on a fraction, any multiple such as order_trend_ratio) the value is one the field can take, if rarely,
so it is a warning, `likely_percent`, which leaves the rule set loadable.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from policy_engine.features import FieldSpec
from policy_engine.rules.condition_nodes import is_number

_ONE_SIDED = ("eq", "ne", "lt", "lte", "gt", "gte")
_LEAST_WHOLE = 5
"""On a fraction, a threshold at least this large (either sign) that reads as a percentage is an error."""

Slip = tuple[tuple[int, ...], str]
"""Where under the operator (an item's index, or nothing) and the message."""


def whole_percents(spec: FieldSpec, op: str, operand: Any) -> list[Slip]:
    """Each threshold on a fraction field that is surely a percentage written whole (an `invalid_value`)."""
    return _slips(spec, op, operand, lambda v: _sure(spec, v), sure=True)


def likely_percents(spec: FieldSpec, op: str, operand: Any) -> list[Slip]:
    """Each threshold that is probably a percentage written whole but a value the field can take (a warning)."""
    return _slips(spec, op, operand, lambda v: _percent_like(spec, v) and not _sure(spec, v), sure=False)


def _sure(spec: FieldSpec, value: float) -> bool:
    """On a fraction, 5 or more either way whose hundredth is realistic: −5 on a net margin, whose realistic
    range (−5 to 1) takes it, still reads as −5 % (the edge is kept as it was before the ranges)."""
    return spec.fraction and abs(value) >= _LEAST_WHOLE and _hundredth_realistic(spec, value)


def _hundredth_realistic(spec: FieldSpec, value: float) -> bool:
    return spec.realistic is not None and spec.realistic[0] <= value / 100 <= spec.realistic[1]


def _slips(spec: FieldSpec, op: str, operand: Any, flagged: Callable[[float], bool], sure: bool) -> list[Slip]:
    def message(comparison: str, said: str, meant: str, example: float) -> str:
        return _message(spec, comparison, said, meant, example, sure)

    if op in ("in", "not_in") and isinstance(operand, list):
        return [((i,), message(f"{op} item {_shown(v)}", _percent(v), _fraction(v), v))
                for i, v in enumerate(operand) if is_number(v) and flagged(v)]
    if op == "between" and isinstance(operand, list) and len(operand) == 2:
        hits = [is_number(v) and bool(flagged(v)) for v in operand]
        if not any(hits):
            return []
        # One range, one unit: [-100, -4] meant -100 % to -4 %; an end within ±1 ([0.5, 80]) was a fraction already.
        ends = [_fraction(v) if hit or abs(v) > 1 else _shown(v) for v, hit in zip(operand, hits, strict=True)]
        said = " to ".join(_percent(v) for v in operand)
        example = operand[hits.index(True)]
        comparison = f"between [{_shown(operand[0])}, {_shown(operand[1])}]"
        return [((hits.index(True),), message(comparison, said, f"[{ends[0]}, {ends[1]}]", example))]
    if op in _ONE_SIDED and is_number(operand) and flagged(operand):
        return [((), message(f"{op} {_shown(operand)}", _percent(operand), _fraction(operand), operand))]
    return []


def _percent_like(spec: FieldSpec, value: float) -> bool:
    """Outside the field's realistic range, while its hundredth is inside: 150 on a trend of 0 to 10."""
    if spec.realistic is None:
        return False
    low, high = spec.realistic
    return not low <= value <= high and _hundredth_realistic(spec, value)


def _message(spec: FieldSpec, comparison: str, said: str, meant: str, example: float, sure: bool) -> str:
    low, high = (_shown(v) for v in spec.realistic or (0, 0))
    why = f"a share, factor or ratio is a fraction here: {_shown(example)}% is {_fraction(example)}"
    fix = f"write {meant}" if sure else f"if {_shown(example)}% was meant, write {meant}"
    if spec.fraction:
        what = f"a fraction (1 is 100%; real values lie from {low} to {high})"
        return f'"{spec.name}" is {what}, so {comparison} is {said}; {fix} ({why})'
    what = f"a ratio (1.5 is 150%; real values lie from {low} to {high})"
    return f'"{spec.name}" is {what}, so {comparison} is {_shown(example)} times; {fix} ({why})'



def _fraction(value: float) -> str:
    """The fraction a percentage written whole means (80 → 0.8, −5 → −0.05)."""
    return format((Decimal(str(value)) / 100).normalize(), "f")


def _percent(value: float) -> str:
    """`value` as the percentage it stands for as a fraction (80 → 8000%)."""
    return f"{format((Decimal(str(value)) * 100).normalize(), 'f')}%"


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
