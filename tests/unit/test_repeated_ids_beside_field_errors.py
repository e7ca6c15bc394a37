"""A snapshot refused for its fields names its repeated invoice and order ids in the same answer (among the items
whose id is valid), so a caller fixing it does not meet the repeats only in the next round."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerSnapshot, Invoice
from policy_engine.domain.violation_reasons import DUPLICATE


def _invoice(invoice_id: Any, **overrides: Any) -> dict[str, Any]:
    return {"invoice_id": invoice_id, "issued_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100.00",
            **overrides}


def _order(order_id: str, **overrides: Any) -> dict[str, Any]:
    return {"order_id": order_id, "ordered_on": "2026-01-01", "amount": "5.00", **overrides}


def _refusal(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        CustomerSnapshot.model_validate({"customer_id": "C", **data})
    return [(v.field, v.reason) for v in violations_from(info.value, "snapshot")]


def test_a_repeat_is_named_beside_a_bad_amount_in_one_answer() -> None:
    # Was the bad amount alone; the repeat came in the next answer, once the amount was fixed.
    found = _refusal({"invoices": [_invoice("I1", amount="1,000.00"), _invoice("I2"), _invoice(" I1")],
                      "orders": [_order("O1"), _order("O1", ordered_on="2026-02-30")]})

    assert found == [("snapshot.invoices[0].amount", "NOT_A_DECIMAL"),
                     ("snapshot.orders[1].ordered_on", "NOT_A_DATE"),
                     ("snapshot.invoices[2].invoice_id", DUPLICATE),
                     ("snapshot.orders[1].order_id", DUPLICATE)]


def test_the_repeat_says_where_the_first_one_is_as_when_every_field_is_valid() -> None:
    with pytest.raises(ValidationError) as info:
        CustomerSnapshot.model_validate({"customer_id": "C", "invoices": [_invoice("I1", amount="x"), _invoice("I1")]})

    said = {v.field: v.description for v in violations_from(info.value)}

    assert said["invoices[1].invoice_id"] == "invoices[0] and invoices[1] have the same id 'I1'"


def test_an_id_that_is_no_valid_id_repeats_nothing() -> None:
    # Two ids refused for a control character are each named for it, not also as repeats of each other.
    found = _refusal({"invoices": [_invoice("I\x00"), _invoice("I\x00"), _invoice(""), _invoice(""), _invoice(7)]})

    assert DUPLICATE not in {reason for _, reason in found}


def test_a_snapshot_whose_items_are_models_names_its_repeats_too() -> None:
    invoice = Invoice.model_validate(_invoice("I1"))

    found = _refusal({"invoices": [invoice, invoice], "last_review_on": "2026-13-01"})

    assert found == [("snapshot.last_review_on", "NOT_A_DATE"), ("snapshot.invoices[1].invoice_id", DUPLICATE)]


def test_repeats_found_by_the_check_on_valid_fields_are_named_once() -> None:
    found = _refusal({"invoices": [_invoice("I1"), _invoice("I1")]})

    assert found == [("snapshot.invoices[1].invoice_id", DUPLICATE)]
