# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""The google.rpc.BadRequest field violations as a caller with gRPC's default settings receives them: at the
paths it would look (checks across a snapshot's items too), and in trailers its channel accepts."""

from __future__ import annotations

import base64

import grpc
import pytest

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


def test_a_repeated_id_is_named_beside_a_bad_field_in_one_answer(inproc_server: InProcessServer) -> None:
    # Was the bad amount alone: a caller fixing it met the repeated id in the next round.
    snapshot = sample_snapshot()
    snapshot.invoices[0].amount = "1,000.00"
    snapshot.invoices[5].invoice_id = snapshot.invoices[1].invoice_id

    error = call_error(inproc_server.stub().CheckOrder, order_request(snapshot))

    assert [field for field, _ in violations_of(error)] == ["snapshot.invoices[0].amount",
                                                            "snapshot.invoices[5].invoice_id"]


def test_a_repeated_id_in_a_stream_item_is_named_the_same_way(inproc_server: InProcessServer) -> None:
    snapshot = sample_snapshot()
    snapshot.invoices[2].invoice_id = snapshot.invoices[0].invoice_id

    [reply] = inproc_server.stub().EvaluateCustomers(iter([pb.EvaluateCustomerRequest(snapshot=snapshot)]), timeout=30)

    assert reply.error.code == "INVALID_ARGUMENT"
    assert [v.field for v in reply.error.field_violations] == ["snapshot.invoices[2].invoice_id"]


def test_an_incoherent_invoice_is_named_at_the_field_to_fix(inproc_server: InProcessServer) -> None:
    # Was `snapshot.invoices[1]`: the caller had to guess which of the invoice's fields to change.
    snapshot = sample_snapshot()
    snapshot.invoices[1].paid_on = "2000-01-01"

    error = call_error(inproc_server.stub().EvaluateCustomer, pb.EvaluateCustomerRequest(snapshot=snapshot))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    found = dict(violations_of(error))
    assert list(found) == ["snapshot.invoices[1].paid_on"]
    assert found["snapshot.invoices[1].paid_on"].startswith("paid_on 2000-01-01 is before issued_on ")


def test_an_invoice_with_a_payment_date_and_nothing_paid_is_inconsistent_at_paid_on(
    inproc_server: InProcessServer,
) -> None:
    # Was decided, the invoice open by its whole amount and its payment date read by nothing.
    snapshot = sample_snapshot()
    snapshot.invoices[1].paid_amount, snapshot.invoices[1].paid_on = "", snapshot.invoices[1].due_on

    error = call_error(inproc_server.stub().EvaluateCustomer, pb.EvaluateCustomerRequest(snapshot=snapshot))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    [(field, description)] = violations_of(error)
    assert field == "snapshot.invoices[1].paid_on"
    assert description.startswith(f"paid_on {snapshot.invoices[1].due_on} is the date of a payment, but paid_amount")


def _trailer_bytes(error: grpc.RpcError) -> int:
    """The trailers' size as gRPC's limit counts it: 32 per entry, binary values in base64, the message
    percent-encoded."""
    size = 0
    for key, value in [*error.trailing_metadata(), ("grpc-message", error.details())]:  # type: ignore[attr-defined]
        encoded = len(base64.b64encode(value)) if key.endswith("-bin") else sum(
            1 if 0x20 <= b <= 0x7E and b != 0x25 else 3 for b in value.encode())
        size += len(key) + encoded + 32
    return size


def _many_bad_amounts(snapshot: pb.CustomerSnapshot) -> None:
    for i in range(100):
        snapshot.invoices.add(invoice_id=f"INVOICE-{i:04d}-{'X' * 40}", issued_on="2026-09-01", due_on="2026-10-01",
                              amount="1,000.00")


def _many_long_chinese_notes(snapshot: pb.CustomerSnapshot) -> None:
    # Each refusal echoes 64 characters of the note: 576 bytes once percent-encoded in grpc-message.
    for _ in range(100):
        snapshot.signals.add(code="bad_rumours", observed_on="2026-11-01", note="客户传言" * 60)


@pytest.mark.parametrize("spoil", [_many_bad_amounts, _many_long_chinese_notes])
def test_many_bad_fields_still_reach_a_default_client_as_invalid_argument_with_violations(
        inproc_server: InProcessServer, spoil: object) -> None:
    # gRPC clients accept 8 KiB of trailers by default (grpc.max_metadata_size), refuse more at random up to
    # 16 KiB and always past it: the caller got RESOURCE_EXHAUSTED "received metadata size exceeds" instead.
    snapshot = sample_snapshot()
    spoil(snapshot)  # type: ignore[operator]

    error = call_error(inproc_server.stub().EvaluateCustomer, pb.EvaluateCustomerRequest(snapshot=snapshot))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _trailer_bytes(error) < 8192
    fields = [field for field, _ in violations_of(error)]
    assert len(fields) >= 10 and all(f.startswith("snapshot.") for f in fields)
    assert error.details().startswith("100 bad fields")


def test_a_stream_item_with_more_bad_fields_than_it_carries_says_how_many_there_are(
        inproc_server: InProcessServer) -> None:
    # Was the first 100 violations and a message cut at 2,000 characters mid-word, with nothing saying the
    # caller would meet 50 more once it had fixed those.
    snapshot = sample_snapshot()
    for i in range(150):
        snapshot.invoices.add(invoice_id=f"BAD-{i}", issued_on="2026-09-01", due_on="2026-10-01", amount="1,000.00")

    [reply] = inproc_server.stub().EvaluateCustomers(iter([pb.EvaluateCustomerRequest(snapshot=snapshot)]), timeout=30)

    assert len(reply.error.field_violations) == 100
    assert reply.error.message.startswith("150 bad fields, the first 100 in field_violations: ")
    assert len(reply.error.message) <= 2000 and reply.error.message.endswith("…")


def test_surrounding_whitespace_is_taken_off_ids_but_refused_around_a_closed_value(
        inproc_server: InProcessServer) -> None:
    # As docs/service.md says beside the bounds: an id is read stripped (so " I1" repeats "I1"), a size is not.
    spaced_id, repeated, spaced_size = sample_snapshot(), sample_snapshot(), sample_snapshot()
    spaced_id.customer_id = " C-SPACED\n"
    repeated.invoices[1].invoice_id = f" {repeated.invoices[0].invoice_id}\t"
    spaced_size.size = " medium"

    decision = inproc_server.stub().EvaluateCustomer(pb.EvaluateCustomerRequest(snapshot=spaced_id), timeout=30)
    errors = [call_error(inproc_server.stub().EvaluateCustomer, pb.EvaluateCustomerRequest(snapshot=snapshot))
              for snapshot in (repeated, spaced_size)]

    assert decision.customer_id == "C-SPACED"
    assert [[field for field, _ in violations_of(error)] for error in errors] == [
        ["snapshot.invoices[1].invoice_id"], ["snapshot.size"]]
    assert "have the same id" in violations_of(errors[0])[0][1]
    assert "did you mean 'medium'?" in violations_of(errors[1])[0][1]
