# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""CheckOrder as an order-management system calls it: for an order the store may already hold."""

from __future__ import annotations

from decimal import Decimal

from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    TIMEOUT,
    InProcessServer,
    inproc_server,
    order_request,
    sample_dict,
)


def test_checking_an_order_the_store_holds_as_open_counts_it_once(inproc_server: InProcessServer) -> None:
    recorded = next(o for o in sample_dict(1)["orders"] if o["status"] == "open")  # in C00001's exposure
    stub = inproc_server.stub()

    again = stub.CheckOrder(order_request(customer_id="C00001", order_id=recorded["order_id"],
                                          amount=recorded["amount"]), timeout=TIMEOUT)
    new = stub.CheckOrder(order_request(customer_id="C00001", order_id="SO-NEW", amount=recorded["amount"]),
                          timeout=TIMEOUT)

    assert Decimal(again.available_credit_after) == Decimal(again.customer.available_credit)
    assert Decimal(new.available_credit_after) == Decimal(new.customer.available_credit) - Decimal(recorded["amount"])
