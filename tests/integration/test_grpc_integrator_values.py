# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""Values as an ERP's serialisers write them, sent to a real `serve` on port 0: each refused at its field path with
the reason a program acts on and, where one can tell, what to write instead (a call and a stream item alike)."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from tests.integration.conftest_grpc import (
    TIMEOUT,
    ServerProcess,
    grpc_server,  # noqa: F401  (fixtures: pytest finds them by name)
    order_request,
    sample_snapshot,
)
from tests.integration.test_grpc_service import call_error, violations_of

# what a Java double printed (Double.toString), a rate not yet rounded, a JavaScript Date's toISOString()
HINTED = [
    ("amount", "1.25E7", "NOT_A_DECIMAL", "'1.25E7'; write 12500000"),
    ("amount", "250.1234567", "NOT_A_DECIMAL", "'250.1234567'; 7 decimal places, at most 6"),
    ("as_of", "2026-11-21T16:00:00.000Z", "NOT_A_DATE",
     "; write the date alone: 2026-11-21, the day in the business's time zone (this one is the day at UTC)"),
    ("as_of", "2026-11-22 00:00:00", "NOT_A_DATE", "'2026-11-22 00:00:00'; write the date alone: 2026-11-22"),
]


def _reasons(error: grpc.RpcError) -> list[str]:
    """The reason of each google.rpc.BadRequest field violation an error carries."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    reasons = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            reasons.extend(v.reason for v in bad.field_violations)
    return reasons


@pytest.mark.parametrize(("field", "sent", "reason", "said"), HINTED)
def test_a_serialiser_s_amount_or_date_is_refused_at_its_field_saying_what_to_write(
    grpc_server: ServerProcess, field: str, sent: str, reason: str, said: str,
) -> None:
    """Was `not a decimal …: '1.25E7'` or `not an ISO date (YYYY-MM-DD): '2026-11-22 00:00:00'` with nothing after:
    the integrator had to work out what the service wanted written."""
    request = order_request(sample_snapshot(3), **{"amount": "1000.00", "as_of": "2026-11-22", field: sent})

    error = call_error(grpc_server.stub().CheckOrder, request)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    [(path, description)] = violations_of(error)
    assert path == field and description.endswith(said), description
    assert _reasons(error) == [reason]


def test_a_stream_item_says_the_same_as_a_call(grpc_server: ServerProcess) -> None:
    requests = [pb.EvaluateCustomerRequest(snapshot=sample_snapshot(3), as_of=sent, request_id=f"r{n}")
                for n, (field, sent, _, _) in enumerate(HINTED) if field == "as_of"]

    replies = list(grpc_server.stub().EvaluateCustomers(iter(requests), timeout=TIMEOUT))

    said = [said for field, _, _, said in HINTED if field == "as_of"]
    assert [r.request_id for r in replies] == [r.request_id for r in requests]
    assert [(v.field, v.reason) for r in replies for v in r.error.field_violations] == [("as_of", "NOT_A_DATE")] * 2
    assert all(r.error.message.endswith(s) for r, s in zip(replies, said, strict=True))


def test_a_snapshot_s_invoice_amount_in_exponent_form_is_named_at_its_path(grpc_server: ServerProcess) -> None:
    snapshot = sample_snapshot(3)
    snapshot.invoices[2].amount = "9.5e4"

    error = call_error(grpc_server.stub().EvaluateCustomer,
                       pb.EvaluateCustomerRequest(snapshot=snapshot, as_of="2026-11-22"))

    assert [(path, d.rpartition("; ")[2]) for path, d in violations_of(error)] == [
        ("snapshot.invoices[2].amount", "write 95000")]


def test_iso_s_no_currency_code_is_refused_for_a_customer_and_for_an_order(grpc_server: ServerProcess) -> None:
    """An ERP writing XXX ("no currency") where it does not know a customer's currency was decided a limit in it, and
    an order in XXX against such a customer was approved; a customer in CNY was told only that the two differ."""
    snapshot = sample_snapshot(3)
    snapshot.currency = "XXX"
    stub = grpc_server.stub()

    refused_customer = call_error(stub.EvaluateCustomer, pb.EvaluateCustomerRequest(snapshot=snapshot))
    refused_order = call_error(stub.CheckOrder, order_request(sample_snapshot(3), currency="XXX"))

    for error, path in ((refused_customer, "snapshot.currency"), (refused_order, "currency")):
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        [(field, description)] = violations_of(error)
        assert field == path and description.startswith("XXX is ISO 4217's code for no currency")
        assert _reasons(error) == ["UNKNOWN_VALUE"]


def test_an_order_that_would_take_available_credit_after_past_the_money_bound_is_refused_at_amount(
        grpc_server: ServerProcess) -> None:
    """Before, it was decided with available_credit_after at about -1.1 × 10^15, past the bound every amount sent is
    held to (and past what an integrator's column sized for the contract's amounts holds)."""
    snapshot = sample_snapshot(3, invoices=1)
    snapshot.invoices[0].amount, snapshot.invoices[0].paid_amount = "900000000000000", ""
    snapshot.invoices[0].paid_on = ""
    del snapshot.orders[:]

    error = call_error(grpc_server.stub().CheckOrder, order_request(snapshot, amount="200000000000000"))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    [(field, description)] = violations_of(error)
    assert field == "amount" and description.startswith("this order and customer ")
    assert "must stay below 1,000,000,000,000,000" in description and _reasons(error) == ["OUT_OF_RANGE"]
