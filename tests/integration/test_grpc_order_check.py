# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""CheckOrder as an order-management system calls it: for an order the store may already hold."""

from __future__ import annotations

from decimal import Decimal

import grpc

from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    TIMEOUT,
    InProcessServer,
    inproc_server,
    order_request,
    sample_dict,
    sample_snapshot,
)
from tests.integration.test_grpc_service import call_error, violations_of


def test_checking_an_order_the_store_holds_as_open_counts_it_once(inproc_server: InProcessServer) -> None:
    recorded = next(o for o in sample_dict(1)["orders"] if o["status"] == "open")  # in C00001's exposure
    stub = inproc_server.stub()

    again = stub.CheckOrder(order_request(customer_id="C00001", order_id=recorded["order_id"],
                                          amount=recorded["amount"]), timeout=TIMEOUT)
    new = stub.CheckOrder(order_request(customer_id="C00001", order_id="SO-NEW", amount=recorded["amount"]),
                          timeout=TIMEOUT)

    assert Decimal(again.available_credit_after) == Decimal(again.customer.available_credit)
    assert Decimal(new.available_credit_after) == Decimal(new.customer.available_credit) - Decimal(recorded["amount"])


def test_an_order_in_another_currency_than_the_stored_customer_s_is_invalid_argument_at_currency(
        inproc_server: InProcessServer) -> None:
    # Before, the EUR amount was decided as if it were CNY, without a word.
    request = order_request(customer_id="C00001", amount="10000.00", currency="EUR")

    error = call_error(inproc_server.stub().CheckOrder, request)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    found = dict(violations_of(error))
    assert list(found) == ["currency"]
    assert found["currency"].startswith("order in EUR, customer C00001 is in CNY: ")


def test_an_order_in_another_currency_than_the_snapshot_s_or_a_malformed_one_is_named_at_currency(
        inproc_server: InProcessServer) -> None:
    snapshot = sample_snapshot()
    snapshot.currency = "USD"
    stub = inproc_server.stub()

    other = dict(violations_of(call_error(stub.CheckOrder, order_request(snapshot, currency="CNY"))))
    malformed = dict(violations_of(call_error(stub.CheckOrder, order_request(snapshot, currency="usd"))))
    same = stub.CheckOrder(order_request(snapshot, currency="USD"), timeout=TIMEOUT)

    assert "order in CNY" in other["currency"] and "is in USD" in other["currency"]
    assert list(malformed) == ["currency"] and "did you mean 'USD'?" in malformed["currency"]
    assert same.customer.currency == "USD" and same.outcome


def test_check_order_with_explain_traces_the_customer_stages_and_the_order_step_that_decided(
        inproc_server: InProcessServer) -> None:
    stub = inproc_server.stub()

    explained = stub.CheckOrder(order_request(amount="99999999.00", explain=True), timeout=TIMEOUT)
    plain = stub.CheckOrder(order_request(amount="99999999.00"), timeout=TIMEOUT)

    fired = {entry.rule_id for entry in explained.customer.trace if entry.fired}
    assert explained.outcome == "SPECIAL_APPROVAL"
    assert "order.special_approval" in fired
    assert any(rule_id.startswith("grade.") for rule_id in fired)  # the customer stages are there too
    assert dict(explained.customer.trace[0].inputs)  # with the inputs each rule looked at
    assert not plain.customer.trace


def test_an_order_of_nothing_is_out_of_range_at_amount_not_decided(inproc_server: InProcessServer) -> None:
    # Was decided (APPROVE, or HOLD for a customer past due) as if credit were asked for.
    stub = inproc_server.stub()

    said = [violations_of(call_error(stub.CheckOrder, order_request(amount=amount))) for amount in ("0", "-0.00")]

    assert said == [[("amount", "out of range: must be more than 0: '0'")],
                    [("amount", "out of range: must be more than 0: '-0.00'")]]


def test_a_snapshot_order_of_nothing_is_decided_as_if_it_were_not_there(inproc_server: InProcessServer) -> None:
    # Was INVALID_ARGUMENT at its amount: one ERP placeholder (or an order cancelled in full) refused the whole
    # snapshot. Taken now, it counts for nothing: no order, no purchase, no exposure (an order of 0 as it was first
    # taken read as a purchase and hid "no orders lately"; it does not).
    stub = inproc_server.stub()
    snapshot = sample_snapshot()
    without = stub.CheckOrder(order_request(snapshot), timeout=TIMEOUT)
    snapshot.orders.add(order_id="SO-0", ordered_on="2026-11-01", amount="0.00", status="open")

    with_placeholder = stub.CheckOrder(order_request(snapshot), timeout=TIMEOUT)

    assert with_placeholder == without
