# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""Errors a program can act on, as a client parses them with grpc_status from a real server on port 0:
google.rpc.ErrorInfo (domain, reason, metadata) on every failed call, RetryInfo when the server is busy, a
reason on each field violation and on each stream item's error."""

from __future__ import annotations

import concurrent.futures
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tests.integration.conftest_grpc import (
    ServerProcess,
    grpc_server,  # noqa: F401  (fixtures: pytest finds them by name)
    order_request,
    pb,
    pb_grpc,
    sample_snapshot,
)
from tests.integration.test_grpc_admission import LIMIT, limited, wait_for  # noqa: F401
from tests.integration.test_grpc_service import call_error
from tests.integration.test_grpc_violation_paths import _trailer_bytes
from tests.integration.test_grpc_wire_types import AS_OF_AS_A_NUMBER, _refusal

DOMAIN = "credit_policy.v1"


def _detail(error: grpc.RpcError, message: Message) -> Any:
    """The first detail of `message`'s type in the call's google.rpc.Status, or None."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, "no google.rpc.Status in the trailers"
    return next((message for detail in status.details if detail.Unpack(message)), None)


def _error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    info = _detail(error, error_details_pb2.ErrorInfo())
    assert info is not None, "no google.rpc.ErrorInfo in the details"
    assert info.domain == DOMAIN
    return info  # type: ignore[no-any-return]


def _reasons(error: grpc.RpcError) -> dict[str, str]:
    bad = _detail(error, error_details_pb2.BadRequest())
    assert bad is not None, "no google.rpc.BadRequest in the details"
    return {v.field: v.reason for v in bad.field_violations}


def test_bad_input_says_invalid_request_and_the_reason_of_each_field(grpc_server: ServerProcess) -> None:
    snapshot = sample_snapshot()
    snapshot.invoices[2].amount = "1,000.00"
    snapshot.name = "x" * 1000

    error = call_error(grpc_server.stub().CheckOrder, order_request(snapshot, as_of="22/11/2026", amount=""))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _error_info(error).reason == "INVALID_REQUEST"
    assert _reasons(error) == {"as_of": "NOT_A_DATE", "snapshot.invoices[2].amount": "NOT_A_DECIMAL",
                               "snapshot.name": "TOO_LONG", "amount": "REQUIRED"}
    assert _detail(error, error_details_pb2.RetryInfo()) is None


def test_an_unknown_customer_says_customer_not_found_naming_it(grpc_server: ServerProcess) -> None:
    error = call_error(grpc_server.stub().EvaluateCustomer, pb.EvaluateCustomerRequest(customer_id="C-404"))

    info = _error_info(error)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert (info.reason, info.metadata["customer_id"]) == ("CUSTOMER_NOT_FOUND", "C-404")


def test_wire_form_refusals_have_their_own_reasons(grpc_server: ServerProcess) -> None:
    mistyped = pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1)).SerializeToString() + AS_OF_AS_A_NUMBER
    both = (pb.CheckOrderRequest(snapshot=sample_snapshot(1), amount="1.00").SerializeToString()
            + pb.CheckOrderRequest(customer_id="C00002").SerializeToString())

    refusals = [_refusal(grpc_server, "EvaluateCustomer", mistyped), _refusal(grpc_server, "CheckOrder", both),
                _refusal(grpc_server, "GetPolicy", b"\xff")]

    assert [_reasons(error) for error in refusals] == [
        {"as_of": "WRONG_WIRE_TYPE"}, {"customer": "BOTH_SET"}, {"request": "NOT_A_MESSAGE"}]
    assert {_error_info(error).reason for error in refusals} == {"INVALID_REQUEST"}


def test_a_stream_item_error_carries_a_reason_and_one_per_violation(grpc_server: ServerProcess) -> None:
    items = [pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), as_of="2026-13-01"),
             pb.EvaluateCustomerRequest(customer_id="C-404")]

    bad, missing = grpc_server.stub().EvaluateCustomers(iter(items), timeout=30)

    assert (bad.error.code, bad.error.reason) == ("INVALID_ARGUMENT", "INVALID_REQUEST")
    assert [(v.field, v.reason) for v in bad.error.field_violations] == [("as_of", "NOT_A_DATE")]
    assert (missing.error.code, missing.error.reason) == ("NOT_FOUND", "CUSTOMER_NOT_FOUND")


def test_a_call_refused_at_max_in_flight_says_server_busy_and_when_to_retry(
    limited: tuple[Any, Any, int, Any],
) -> None:
    servicer, gated, port, run = limited
    stub = pb_grpc.CreditPolicyServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    pool = concurrent.futures.ThreadPoolExecutor(LIMIT)
    held = [pool.submit(stub.CheckOrder, order_request(), timeout=30) for _ in range(LIMIT)]
    wait_for(lambda: gated.waiting == LIMIT and servicer.in_flight == LIMIT)

    error = call_error(stub.CheckOrder, order_request())

    info, retry = _error_info(error), _detail(error, error_details_pb2.RetryInfo())
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "its limit (--max-in-flight)" in error.details()
    assert (info.reason, info.metadata["max_in_flight"]) == ("SERVER_BUSY", str(LIMIT))
    assert retry is not None and 0 < retry.retry_delay.ToTimedelta().total_seconds() <= 1
    run(_open(gated))
    assert all(f.result(timeout=30).outcome for f in held)


async def _open(gated: Any) -> None:
    gated.gate.set()


@pytest.mark.parametrize("count", [150, 3000])
def test_a_huge_number_of_violations_still_carries_error_info_within_a_default_client_s_trailers(
        grpc_server: ServerProcess, count: int) -> None:
    snapshot = sample_snapshot()
    for i in range(count):
        snapshot.signals.add(code=f"unheard-of-{i}", observed_on="2026-11-01", note="客户传言" * 60)

    error = call_error(grpc_server.stub().EvaluateCustomer, pb.EvaluateCustomerRequest(snapshot=snapshot))

    info = _error_info(error)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert int(info.metadata["violations"]) >= 1
    assert _trailer_bytes(error) < 8192
    assert set(_reasons(error).values()) <= {"UNKNOWN_VALUE", "TOO_LONG", "TOO_MANY"}


def test_a_request_over_8_mib_is_grpc_s_own_resource_exhausted_with_no_details(grpc_server: ServerProcess) -> None:
    snapshot = sample_snapshot()
    snapshot.name = "x" * (9 * 1024 * 1024)

    error = call_error(grpc_server.stub().CheckOrder, order_request(snapshot))

    # gRPC's core ends the call before the service sees the request: no status of ours (docs/service.md, Reasons)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "Received message larger than max" in error.details() and error.details().endswith("vs. 8388608)")
    assert rpc_status.from_call(error) is None  # type: ignore[arg-type]
