"""The import kinds that belong to a customer (invoices, orders, financials, signals) for the fuzz tests: good rows
of each, which refer to customers that exist and never share a key, and the faults each column can be given
(the values of import_fuzz_rows.py, put where each kind has a money, date, id, count, code or text)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from tests.integration.import_fuzz_rows import (
    DATE_FAULTS,
    DAY_MAYBES,
    FORMULAS,
    ID_FAULTS,
    MONEY_FAULTS,
    TEXT_FAULTS,
    UNSIGNED_FAULTS,
    Fault,
    FuzzKind,
    Row,
    good_names,
)

_MONEY = st.sampled_from(["0", "0.00", "0.01", "125000.00", "999999999999.99", "1", "7.5"])
_COUNT_FAULTS = [("negative", "-1"), ("fraction", "1.5"), ("word", "abc"), ("exponent", "1e3"),
                 ("huge", "9" * 25)]
_SIGNAL_CODES = ("supplier_switch", "bad_rumours", "debt_delays", "bill_dishonoured", "bank_account_frozen")


def _day(at: int) -> st.SearchStrategy[date]:
    """A day in a year of the row's own (its place in the file): two good rows never share a dated key."""
    return st.dates(date(1990 + at, 1, 1), date(1990 + at, 12, 31))


@st.composite
def _invoice(draw: st.DrawFn, row_id: str, customers: list[str], at: int) -> Row:
    issued = draw(_day(at))
    amount = Decimal(draw(_MONEY))
    cells: dict[str, Any] = {"invoice_id": row_id, "customer_id": draw(st.sampled_from(customers)),
                             "issued_on": issued.isoformat(), "amount": str(amount),
                             "due_on": (issued + timedelta(days=draw(st.integers(0, 400)))).isoformat()}
    if amount and draw(st.booleans()):  # paid in part or in full, on a day after it was issued
        cells["paid_amount"] = str(draw(st.sampled_from([amount, Decimal("0.01")])))
        cells["paid_on"] = (issued + timedelta(days=draw(st.integers(0, 400)))).isoformat()
    if draw(st.booleans()):
        cells["payment_term_days"] = draw(st.integers(0, 3650))
    if draw(st.booleans()):
        cells["due_date_changes"] = draw(st.integers(0, 1000))
    return Row(cells)


@st.composite
def _order(draw: st.DrawFn, row_id: str, customers: list[str], at: int) -> Row:
    cells: dict[str, Any] = {"order_id": row_id, "customer_id": draw(st.sampled_from(customers)),
                             "ordered_on": draw(_day(at)).isoformat(), "amount": draw(_MONEY)}
    if draw(st.booleans()):
        cells["status"] = draw(st.sampled_from(["open", "done"]))
    return Row(cells)


_FIGURES = ("current_assets", "current_liabilities", "inventory", "cash", "total_assets", "total_liabilities",
            "equity", "revenue", "net_profit")
_SIGNED = ("equity", "net_profit")


@st.composite
def _financial(draw: st.DrawFn, _row_id: str, customers: list[str], at: int) -> Row:
    cells: dict[str, Any] = {"customer_id": draw(st.sampled_from(customers)),
                             "period_end": draw(_day(at)).isoformat()}
    for figure in draw(st.lists(st.sampled_from(_FIGURES), unique=True)):
        signs = ["", "-"] if figure in _SIGNED else [""]
        cells[figure] = draw(st.sampled_from(signs)) + draw(_MONEY)
    return Row(cells)


@st.composite
def _signal(draw: st.DrawFn, _row_id: str, customers: list[str], at: int) -> Row:
    cells: dict[str, Any] = {"customer_id": draw(st.sampled_from(customers)), "code": draw(st.sampled_from(
        _SIGNAL_CODES)), "observed_on": draw(_day(at)).isoformat()}
    if draw(st.booleans()):
        cells["note"] = draw(good_names | st.sampled_from([*FORMULAS, "华新药房"]))
    return Row(cells)


def _money(columns: tuple[str, ...], signed: tuple[str, ...] = ()) -> dict[str, list[Fault]]:
    return {c: list(MONEY_FAULTS) + ([] if c in signed else list(UNSIGNED_FAULTS)) for c in columns}


INVOICES = FuzzKind(
    "invoices", ("invoice_id", "customer_id", "issued_on", "due_on", "amount", "paid_amount", "paid_on",
                 "payment_term_days", "due_date_changes"), ("invoice_id",), _invoice,
    {**_money(("amount",)), "invoice_id": list(ID_FAULTS), "customer_id": list(ID_FAULTS),
     "issued_on": list(DATE_FAULTS), "due_on": [*DATE_FAULTS, ("before_issued", "1989-12-31")],
     "paid_amount": [("over_amount", "2.00", {"amount": "1.00"}), *MONEY_FAULTS, *UNSIGNED_FAULTS],
     "paid_on": [("unpaid", "2026-01-01", {"paid_amount": "0", "amount": "5.00"}), ("before_issued", "1989-12-31",
                                                                    {"paid_amount": "0.01", "amount": "1"})],
     "payment_term_days": [*_COUNT_FAULTS, ("over_bound", "3651")],
     "due_date_changes": [*_COUNT_FAULTS, ("over_bound", "1001")]},
    text_column="invoice_id",
)
ORDERS = FuzzKind(
    "orders", ("order_id", "customer_id", "ordered_on", "amount", "status"), ("order_id",), _order,
    {**_money(("amount",)), "order_id": list(ID_FAULTS), "customer_id": list(ID_FAULTS),
     "ordered_on": list(DATE_FAULTS), "status": [("capitalised", "Open"), ("unknown_status", "cancelled")]},
    {"ordered_on": list(DAY_MAYBES)}, text_column="status",
)
FINANCIALS = FuzzKind(
    "financials", ("customer_id", "period_end", *_FIGURES), ("customer_id", "period_end"), _financial,
    {**_money(_FIGURES, _SIGNED), "customer_id": list(ID_FAULTS), "period_end": list(DATE_FAULTS)},
    {"period_end": list(DAY_MAYBES)}, money_column="cash",
)
SIGNALS = FuzzKind(
    "signals", ("customer_id", "code", "observed_on", "note"), ("customer_id", "code", "observed_on"), _signal,
    {"customer_id": list(ID_FAULTS), "observed_on": list(DATE_FAULTS), "note": list(TEXT_FAULTS),
     "code": [("unknown_code", "supplier switch"), ("capitals", "SUPPLIER_SWITCH"), ("misspelt", "bad_rumors")]},
    {"observed_on": list(DAY_MAYBES)}, text_column="note", money_column="note",
)
RECORD_KINDS = (INVOICES, ORDERS, FINANCIALS, SIGNALS)
