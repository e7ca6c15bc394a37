"""An order to check is of more than 0: an order of nothing asks for no credit, refused OUT_OF_RANGE at the amount.
A snapshot's order of 0 (an ERP's placeholder, an order cancelled in full) is taken as an invoice of 0 is, and counts
for nothing: no order, no purchase, no exposure; "-0" is refused as negative, as for any amount."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerSnapshot, OrderRequest
from policy_engine.domain.violation_reasons import OUT_OF_RANGE
from policy_engine.features.compute import compute_features

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "new-customer.json"
NOTHING = ["0", "0.00", "-0", "-0.000000", 0]
AS_OF = date(2026, 11, 20)


def _refusal(model: Any, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [(v.field, v.description, v.reason) for v in violations_from(info.value)]


@pytest.mark.parametrize("amount", NOTHING, ids=str)
def test_an_order_request_of_nothing_is_out_of_range_at_amount(amount: Any) -> None:
    assert _refusal(OrderRequest, {"amount": amount}) == [
        ("amount", f"out of range: must be more than 0: {amount!r}", OUT_OF_RANGE)]


@pytest.mark.parametrize("amount", ["0", "0.00", 0], ids=str)
def test_a_snapshot_order_of_nothing_is_taken_and_counts_for_nothing(amount: Any) -> None:
    """Before, refused OUT_OF_RANGE: one placeholder line refused the customer's whole snapshot."""
    bought = {"order_id": "SO-1", "ordered_on": "2025-06-01", "amount": "500", "status": "done"}
    cancelled = {"order_id": "SO-2", "ordered_on": "2026-11-01", "amount": amount, "status": "open"}
    base = {"customer_id": "C", "relationship_since": "2020-01-01"}

    alone = compute_features(CustomerSnapshot.model_validate({**base, "orders": [bought]}), AS_OF)
    both = compute_features(CustomerSnapshot.model_validate({**base, "orders": [bought, cancelled]}), AS_OF)

    assert both == alone
    assert both["months_since_last_order"] == 17 and both["open_orders_amount"] == 0


def test_a_snapshot_of_only_orders_of_nothing_has_no_orders_and_never_bought() -> None:
    placeholder = {"order_id": "SO-1", "ordered_on": "2026-11-01", "amount": "0.00", "status": "open"}

    found = compute_features(CustomerSnapshot.model_validate({"customer_id": "C", "orders": [placeholder]}), AS_OF)

    assert (found["has_orders"], found["never_bought"]) == (False, True)
    assert "months_since_last_order" not in found and "days_since_last_purchase" not in found


@pytest.mark.parametrize("amount", ["-0", "-0.000000"])
def test_a_snapshot_order_of_minus_nothing_is_refused_as_negative(amount: str) -> None:
    order = {"order_id": "SO-1", "ordered_on": "2026-11-01", "amount": amount}

    assert _refusal(CustomerSnapshot, {"customer_id": "C", "orders": [order]}) == [
        ("orders[0].amount", f"must not be negative: {amount!r}", OUT_OF_RANGE)]


def test_a_negative_order_still_says_it_must_not_be_negative() -> None:
    assert _refusal(OrderRequest, {"amount": "-5"}) == [("amount", "must not be negative: '-5'", OUT_OF_RANGE)]


@pytest.mark.parametrize("amount", ["0.000001", "1", "125000.00"])
def test_an_order_of_anything_more_than_0_is_taken(amount: str) -> None:
    assert OrderRequest.model_validate({"amount": amount}).amount > 0


def test_check_order_of_nothing_on_the_command_line_exits_2_naming_the_option() -> None:
    result = CliRunner().invoke(build_app(), ["check-order", str(EXAMPLE), "--amount", "0"])

    assert result.exit_code == 2
    assert result.output.splitlines() == ["error: --amount: out of range: must be more than 0: '0'"]
