"""The work queue CSV is opened by people in spreadsheets: text from customer records must not run."""

from __future__ import annotations

import csv
import io

from adapters.batch.workqueue import category_of, spreadsheet_safe, write_csv


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_quoted() -> None:
    item = {"category": "hold", "due_on": "2026-11-22", "severity": "urgent", "customer_id": "C1",
            "name": '=HYPERLINK("http://evil.example","click")', "code": "HOLD_ORDERS", "target_id": "@SUM(A1)",
            "rule_id": "warn.overdue_hold", "message": "-2+3 overdue"}
    out = io.StringIO()

    counts = write_csv(iter([item]), out)

    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["name"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert row["target_id"] == "'@SUM(A1)" and row["message"] == "'-2+3 overdue"
    assert row["code"] == "HOLD_ORDERS" and row["due_on"] == "2026-11-22" and counts["hold"] == 1


def test_ordinary_text_and_other_values_are_left_alone() -> None:
    assert spreadsheet_safe("华东医药分销有限公司") == "华东医药分销有限公司"
    assert spreadsheet_safe("Acme = Best") == "Acme = Best"
    assert spreadsheet_safe(None) is None and spreadsheet_safe(5) == 5
    assert spreadsheet_safe("\tTabbed") == "'\tTabbed"


def test_a_customer_id_a_spreadsheet_would_run_is_quoted_too() -> None:
    item = {"category": "hold", "due_on": "2026-11-22", "severity": "urgent", "customer_id": "+1-2",
            "name": "Acme", "code": "HOLD_ORDERS", "target_id": "", "rule_id": "warn.overdue_hold", "message": ""}
    out = io.StringIO()

    write_csv(iter([item]), out)

    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["customer_id"] == "'+1-2" and row["name"] == "Acme"


def test_a_follow_up_rules_own_action_code_is_queued_as_a_follow_up() -> None:
    # follow-up rules may name their own code (rules/README.md); SEND_CATALOGUE was queued as a limit action
    assert category_of("SEND_CATALOGUE", "info") == "follow_up"
    assert (category_of("REDUCE_LIMIT", "warning"), category_of("REQUEST_COLLATERAL", "warning")) == (
        "limit_action", "limit_action")
