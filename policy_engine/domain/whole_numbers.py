"""What a refused whole number of a snapshot says (a payment term, due-date changes, a 5C score), wherever a snapshot
comes in (a snapshot file, a rule test case, an imported row): the value, and what to write where one can tell.

Only ever called once a value has been refused, so none of it costs a valid request anything.
"""

from __future__ import annotations

import re
from typing import Any

from policy_engine.domain.amounts import HINTED_AT_MOST, readings, written
from policy_engine.domain.suggest import echoed_input

UNIT_WORDS = {"days": ("d", "day", "days", "天", "日"), "months": ("m", "mo", "month", "months", "月", "个月")}
"""How a number of days or months is written with its unit, in English or Chinese."""
NOT_AN_INTEGER = "not an integer"
_WITH_UNIT = re.compile(r"\s*([0-9]{1,16})\s*([A-Za-z\u4e00-\u9fff]+)\s*")
_PERCENT = re.compile(r"\s*([0-9]{1,3})\s*[%％]\s*")


def refused_whole(value: Any, name: str, out_of_100: bool = False) -> str:
    """`not an integer: '30 days'; write 30 ("payment_term_days" is counted in days: no unit is written)` for the
    field `name`; `out_of_100` for a score, whose `80%` is 80. The value alone where there is nothing to suggest."""
    if value is None or isinstance(value, bool | list | dict):
        return NOT_AN_INTEGER
    shown, text = echoed_input(value)
    hint = _whole_hint(value, text, name, out_of_100) if len(text) <= HINTED_AT_MOST else ""  # bounded, as amounts
    return f"{NOT_AN_INTEGER}: {shown}{hint}"


def _whole_hint(value: Any, text: str, name: str, out_of_100: bool) -> str:
    if isinstance(value, float):
        return f"; write {int(value)}" if value.is_integer() else ""
    whole = tuple(reading for reading in readings(text) if "." not in reading[0])
    if whole:
        return f"; write {written(whole)}"
    if out_of_100 and (percent := _PERCENT.fullmatch(text)):
        return f"; write {percent[1]} (a score is out of 100: no % sign)"
    if match := _WITH_UNIT.fullmatch(text):
        unit = next((unit for unit in UNIT_WORDS if name.endswith(f"_{unit}")), "")
        if unit and match[2].lower() in UNIT_WORDS[unit]:
            return f'; write {match[1]} ("{name}" is counted in {unit}: no unit is written)'
        return "; write a whole number: no unit is written"
    return ""
