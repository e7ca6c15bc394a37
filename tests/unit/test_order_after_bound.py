"""An order's `available_credit_after` stays within the money bound (-10^15 < x): an order that with the
customer's exposure comes to 10^15 or more is refused OUT_OF_RANGE at `amount`, as the same order among the
snapshot's open orders would be refused for the snapshot's total; one just below is decided."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from policy_engine.api import Policy, load_policy
from policy_engine.cli import build_app
from policy_engine.domain.errors import InvalidInput
from policy_engine.domain.models import CustomerSnapshot, OrderRequest
from policy_engine.domain.values import MAX_MONEY
from policy_engine.domain.violation_reasons import OUT_OF_RANGE

AS_OF = date(2026, 11, 20)
OPEN = Decimal("900000000000000")  # 9 × 10^14 owed on an open invoice


@pytest.fixture(scope="module")
def policy() -> Any:
    loaded = load_policy()
    yield loaded
    loaded.close()


def snapshot(open_order: Decimal | None = None) -> CustomerSnapshot:
    orders = [] if open_order is None else [
        {"order_id": "SO-9", "ordered_on": "2026-11-10", "amount": str(open_order), "status": "open"}]
    return CustomerSnapshot.model_validate({
        "customer_id": "C-BIG", "relationship_since": "2015-01-01", "currency": "CNY", "orders": orders,
        "invoices": [{"invoice_id": "I-1", "issued_on": "2026-11-01", "due_on": "2026-12-01", "amount": str(OPEN)}]})


def test_an_order_that_would_take_available_credit_past_the_bound_is_refused_at_amount(policy: Policy) -> None:
    """Before, it was decided: available_credit_after -1,100,000,000,000,000.00, past every amount's bound."""
    with pytest.raises(InvalidInput) as refused:
        policy.check_order(snapshot(), OrderRequest(amount=Decimal("200000000000000")), AS_OF)

    [violation] = refused.value.violations
    assert (violation.field, violation.reason) == ("amount", OUT_OF_RANGE)
    assert violation.description == (
        "this order and customer C-BIG's exposure come to 1,100,000,000,000,000: together they must stay below "
        "1,000,000,000,000,000, the bound every amount is held to")


def test_an_order_just_within_the_bound_is_decided_and_its_after_stays_above_minus_the_bound(policy: Policy) -> None:
    amount = MAX_MONEY - OPEN - Decimal("0.01")

    decided = policy.check_order(snapshot(), OrderRequest(amount=amount), AS_OF)

    assert -MAX_MONEY < decided.available_credit_after <= decided.customer.credit_limit - OPEN - amount


def test_an_order_already_among_the_open_orders_counts_once_against_the_bound(policy: Policy) -> None:
    taken = Decimal("90000000000000")  # OPEN + taken < 10^15: a valid snapshot; OPEN + 2 × taken would not be

    decided = policy.check_order(snapshot(taken), OrderRequest(order_id="SO-9", amount=taken), AS_OF)

    assert decided.available_credit_after == decided.customer.available_credit


def test_check_order_on_the_command_line_says_the_same_at_amount(tmp_path: Any) -> None:
    path = tmp_path / "big.json"
    path.write_text(snapshot().model_dump_json())

    result = CliRunner().invoke(build_app(), ["check-order", str(path), "--amount", "200000000000000",
                                              "--as-of", AS_OF.isoformat()])

    assert result.exit_code == 2, result.output
    # Named by the option typed, as --currency is: before, by the request field (`error: amount: …`).
    assert result.stderr.startswith("error: --amount: this order and customer C-BIG's exposure come to "
                                    "1,100,000,000,000,000"), result.stderr


def test_simulate_names_a_probe_order_too_large_for_a_customer_by_its_option(tmp_path: Any) -> None:
    """Before, the customer's line said `InvalidInput: amount: …`, a field the analyst never typed."""
    from adapters.store import open_store

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = open_store(url)
    store.save_snapshot(snapshot())
    store.close()

    result = CliRunner().invoke(build_app(), ["simulate", "--rules", "rules", "--db", url, "--as-of",
                                              AS_OF.isoformat(), "--order-amount", "200000000000000"])

    assert result.exit_code == 0, result.output
    assert ("could not evaluate C-BIG: InvalidInput: --order-amount: this order and customer C-BIG's exposure "
            "come to 1,100,000,000,000,000") in result.stderr
