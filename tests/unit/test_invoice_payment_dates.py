"""An invoice's payment date needs a payment: `paid_on` with nothing paid is refused INCONSISTENT at `paid_on`,
wherever a snapshot comes in (the service, snapshot and case files, the importers, the batch's stored records
share the model)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerSnapshot, Invoice
from policy_engine.domain.violation_reasons import INCONSISTENT

_UNPAID_WITH_A_DATE = ("paid_on 2026-02-10 is the date of a payment, but paid_amount is 0: send the amount paid, "
                       "or leave paid_on empty while nothing is paid")


def _invoice(**overrides: Any) -> dict[str, Any]:
    return {"invoice_id": "I1", "issued_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100.00", **overrides}


@pytest.mark.parametrize("paid_amount", [None, "0", "0.00"], ids=["left out", "0", "0.00"])  # "-0": refused itself
def test_a_payment_date_with_nothing_paid_is_inconsistent_at_paid_on(paid_amount: str | None) -> None:
    # Was accepted, and the invoice counted open by its whole amount: its payment date read by nothing.
    paid = {} if paid_amount is None else {"paid_amount": paid_amount}
    with pytest.raises(ValidationError) as info:
        CustomerSnapshot.model_validate({"customer_id": "C", "invoices": [_invoice(paid_on="2026-02-10", **paid)]})

    [violation] = violations_from(info.value, "snapshot")

    assert (violation.field, violation.reason) == ("snapshot.invoices[0].paid_on", INCONSISTENT)
    assert violation.description == _UNPAID_WITH_A_DATE


@pytest.mark.parametrize("fields", [{"paid_amount": "40.00", "paid_on": "2026-02-10"},  # a part payment
                                    {"paid_amount": "100.00", "paid_on": "2026-02-10"},
                                    {"amount": "0.00", "paid_on": "2026-02-10"},  # nothing owed: settled
                                    {}], ids=["part paid", "paid", "nothing owed", "open"])
def test_a_payment_date_beside_a_payment_or_on_an_invoice_of_nothing_is_accepted(fields: dict[str, str]) -> None:
    assert Invoice.model_validate(_invoice(**fields)).invoice_id == "I1"


def test_a_payment_date_before_issue_with_nothing_paid_says_both() -> None:
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(_invoice(paid_on="2025-12-01"))

    said = [v.description for v in violations_from(info.value)]

    assert said == ["paid_on 2025-12-01 is before issued_on 2026-01-01",
                    _UNPAID_WITH_A_DATE.replace("2026-02-10", "2025-12-01")]


def test_a_rule_test_case_with_a_payment_date_and_nothing_paid_is_a_problem_at_its_line(
    rules_copy: Any,
) -> None:
    rules = rules_copy()
    invoice = 'invoice_id: I1, issued_on: "2026-10-01", due_on: "2026-10-31", amount: "10.00", paid_on: "2026-10-20"'
    (rules / "tests" / "q.yaml").write_text(f"cases:\n  - id: q\n    snapshot:\n      base: steady\n"
                                            f"      invoices: [{{{invoice}}}]\n    expect: {{grade: AA}}\n")

    output = CliRunner().invoke(build_app(), ["test", str(rules)]).output

    assert "q.yaml:5:" in output and "snapshot.invoices[0].paid_on: paid_on 2026-10-20 is the date of a payment" \
        in output
