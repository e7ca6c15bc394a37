"""The run report's CSV is opened in spreadsheets: text from the customer records must not run as a formula."""

from __future__ import annotations

from decimal import Decimal

from adapters.batch.report import csv_row


def test_a_customer_id_or_error_a_spreadsheet_would_run_is_quoted_and_numbers_are_not() -> None:
    item = {"customer_id": "@SUM(A1)", "status": "error", "credit_limit": Decimal("500.00"),
            "prev_limit": Decimal("1000.00"), "error": "-1 invoices: bad"}

    row = csv_row(item)

    assert row["customer_id"] == "'@SUM(A1)" and row["error"] == "'-1 invoices: bad"
    assert row["limit_change"] == Decimal("-500.00") and row["status"] == "error"


def test_a_limit_change_is_left_out_where_there_is_no_limit() -> None:
    row = csv_row({"customer_id": "C1", "credit_limit": None, "prev_limit": None})

    assert "limit_change" not in row and row["customer_id"] == "C1"
