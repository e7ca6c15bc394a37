"""Plain words for a number setting of a rule file that holds no number it can take.

pydantic said `points: .nan` "should be less than or equal to 100" (NaN fails every comparison and
the last one was reported) and `lead_days: "7"` "should be a valid integer". Risk staff need what is
wrong with the value they wrote and what to write instead: `points: .nan is not a number; write a
number from 0 to 100`, `lead_days: "7" is a text because of the quotes; write 7 without them`.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from policy_engine.domain.amounts import POINT_THOUSANDS, finite_text, plain_amount, point_readings, readings, written
from policy_engine.domain.suggest import ECHOED_AT_MOST, quoted
from policy_engine.domain.whole_numbers import UNIT_WORDS as _UNIT_WORDS

_BOUND_ERRORS = {
    "greater_than_equal": ("ge", "less than"),
    "greater_than": ("gt", "not more than"),
    "less_than_equal": ("le", "more than"),
    "less_than": ("lt", "not less than"),
}
_NUMBER_ERRORS = frozenset({"finite_number", "int_type", "float_type", *_BOUND_ERRORS})
_PERCENT = re.compile(r"\s*([-−]?\d+(?:\.\d+)?)\s*[%％]\s*")  # signed: a net margin of -10%
_WITH_UNIT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z\u4e00-\u9fff]+)\s*")


@dataclass(frozen=True)
class NumberSetting:
    """What a number setting takes: a whole number or any, and its bounds."""

    whole: bool
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def takes(self) -> str:
        """`a whole number from 1 to 24`, `a number more than 0 and less than 1`."""
        what = "a whole number" if self.whole else "a number"
        if self.ge is not None and self.le is not None:
            return f"{what} from {_shown(self.ge)} to {_shown(self.le)}"
        words = (("at least", self.ge), ("more than", self.gt), ("at most", self.le), ("less than", self.lt))
        bounds = " and ".join(f"{word} {_shown(bound)}" for word, bound in words if bound is not None)
        return f"{what} {bounds}" if bounds else what


    def allows(self, number: float) -> bool:
        """Whether `number` is a value this setting takes."""
        bounds = ((self.ge, number.__ge__), (self.gt, number.__gt__), (self.le, number.__le__),
                  (self.lt, number.__lt__))
        return (number.is_integer() or not self.whole) and all(b is None or ok(b) for b, ok in bounds)


def setting_of(annotation: Any, metadata: list[Any]) -> NumberSetting | None:
    """The number setting a field's annotation and metadata declare (through `| None`, `list[...]` and
    `Annotated[...]`), or None when the field is no number."""
    if annotation is int or annotation is float:
        bounds = {name: getattr(m, name) for m in metadata for name in ("ge", "gt", "le", "lt") if hasattr(m, name)}
        return NumberSetting(annotation is int, **bounds)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        extra = [m for info in args[1:] for m in getattr(info, "metadata", [info])]
        return setting_of(args[0], [*metadata, *extra])
    for arg in args:
        found = setting_of(arg, metadata)
        if found is not None:
            return found
    return None


def describe(err: Mapping[str, Any], setting: NumberSetting, cut_short: bool = False, name: str = "",
             as_written: str | None = None) -> tuple[str, str] | None:
    """(code, message) for pydantic's error `err` on the number setting `name`; None for another error. `cut_short`:
    a comma inside { } ended the value (split_after), so what is left of it is no number to suggest. `as_written`: the
    text of a number whose point may separate thousands (`1.000`: Document.points), which the float no longer shows."""
    kind, value = err["type"], err.get("input")
    if kind not in _NUMBER_ERRORS:
        return None
    right = f"write {setting.takes()}"
    if isinstance(value, float) and not math.isfinite(value):
        return "invalid_value", f"{not_finite(value)}; {right}"
    if kind in _BOUND_ERRORS:
        name, word = _BOUND_ERRORS[kind]
        bound = _shown(getattr(setting, name))
        return "invalid_value", f"{_shown(value)} is {word} {bound}; {_whole_percent(value, setting, right)}"
    if isinstance(value, str):
        return "type_mismatch", _text_for_number(value, setting, cut_short, right, name)
    if isinstance(value, float) and setting.whole:
        return "type_mismatch", _point_in_whole(value, setting, right, as_written)
    if value is None:
        return "type_mismatch", f"no value is written; {right}"
    wrong = {bool: str(value).lower(), list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)
    return "type_mismatch", f"{wrong} is not a number; {right}"


def _point_in_whole(value: float, setting: NumberSetting, right: str, as_written: str | None) -> str:
    """A number with a point where a whole one goes: the whole number it reads as, and where it is written as
    `1.000` and the setting takes a thousand, that reading first (`signal_window_days: 1.000` meant 1000 days)."""
    thousands = next((plain for plain, why in point_readings(as_written or "") if why == POINT_THOUSANDS
                      and setting.allows(float(plain))), None)
    shown = as_written or repr(value)
    head = "has a decimal point" if value.is_integer() else "is not a whole number"
    whole = str(int(value)) if value.is_integer() else right.removeprefix("write ")
    if thousands is None:
        return f"{shown} {head}; write {whole}"
    return f"{shown} {head}; write {thousands} {POINT_THOUSANDS}, or {whole}"


def _whole_percent(value: Any, setting: NumberSetting, right: str) -> str:
    """For a fraction setting given a percentage written whole (`limit_factor: 80`): write 0.8. Under 5 a value
    may as well be a multiple (`limit_factor: 2`), and over 100 it is no percentage of anything: `right` stays."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 5 <= value <= 100:
        return right
    percent = percent_as(f"{_shown(value)}%", setting.le if setting.le is not None else setting.lt)
    if percent is None or percent[0] == _shown(value) or not setting.allows(float(percent[0])):
        return right
    return f"write {percent[0]} ({percent[1]})"


