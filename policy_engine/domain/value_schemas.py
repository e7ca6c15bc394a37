"""Money, SignedMoney and IsoDate: the value rules of values.py as pydantic-core schemas, checked in Rust."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, PlainSerializer
from pydantic_core import PydanticCustomError
from pydantic_core import core_schema as cs

from policy_engine.domain.values import (
    DATE_RANGE,
    DECIMAL_TEXT,
    FLOAT_MONEY,
    MAX_DATE,
    MAX_MONEY,
    MIN_DATE,
    MONEY_RANGE,
    NOT_A_DATE,
    NOT_A_DECIMAL,
    NOT_NEGATIVE,
    NOT_POSITIVE,
)

# parse_decimal / parse_money / parse_iso_date (values.py) define what is accepted. Called from pydantic
# as Python validators they cost ~1.3 µs a value — ~130 values in a 24-invoice snapshot, a fifth of
# a whole gRPC CheckOrder. The schemas below state the same rules with pydantic-core's own (Rust)
# validators. Each input type has its own union branch, gated on the type; pydantic puts the
# branch label at the end of an error's location, and errors.violations_from turns the errors of
# the branch that owned the input into our messages (BRANCH_MESSAGES) and drops the others. Money
# has one more branch in front, a shortcut for the common plain amount (SHORTCUT_BRANCHES, never shown).
# tests/unit/test_domain_validation.py checks with hypothesis that schemas and functions agree.

_PLAIN_AMOUNT = r"^(0[0-9]{15}|[0-9]{1,15})(\.[0-9]{1,6})?$"
"""A DECIMAL_TEXT that is also in range and not negative: |x| < 1e15 exactly when the integer part has
at most 15 digits, or 16 with a leading 0."""
_PLAIN_SIGNED_AMOUNT = r"^-?(0[0-9]{15}|[0-9]{1,15})(\.[0-9]{1,6})?$"
_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _decimal_str(value: Decimal) -> str:
    return format(value, "f")


BRANCH_GATE_ERRORS = frozenset({"string_type", "int_type", "is_instance_of"})
"""A union branch refusing an input of another type: never shown on its own."""

SHORTCUT_BRANCHES = frozenset({"decimal plain"})
"""Union branches that only speed up the common case: their errors are never shown (the next branches
refuse the same inputs and explain why)."""

_DECIMAL_ERRORS = {"string_pattern_mismatch": NOT_A_DECIMAL, "decimal_parsing": NOT_A_DECIMAL,
                   "finite_number": NOT_A_DECIMAL, "greater_than_equal": NOT_NEGATIVE,
                   "greater_than": MONEY_RANGE, "less_than": MONEY_RANGE, "money_not_positive": NOT_POSITIVE,
                   "money_signed_zero": NOT_NEGATIVE}
_DATE_ERRORS = {"string_pattern_mismatch": NOT_A_DATE, "date_parsing": NOT_A_DATE, "date_from_datetime_parsing":
                NOT_A_DATE, "date_type": NOT_A_DATE, "greater_than_equal": DATE_RANGE, "less_than_equal": DATE_RANGE}
BRANCH_MESSAGES: dict[str, dict[str, str]] = {
    "decimal text": _DECIMAL_ERRORS, "decimal int": _DECIMAL_ERRORS, "decimal object": _DECIMAL_ERRORS,
    "decimal float": {"money_float": FLOAT_MONEY}, "date text": _DATE_ERRORS, "date object": _DATE_ERRORS,
}
"""Per union branch label: error type → our message (anything else: not a decimal / not a date)."""


def _unsigned_zero(value: Decimal) -> Decimal:
    """Refuse -0 where an amount may not be negative, as parse_money does: Decimal("-0") >= 0, but its sign was sent."""
    if value.is_signed():
        raise PydanticCustomError("money_signed_zero", NOT_NEGATIVE)
    return value


def _decimal_schema(signed: bool, positive: bool = False) -> cs.CoreSchema:
    sign: list[cs.CoreSchema] = [] if signed else [cs.decimal_schema(ge=Decimal(0))]  # the range first, as parse_money
    if not signed and not positive:  # a Python call, on the rare inputs the plain shortcut leaves over only
        sign.append(cs.no_info_plain_validator_function(_unsigned_zero))
    if positive:  # after the sign: a negative amount says "must not be negative", 0 and -0 this
        sign.append(cs.custom_error_schema(cs.decimal_schema(gt=Decimal(0)), custom_error_type="money_not_positive",
                                           custom_error_message=NOT_POSITIVE))

    def bounded(**kw: Any) -> list[cs.CoreSchema]:
        return [cs.decimal_schema(gt=-MAX_MONEY, lt=MAX_MONEY, **kw), *sign]

    text = cs.chain_schema([cs.str_schema(strict=True, pattern=DECIMAL_TEXT, strip_whitespace=False), *bounded()])
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
        cs.decimal_schema(allow_inf_nan=True, gt=Decimal(0) if positive else None),  # finite by the pattern
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

PositiveMoney = Annotated[Decimal, _Native(_decimal_schema(signed=False, positive=True)),
                          PlainSerializer(_decimal_str, return_type=str)]
"""An amount above 0 (an order's: an order of nothing buys nothing and would read as a purchase), serialised as
a decimal string."""

IsoDate = Annotated[date, _Native(_date_schema())]
"""A calendar date, `YYYY-MM-DD` on the wire (as parse_iso_date)."""
