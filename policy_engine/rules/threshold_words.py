"""What to write for a threshold that is no number (`{gt: "90"}`, `{gt: "¥50,000"}`, `{gte: large}`): a number on
a field compared, said in the words lint uses for settings (numbers.py) and gRPC for amounts (amounts.readings).

Only ever called once a threshold has been refused, so none of it costs a valid rule file anything.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from policy_engine.domain.amounts import HINTED_AT_MOST, readings, written
from policy_engine.features import FieldSpec
from policy_engine.rules.field_ranges import field_bounds
from policy_engine.rules.numbers import percent_as, unit_hint

NAMED_AT_MOST = 3
"""Enum fields named for a word that is a value of each (`A` is a grade class and a value class)."""


def number_hint(value: Any, spec: FieldSpec, scope: Mapping[str, FieldSpec]) -> str:
    """For a text where `spec` takes a number: a number written in quotes ("90"), as money ("¥50,000", "1.000,50"),
    as a percentage ("30%" of a share, "90%" of a score) or with its unit ("30 days"); else, for a word, the enum
    field of `scope` it is a value of and what `spec` takes. "" for no text."""
    if not isinstance(value, str):
        return ""
    most = 100 if spec.unit == "0-100" else 5 if spec.unit in ("", "0-1", "0-1+") and not spec.money else None
    percent = percent_as(value, most)
    if percent is not None and (spec.minimum is None or float(percent[0]) >= spec.minimum):  # -10% of a share: no
        return f" (write {percent[0]}: {percent[1]})"
    try:
        number = float(value)
    except ValueError:
        found = tuple(reading for reading in readings(value) if _takes(spec, float(reading[0])))
        if found:
            return f" (write {written(found)}: a plain number, no currency sign or code, no thousands separators)"
        return unit_hint(value, spec.name, spec.unit) or _word_hint(value, spec, scope)
    return f" (a text because of the quotes: write {value.strip()} without them)" if math.isfinite(number) else ""


def _takes(spec: FieldSpec, number: float) -> bool:
    """Whether `number` is a value `spec` can take: whole for a count, within the catalogue's bounds."""
    low, high = field_bounds(spec) or (-math.inf, math.inf)
    return low <= number <= high and (spec.type != "integer" or number.is_integer())


def _word_hint(value: str, spec: FieldSpec, scope: Mapping[str, FieldSpec]) -> str:
    """` ("large" is a value of "size", not a number: compare "size" instead; "invoice_count" takes a whole number:
    ≥ 0)`, or the second half alone: what the field takes, as `credit-policy fields` shows it. The enum fields the
    word is a value of are named the most related first (`current_grade` for `current_grade_rank`)."""
    what = "a whole number" if spec.type == "integer" else "a number"
    unit = spec.unit_text()
    takes = f'"{spec.name}" takes {what}' + (f": {unit}" if unit else "")
    word = value.strip().casefold()
    owners = sorted((s.name for s in scope.values() if s.type == "enum" and len(value) <= HINTED_AT_MOST
                     and any(v.casefold() == word for v in s.values)),
                    key=lambda name: -len(os.path.commonprefix([name, spec.name])))[:NAMED_AT_MOST]
    if not owners:
        return f" ({takes})"
    if len(owners) == 1:
        return f' ("{value}" is a value of "{owners[0]}", not a number: compare "{owners[0]}" instead; {takes})'
    names = ", ".join(f'"{name}"' for name in owners[:-1]) + f' and "{owners[-1]}"'
    return f' ("{value}" is a value of {names}, not a number: compare one of those instead; {takes})'
