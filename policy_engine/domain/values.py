"""Value types shared by the domain model: money, dates, grades, signal codes and their bounds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

GRADES: tuple[str, ...] = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
"""Nine grades, best first (三类九级)."""

GRADE_CLASSES: tuple[str, ...] = ("A", "B", "C")
"""Three grade classes, best first."""

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
            raise ValueError("not a decimal")
        result = Decimal(value)
    elif kind is Decimal:
        result = value
    elif kind is int:
        result = Decimal(value)
    elif kind is float:
        raise ValueError('not a decimal: send money as a decimal string such as "125000.00"')
    else:
        raise ValueError("not a decimal")
    if not result.is_finite() or abs(result) >= MAX_MONEY:
        raise ValueError(f"out of range: must be below {MAX_MONEY:,.0f} in absolute value")
    return result


def parse_money(value: Any) -> Decimal:
    """A non-negative decimal amount."""
    result = parse_decimal(value)
    if result < 0:
        raise ValueError("must not be negative")
    return result


def parse_iso_date(value: Any) -> date:
    """Accept a `YYYY-MM-DD` string (or a date) within sane bounds."""
    if isinstance(value, date):
        result = value
    elif isinstance(value, str) and len(value) == 10:
        try:
            result = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("not an ISO date (YYYY-MM-DD)") from exc
    else:
        raise ValueError("not an ISO date (YYYY-MM-DD)")
    if not MIN_DATE <= result <= MAX_DATE:
        raise ValueError(f"out of range: must lie between {MIN_DATE} and {MAX_DATE}")
    return result


def _decimal_str(value: Decimal) -> str:
    return format(value, "f")


Money = Annotated[Decimal, BeforeValidator(parse_money), PlainSerializer(_decimal_str, return_type=str)]
"""A non-negative amount, serialised as a decimal string."""

SignedMoney = Annotated[Decimal, BeforeValidator(parse_decimal), PlainSerializer(_decimal_str, return_type=str)]
"""An amount that may be negative (available credit, equity), serialised as a decimal string."""

IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]
"""A calendar date, `YYYY-MM-DD` on the wire."""


def grade_class_of(grade: str) -> str:
    """AAA/AA/A → A, BBB/BB/B → B, CCC/CC/C → C."""
    return grade[0]
