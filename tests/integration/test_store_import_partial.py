"""A file that leaves a column out keeps what the store holds there; an empty cell or `null` gives the default."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.importers import run_import
from adapters.store import SqlStore, open_store
from adapters.store import schema as s

CUSTOMERS_CSV = """\
customer_id,name,size,currency,segment,current_grade,current_limit
C1,Acme Trading,large,USD,distributor,A,500000.00
C2,Beta Pharmacy,medium,EUR,pharmacy,,
"""
INVOICES_CSV = """\
invoice_id,customer_id,issued_on,due_on,amount,paid_amount,paid_on,payment_term_days,due_date_changes
I1,C1,2026-01-05,2026-03-06,12000.00,0,,60,3
I2,C1,2026-02-05,2026-03-07,8000.00,8000.00,2026-03-01,30,1
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stored(tmp_path: Path, db_url: str) -> SqlStore:
    store = open_store(db_url)
    for kind, name, text in (("customers", "c.csv", CUSTOMERS_CSV), ("invoices", "i.csv", INVOICES_CSV)):
        report = run_import(store.engine, kind, _write(tmp_path, name, text))
        assert report.committed and report.problem_count == 0, report.problems
    return store


def _row(store: SqlStore, table: Any, **key: str) -> dict[str, Any]:
    with store.engine.connect() as conn:
        where = [table.c[k] == v for k, v in key.items()]
        return dict(conn.execute(select(table).where(*where)).one()._mapping)


def test_a_grade_correction_sheet_keeps_each_customers_name_size_currency_and_limit(
    db_url: str, tmp_path: Path
) -> None:
    store = _stored(tmp_path, db_url)
    sheet = _write(tmp_path, "grades.csv", "customer_id,current_grade\nC1,BB\n")

    first = run_import(store.engine, "customers", sheet)
    again = run_import(store.engine, "customers", sheet)

    assert first.changed == {"customer": 0, "5C assessment": 0, "current grade/limit": 1, "value class": 0}
    assert again.rows_changed == 0
    customer = _row(store, s.customers, customer_id="C1")
    assert (customer["name"], customer["size"], customer["currency"], customer["segment"]) == (
        "Acme Trading", "large", "USD", "distributor")
    profile = _row(store, s.credit_profiles, customer_id="C1")
    assert (profile["grade"], profile["credit_limit"], profile["currency"]) == ("BB", Decimal("500000.00"), "USD")


def test_an_empty_cell_still_resets_its_column_to_the_default(db_url: str, tmp_path: Path) -> None:
    store = _stored(tmp_path, db_url)

    report = run_import(store.engine, "customers", _write(tmp_path, "reset.csv", "customer_id,name,currency\nC1,,\n"))

    assert report.rows_changed == 1
    customer = _row(store, s.customers, customer_id="C1")
    assert (customer["name"], customer["currency"], customer["size"]) == ("", "CNY", "large")


def test_a_json_line_keeps_the_keys_it_leaves_out_and_null_gives_the_default(db_url: str, tmp_path: Path) -> None:
    """`"name": null` was refused (`name: not a string`) though the docs said null means "not given"."""
    store = _stored(tmp_path, db_url)
    lines = [{"customer_id": "C1", "current_grade": "BB"}, {"customer_id": "C2", "name": None, "segment": "hospital"}]
    path = _write(tmp_path, "customers.jsonl", "".join(json.dumps(line) + "\n" for line in lines))

    report = run_import(store.engine, "customers", path)

    assert report.problem_count == 0, report.problems
    c1, c2 = _row(store, s.customers, customer_id="C1"), _row(store, s.customers, customer_id="C2")
    assert (c1["name"], c1["currency"]) == ("Acme Trading", "USD")
    assert (c2["name"], c2["segment"], c2["size"], c2["currency"]) == ("", "hospital", "medium", "EUR")


def test_a_new_customer_in_a_partial_file_takes_the_defaults(db_url: str, tmp_path: Path) -> None:
    store = _stored(tmp_path, db_url)

    run_import(store.engine, "customers", _write(tmp_path, "grades.csv", "customer_id,current_grade\nC3,C\n"))

    customer = _row(store, s.customers, customer_id="C3")
    assert (customer["name"], customer["size"], customer["currency"]) == ("", "small", "CNY")
    assert _row(store, s.credit_profiles, customer_id="C3")["grade"] == "C"


