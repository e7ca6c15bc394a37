"""Value types shared by the domain model: money, dates, grades, signal codes and their bounds (as
pydantic-core schemas for the models: value_schemas.py)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Literal

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
MAX_ID_LENGTH = 64
"""The longest id (customer, invoice, order, a stream's request id), in characters after surrounding whitespace."""
IDENTIFIER_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]*$"
"""Identifiers: no control characters (C0, DEL, C1: PostgreSQL refuses NUL in text; a newline in an id
is a mistake) and no invisible formatting characters (zero-width spaces and joiners, direction marks,
overrides and isolates, line and paragraph separators, the byte-order mark): two ids that print
alike must be the same id."""
TEXT_PATTERN = rf"^[^{TEXT_CONTROL_CHARACTERS}]*$"
"""Free text: no control characters but tab, line feed and carriage return."""


def _iso_4217() -> frozenset[str]:
    """ISO 4217's current list of codes, from pycountry's data file (kept current by pycountry's releases)."""
    import importlib.util
    import json
    from pathlib import Path

    # pycountry's own import pulls in importlib.metadata (~20-30 ms in every process that loads the domain, the
    # CLI's short commands included) to learn its version; the list itself is one JSON file it ships. Read that
    # file, and only if a release moves it fall back to asking pycountry.
    spec = importlib.util.find_spec("pycountry")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        data = Path(folder, "databases", "iso4217.json")
        if data.is_file():
            return frozenset(str(entry["alpha_3"]) for entry in json.loads(data.read_text("utf-8"))["4217"])
    import pycountry

    return frozenset(str(c.alpha_3) for c in pycountry.currencies)


NOT_MONEY = {
    "XXX": "no currency", "XTS": "testing",
    "XAU": "gold (a troy ounce), a commodity", "XAG": "silver (a troy ounce), a commodity",
    "XPD": "palladium (a troy ounce), a commodity", "XPT": "platinum (a troy ounce), a commodity",
    "XBA": "a bond markets unit (EURCO), a unit of account", "XBB": "a bond markets unit (E.M.U.-6), a unit of account",
    "XBC": "a bond markets unit (E.U.A.-9), a unit of account",
    "XBD": "a bond markets unit (E.U.A.-17), a unit of account",
    "XDR": "the IMF's special drawing right, a unit of account",
    "XSU": "the SUCRE, a unit of account between central banks",
    "XUA": "the African Development Bank's unit of account",
    "XAD": "the Arab Monetary Fund's accounting dinar, a unit of account",
}
"""ISO 4217's X-codes that are no money a customer pays an invoice in (what each is): XXX, "no currency is involved",
a placeholder an ERP may write where a customer's currency is unknown; XTS, reserved for tests, so a test system's
record; the precious metals, an ounce of a commodity whose price moves daily (a metal account is a stock, not a
receivable); the bond-market units, the SDR, the SUCRE and the development banks' units, units of account in which
only central banks, the IMF and bond markets keep books. A trade-credit limit is a sum of money owed for goods
(CONTRACT.md), so a limit or an amount in any of them is refused rather than decided in (values.ISO_4217). The
X-codes of real money stay: XAF and XOF (the CFA francs), XCD, XCG and XPF."""
ISO_4217 = _iso_4217() - set(NOT_MONEY)
"""The currency codes in use (ISO 4217: CNY, EUR, USD, … and the X-codes of money such as XAF, XOF), not the
withdrawn ones (HRK, VEF), nor those that name no money (NOT_MONEY)."""


def not_money_message(code: str) -> str | None:
    """What a currency sent as one of NOT_MONEY is told (it is a code in ISO 4217, so "not a code in use" would
    mislead); None for any other."""
    meant = NOT_MONEY.get(code.strip().upper())
    if meant is None:
        return None
    return (f"{code.strip().upper()} is ISO 4217's code for {meant}: a customer's limit and amounts are in a "
            "currency; send its code, such as CNY")


def refused_currency(code: Any) -> str | None:
    """Why a stored currency is none a customer's limit is kept in, in the model's words; None when it is one."""
    if code.__class__ is str and code in ISO_4217:
        return None
    return not_money_message(str(code)) or f"{PATTERN_MESSAGES[CURRENCY_PATTERN]}: {code!r}"


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
    """A non-negative decimal amount, without a minus sign ("-0.00" too: a sign only where a value may be negative)."""
    result = parse_decimal(value)
    if result.is_signed():  # below 0, or -0: read as 0 it was accepted, and shown back as "-0.00"
        raise ValueError(NOT_NEGATIVE)
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


DECIMAL_TEXT = r"^-?[0-9]{1,16}(\.[0-9]{1,6})?$"
"""An amount as text: what parse_decimal accepts as a string (value_schemas.py states it as a pattern)."""
NOT_A_DECIMAL = 'not a decimal such as "125000.00": 1 to 16 digits, optionally "." and 1 to 6 more'
"""What _DECIMAL_TEXT means in words: "not a decimal" alone left a caller guessing about "12.1234567"."""
FLOAT_MONEY = 'not a decimal: write money as a decimal string in quotes, such as "125000.00"'
MONEY_RANGE = f"out of range: must be below {MAX_MONEY:,.0f} in absolute value"
NOT_POSITIVE = "out of range: must be more than 0"
NOT_NEGATIVE = "must not be negative"
"""An amount that may not be negative sent with a minus sign, "-0.00" included."""
NOT_A_DATE = "not an ISO date (YYYY-MM-DD)"
DATE_RANGE = f"out of range: must lie between {MIN_DATE} and {MAX_DATE}"
REQUIRED_DECIMAL = "required: " + NOT_A_DECIMAL.removeprefix("not ")
REQUIRED_DATE = "required: " + NOT_A_DATE.removeprefix("not ")
"""An amount or date sent empty: most likely left out (a proto3 string's default is ""), not mistyped."""

_DECIMAL_TEXT_MATCH = re.compile(DECIMAL_TEXT).fullmatch


def stored_decimal(text: str) -> Decimal:
    """Decimal(text) for text of the form the model reads as an amount (DECIMAL_TEXT: its range and sign are
    checked on the Decimal as on the text); ValueError(NOT_A_DECIMAL) for what Decimal alone would also read
    (` 1000 `, `1_000`, `1e3`, `+5`, `.5`, `NaN`, full-width digits), which the model refuses as text."""
    if _DECIMAL_TEXT_MATCH(text) is None:
        raise ValueError(NOT_A_DECIMAL)
    return Decimal(text)


def grade_class_of(grade: str) -> str:
    """AAA/AA/A → A, BBB/BB/B → B, CCC/CC/C → C."""
    return grade[0]
