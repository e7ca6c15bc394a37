"""The machine-readable side of a failed call: google.rpc.ErrorInfo from the one error table, RetryInfo
where retrying helps, a reason per field violation, all within the trailer budget."""

from __future__ import annotations

import base64
import re

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from adapters.grpc.errors import (
    ERROR_DOMAIN,
    ERRORS,
    STATUS_OF,
    TRAILER_BUDGET,
    busy_status,
    fill_item_error,
    internal_status,
    rich_status,
)
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.domain.errors import (
    CustomerNotFound,
    EngineFailure,
    EngineUnavailable,
    FieldViolation,
    InvalidInput,
    PolicyError,
    StoredRecordInvalid,
    StoreUnavailable,
)

SAMPLES: list[PolicyError] = [
    InvalidInput([FieldViolation("as_of", "not an ISO date", "NOT_A_DATE")]),
    CustomerNotFound("C00042"),
    StoreUnavailable("connection refused"),
    StoredRecordInvalid("C00042", [FieldViolation("invoices[0].amount", "not a decimal", "NOT_A_DECIMAL")]),
    EngineFailure("boom"),
    EngineUnavailable("ruleset is closed"),
]


def _status(status: grpc.Status) -> status_pb2.Status:
    [(key, value)] = status.trailing_metadata
    assert key == "grpc-status-details-bin"
    return status_pb2.Status.FromString(value)


def _detail(status: status_pb2.Status, message: Message) -> Message | None:
    for detail in status.details:
        if detail.Unpack(message):
            return message
    return None


def _error_info(status: grpc.Status) -> error_details_pb2.ErrorInfo:
    info = _detail(_status(status), error_details_pb2.ErrorInfo())
    assert isinstance(info, error_details_pb2.ErrorInfo), "no google.rpc.ErrorInfo in the details"
    return info


def test_each_domain_error_has_a_stable_upper_snake_reason_of_its_own() -> None:
    reasons = [reason for _code, reason in ERRORS.values()]

    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", r) for r in reasons)
    assert len(set(reasons)) == len(reasons)
    assert {cls: code for cls, (code, _r) in ERRORS.items()} == STATUS_OF


@pytest.mark.parametrize("error", SAMPLES, ids=lambda e: type(e).__name__)
def test_every_domain_error_carries_error_info_and_keeps_its_code_and_message(error: PolicyError) -> None:
    status = rich_status(error)

    info = _error_info(status)
    assert status.code == STATUS_OF[type(error)]
    assert status.details == str(error)
    assert (info.domain, info.reason) == (ERROR_DOMAIN, ERRORS[type(error)][1])


def test_the_domain_is_the_proto_package() -> None:
    assert ERROR_DOMAIN == pb.DESCRIPTOR.package


def test_not_found_names_the_customer_in_the_metadata() -> None:
    info = _error_info(rich_status(CustomerNotFound("C00042")))

    assert info.reason == "CUSTOMER_NOT_FOUND"
    assert info.metadata["customer_id"] == "C00042"


def test_an_unlisted_policy_error_is_internal_with_a_reason() -> None:
    info = _error_info(rich_status(PolicyError("odd")))

    assert info.reason == "INTERNAL_ERROR"


@pytest.mark.parametrize("error", [StoreUnavailable("x"), EngineUnavailable("y")], ids=lambda e: type(e).__name__)
def test_unavailable_says_when_to_retry(error: PolicyError) -> None:
    retry = _detail(_status(rich_status(error)), error_details_pb2.RetryInfo())

    assert isinstance(retry, error_details_pb2.RetryInfo)
    assert 0 < retry.retry_delay.ToTimedelta().total_seconds() <= 5


@pytest.mark.parametrize("error", [InvalidInput([FieldViolation("a", "b")]), CustomerNotFound("C"), EngineFailure("x")],
                         ids=lambda e: type(e).__name__)
def test_errors_a_retry_cannot_mend_carry_no_retry_info(error: PolicyError) -> None:
    assert _detail(_status(rich_status(error)), error_details_pb2.RetryInfo()) is None


def test_server_busy_is_resource_exhausted_with_the_limit_and_a_short_retry_delay() -> None:
    status = busy_status(in_flight=8, max_in_flight=8)

    info = _error_info(status)
    retry = _detail(_status(status), error_details_pb2.RetryInfo())
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "deciding 8 calls, its limit (--max-in-flight)" in status.details
    assert (info.domain, info.reason, info.metadata["max_in_flight"]) == (ERROR_DOMAIN, "SERVER_BUSY", "8")
    assert isinstance(retry, error_details_pb2.RetryInfo)
    assert 0 < retry.retry_delay.ToTimedelta().total_seconds() <= 1


def test_an_unexpected_failure_is_internal_with_a_reason() -> None:
    status = internal_status("internal error: KeyError")

    assert (status.code, status.details) == (grpc.StatusCode.INTERNAL, "internal error: KeyError")
    assert _error_info(status).reason == "INTERNAL_ERROR"


def test_field_violations_carry_their_reason() -> None:
    violations = [FieldViolation("as_of", "bad", "NOT_A_DATE"), FieldViolation("x", "y")]

    status = _status(rich_status(InvalidInput(violations)))

    bad = _detail(status, error_details_pb2.BadRequest())
    assert isinstance(bad, error_details_pb2.BadRequest)
    assert [(v.field, v.reason) for v in bad.field_violations] == [("as_of", "NOT_A_DATE"), ("x", "INVALID")]


def test_a_huge_number_of_violations_keeps_the_trailers_within_budget_with_error_info() -> None:
    violations = [FieldViolation(f"snapshot.invoices[{i}].invoice_id" + "x" * 60, "客户传言" * 60, "WRONG_WIRE_TYPE")
                  for i in range(20_000)]

    status = rich_status(InvalidInput(violations))

    [(key, value)] = status.trailing_metadata
    message = sum(1 if 0x20 <= b <= 0x7E and b != 0x25 else 3 for b in status.details.encode())
    assert len(key) + len(base64.b64encode(value)) + len("grpc-message") + message <= TRAILER_BUDGET
    info = _error_info(status)
    assert (info.reason, info.metadata["violations"]) == ("INVALID_REQUEST", "20000")
    assert status.details.startswith("20000 bad fields")


def test_a_stream_item_error_carries_the_reason_and_each_violation_s() -> None:
    out = pb.ItemError()

    fill_item_error(InvalidInput([FieldViolation("as_of", "bad", "NOT_A_DATE")]), out)

    assert (out.code, out.reason) == ("INVALID_ARGUMENT", "INVALID_REQUEST")
    assert [(v.field, v.reason) for v in out.field_violations] == [("as_of", "NOT_A_DATE")]
