"""The one table from domain errors to gRPC status codes, and the rich status it sends."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
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

STATUS_OF: dict[type[PolicyError], grpc.StatusCode] = {
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    CustomerNotFound: grpc.StatusCode.NOT_FOUND,
    StoreUnavailable: grpc.StatusCode.UNAVAILABLE,
    StoredRecordInvalid: grpc.StatusCode.FAILED_PRECONDITION,
    EngineFailure: grpc.StatusCode.INTERNAL,
    EngineUnavailable: grpc.StatusCode.UNAVAILABLE,
}
"""Domain error → status code; anything not listed (PolicyError itself) is INTERNAL."""

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
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return grpc.StatusCode.INTERNAL


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


def _bad_request(violations: list[FieldViolation]) -> error_details_pb2.BadRequest:
    """The violations that fit the trailers beside a message of MESSAGE_BUDGET, in order."""
    room = (TRAILER_BUDGET - MESSAGE_BUDGET) * 3 // 4 - MESSAGE_BUDGET - _STATUS_OVERHEAD  # base64 on the wire
    bad = error_details_pb2.BadRequest()
    for v in violations[:MAX_VIOLATIONS]:
        entry = error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
        room -= entry.ByteSize() + 3  # its tag and length
        if room < 0:
            break
        bad.field_violations.append(entry)
    return bad


def rich_status(error: PolicyError) -> grpc.Status:
    """A grpc.Status carrying google.rpc.Status (with BadRequest details for bad input), sized to fit a
    default client's trailers: the message cut short, the violations that fit (the message says how many)."""
    code = status_code_of(error)
    message = str(error)
    violations = error.violations if isinstance(error, InvalidInput) else []
    bad = _bad_request(violations)
    if len(bad.field_violations) < len(violations):
        message = f"{len(violations)} bad fields, the first {len(bad.field_violations)} in the details: {message}"
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=_cut(message, MESSAGE_BUDGET))
    if violations:
        detail = any_pb2.Any()
        detail.Pack(bad)
        status.details.append(detail)
    return rpc_status.to_status(status)


def fill_item_error(error: PolicyError, out: pb.ItemError) -> None:
    """A stream item's error: the status name, up to MAX_VIOLATIONS field violations and a message of at most
    ITEM_MESSAGE_LENGTH characters that says first how many bad fields there are when some are left out, as a
    call's status does: the caller would otherwise fix those it sees and only then meet the rest."""
    out.code = status_code_of(error).name
    message = str(error)
    violations = error.violations if isinstance(error, InvalidInput) else []
    if len(violations) > MAX_VIOLATIONS:
        message = f"{len(violations)} bad fields, the first {MAX_VIOLATIONS} in field_violations: {message}"
    out.message = message if len(message) <= ITEM_MESSAGE_LENGTH else message[:ITEM_MESSAGE_LENGTH - 1] + "…"
    for v in violations[:MAX_VIOLATIONS]:
        out.field_violations.add(field=v.field, description=v.description)
