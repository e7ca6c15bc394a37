"""The one table from domain errors to gRPC status codes, and the rich status it sends."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from policy_engine.domain.errors import (
    CustomerNotFound,
    EngineFailure,
    EngineUnavailable,
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
"""Field violations sent back per call: enough to fix a request, bounded for huge bad lists."""


def status_code_of(error: PolicyError) -> grpc.StatusCode:
    """The status code for a domain error (most specific class wins)."""
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return grpc.StatusCode.INTERNAL


def rich_status(error: PolicyError) -> grpc.Status:
    """A grpc.Status carrying google.rpc.Status (with BadRequest details for bad input)."""
    code = status_code_of(error)
    message = str(error)
    if len(message) > 2000:
        message = message[:2000] + "…"
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message)
    if isinstance(error, InvalidInput):
        bad = error_details_pb2.BadRequest()
        for v in error.violations[:MAX_VIOLATIONS]:
            bad.field_violations.add(field=v.field, description=v.description)
        detail = any_pb2.Any()
        detail.Pack(bad)
        status.details.append(detail)
    return rpc_status.to_status(status)
