"""Requests → validated domain objects: InvalidInput naming every bad field by its path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.mapping.snapshot import oversized_lists, snapshot_dict
from policy_engine.domain.bounds import id_problem, too_long
from policy_engine.domain.dates import refused_date
from policy_engine.domain.errors import FieldViolation, InvalidInput, violations_from
from policy_engine.domain.models import CustomerSnapshot, OrderRequest
from policy_engine.domain.values import (
    DATE_RANGE,
    IDENTIFIER_PATTERN,
    MAX_ID_LENGTH,
    PATTERN_MESSAGES,
    parse_iso_date,
)
from policy_engine.domain.violation_reasons import BAD_CHARACTERS, NOT_A_DATE, OUT_OF_RANGE, REQUIRED, TOO_LONG

_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


@dataclass(frozen=True)
class CustomerRef:
    """Who to evaluate: a store id or a full snapshot (exactly one is set)."""

    customer_id: str | None
    snapshot: CustomerSnapshot | None


def _put(d: dict[str, Any], key: str, value: Any) -> None:
    if value != "":
        d[key] = value


def _customer_ref(request: Any, violations: list[FieldViolation]) -> CustomerRef:
    which = request.WhichOneof("customer")
    if which == "snapshot" and (oversized := oversized_lists(request.snapshot)):
        violations.extend(oversized)
    elif which == "snapshot":
        try:
            # extra="ignore": snapshot_dict only ever writes the model's own field names, so the
            # unknown-key check (~10 µs a 24-invoice snapshot) could never fire.
            return CustomerRef(None, CustomerSnapshot.model_validate(snapshot_dict(request.snapshot), extra="ignore"))
        except ValidationError as exc:
            violations.extend(violations_from(exc, "snapshot"))
    elif which == "customer_id":
        customer_id = request.customer_id.strip()
        if not customer_id:
            violations.append(FieldViolation("customer_id", "required", REQUIRED))
        elif len(customer_id) > MAX_ID_LENGTH:
            violations.append(FieldViolation("customer_id", too_long(customer_id, MAX_ID_LENGTH), TOO_LONG))
        elif not _IDENTIFIER.match(customer_id):
            violations.append(FieldViolation("customer_id", PATTERN_MESSAGES[IDENTIFIER_PATTERN], BAD_CHARACTERS))
        else:
            return CustomerRef(customer_id, None)
    else:
        violations.append(FieldViolation("customer", "set customer_id or snapshot", REQUIRED))
    return CustomerRef(None, None)


def _as_of(value: str, violations: list[FieldViolation]) -> date | None:
    if not value:
        return None
    try:
        return parse_iso_date(value)
    except ValueError as exc:
        reason = OUT_OF_RANGE if str(exc) == DATE_RANGE else NOT_A_DATE
        violations.append(FieldViolation("as_of", refused_date(value, str(exc)), reason))
        return None


def request_id_problem(request_id: str) -> str:
    """What is wrong with a caller's request_id ("" if nothing): it is echoed in the stream's replies,
    so it is bounded like an id (an unbounded one could make a reply bigger than a message may be)."""
    return id_problem(request_id)


def evaluate_request(request: pb.EvaluateCustomerRequest) -> tuple[CustomerRef, date | None, bool]:
    """Validate an EvaluateCustomerRequest; raise InvalidInput naming every bad field."""
    violations: list[FieldViolation] = []
    ref = _customer_ref(request, violations)
    as_of = _as_of(request.as_of, violations)
    if (request_id := request.request_id) and (problem := request_id_problem(request_id)):
        reason = TOO_LONG if len(request_id) > MAX_ID_LENGTH else BAD_CHARACTERS  # request_id_problem's two cases
        violations.append(FieldViolation("request_id", problem, reason))
    if violations:
        raise InvalidInput(violations)
    return ref, as_of, request.explain


def check_order_request(request: pb.CheckOrderRequest) -> tuple[CustomerRef, OrderRequest, date | None]:
    """Validate a CheckOrderRequest; raise InvalidInput naming every bad field."""
    violations: list[FieldViolation] = []
    ref = _customer_ref(request, violations)
    as_of = _as_of(request.as_of, violations)
    order_fields: dict[str, Any] = {"amount": request.amount}
    _put(order_fields, "order_id", request.order_id)
    _put(order_fields, "currency", request.currency)  # checked against the customer's once it is read
    if request.HasField("payment_term_days"):
        order_fields["payment_term_days"] = request.payment_term_days
    order: OrderRequest | None = None
    try:
        order = OrderRequest.model_validate(order_fields, extra="ignore")  # our own keys only, as above
    except ValidationError as exc:
        violations.extend(violations_from(exc))
    if violations or order is None:
        raise InvalidInput(violations)
    return ref, order, as_of

