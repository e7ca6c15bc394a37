# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""A client whose stubs differ from the contract: a field sent with another wire type is INVALID_ARGUMENT
naming the field (not a decision as of today), and GetPolicy bytes that are not a request are too."""

from __future__ import annotations

import grpc
import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from tests.integration.conftest_grpc import (
    AS_OF,
    ServerProcess,
    grpc_server,  # noqa: F401  (fixtures: pytest finds them by name)
    order_request,
    sample_snapshot,
)
from tests.integration.test_grpc_service import violations_of

METHOD = "/credit_policy.v1.CreditPolicyService/"
AS_OF_AS_A_NUMBER = b"\x18\xea\xd8\xd4\x09"  # field 3 (as_of) as a varint, 20261226: an int32 in the caller's .proto


def _refusal(server: ServerProcess, method: str, data: bytes) -> grpc.RpcError:
    call = server.channel().unary_unary(METHOD + method)  # bytes in, bytes out, as a hand-built client sends
    with pytest.raises(grpc.RpcError) as error:
        call(data, timeout=10)
    return error.value


def test_an_as_of_sent_as_a_number_is_invalid_argument_naming_as_of(grpc_server: ServerProcess) -> None:
    data = pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1)).SerializeToString() + AS_OF_AS_A_NUMBER

    error = _refusal(grpc_server, "EvaluateCustomer", data)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in violations_of(error)] == ["as_of"]


def test_get_policy_bytes_that_are_not_a_request_are_invalid_argument(grpc_server: ServerProcess) -> None:
    error = _refusal(grpc_server, "GetPolicy", b"\xff")

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in violations_of(error)] == ["request"]


def test_a_stream_item_with_a_mistyped_field_is_an_item_error_and_the_stream_goes_on(
    grpc_server: ServerProcess,
) -> None:
    good = pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), as_of=AS_OF.isoformat(), request_id="ok")
    bad = pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), request_id="bad").SerializeToString()
    stream = grpc_server.channel().stream_stream(METHOD + "EvaluateCustomers",
                                                 response_deserializer=pb.EvaluateCustomersResponse.FromString)

    responses = list(stream(iter([bad + AS_OF_AS_A_NUMBER, good.SerializeToString()]), timeout=30))

    assert responses[0].error.code == "INVALID_ARGUMENT"
    assert [v.field for v in responses[0].error.field_violations] == ["as_of"]
    assert responses[1].WhichOneof("result") == "decision"


def test_a_customer_id_and_a_snapshot_both_sent_are_refused_not_one_dropped(grpc_server: ServerProcess) -> None:
    snapshot = pb.CheckOrderRequest(snapshot=sample_snapshot(1), amount="100.00").SerializeToString()
    data = snapshot + pb.CheckOrderRequest(customer_id="C00002").SerializeToString()  # a hand-built client's bytes

    error = _refusal(grpc_server, "CheckOrder", data)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in violations_of(error)] == ["customer"]


def test_a_stream_item_refused_for_its_wire_form_still_echoes_its_request_id(grpc_server: ServerProcess) -> None:
    both = (pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), request_id="both").SerializeToString()
            + pb.EvaluateCustomerRequest(customer_id="C00002").SerializeToString())
    mistyped = pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), request_id="typed").SerializeToString()
    stream = grpc_server.channel().stream_stream(METHOD + "EvaluateCustomers",
                                                 response_deserializer=pb.EvaluateCustomersResponse.FromString)

    responses = list(stream(iter([both, mistyped + AS_OF_AS_A_NUMBER]), timeout=30))

    assert [(r.request_id, r.error.code) for r in responses] == [("both", "INVALID_ARGUMENT"),
                                                                  ("typed", "INVALID_ARGUMENT")]


def test_a_payment_term_too_big_for_an_int32_is_refused_with_the_number_sent_not_its_low_bits(
    grpc_server: ServerProcess,
) -> None:
    # 4294967326 as an int64 client sends it (5 bytes); read as an int32 it was 30, and the order was decided
    data = order_request().SerializeToString() + b"\x28\x9e\x80\x80\x80\x10"

    error = _refusal(grpc_server, "CheckOrder", data)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations_of(error) == [("payment_term_days", "at most 3650, got 4294967326")]