def test_a_payments_file_keeps_the_terms_and_due_date_changes_it_leaves_out(db_url: str, tmp_path: Path) -> None:
    store = _stored(tmp_path, db_url)
    payments = ("invoice_id,customer_id,issued_on,due_on,amount,paid_amount,paid_on\n"
                "I1,C1,2026-01-05,2026-03-06,12000.00,5000.00,2026-03-10\n")

    report = run_import(store.engine, "invoices", _write(tmp_path, "payments.csv", payments))

    assert report.rows_changed == 1
    invoice = _row(store, s.invoices, invoice_id="I1")
    assert (invoice["paid_amount"], invoice["payment_term_days"], invoice["due_date_changes"]) == (
        Decimal("5000.00"), 60, 3)


def test_a_partial_invoice_row_is_validated_with_what_the_store_holds(db_url: str, tmp_path: Path) -> None:
    """A payment date without paid_amount in the file: I2 was paid in full (stored), I1 nothing: only I1 is wrong."""
    store = _stored(tmp_path, db_url)
    dates = ("invoice_id,customer_id,issued_on,due_on,amount,paid_on\n"
             "I1,C1,2026-01-05,2026-03-06,12000.00,2026-03-02\n"
             "I2,C1,2026-02-05,2026-03-07,8000.00,2026-03-02\n")

    report = run_import(store.engine, "invoices", _write(tmp_path, "dates.csv", dates), keep_going=True)

    assert [(p.line, p.field) for p in report.problems] == [(2, "paid_on")]
    assert _row(store, s.invoices, invoice_id="I2")["paid_on"].isoformat() == "2026-03-02"
    assert _row(store, s.invoices, invoice_id="I1")["paid_on"] is None


def test_a_partial_statement_is_checked_whole_with_its_stored_figures(db_url: str, tmp_path: Path) -> None:
    store = _stored(tmp_path, db_url)
    whole = "customer_id,period_end,total_assets,total_liabilities,equity\nC1,2025-12-31,100000,60000,40000\n"
    run_import(store.engine, "financials", _write(tmp_path, "f.csv", whole))

    report = run_import(store.engine, "financials",
                        _write(tmp_path, "equity.csv", "customer_id,period_end,equity\nC1,2025-12-31,10000\n"))

    assert [w.code for w in report.warnings] == ["inconsistent_statement"]
    stored = _row(store, s.financial_statements, customer_id="C1")
    assert (stored["total_assets"], stored["equity"]) == (Decimal("100000"), Decimal("10000"))


def test_keep_going_refuses_a_bad_partial_row_and_loads_the_good_one_keeping_the_rest(
    db_url: str, tmp_path: Path
) -> None:
    store = _stored(tmp_path, db_url)
    rejects = tmp_path / "rejects.csv"
    sheet = _write(tmp_path, "grades.csv", "customer_id,current_grade\nC1,ZZ\nC2,B\n")

    report = run_import(store.engine, "customers", sheet, keep_going=True, rejects_path=rejects)

    assert [(p.line, p.field) for p in report.problems] == [(2, "current_grade")]
    with open(rejects, newline="", encoding="utf-8") as handle:
        assert [(r["customer_id"], r["current_grade"]) for r in csv.DictReader(handle)] == [("C1", "ZZ")]
    assert _row(store, s.credit_profiles, customer_id="C1")["grade"] == "A"
    assert _row(store, s.customers, customer_id="C2")["currency"] == "EUR"
    assert _row(store, s.credit_profiles, customer_id="C2")["currency"] == "EUR"


def test_an_order_file_without_status_keeps_the_stored_status(db_url: str, tmp_path: Path) -> None:
    store = _stored(tmp_path, db_url)
    run_import(store.engine, "orders",
               _write(tmp_path, "o.csv", "order_id,customer_id,ordered_on,amount,status\nO1,C1,2026-03-01,10,open\n"))

    run_import(store.engine, "orders",
               _write(tmp_path, "o2.csv", "order_id,customer_id,ordered_on,amount\nO1,C1,2026-03-01,12\n"))

    order = _row(store, s.orders, order_id="O1")
    assert (order["amount"], order["status"]) == (Decimal("12"), "open")
