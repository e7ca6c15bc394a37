"""What each import kind validates rows with and which tables it writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table

from adapters.importers.reader import Problem
from adapters.importers.rows import (
    ASSESSMENT_COLUMNS,
    CustomerRow,
    FinancialRow,
    InvoiceRow,
    OrderRow,
    SignalRow,
    field_names,
    required_names,
)
from adapters.importers.statement_checks import statement_warnings
from adapters.importers.stored import StoredColumns
from adapters.store import schema as s
from adapters.store.upsert import upsert
from policy_engine.domain.models import _Strict

PROFILE_COLUMNS = ("current_grade", "current_limit", "value_class")
_CARD_EXTRAS = (*ASSESSMENT_COLUMNS, "assessed_on", *PROFILE_COLUMNS)


STORED_PLURALS = {"customer": "customers", "5C assessment": "5C assessments",
                  "current grade/limit": "current grades/limits", "value class": "value classes",
                  "invoice": "invoices", "order": "orders", "financial statement": "financial statements",
                  "signal": "signals"}
"""What an import stores, by the noun its summary counts it with (one customers row may store a customer record,
a 5C assessment, a current grade/limit and a value class), and the plural of each."""
Changed = dict[str, int]
"""Rows inserted or changed in the store, by what they are (a key of STORED_PLURALS)."""


def _write_customers(conn: Connection, rows: Sequence[Any]) -> Changed:
    records = [r.model_dump(exclude=set(_CARD_EXTRAS)) for r in rows]
    changed = {"customer": upsert(conn, s.customers, ["customer_id"], records)}
    assessed = [
        {"customer_id": r.customer_id, **{c: getattr(r, c) for c in (*ASSESSMENT_COLUMNS, "assessed_on")}}
        for r in rows
        if r.assessed_on is not None
    ]
    changed["5C assessment"] = upsert(conn, s.assessments, ["customer_id", "assessed_on"], assessed)
    profiles = [
        {
            "customer_id": r.customer_id,
            "grade": r.current_grade,
            "grade_class": r.current_grade[0] if r.current_grade else None,
            "credit_limit": r.current_limit,
            "currency": r.currency,
        }
        for r in rows
        if r.current_grade is not None or r.current_limit is not None
    ]
    changed["current grade/limit"] = upsert(conn, s.credit_profiles, ["customer_id"], profiles)
    # Its own statement: a row naming only a class must leave the grade and limit as they are (and
    # one naming only a grade, the class), and upsert sets every column its rows carry.
    classes = [{"customer_id": r.customer_id, "value_class": r.value_class, "currency": r.currency}
               for r in rows if r.value_class]  # fmt: skip
    changed["value class"] = upsert(conn, s.credit_profiles, ["customer_id"], classes)
    return changed


def _stored(table: Table, model: type[_Strict], keys: Sequence[str]) -> StoredColumns:
    """The model's optional columns as `table` stores them, read by `keys`."""
    optional = [n for n, f in model.model_fields.items() if not f.is_required() and n in table.c]
    return StoredColumns(table, tuple(table.c[k] for k in keys), {n: table.c[n] for n in optional}, table)


def _stored_customers() -> StoredColumns:
    """A customer's record and the grade and limit its credit profile holds (current_grade, current_limit)."""
    card = _stored(s.customers, CustomerRow, ["customer_id"])
    profile = s.credit_profiles
    return StoredColumns(
        s.customers.outerjoin(profile, profile.c.customer_id == s.customers.c.customer_id),
        card.keys,
        {**card.columns, "current_grade": profile.c.grade, "current_limit": profile.c.credit_limit},
        s.customers,
        (frozenset({"current_grade", "current_limit"}),),
    )


def _writer(noun: str, table: Any, keys: Sequence[str]) -> Callable[[Connection, Sequence[Any]], Changed]:
    def write(conn: Connection, rows: Sequence[Any]) -> Changed:
        return {noun: upsert(conn, table, keys, [r.model_dump() for r in rows])}

    return write


@dataclass(frozen=True)
class ImportKind:
    """One importable kind of record."""

    name: str
    model: type[_Strict]
    keys: tuple[str, ...]
    write: Callable[[Connection, Sequence[Any]], Changed]
    belongs_to_customer: bool
    stored: StoredColumns
    """Where the values a row leaves out are kept from (stored.py)."""
    warnings: Callable[[str, int, Any], list[Problem]] | None = None
    """What a valid row holds that looks wrong, at (file, line): said, the row loaded all the same."""

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column a row may carry."""
        return field_names(self.model)

    @property
    def required(self) -> tuple[str, ...]:
        """The columns a row must carry."""
        return required_names(self.model)

    def key_of(self, row: Any) -> tuple[Any, ...]:
        """The row's identity: re-importing a row with the same key updates it."""
        return tuple(getattr(row, k) for k in self.keys)


KINDS: dict[str, ImportKind] = {
    "customers": ImportKind("customers", CustomerRow, ("customer_id",), _write_customers, False, _stored_customers()),
    "invoices": ImportKind(
        "invoices", InvoiceRow, ("invoice_id",), _writer("invoice", s.invoices, ["invoice_id"]), True,
        _stored(s.invoices, InvoiceRow, ["invoice_id"]),
    ),
    "orders": ImportKind("orders", OrderRow, ("order_id",), _writer("order", s.orders, ["order_id"]), True,
                         _stored(s.orders, OrderRow, ["order_id"])),
    "financials": ImportKind(
        "financials",
        FinancialRow,
        ("customer_id", "period_end"),
        _writer("financial statement", s.financial_statements, ["customer_id", "period_end"]),
        True,
        _stored(s.financial_statements, FinancialRow, ["customer_id", "period_end"]),
        statement_warnings,
    ),
    "signals": ImportKind(
        "signals",
        SignalRow,
        ("customer_id", "code", "observed_on"),
        _writer("signal", s.staff_signals, ["customer_id", "code", "observed_on"]),
        True,
        _stored(s.staff_signals, SignalRow, ["customer_id", "code", "observed_on"]),
    ),
}