def _text_for_number(value: str, setting: NumberSetting, cut_short: bool, right: str, name: str) -> str:
    """What to write instead of a quoted number, a percentage, an amount with a currency sign or separators (each
    reading the setting takes: amounts.readings), or a number of days or months with its unit."""
    if len(value) > ECHOED_AT_MOST:  # no number, nor a reading of one, is that long
        return f"{quoted(value)} is a text, not a number; {right}"
    if finite_text(value):
        return f'"{value}" is a text because of the quotes; write {value.strip()} without them'
    percent = percent_as(value, setting.le if setting.le is not None else setting.lt)
    if percent is not None and setting.allows(float(percent[0])):
        return f'"{value}" is a text, not a number; write {percent[0]} ({percent[1]})'
    if cut_short:
        return (f'"{value}" is a text, not a number, and a comma inside {{ }} cut it short; write '
                "the whole amount as one plain number (no currency sign or code, no separators)")
    found = tuple(reading for reading in readings(value) if setting.allows(float(reading[0])))
    unit = next((unit for unit in _UNIT_WORDS if name.endswith(f"_{unit}")), "")
    if found:
        right = f"write {written(found)} (a plain number: no currency sign or code, no thousands separators)"
    elif unit and (counted := unit_words(value, name, unit)):
        right = counted
    return f'"{value}" is a text, not a number; {right}'


def unit_hint(value: str, name: str, unit: str) -> str:
    """For a threshold written with its unit (`60 days`, `60天`, `2 months`) of a field counted in `unit`: what to
    write, in parentheses. A field's unit is part of its name and meaning (`credit-policy fields`), never written
    after the number."""
    words = unit_words(value, name, unit)
    return f" ({words})" if words else ""


def unit_words(value: str, name: str, unit: str) -> str:
    """`write 60: "dbt_open_max" is counted in days, so no unit is written` for `60 days` (or `60天`) of a field or
    setting `name` counted in `unit`; "" for a value written with no unit."""
    match = _WITH_UNIT.fullmatch(value)
    if match is None:
        return ""
    number, word = match.groups()
    if word.lower() in _UNIT_WORDS.get(unit, ()):
        return f'write {number}: "{name}" is counted in {unit}, so no unit is written'
    if unit in _UNIT_WORDS:
        return f'write a plain number of {unit}: "{name}" is counted in {unit}; no unit is written'
    return "write a plain number: no unit is written"


def between_order(name: str, low: float, high: float) -> str:
    """`between` whose ends are swapped or equal matches no value: say which ends to write."""
    written = f'"{name}": between [{_shown(low)}, {_shown(high)}]'
    if low > high:
        swapped = f"[{_shown(high)}, {_shown(low)}]"
        return f"{written} has its ends swapped; write {swapped} (low first: low included, high excluded)"
    return f"{written} holds no value (low included, high excluded); write a high end above {_shown(low)}"


def not_finite(value: float) -> str:
    """`.nan is not a number`, `-.inf is not a finite number`: the value as YAML spells it."""
    if math.isnan(value):
        return ".nan is not a number"
    return f"{'' if value > 0 else '-'}.inf is not a finite number"


def percent_as(text: str, most: float | None) -> tuple[str, str] | None:
    """(what to write, why) for a percentage such as "30%": 0.3 where the value is a share, factor or ratio (at
    most 5), 80 where it is out of 100; None for no percentage, or a value a percentage says nothing about."""
    match = _PERCENT.fullmatch(text)
    if match is None or most is None or 5 < most != 100:
        return None
    written = match.group(1).replace("−", "-")  # U+2212, the minus sign a word processor puts in
    if most == 100:
        return written, "the value is out of 100 here: no % sign"
    meant = format((Decimal(written) / 100).normalize(), "f")
    return meant, f"a share, factor or ratio is a fraction here: {written}% is {meant}"


def split_after(data: Any, loc: tuple[Any, ...]) -> bool:
    """Whether the entry at `loc` is the first part of a split number: the next key is the rest."""
    *path, key = loc
    keys = list(mapping_at(data, path))
    after = keys.index(key) + 1 if key in keys else len(keys)
    return after < len(keys) and bool(split_number(data, (*path, keys[after])))


def split_number(data: Any, loc: tuple[Any, ...]) -> str:
    """For an unknown key at `loc` that is a number with no value, after an entry holding a number: how it reads (a
    comma inside { } ends an entry), and what to write; else "". Only for what the constructor did not rejoin from
    the text as written (split_numbers: `{floor: 1, 5}`, spaced), so it names no reading from the values parsed."""
    *path, key = loc
    mapping = mapping_at(data, path)
    keys = list(mapping)
    if not str(key).isdigit() or key not in keys or keys.index(key) == 0 or mapping[key] is not None:
        return ""
    before = keys[keys.index(key) - 1]
    value = mapping[before]
    if not (isinstance(value, int | float) or (isinstance(value, str) and plain_amount(value) is not None)):
        return ""
    shown = quoted(value) if isinstance(value, str) else _shown(value)
    return (f"a number where a key belongs. Inside {{ }} a comma ends an entry, so a comma in a number (a"
            f" thousands separator or a decimal comma) splits it and {before} reads as {shown}; write {before} as"
            " one plain number (no separators, no currency sign)")


def mapping_at(data: Any, path: Iterable[Any]) -> dict[Any, Any]:
    """The mapping at `path` in `data`; empty when there is none."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return {}
    return data if isinstance(data, dict) else {}


def _shown(number: Any) -> str:
    """10000000000000 rather than 1e13 or 10000000000000.0; 0.5 as 0.5."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    return str(number)
