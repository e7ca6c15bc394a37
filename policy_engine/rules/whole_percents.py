"""A percentage written whole on a fraction field: `{limit_utilisation: {gte: 80}}` meant for 80 %.

A utilisation passes 1 over the limit and a debt ratio when liabilities pass assets, so no range tells 80 from
0.8 there (field_ranges.py catches a share's, which stops at 1), and the threshold asked for exposure 80 times
the limit: lint said `ok`. On a field the catalogue marks a fraction, a threshold from 5 to 100 (either sign) is
no plausible fraction, and reads as the percentage it is; under 5 it may be a real multiple (over the limit
twice), and over 100 it is no percentage of anything, so neither is reported.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from policy_engine.features import FieldSpec
from policy_engine.rules.condition_nodes import is_number

_ONE_SIDED = ("eq", "ne", "lt", "lte", "gt", "gte")


def whole_percents(spec: FieldSpec, op: str, operand: Any) -> list[tuple[tuple[int, ...], str]]:
    """(where under the operator, message) for each threshold on a fraction field that is a percentage written
    whole; empty for any other field or threshold."""
    if not spec.fraction:
        return []
    if op in ("in", "not_in") and isinstance(operand, list):
        return [((i,), _message(spec, f"{op} item {_shown(v)}", _percent(v), _fraction(v), v))
                for i, v in enumerate(operand) if _whole(v)]
    if op == "between" and isinstance(operand, list) and len(operand) == 2 and any(map(_whole, operand)):
        ends = [_fraction(v) if _whole(v) else _shown(v) for v in operand]
        said = " to ".join(_percent(v) for v in operand)
        example = next(v for v in operand if _whole(v))
        comparison = f"between [{_shown(operand[0])}, {_shown(operand[1])}]"
        return [((operand.index(example),), _message(spec, comparison, said, f"[{ends[0]}, {ends[1]}]", example))]
    if op in _ONE_SIDED and _whole(operand):
        return [((), _message(spec, f"{op} {_shown(operand)}", _percent(operand), _fraction(operand), operand))]
    return []


def _whole(value: Any) -> bool:
    """Whether `value` reads as a percentage written whole: a number from 5 to 100, either sign."""
    return is_number(value) and 5 <= abs(value) <= 100


def _message(spec: FieldSpec, comparison: str, said: str, meant: str, example: float) -> str:
    why = f"a share, factor or ratio is a fraction here: {_shown(example)}% is {_fraction(example)}"
    return f'"{spec.name}" is a fraction (1 is 100%), so {comparison} is {said}; write {meant} ({why})'


def _fraction(value: float) -> str:
    """The fraction a percentage written whole means (80 → 0.8, −5 → −0.05)."""
    return format((Decimal(str(value)) / 100).normalize(), "f")


def _percent(value: float) -> str:
    """`value` as the percentage it stands for as a fraction (80 → 8000%)."""
    return f"{format((Decimal(str(value)) * 100).normalize(), 'f')}%"


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
