"""Value types shared by the domain model: money, dates, grades, signal codes and their bounds."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import GetCoreSchemaHandler, PlainSerializer
from pydantic_core import core_schema as cs

GRADES: tuple[str, ...] = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
"""Nine grades, best first (三类九级)."""

GRADE_CLASSES: tuple[str, ...] = ("A", "B", "C")
"""Three grade classes, best first."""

VALUE_CLASSES: tuple[str, ...] = ("A", "B", "C")
"""Three value classes (ABC analysis of sales across the portfolio), most valuable first."""

Grade = Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]
GradeClass = Literal["A", "B", "C"]
ValueClass = Literal["A", "B", "C", ""]
"""A value class, empty when not computed."""

GRADE_RANK: dict[str, int] = {g: i + 1 for i, g in enumerate(GRADES)}
"""AAA → 1 … C → 9: a larger rank is a worse grade."""

SIGNAL_CODES: tuple[str, ...] = (
    "supplier_switch",
    "competitor_purchases_moved",
    "bulk_returns",
    "inventory_swing",
    "sales_swing",
    "bad_rumours",
    "staff_resignations",
    "staff_complaints",
    "low_morale",
    "owner_distracted",
    "early_collection",
    "bill_discounting",
    "debt_delays",
    "high_interest_loans",
    "avoiding_creditors",
    "bank_relation_strained",
    "other_creditors_unpaid",
    "bill_dishonoured",
    "bank_account_frozen",
    "payment_notice_disputed",
    "bill_extension_requested",
)
"""Warning signs staff may record (CONTRACT.md); anything else is a validation error."""

MAX_MONEY = Decimal("1e15")
MAX_INVOICES = 10_000
MAX_ORDERS = 10_000
MAX_FINANCIALS = 80
MAX_SIGNALS = 1_000
MAX_TEXT = 200
TEXT_CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
"""The control characters free text may not hold (a regex class body): all but tab, LF and CR (C0, DEL
and C1)."""
IDENTIFIER_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]*$"
"""Identifiers: no control characters (C0, DEL, C1: PostgreSQL refuses NUL in text; a newline in an id
is a mistake) and no invisible formatting characters (zero-width spaces and joiners, direction marks,
overrides and isolates, line and paragraph separators, the byte-order mark): two ids that print
alike must be the same id."""
TEXT_PATTERN = rf"^[^{TEXT_CONTROL_CHARACTERS}]*$"
"""Free text: no control characters but tab, line feed and carriage return."""


def _iso_4217() -> frozenset[str]:
    import pycountry  # ISO 4217's current list, kept up to date by pycountry's releases

    return frozenset(str(c.alpha_3) for c in pycountry.currencies)


ISO_4217 = _iso_4217()
"""The currency codes in use (ISO 4217: CNY, EUR, USD, … and the X-codes such as XAU, XXX), not the
withdrawn ones (HRK, VEF)."""
CURRENCY_NICKNAMES = {"RMB": "CNY"}
"""Names in everyday use that are not the ISO code (renminbi), for the did-you-mean of a refused currency."""
CURRENCY_PATTERN = "^(?:" + "|".join(sorted(ISO_4217)) + ")$"
"""One of ISO_4217, as a pattern pydantic-core checks in Rust (a typo such as EUD is refused)."""
PATTERN_MESSAGES = {
    IDENTIFIER_PATTERN: "contains a control character or an invisible formatting character",
    TEXT_PATTERN: "contains a control character (only tab and line breaks are allowed)",
    CURRENCY_PATTERN: "not an ISO 4217 currency code in use (three capital letters such as CNY, EUR, USD)",
}
"""What a failed `pattern` means, in words (pydantic would print the regular expression)."""

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2200, 12, 31)

def _decimal_text_ok(text: str) -> bool:
    """`-?digits(.digits)?`: at most 16 digits before the point and 6 after, ASCII only."""
    head, dot, frac = text.partition(".")
    if head[:1] == "-":
        head = head[1:]
    if not (text.isascii() and head.isdigit() and len(head) <= 16):
        return False
    return not dot or (frac.isdigit() and len(frac) <= 6)


def parse_decimal(value: Any) -> Decimal:
    """Accept a decimal string or an integer; refuse binary floats, booleans and junk."""
    kind = type(value)
    if kind is str:
        if not _decimal_text_ok(value):
            raise ValueError(REQUIRED_DECIMAL if value == "" else NOT_A_DECIMAL)
        result = Decimal(value)
    elif kind is Decimal:
        result = value
    elif kind is int:
        result = Decimal(value)
    elif kind is float:
        raise ValueError(FLOAT_MONEY)
    else:
        raise ValueError(NOT_A_DECIMAL)
    if not result.is_finite():
        raise ValueError(NOT_A_DECIMAL)
    if abs(result) >= MAX_MONEY:
        raise ValueError(MONEY_RANGE)
    return result


def parse_money(value: Any) -> Decimal:
    """A non-negative decimal amount."""
    result = parse_decimal(value)
    if result < 0:
        raise ValueError("must not be negative")
    return result


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
"""Only `YYYY-MM-DD`: date.fromisoformat also reads `2026-W01-1` (a week date), `2026010100`, …"""


def parse_iso_date(value: Any) -> date:
    """Accept a `YYYY-MM-DD` string (or a date) within sane bounds."""
    if type(value) is date:  # not a datetime
        result = value
    elif isinstance(value, str) and len(value) == 10 and _ISO_DAY.fullmatch(value):
        try:
            result = date.fromisoformat(value)
        except ValueError as exc:
            # Year 0000 is a real ISO year that Python cannot hold: a well-formed day in it is out of
            # range, as the schema below says (2000, like year 0, is a leap year).
            if value[:4] == "0000" and _is_iso_day("2000" + value[4:]):
                raise ValueError(DATE_RANGE) from exc
            raise ValueError("not an ISO date (YYYY-MM-DD)") from exc
    else:
        raise ValueError(REQUIRED_DATE if value == "" else NOT_A_DATE)
    if not MIN_DATE <= result <= MAX_DATE:
        raise ValueError(DATE_RANGE)
    return result


def _is_iso_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _decimal_str(value: Decimal) -> str:
    return format(value, "f")


# ---- the same rules as pydantic-core schemas ----
#
# parse_decimal / parse_money / parse_iso_date above define what is accepted. Called from pydantic
# as Python validators they cost ~1.3 µs a value — ~130 values in a 24-invoice snapshot, a fifth of
# a whole gRPC CheckOrder. The schemas below state the same rules with pydantic-core's own (Rust)
# validators. Each input type has its own union branch, gated on the type; pydantic puts the
# branch label at the end of an error's location, and errors.violations_from turns the errors of
# the branch that owned the input into our messages (BRANCH_MESSAGES) and drops the others. Money
# has one more branch in front, a shortcut for the common plain amount (SHORTCUT_BRANCHES, never shown).
# tests/unit/test_domain_validation.py checks with hypothesis that schemas and functions agree.

_DECIMAL_TEXT = r"^-?[0-9]{1,16}(\.[0-9]{1,6})?$"
_PLAIN_AMOUNT = r"^(0[0-9]{15}|[0-9]{1,15})(\.[0-9]{1,6})?$"
"""A _DECIMAL_TEXT that is also in range and not negative: |x| < 1e15 exactly when the integer part has
at most 15 digits, or 16 with a leading 0."""
_PLAIN_SIGNED_AMOUNT = r"^-?(0[0-9]{15}|[0-9]{1,15})(\.[0-9]{1,6})?$"
_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
NOT_A_DECIMAL = 'not a decimal such as "125000.00": 1 to 16 digits, optionally "." and 1 to 6 more'
"""What _DECIMAL_TEXT means in words: "not a decimal" alone left a caller guessing about "12.1234567"."""
FLOAT_MONEY = 'not a decimal: write money as a decimal string in quotes, such as "125000.00"'
MONEY_RANGE = f"out of range: must be below {MAX_MONEY:,.0f} in absolute value"
NOT_A_DATE = "not an ISO date (YYYY-MM-DD)"
DATE_RANGE = f"out of range: must lie between {MIN_DATE} and {MAX_DATE}"
REQUIRED_DECIMAL = "required: " + NOT_A_DECIMAL.removeprefix("not ")
REQUIRED_DATE = "required: " + NOT_A_DATE.removeprefix("not ")
"""An amount or date sent empty: most likely left out (a proto3 string's default is ""), not mistyped."""

_DECIMAL_TEXT_MATCH = re.compile(_DECIMAL_TEXT).fullmatch


def stored_decimal(text: str) -> Decimal:
    """Decimal(text) for text of the form the model reads as an amount (_DECIMAL_TEXT: its range and sign are
    checked on the Decimal as on the text); ValueError(NOT_A_DECIMAL) for what Decimal alone would also read
    (` 1000 `, `1_000`, `1e3`, `+5`, `.5`, `NaN`, full-width digits), which the model refuses as text."""
    if _DECIMAL_TEXT_MATCH(text) is None:
        raise ValueError(NOT_A_DECIMAL)
    return Decimal(text)


BRANCH_GATE_ERRORS = frozenset({"string_type", "int_type", "is_instance_of"})
"""A union branch refusing an input of another type: never shown on its own."""

SHORTCUT_BRANCHES = frozenset({"decimal plain"})
"""Union branches that only speed up the common case: their errors are never shown (the next branches
refuse the same inputs and explain why)."""

_DECIMAL_ERRORS = {"string_pattern_mismatch": NOT_A_DECIMAL, "decimal_parsing": NOT_A_DECIMAL,
                   "finite_number": NOT_A_DECIMAL, "greater_than_equal": "must not be negative",
                   "greater_than": MONEY_RANGE, "less_than": MONEY_RANGE}
_DATE_ERRORS = {"string_pattern_mismatch": NOT_A_DATE, "date_parsing": NOT_A_DATE, "date_from_datetime_parsing":
                NOT_A_DATE, "date_type": NOT_A_DATE, "greater_than_equal": DATE_RANGE, "less_than_equal": DATE_RANGE}
BRANCH_MESSAGES: dict[str, dict[str, str]] = {
    "decimal text": _DECIMAL_ERRORS, "decimal int": _DECIMAL_ERRORS, "decimal object": _DECIMAL_ERRORS,
    "decimal float": {"money_float": FLOAT_MONEY}, "date text": _DATE_ERRORS, "date object": _DATE_ERRORS,
}
"""Per union branch label: error type → our message (anything else: not a decimal / not a date)."""


def _decimal_schema(signed: bool) -> cs.CoreSchema:
    sign = [] if signed else [cs.decimal_schema(ge=Decimal(0))]  # the range first, as parse_money

    def bounded(**kw: Any) -> list[cs.CoreSchema]:
        return [cs.decimal_schema(gt=-MAX_MONEY, lt=MAX_MONEY, **kw), *sign]

    text = cs.chain_schema([cs.str_schema(strict=True, pattern=_DECIMAL_TEXT, strip_whitespace=False), *bounded()])
    integer = cs.chain_schema([cs.int_schema(strict=True), *bounded()])
    decimal = cs.chain_schema([cs.is_instance_schema(Decimal), *bounded(allow_inf_nan=False)])
    hint = cs.custom_error_schema(cs.is_instance_schema(Decimal), custom_error_type="money_float",
                                  custom_error_message=FLOAT_MONEY)
    floating = cs.chain_schema([cs.is_instance_schema(float), hint])  # a float is refused, with a hint
    # The shortcut for the common case, an in-range amount as plain text ("125000.00"): one regex and
    # straight to a Decimal (~270 ns instead of ~500 ns a value, ~70 values a snapshot). It accepts a
    # subset of what the text branch accepts, with the same value, so it changes no outcome: anything
    # it refuses (a negative amount, a bad or huge one) goes on to the text branch, which explains why.
    plain = cs.chain_schema([
        cs.str_schema(strict=True, pattern=_PLAIN_SIGNED_AMOUNT if signed else _PLAIN_AMOUNT, strip_whitespace=False),
        cs.decimal_schema(allow_inf_nan=True),  # finite by the pattern; this just skips the NaN/inf test
    ])
    return cs.union_schema([(plain, "decimal plain"), (text, "decimal text"), (integer, "decimal int"),
                            (decimal, "decimal object"), (floating, "decimal float")], mode="left_to_right")


def _date_schema() -> cs.CoreSchema:
    text = cs.chain_schema([cs.str_schema(strict=True, pattern=_DATE_TEXT, strip_whitespace=False),
                            cs.date_schema(ge=MIN_DATE, le=MAX_DATE)])
    obj = cs.chain_schema([cs.is_instance_schema(date), cs.date_schema(strict=True, ge=MIN_DATE, le=MAX_DATE)])
    return cs.union_schema([(text, "date text"), (obj, "date object")], mode="left_to_right")


class _Native:
    """Annotated marker: use this pydantic-core schema for the type."""

    def __init__(self, schema: cs.CoreSchema):
        self.schema = schema

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> cs.CoreSchema:
        return self.schema


Money = Annotated[Decimal, _Native(_decimal_schema(signed=False)), PlainSerializer(_decimal_str, return_type=str)]
"""A non-negative amount (as parse_money), serialised as a decimal string."""

SignedMoney = Annotated[Decimal, _Native(_decimal_schema(signed=True)), PlainSerializer(_decimal_str, return_type=str)]
"""An amount that may be negative (available credit, equity; as parse_decimal), serialised as a decimal string."""

IsoDate = Annotated[date, _Native(_date_schema())]
"""A calendar date, `YYYY-MM-DD` on the wire (as parse_iso_date)."""


def grade_class_of(grade: str) -> str:
    """AAA/AA/A → A, BBB/BB/B → B, CCC/CC/C → C."""
    return grade[0]
