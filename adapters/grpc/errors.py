"""The one table from domain errors to gRPC status codes and stable reasons, and the rich status it sends:
google.rpc.ErrorInfo on every failure, RetryInfo where a retry helps, BadRequest for bad input."""

from __future__ import annotations

from datetime import timedelta

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

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
from policy_engine.domain.violation_reasons import REQUIRED

ERRORS: dict[type[PolicyError], tuple[grpc.StatusCode, str]] = {
    InvalidInput: (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST"),
    CustomerNotFound: (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_FOUND"),
    StoreUnavailable: (grpc.StatusCode.UNAVAILABLE, "STORE_UNAVAILABLE"),
    StoredRecordInvalid: (grpc.StatusCode.FAILED_PRECONDITION, "STORED_RECORD_INVALID"),
    EngineFailure: (grpc.StatusCode.INTERNAL, "ENGINE_FAILURE"),
    EngineUnavailable: (grpc.StatusCode.UNAVAILABLE, "ENGINE_UNAVAILABLE"),
}
"""Domain error → (status code, google.rpc.ErrorInfo reason); anything not listed (PolicyError itself) is
INTERNAL, INTERNAL_ERROR. The reasons are part of the contract: docs/service.md lists them."""

STATUS_OF: dict[type[PolicyError], grpc.StatusCode] = {cls: code for cls, (code, _reason) in ERRORS.items()}
"""Domain error → status code (the first half of ERRORS)."""

ERROR_DOMAIN = pb.DESCRIPTOR.package
"""ErrorInfo.domain: the proto package the reasons belong to, `credit_policy.v1`."""

INTERNAL_ERROR = "INTERNAL_ERROR"
"""The reason of a failure no table entry names (a bug: the log has the traceback)."""

SERVER_BUSY = "SERVER_BUSY"
"""The reason of RESOURCE_EXHAUSTED when the process already decides --max-in-flight calls."""

SERVER_STOPPING = "SERVER_STOPPING"
"""The reason of UNAVAILABLE ending an EvaluateCustomers stream that a server stop cut short."""

BUSY_RETRY_DELAY = timedelta(milliseconds=200)
"""RetryInfo of SERVER_BUSY: a call in flight takes milliseconds, so a place frees up soon."""

UNAVAILABLE_RETRY_DELAY = timedelta(seconds=1)
"""RetryInfo of UNAVAILABLE: a store reconnecting or an engine process being replaced takes a moment."""

MAX_VIOLATIONS = 100
"""Field violations sent back per stream item: enough to fix a request, bounded for huge bad lists."""

ITEM_MESSAGE_LENGTH = 2_000
"""Characters of a stream item's error message (the violations are in its field_violations too)."""

TRAILER_BUDGET = 7_000
"""Bytes the status message and its details may take in a failed call's trailers. gRPC clients take 8 KiB
of metadata by default (grpc.max_metadata_size), refuse more at random up to 16 KiB and always past it:
the caller then gets RESOURCE_EXHAUSTED 'received metadata size exceeds', not our status. ~1 KiB is left
for gRPC's own entries."""

MESSAGE_BUDGET = 800
"""Of which the status message, percent-encoded as gRPC sends it (a Chinese character costs 9 bytes). It
travels twice: as grpc-message and inside grpc-status-details-bin."""

_STATUS_OVERHEAD = 80
"""The Status's code and the Any's type URL around the BadRequest, with their tags: a bound."""


def status_code_of(error: PolicyError) -> grpc.StatusCode:
    """The status code for a domain error (most specific class wins)."""
    return _entry(error)[0]


def _entry(error: PolicyError) -> tuple[grpc.StatusCode, str]:
    """The ERRORS entry of a domain error's most specific listed class; INTERNAL for an unlisted one."""
    for cls in type(error).__mro__:
        if cls in ERRORS:
            return ERRORS[cls]
    return grpc.StatusCode.INTERNAL, INTERNAL_ERROR


def _encoded_length(char: str) -> int:
    data = char.encode()
    return 1 if len(data) == 1 and 0x20 <= data[0] <= 0x7E and char != "%" else 3 * len(data)


def _cut(message: str, budget: int) -> str:
    """The message, cut short with "…" where its percent-encoded form would pass `budget` bytes."""
    used = 0
    for index, char in enumerate(message):
        used += _encoded_length(char)
        if used > budget - 9:  # room for the "…" (three bytes, nine encoded)
            return message[:index] + "…"
    return message


def _bad_request(violations: list[FieldViolation], taken: int) -> error_details_pb2.BadRequest:
    """The violations that fit the trailers beside a message of MESSAGE_BUDGET and `taken` bytes of other
    details, in order."""
    room = (TRAILER_BUDGET - MESSAGE_BUDGET) * 3 // 4 - MESSAGE_BUDGET - _STATUS_OVERHEAD - taken  # base64
    bad = error_details_pb2.BadRequest()
    for v in violations[:MAX_VIOLATIONS]:
        entry = error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description, reason=v.reason)
        room -= entry.ByteSize() + 3  # its tag and length
        if room < 0:
            break
        bad.field_violations.append(entry)
    return bad


def _packed(*details: Message) -> list[any_pb2.Any]:
    packed = []
    for detail in details:
        packed.append(any_pb2.Any())
        packed[-1].Pack(detail)
    return packed


def _error_info(reason: str, **metadata: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(domain=ERROR_DOMAIN, reason=reason, metadata=metadata)


def _retry_info(delay: timedelta) -> error_details_pb2.RetryInfo:
    retry = error_details_pb2.RetryInfo()
    retry.retry_delay.FromTimedelta(delay)
    return retry


def _metadata(error: PolicyError) -> dict[str, str]:
    """What ErrorInfo.metadata says beside the reason: the customer meant, how many fields were refused."""
    if isinstance(error, (CustomerNotFound, StoredRecordInvalid)):
        return {"customer_id": error.customer_id}
    if isinstance(error, InvalidInput):
        return {"violations": str(len(error.violations))}
    return {}


def _status(code: grpc.StatusCode, message: str, details: list[any_pb2.Any]) -> grpc.Status:
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=_cut(message, MESSAGE_BUDGET))
    status.details.extend(details)
    return rpc_status.to_status(status)


def rich_status(error: PolicyError) -> grpc.Status:
    """A grpc.Status carrying google.rpc.Status with ErrorInfo (RetryInfo for UNAVAILABLE, BadRequest for bad
    input), sized to fit a default client's trailers: the message cut short, the violations that fit (the
    message says how many). Built only on failure: a decided call pays nothing for it."""
    code, reason = _entry(error)
    message = str(error)
    violations = error.violations if isinstance(error, InvalidInput) else []
    details = [_error_info(reason, **_metadata(error))]
    if code == grpc.StatusCode.UNAVAILABLE:  # nothing was decided: the same call may well succeed soon
        details.append(_retry_info(UNAVAILABLE_RETRY_DELAY))
    packed = _packed(*details)
    if violations:
        bad = _bad_request(violations, sum(detail.ByteSize() + 3 for detail in packed))
        if len(bad.field_violations) < len(violations):
            message = f"{len(violations)} bad fields, the first {len(bad.field_violations)} in the details: {message}"
        packed += _packed(bad)
    return _status(code, message, packed)


def no_request_status() -> grpc.Status:
    """INVALID_ARGUMENT for a unary call that ended its side without sending its one request message:
    INVALID_REQUEST, as any bad input, with `request` REQUIRED (nothing was sent: no bytes to call malformed)."""
    return rich_status(InvalidInput([FieldViolation("request", "no request message: a unary call sends exactly one",
                                                    REQUIRED)]))


def busy_status(in_flight: int, max_in_flight: int) -> grpc.Status:
    """RESOURCE_EXHAUSTED for a call refused at --max-in-flight: SERVER_BUSY, the limit, when to retry."""
    message = (f"the server is deciding {in_flight} calls, its limit (--max-in-flight); "
               "retry after a backoff")
    info = _error_info(SERVER_BUSY, max_in_flight=str(max_in_flight))
    return _status(grpc.StatusCode.RESOURCE_EXHAUSTED, message, _packed(info, _retry_info(BUSY_RETRY_DELAY)))


def stopping_status(next_index: int) -> grpc.Status:
    """UNAVAILABLE for a stream a server stop ended: SERVER_STOPPING, the first item not taken (`next_index`:
    those before it were all answered, none from it on was decided), retry on another call at once."""
    message = (f"the server is stopping: the items before index {next_index} are answered, none from it on was "
               f"taken; send them again on a new call")
    info = _error_info(SERVER_STOPPING, next_index=str(next_index))
    return _status(grpc.StatusCode.UNAVAILABLE, message, _packed(info, _retry_info(timedelta(0))))


def internal_status(message: str) -> grpc.Status:
    """INTERNAL for a failure that is no domain error (a bug), with reason INTERNAL_ERROR."""
    return _status(grpc.StatusCode.INTERNAL, message, _packed(_error_info(INTERNAL_ERROR)))


def fill_item_error(error: PolicyError, out: pb.ItemError) -> None:
    """A stream item's error: the status name and reason, up to MAX_VIOLATIONS field violations and a message
    of at most ITEM_MESSAGE_LENGTH characters that says first how many bad fields there are when some are
    left out, as a call's status does: the caller would otherwise fix those it sees and only then meet the rest."""
    code, out.reason = _entry(error)
    out.code = code.name
    message = str(error)
    violations = error.violations if isinstance(error, InvalidInput) else []
    if len(violations) > MAX_VIOLATIONS:
        message = f"{len(violations)} bad fields, the first {MAX_VIOLATIONS} in field_violations: {message}"
    out.message = message if len(message) <= ITEM_MESSAGE_LENGTH else message[:ITEM_MESSAGE_LENGTH - 1] + "…"
    for v in violations[:MAX_VIOLATIONS]:
        out.field_violations.add(field=v.field, description=v.description, reason=v.reason)
