"""An order is of more than 0: an order of nothing asks for no credit and, in a snapshot, would read as a purchase
(hiding the "no orders" warning sign). Refused OUT_OF_RANGE at the amount, wherever an order comes in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerSnapshot, OrderRequest
from policy_engine.domain.violation_reasons import OUT_OF_RANGE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "new-customer.json"
NOTHING = ["0", "0.00", "-0", "-0.000000", 0]


def _refusal(model: Any, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [(v.field, v.description, v.reason) for v in violations_from(info.value)]


@pytest.mark.parametrize("amount", NOTHING, ids=str)
def test_an_order_request_of_nothing_is_out_of_range_at_amount(amount: Any) -> None:
    assert _refusal(OrderRequest, {"amount": amount}) == [
        ("amount", f"out of range: must be more than 0: {amount!r}", OUT_OF_RANGE)]


@pytest.mark.parametrize("amount", NOTHING, ids=str)
def test_a_snapshot_order_of_nothing_is_out_of_range_at_its_amount(amount: Any) -> None:
    order = {"order_id": "SO-1", "ordered_on": "2026-11-01", "amount": amount}

    assert _refusal(CustomerSnapshot, {"customer_id": "C", "orders": [order]}) == [
        ("orders[0].amount", f"out of range: must be more than 0: {amount!r}", OUT_OF_RANGE)]


def test_a_negative_order_still_says_it_must_not_be_negative() -> None:
    assert _refusal(OrderRequest, {"amount": "-5"}) == [("amount", "must not be negative: '-5'", OUT_OF_RANGE)]


@pytest.mark.parametrize("amount", ["0.000001", "1", "125000.00"])
def test_an_order_of_anything_more_than_0_is_taken(amount: str) -> None:
    assert OrderRequest.model_validate({"amount": amount}).amount > 0


def test_check_order_of_nothing_on_the_command_line_exits_2_naming_the_option() -> None:
    result = CliRunner().invoke(build_app(), ["check-order", str(EXAMPLE), "--amount", "0"])

    assert result.exit_code == 2
    assert result.output.splitlines() == ["error: --amount: out of range: must be more than 0: '0'"]
