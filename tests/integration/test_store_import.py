"""Importers: precise reports for bad rows, all-or-nothing by default, rejects on request, idempotent."""

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
from policy_engine.domain.values import FLOAT_MONEY, NOT_A_DECIMAL

CUSTOMERS_CSV = """\
customer_id,name,size,segment,relationship_since,character,capacity,capital,collateral,conditions,\
assessed_on,current_grade,current_limit
C1,Acme Trading,large,distributor,2019-03-01,80,70,75,60,65,2026-06-30,AA,500000.00
C2,Beta Pharmacy,small,pharmacy,,,,,,,,,
"""
INVOICES_CSV = """\
invoice_id,customer_id,issued_on,due_on,amount,paid_amount,paid_on,payment_term_days,due_date_changes
I1,C1,2026-01-05,2026-02-04,12000.50,12000.50,2026-02-10,30,0
I2,C1,2026-02-05,2026-03-07,8000.00,0,,30,2
I3,C9,2026-02-05,2026-03-07,8000.00,0,,30,0
I4,C2,2026-02-05,2026-01-07,12.5,0,,30,0
I1,C2,2026-02-05,2026-03-07,1.00,0,,30,0
I5,C2,2026-02-05,2026-03-07,1.0e3,0,,30,0
I6,C2,2026-03-01,2026-03-31,99.99,0,,30,0
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _table(store: SqlStore, table: Any) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(table)))


def _with_customers(db_url: str, tmp_path: Path) -> SqlStore:
    store = open_store(db_url)
    report = run_import(store.engine, "customers", _write(tmp_path, "customers.csv", CUSTOMERS_CSV))
    assert report.committed and report.problem_count == 0
    return store


def test_bad_rows_are_reported_with_file_line_field_and_code_and_nothing_is_loaded(db_url: str, tmp_path: Path) -> None:
    store = _with_customers(db_url, tmp_path)
    path = _write(tmp_path, "invoices.csv", INVOICES_CSV)

    report = run_import(store.engine, "invoices", path)

    found = [(p.file, p.line, p.field, p.code) for p in report.problems]
    assert found == [
        (str(path), 4, "customer_id", "unknown_customer"),
        (str(path), 5, "due_on", "value_error"),
        (str(path), 6, "invoice_id", "duplicate_key"),
        (str(path), 7, "amount", "value_error"),
    ]
    assert not report.committed
    assert _table(store, s.invoices) == []


def test_an_incoherent_invoice_row_is_named_at_the_field_to_fix_with_the_error_type_it_always_had(
    db_url: str, tmp_path: Path
) -> None:
    store = _with_customers(db_url, tmp_path)
    path = _write(tmp_path, "invoices.csv", "invoice_id,customer_id,issued_on,due_on,amount,paid_amount,paid_on\n"
                                            "I7,C1,2026-02-05,2026-03-07,100.00,200.00,2026-02-01\n")

    report = run_import(store.engine, "invoices", path)

    found = {p.field: (p.line, p.code, p.message) for p in report.problems}
    assert sorted(found) == ["paid_amount", "paid_on"]
    assert found["paid_on"] == (2, "value_error", "paid_on 2026-02-01 is before issued_on 2026-02-05")
    assert found["paid_amount"][:2] == (2, "value_error") and "amount 100.00" in found["paid_amount"][2]


def test_an_invoice_row_with_a_payment_date_and_nothing_paid_is_refused_at_paid_on(db_url: str, tmp_path: Path) -> None:
    # Was loaded, as an invoice open by its whole amount whose payment date nothing read.
    store = _with_customers(db_url, tmp_path)
    path = _write(tmp_path, "invoices.csv", "invoice_id,customer_id,issued_on,due_on,amount,paid_amount,paid_on\n"
                                            "I7,C1,2026-02-05,2026-03-07,100.00,,2026-03-01\n")

    report = run_import(store.engine, "invoices", path)

    assert [(p.line, p.field, p.code) for p in report.problems] == [(2, "paid_on", "value_error")]
    assert report.problems[0].message.startswith("paid_on 2026-03-01 is the date of a payment, but paid_amount is 0")
    assert _table(store, s.invoices) == []


def test_an_order_row_of_nothing_is_loaded_and_its_customer_read_back(db_url: str, tmp_path: Path) -> None:
    # Was refused at its amount; the snapshot model now takes an order of 0 (counting for nothing), so the import,
    # gRPC and the batch's stored records take it alike.
    store = _with_customers(db_url, tmp_path)
    path = _write(tmp_path, "orders.csv", "order_id,customer_id,ordered_on,amount,status\nO1,C1,2026-01-01,0.00,open\n")

    report = run_import(store.engine, "orders", path)

    assert report.committed and report.problem_count == 0
    assert [(o.order_id, o.amount) for o in store.get_snapshot("C1").orders] == [("O1", Decimal("0.00"))]


def test_keep_going_loads_the_good_rows_and_writes_every_bad_one_to_the_rejects_file(
    db_url: str, tmp_path: Path
) -> None:
    store = _with_customers(db_url, tmp_path)
    path = _write(tmp_path, "invoices.csv", INVOICES_CSV)
    rejects = tmp_path / "rejected.csv"

    report = run_import(store.engine, "invoices", path, keep_going=True, rejects_path=rejects)

    assert report.committed and (report.rows_loaded, report.rows_rejected) == (3, 4)
    assert [r[0] for r in _table(store, s.invoices)] == ["I1", "I2", "I6"]
    with open(rejects, newline="", encoding="utf-8") as handle:
        rejected = list(csv.DictReader(handle))
    assert [r["invoice_id"] for r in rejected] == ["I3", "I4", "I1", "I5"]
    assert "customer_id" in rejected[0]["error"] and rejected[3]["amount"] == "1.0e3"


def test_a_new_rejects_file_is_no_more_readable_than_the_file_it_copies_rows_from(
    db_url: str, tmp_path: Path
) -> None:
    store = _with_customers(db_url, tmp_path)
    path = _write(tmp_path, "invoices.csv", INVOICES_CSV)
    path.chmod(0o600)  # customers' receivables: the owner's alone
    rejects = tmp_path / "rejected.csv"

    run_import(store.engine, "invoices", path, keep_going=True, rejects_path=rejects)

    assert rejects.stat().st_mode & 0o777 == 0o600


def test_reimporting_the_same_file_changes_nothing(db_url: str, tmp_path: Path) -> None:
    store = _with_customers(db_url, tmp_path)
    path = _write(tmp_path, "invoices.csv", INVOICES_CSV)
    run_import(store.engine, "invoices", path, keep_going=True)
    before = {t.name: _table(store, t) for t in s.metadata.sorted_tables}

    again = run_import(store.engine, "invoices", path, keep_going=True)
    customers_again = run_import(store.engine, "customers", tmp_path / "customers.csv")

    assert (again.rows_loaded, again.rows_changed) == (3, 0)
    assert (customers_again.rows_loaded, customers_again.rows_changed) == (2, 0)
    assert {t.name: _table(store, t) for t in s.metadata.sorted_tables} == before


def test_a_changed_row_is_updated_in_place_by_its_id(db_url: str, tmp_path: Path) -> None:
    store = _with_customers(db_url, tmp_path)
    run_import(store.engine, "invoices", _write(tmp_path, "a.csv", INVOICES_CSV), keep_going=True)
    changed = INVOICES_CSV.splitlines()[0] + "\nI2,C1,2026-02-05,2026-03-07,8000.00,8000.00,2026-03-01,30,2\n"

    report = run_import(store.engine, "invoices", _write(tmp_path, "b.csv", changed))

    assert report.rows_changed == 1
    invoice = {i.invoice_id: i for i in store.get_snapshot("C1").invoices}["I2"]
    assert str(invoice.paid_amount) == "8000.00"


def test_customers_bring_their_5c_assessment_and_current_credit(db_url: str, tmp_path: Path) -> None:
    store = _with_customers(db_url, tmp_path)

    snapshot = store.get_snapshot("C1")

    assert snapshot.assessment is not None and snapshot.assessment.character == 80
    assert (snapshot.current_grade, str(snapshot.current_limit)) == ("AA", "500000.00")
    assert store.get_snapshot("C2").assessment is None


def test_json_lines_are_imported_and_bad_lines_named(db_url: str, tmp_path: Path) -> None:
    store = _with_customers(db_url, tmp_path)
    lines = [
        json.dumps({"customer_id": "C1", "code": "bank_account_frozen", "observed_on": "2026-11-01"}),
        "",
        json.dumps({"customer_id": "C1", "code": "feeling_uneasy", "observed_on": "2026-11-01"}),
        "{not json",
        json.dumps({"customer_id": "C2", "code": "bad_rumours", "observed_on": "2026-11-01", "colour": "red"}),
    ]
    path = _write(tmp_path, "signals.jsonl", "\n".join(lines) + "\n")

    report = run_import(store.engine, "signals", path, keep_going=True, rejects_path=tmp_path / "r.jsonl")

    assert [(p.line, p.field, p.code) for p in report.problems] == [
        (3, "code", "value_error"),
        (4, "", "bad_json"),
        (5, "colour", "extra_forbidden"),
    ]
    assert [sig.code for sig in store.get_snapshot("C1").signals] == ["bank_account_frozen"]
    rejected = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [r.get("code") for r in rejected] == ["feeling_uneasy", None, "bad_rumours"]
    assert all(r["error"] for r in rejected)


def test_an_unknown_csv_column_is_refused_at_the_header(db_url: str, tmp_path: Path) -> None:
    store = open_store(db_url)
    path = _write(tmp_path, "orders.csv", "order_id,customer_id,ordered_on,amount,colour\nO1,C1,2026-01-01,5,red\n")

    report = run_import(store.engine, "orders", path)

    assert [(p.line, p.field, p.code) for p in report.problems] == [(1, "colour", "unknown_column")]
    assert not report.committed


def test_control_characters_are_refused_before_they_reach_the_database(db_url: str, tmp_path: Path) -> None:
    # PostgreSQL refuses a NUL in text outright: before, the whole import died there with a traceback.
    store = _with_customers(db_url, tmp_path)
    text = "customer_id,name,address\nC1,Acme\x00 Trading,\nC\x07X,Bell,\nC2,Beta,\"Line 1\tand\nline 2\"\n"
    path = _write(tmp_path, "customers.csv", text)

    report = run_import(store.engine, "customers", path, keep_going=True)

    assert [(p.line, p.field, p.message) for p in report.problems] == [
        (2, "name", "contains a control character (only tab and line breaks are allowed)"),
        (3, "customer_id", "contains a control character or an invisible formatting character"),
    ]
    assert report.committed and report.rows_loaded == 1
    assert store.get_snapshot("C1").name == "Acme Trading"  # unchanged
    assert store.get_snapshot("C2").name == "Beta"


def test_a_bad_date_in_a_row_is_echoed_at_its_line_and_field_with_what_to_write(db_url: str, tmp_path: Path) -> None:
    """Each said only `not an ISO date (YYYY-MM-DD)`: not the value, not `2026-11-01`, not that Feb 30 is no day."""
    store = open_store(db_url)
    csv_path = _write(tmp_path, "customers.csv", "customer_id,relationship_since,last_contact_on\n"
                                                 "C1,2026/11/01,2026-02-30\nC2,20261101,22/11/2026\n")
    jsonl_path = _write(tmp_path, "orders.jsonl", json.dumps({"order_id": "O1", "customer_id": "C1",
                                                              "ordered_on": 20261101, "amount": "5"}) + "\n")

    found = [str(p) for path in (csv_path, jsonl_path) for p in run_import(store.engine, path.stem, path).problems]

    assert found[:4] == [
        f"{csv_path}:2: relationship_since: not an ISO date (YYYY-MM-DD): '2026/11/01'; write 2026-11-01 [value_error]",
        f"{csv_path}:2: last_contact_on: no such day: '2026-02-30' (February 2026 has 28 days) [value_error]",
        f"{csv_path}:3: relationship_since: not an ISO date (YYYY-MM-DD): '20261101'; write 2026-11-01 [value_error]",
        f"{csv_path}:3: last_contact_on: not an ISO date (YYYY-MM-DD): '22/11/2026'; write 2026-11-22 [value_error]",
    ]
    assert found[4:] == [f"{jsonl_path}:1: ordered_on: not an ISO date (YYYY-MM-DD): 20261101; write 2026-11-01 "
                         "[value_error]"]


def test_money_written_as_a_json_number_in_a_row_is_echoed_as_written(db_url: str, tmp_path: Path) -> None:
    # 1e400 was echoed as `inf`, 12.50 as 12.5: not what the line says.
    store = _with_customers(db_url, tmp_path)
    line = '{"order_id": "O%d", "customer_id": "C1", "ordered_on": "2026-11-01", "amount": %s}\n'
    path = _write(tmp_path, "orders.jsonl", line % (1, "1e400") + line % (2, "12.50"))

    found = [(p.line, p.field, p.code, p.message) for p in run_import(store.engine, "orders", path).problems]

    assert found == [(1, "amount", "value_error", f"{FLOAT_MONEY}: 1e400"),
                     (2, "amount", "value_error", f"{FLOAT_MONEY}: 12.50")]


def test_a_null_date_or_amount_in_a_row_says_it_was_null(db_url: str, tmp_path: Path) -> None:
    """Was `ordered_on: not an ISO date (YYYY-MM-DD)` and `amount: not a decimal such as …`: nothing said it was null
    (an empty CSV cell is left out: `required`, as before)."""
    store = _with_customers(db_url, tmp_path)
    row = {"order_id": "O1", "customer_id": "C1", "ordered_on": None, "amount": None}
    jsonl_path = _write(tmp_path, "orders.jsonl", json.dumps(row) + "\n")

    found = [str(p) for p in run_import(store.engine, "orders", jsonl_path).problems]

    assert found == [f"{jsonl_path}:1: ordered_on: got null; write an ISO date (YYYY-MM-DD) [value_error]",
                     f"{jsonl_path}:1: amount: got null; write {NOT_A_DECIMAL.removeprefix('not ')} [value_error]"]


def test_a_bad_amount_in_a_row_is_echoed_at_its_line_and_field_with_what_to_write(db_url: str, tmp_path: Path) -> None:
    """Each said only `not a decimal such as "125000.00": …`: not the value, not `1000.00`."""
    store = _with_customers(db_url, tmp_path)
    csv_path = _write(tmp_path, "orders.csv", "order_id,customer_id,ordered_on,amount\n"
                                              'O1,C1,2026-11-01,"1,000.00"\nO2,C1,2026-11-01,"1.000,50"\n')
    jsonl_path = _write(tmp_path, "orders.jsonl", json.dumps({"order_id": "O3", "customer_id": "C1",
                                                              "ordered_on": "2026-11-01", "amount": "€1,000"}) + "\n")

    found = [str(p) for path in (csv_path, jsonl_path) for p in run_import(store.engine, path.stem, path).problems]

    assert found == [
        f"{csv_path}:2: amount: {NOT_A_DECIMAL}: '1,000.00'; write 1000.00 [value_error]",
        f"{csv_path}:3: amount: {NOT_A_DECIMAL}: '1.000,50'; write 1000.50 if the comma is a decimal point "
        "[value_error]",  # a decimal comma: its one reading, named as such (was no hint)
        f"{jsonl_path}:1: amount: {NOT_A_DECIMAL}: '€1,000'; write 1000, or 1.000 if the comma is a decimal point "
        "[value_error]",
    ]


def test_an_overlong_line_is_refused_without_reading_it_whole(db_url: str, tmp_path: Path) -> None:
    store = _with_customers(db_url, tmp_path)
    huge = json.dumps({"customer_id": "C1", "code": "bad_rumours", "observed_on": "2026-11-01", "note": "x" * 100_000})
    path = _write(tmp_path, "signals.jsonl", huge + "\n")

    report = run_import(store.engine, "signals", path)

    assert [(p.line, p.code) for p in report.problems] == [(1, "line_too_long")]


def test_financial_statements_upsert_by_customer_and_period(db_url: str, tmp_path: Path) -> None:
    store = _with_customers(db_url, tmp_path)
    text = "customer_id,period_end,current_assets,current_liabilities,equity,net_profit\nC1,2025-12-31,100.10,200.20,-5.50,-1\n"  # noqa: E501
    path = _write(tmp_path, "fin.csv", text)

    first = run_import(store.engine, "financials", path)
    second = run_import(store.engine, "financials", path)

    assert (first.rows_changed, second.rows_changed) == (1, 0)
    statement = store.get_snapshot("C1").financials[0]
    assert (str(statement.equity), statement.inventory) == ("-5.50", None)


VALUE_CLASSES_CSV = """\
customer_id,name,currency,current_grade,value_class
C1,Acme Trading,CNY,AA,C
C2,Beta Pharmacy,CNY,,A
C3,Gamma Retail,CNY,,
"""


def test_customers_may_bring_a_value_class_which_the_next_batch_run_replaces(db_url: str, tmp_path: Path) -> None:
    from datetime import date

    from adapters.batch.runner import BatchOptions, run_batch
    from tests.integration.test_batch_support import RULES

    store = open_store(db_url)
    run_import(store.engine, "customers", _write(tmp_path, "customers.csv", VALUE_CLASSES_CSV))
    run_import(store.engine, "invoices", _write(tmp_path, "invoices.csv", INVOICES_CSV.splitlines()[0]
                                                + "\nI1,C1,2026-10-05,2026-11-04,12000.50,12000.50,2026-11-01,30,0\n"))
    regraded = run_import(store.engine, "customers", _write(tmp_path, "grade.csv", "customer_id,current_grade\nC2,B\n"))

    assert regraded.changed["current grade/limit"] == regraded.rows_changed == 1  # its name left out is kept
    assert [store.get_snapshot(c).value_class for c in ("C1", "C2", "C3")] == ["C", "A", ""]
    assert store.get_snapshot("C2").current_grade == "B"  # a grade without a class keeps the class
    run_batch(BatchOptions(db_url=db_url, as_of=date(2026, 11, 22), rules_dir=RULES))
    assert [store.get_snapshot(c).value_class for c in ("C1", "C2", "C3")] == ["A", "C", "C"]


def test_a_value_class_other_than_a_b_or_c_is_refused_at_its_line_and_column(db_url: str, tmp_path: Path) -> None:
    store = open_store(db_url)
    path = _write(tmp_path, "customers.csv", "customer_id,value_class\nC1,A\nC2,D\nC3,b\n")

    report = run_import(store.engine, "customers", path)

    assert [(p.file, p.line, p.field, p.code) for p in report.problems] == [
        (str(path), 3, "value_class", "literal_error"),
        (str(path), 4, "value_class", "literal_error"),
    ]
    assert not report.committed


def test_a_json_lines_reject_is_the_line_as_written_with_its_error_and_imports_again_as_it_is(
    db_url: str, tmp_path: Path
) -> None:
    # The rejects file wrote `"amount": Infinity` for 1e400 (not JSON) and 12.5 for 12.50: not what the line said.
    store = _with_customers(db_url, tmp_path)
    lines = ['{"order_id":"O1", "customer_id": "C1", "ordered_on": "2026-11-01", "amount": 1e400}',
             '{ "order_id": "O2", "customer_id": "C1", "ordered_on": "2026-11-01", "amount": 12.50 }']
    rejects, again = tmp_path / "r.jsonl", tmp_path / "r2.jsonl"

    run_import(store.engine, "orders", _write(tmp_path, "o.jsonl", "\r\n".join(lines) + "\r\n"),
               keep_going=True, rejects_path=rejects)
    report = run_import(store.engine, "orders", rejects, keep_going=True, rejects_path=again)

    written = rejects.read_text(encoding="utf-8").splitlines()
    assert all(w.startswith(line[:-1].rstrip() + ', "error": ') for w, line in zip(written, lines, strict=True))
    assert [json.loads(w)["error"] for w in written] == [f"line {n}: amount: {FLOAT_MONEY}: {x}"
                                                         for n, x in ((1, "1e400"), (2, "12.50"))]
    assert [(p.line, p.field, p.code) for p in report.problems] == [(1, "amount", "value_error"),
                                                                    (2, "amount", "value_error")]
    assert again.read_text(encoding="utf-8") == rejects.read_text(encoding="utf-8")
