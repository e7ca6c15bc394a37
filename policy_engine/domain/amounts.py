"""What a refused amount says, in one form wherever an amount comes in (a command's option, a snapshot file, a
gRPC request, a rule test case, an imported row, a stored row the batch reads): why it was refused, the value,
and what to write where one can tell (`not a decimal such as "125000.00": …: '1,000.00'; write 1000.00`).

Only ever called once an amount has been refused, so none of it costs a valid request anything.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from policy_engine.domain.suggest import echoed_input
from policy_engine.domain.values import NOT_A_DECIMAL, parse_money

_CURRENCY = re.compile(r"(?i)\b(?:CNY|RMB|USD|EUR|HKD|JPY|GBP)\b|[¥￥$€£元]")
"""A currency sign or code: what is left is read for its number."""
_MONEY_MARKS = re.compile(_CURRENCY.pattern + r"|[,_\s]")
"""What makes an amount money rather than a number: a currency sign or code, thousands separators."""
_GROUPED = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
"""Digits ungrouped or with commas that group thousands (1,000,000.50): not a decimal comma (12,5 or 1.000,50),
whose reading readings() names as one, not as the plain amount."""
_ONE_GROUP = re.compile(r"[0-9]{1,3},[0-9]{3}")
"""One comma before three digits and no point (12,500): thousands (12500) or a decimal comma (12.500) alike."""
_COMMA_DECIMAL = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:\s[0-9]{3})+|[0-9]+),([0-9]+)")
"""A decimal comma, points or spaces grouping thousands before it (1,5, 1.000,50, 1 000,50), as much of Europe
writes an amount; `12,500`, a thousands separator too, is named with both readings (plain_number first)."""
_POINT_GROUPED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3}){2,}")
"""Points separating thousands, two or more (1.000.000): no decimal has two points."""
_MULTIPLIED = re.compile(r"([0-9]{1,16}(?:\.[0-9]{1,6})?)\s*(k|K|M|千|万|百万|亿)")
_MULTIPLIERS = {"k": Decimal(1000), "K": Decimal(1000), "千": Decimal(1000), "M": Decimal(10**6),
                "百万": Decimal(10**6), "万": Decimal(10**4), "亿": Decimal(10**8)}
"""A number shortened by its multiplier, as people say an amount (5k, 1.5M, 5万): k and 千 a thousand, 万 ten
thousand, M and 百万 a million, 亿 a hundred million. Not m, which may as well be months."""
_EXPONENT = re.compile(r"[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]{1,3}")
"""A number in exponent form, as a binary float prints a large or small one (Java's `1.25E7`, Python's `1e+16`)."""
_FINE = re.compile(r"-?[0-9]{1,16}\.([0-9]{7,})")
"""A decimal with more places than an amount holds (12.1234567): a rate or a computed value not yet rounded."""
PLACES = 6
"""Decimal places an amount holds (values.parse_decimal)."""
HINTED_AT_MOST = 64
"""Characters of an amount read for what it meant (`¥ 999,999,999,999,999.999999 CNY` is 32): a longer one gets
no hint, so that 10,000 long amounts in one request are not each searched four times (seconds of CPU a call)."""


def finite_text(value: str) -> bool:
    """Whether `value` is a finite number as Python reads one (`1e5`, ` 7 `, `1_000` included)."""
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def plain_amount(text: str) -> str | None:
    """`100000` for `¥100,000`, `100000 CNY` or `$100000`: an amount written as money, not a number."""
    plain = _MONEY_MARKS.sub("", text)
    return plain if plain != text.strip() and finite_text(plain) else None


def plain_number(text: str) -> str | None:
    """`1000` for an amount written with thousands separators, a currency or surrounding spaces (`1,000`,
    `¥1,000`, `1000 CNY`, ` 1000 `) whose plain number is an amount; None for anything else."""
    if len(text) > HINTED_AT_MOST:
        return None
    stripped = text.strip()
    plain = plain_amount(stripped) or (stripped if stripped != text else None)
    if plain is None or not _GROUPED.fullmatch(re.sub(r"[^0-9,.]", "", text)):
        return None
    try:
        parse_money(plain)
    except ValueError:
        return None
    return plain


def exponent_free(text: str) -> str | None:
    """`12500000` for `1.25E7`: an amount in exponent form written out, exactly as the text says it (never through
    a float); None for anything else, or for one that written out is no amount (`1e20`, `1e-9`)."""
    if len(text) > HINTED_AT_MOST or not _EXPONENT.fullmatch(text):
        return None
    number = Decimal(text)
    if not -PLACES <= number.adjusted() < 16:  # checked before writing it out: 1e-999 would be 1,000 characters
        return None
    plain = format(number, "f")
    try:
        parse_money(plain)
    except ValueError:
        return None
    return plain


Reading = tuple[str, str]
"""One way to read an amount written in a local or everyday form: (the plain number, what it takes to read it so,
"" when nothing does): ("12.500", "if the comma is a decimal point")."""
DECIMAL_COMMA = "if the comma is a decimal point"
POINT_GROUPS = "if the points separate thousands"


def readings(text: str) -> tuple[Reading, ...]:
    """Each plain amount `text` may mean, in the order named: one for `1,000,000`, `¥1,000`, `1 000` (plain_number);
    both for `12,500` (thousands, or a decimal comma); the decimal comma of `1,5`, `1.000,50` and `1 000,50`; the
    points that separate thousands in `1.000.000`; `5k`, `5万` written out. Empty for anything else, a text over
    HINTED_AT_MOST characters, or a reading that is no amount (a sign, over 16 digits, over 6 places)."""
    if len(text) > HINTED_AT_MOST:
        return ()
    plain = plain_number(text)
    if plain is None:
        found = _local_reading(_CURRENCY.sub("", text).strip())
        return (found,) if found is not None else ()
    digits = re.sub(r"[^0-9,.]", "", text)
    if _ONE_GROUP.fullmatch(digits):
        return (plain, ""), (digits.replace(",", "."), DECIMAL_COMMA)
    return ((plain, ""),)


def _local_reading(core: str) -> Reading | None:
    """The one reading of a decimal comma, of points that separate thousands or of a multiplier in `core` (no
    currency), if it is an amount."""
    if match := _COMMA_DECIMAL.fullmatch(core):
        found = (re.sub(r"[.\s]", "", match[1]) + "." + match[2], DECIMAL_COMMA)
    elif _POINT_GROUPED.fullmatch(core):
        found = (core.replace(".", ""), POINT_GROUPS)
    elif match := _MULTIPLIED.fullmatch(core):
        number = Decimal(match[1]) * _MULTIPLIERS[match[2]]
        found = (format(number.normalize(), "f"), f"({core} in full)")  # at most 24 digits: parse_money refuses
    else:
        return None
    try:
        parse_money(found[0])
    except ValueError:
        return None
    return found


POINT_THOUSANDS = "if the point separates thousands"
POINT_DECIMAL = "if the point is a decimal point"
POINT_GROUPED = re.compile(r"[-+]?[1-9][0-9]{0,2}\.[0-9]{3}")
"""One to three digits, a point and three more (`1.000`, `250.000`, `-2.500`): YAML reads a decimal, as much of Europe
writes a thousand (1.000 = 1000). Not `0.125`: no one groups thousands after a leading 0."""


def point_readings(text: str) -> tuple[Reading, ...]:
    """Both readings of a number whose point may separate thousands (POINT_GROUPED): `1000 if the point separates
    thousands`, then the decimal as written without its trailing zeros (`1.0`, `1.5`, `1.25`); empty for another."""
    if not POINT_GROUPED.fullmatch(text):
        return ()
    decimal = text.rstrip("0")
    return (text.replace(".", "").lstrip("+"), POINT_THOUSANDS), (decimal.lstrip("+") + "0" * decimal.endswith("."),
                                                                 POINT_DECIMAL)


def written(found: tuple[Reading, ...]) -> str:
    """`12500, or 12.500 if the comma is a decimal point`: the readings as one says what to write."""
    return ", or ".join(f"{plain} {why}".rstrip() for plain, why in found)


def amount_hint(text: str) -> str:
    """`; write 1000000` for `1,000,000` and every reading where one form has several (`; write 12500, or 12.500 if
    the comma is a decimal point` for `12,500`: readings); `; write 12500000` for `1.25E7` (exponent_free);
    `; 7 decimal places, at most 6` for a finer one (not rounded for the caller: how to round money is theirs to
    say); "" with nothing to suggest."""
    if (written_out := exponent_free(text)) is not None:
        return f"; write {written_out}"
    if len(text) <= HINTED_AT_MOST and (fine := _FINE.fullmatch(text)):
        return f"; {len(fine[1])} decimal places, at most {PLACES}"
    found = readings(text)
    return f"; write {written(found)}" if found else ""


class WrittenNumber(float):
    """A JSON number with a fraction or an exponent, kept as written (json.loads(parse_float=WrittenNumber)):
    money must be a string, and its refusal echoes this text (`1e400`, `12.50`), not the float's (`inf`, `12.5`)."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> WrittenNumber:
        """The float of `text`, remembering `text`."""
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        """The number as the file wrote it."""
        return self.text

    __repr__ = __str__


NULL_AMOUNT = "got null; write " + NOT_A_DECIMAL.removeprefix("not ")
"""A JSON or YAML null where an amount must be: said so (not "not a decimal" with no value), for a field that must
be given (amount) and one with a default (paid_amount) alike."""


def refused_amount(value: Any, why: str = NOT_A_DECIMAL) -> str:
    """`why: 'value'` and amount_hint's `; write …` for text; NULL_AMOUNT for None; `why` alone for ""
    (`required: …`). A negative amount is not suggested: the same words serve fields that may not be."""
    if value is None:
        return NULL_AMOUNT
    if value == "":
        return why
    shown, text = echoed_input(value)
    return f"{why}: {shown}{amount_hint(text) if isinstance(value, str) else ''}"
