# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""The google.rpc.BadRequest field paths of checks across a snapshot's items: where a caller would look."""

from __future__ import annotations

import grpc

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from tests.integration.conftest_grpc import (
    InProcessServer,
    inproc_server,  # noqa: F401  (fixtures: pytest finds them by name)
    order_request,
    sample_snapshot,
)
from tests.integration.test_grpc_service import call_error, violations_of


def test_a_repeated_invoice_or_order_id_is_named_at_the_repeat_s_id_field(inproc_server: InProcessServer) -> None:
    snapshot = sample_snapshot()
    snapshot.invoices[5].invoice_id = snapshot.invoices[1].invoice_id
    snapshot.orders.add(order_id="SO-9", ordered_on="2026-11-01", amount="10.00")
    snapshot.orders.add(order_id="SO-9", ordered_on="2026-11-02", amount="20.00")
    last = len(snapshot.orders) - 1

    error = call_error(inproc_server.stub().CheckOrder, order_request(snapshot))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    found = dict(violations_of(error))
    assert set(found) == {"snapshot.invoices[5].invoice_id", f"snapshot.orders[{last}].order_id"}
    assert "invoices[1] and invoices[5]" in found["snapshot.invoices[5].invoice_id"]


def test_a_repeated_id_in_a_stream_item_is_named_the_same_way(inproc_server: InProcessServer) -> None:
    snapshot = sample_snapshot()
    snapshot.invoices[2].invoice_id = snapshot.invoices[0].invoice_id

    [reply] = inproc_server.stub().EvaluateCustomers(iter([pb.EvaluateCustomerRequest(snapshot=snapshot)]), timeout=30)

    assert reply.error.code == "INVALID_ARGUMENT"
    assert [v.field for v in reply.error.field_violations] == ["snapshot.invoices[2].invoice_id"]
