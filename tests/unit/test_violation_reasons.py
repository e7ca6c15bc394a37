"""Every field violation carries a stable reason from a small vocabulary, whichever check refused the field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from policy_engine.domain.errors import FieldViolation, violations_from
from policy_engine.domain.models import CustomerSnapshot
from policy_engine.domain.violation_reasons import INVALID, VOCABULARY


def _reasons(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        CustomerSnapshot.model_validate(data)
    return {v.field: v.reason for v in violations_from(info.value)}


def _invoice(**overrides: Any) -> dict[str, Any]:
    return {"invoice_id": "I1", "issued_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100.00", **overrides}


@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"invoices": [_invoice(amount="12,5")]}, "invoices[0].amount", "NOT_A_DECIMAL"),
    ({"invoices": [_invoice(amount=100.5)]}, "invoices[0].amount", "NOT_A_DECIMAL"),
    ({"invoices": [_invoice(amount="")]}, "invoices[0].amount", "REQUIRED"),
    ({"invoices": [_invoice(amount="-5")]}, "invoices[0].amount", "OUT_OF_RANGE"),
    ({"invoices": [_invoice(amount="9999999999999999")]}, "invoices[0].amount", "OUT_OF_RANGE"),
    ({"invoices": [_invoice(due_on="2026-02-30")]}, "invoices[0].due_on", "NOT_A_DATE"),
    ({"invoices": [_invoice(due_on="")]}, "invoices[0].due_on", "REQUIRED"),
    ({"invoices": [_invoice(due_on="0001-01-01")]}, "invoices[0].due_on", "OUT_OF_RANGE"),
    ({"invoices": [{"invoice_id": "I1", "issued_on": "2026-01-01", "amount": "1"}]}, "invoices[0].due_on",
     "REQUIRED"),
    ({"invoices": [_invoice(due_on="2025-12-01")]}, "invoices[0].due_on", "INCONSISTENT"),
    ({"invoices": [_invoice(), _invoice()]}, "invoices[1].invoice_id", "DUPLICATE"),
    ({"invoices": [_invoice(invoice_id="")]}, "invoices[0].invoice_id", "REQUIRED"),
    ({"invoices": [_invoice(invoice_id="I\x00")]}, "invoices[0].invoice_id", "BAD_CHARACTERS"),
    ({"name": "x" * 1000}, "name", "TOO_LONG"),
    ({"size": "huge"}, "size", "UNKNOWN_VALUE"),
    ({"currency": "XXY"}, "currency", "UNKNOWN_VALUE"),
    ({"signals": [{"code": "weather", "observed_on": "2026-01-01"}]}, "signals[0].code", "UNKNOWN_VALUE"),
    ({"signals": [{"code": "", "observed_on": "2026-01-01"}]}, "signals[0].code", "REQUIRED"),
    ({"colour": "red"}, "colour", "UNKNOWN_FIELD"),
    ({"invoices": "none"}, "invoices", "WRONG_TYPE"),
    ({"assessment": {"character": 101, "capacity": 1, "capital": 1, "collateral": 1, "conditions": 1,
                     "assessed_on": "2026-01-01"}}, "assessment.character", "OUT_OF_RANGE"),
])
def test_a_refused_field_carries_the_reason_of_its_refusal(change: dict[str, Any], field: str, reason: str) -> None:
    found = _reasons({"customer_id": "C", **change})

    assert found[field] == reason


def test_too_many_items_in_a_list_is_too_many() -> None:
    found = _reasons({"customer_id": "C", "signals": [{"code": "bad_rumours", "observed_on": "2026-01-01"}] * 5000})

    assert found["signals"] == "TOO_MANY"


def test_a_violation_made_without_a_reason_falls_back_to_invalid() -> None:
    assert FieldViolation("x", "wrong").reason == INVALID
    assert INVALID in VOCABULARY
