"""The snapshot model refuses malformed input and names the field path."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerSnapshot, OrderRequest


def _violations(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        CustomerSnapshot.model_validate(data)
    return {v.field: v.description for v in violations_from(info.value)}


def _invoice(**overrides: Any) -> dict[str, Any]:
    return {"invoice_id": "I1", "issued_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100.00", **overrides}


def test_bad_decimal_names_the_invoice_field() -> None:
    found = _violations({"customer_id": "C", "invoices": [_invoice(), _invoice(), _invoice(), _invoice(amount="12,5")]})

    assert found == {"invoices[3].amount": "not a decimal"}


def test_binary_float_money_is_refused_with_a_hint() -> None:
    found = _violations({"customer_id": "C", "invoices": [_invoice(amount=100.5)]})

    assert "decimal string" in found["invoices[0].amount"]


def test_unknown_signal_code_is_an_error_not_a_silent_skip() -> None:
    found = _violations({"customer_id": "C", "signals": [{"code": "aliens_landed", "observed_on": "2026-01-01"}]})

    assert "unknown signal code" in found["signals[0].code"]


@pytest.mark.parametrize("value", ["2026-13-01", "01/02/2026", "2026-1-1", 20260101, "99999-01-01"])
def test_dates_must_be_iso(value: Any) -> None:
    found = _violations({"customer_id": "C", "last_contact_on": value})

    assert "last_contact_on" in found


def test_unknown_fields_are_refused() -> None:
    found = _violations({"customer_id": "C", "credit_score": 7})

    assert found == {"credit_score": "unknown field"}


def test_list_sizes_are_bounded() -> None:
    signals = [{"code": "low_morale", "observed_on": "2026-01-01"}] * 1001

    found = _violations({"customer_id": "C", "signals": signals})

    assert "signals" in found


def test_incoherent_invoice_is_refused() -> None:
    found = _violations({"customer_id": "C", "invoices": [_invoice(paid_amount="200.00")]})

    assert "paid_amount exceeds amount" in found["invoices[0]"]


def test_money_is_exact_and_serialised_as_a_string() -> None:
    snap = CustomerSnapshot.model_validate({"customer_id": "C", "invoices": [_invoice(amount="0.10")]})

    assert snap.model_dump(mode="json")["invoices"][0]["amount"] == "0.10"


def test_negative_order_amount_is_refused() -> None:
    with pytest.raises(ValidationError):
        OrderRequest(amount="-5")


def test_totals_that_would_overflow_the_money_bound_are_refused() -> None:
    big = "900000000000000.00"
    orders = [{"order_id": "o", "ordered_on": "2026-01-01", "amount": big, "status": "open"}]

    found = _violations({"customer_id": "C", "invoices": [_invoice(amount=big)], "orders": orders})

    assert "exceed" in found[""]
