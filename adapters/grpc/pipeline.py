"""One decision, start to finish, as plain functions: request proto → domain → policy → store → reply proto.

The same functions run on the event loop (in-process model) or inside a worker process (pool
model), so both give identical answers and errors. Nothing here knows about gRPC transport.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from google.protobuf.message import DecodeError

from adapters.grpc import mapping
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.wide_numbers import read_whole
from adapters.grpc.wire_counts import WALKED_FROM, oversized_on_wire, request_id_on_wire
from adapters.grpc.wire_types import wire_violations
from policy_engine.domain.errors import EngineFailure, FieldViolation, InvalidInput, PolicyError
from policy_engine.domain.models import CustomerSnapshot, OrderDecision, OrderRequest
from policy_engine.domain.violation_reasons import NOT_A_MESSAGE
from policy_engine.ports import CustomerStore

REQUEST_TYPES: dict[str, Any] = {"evaluate": pb.EvaluateCustomerRequest, "check_order": pb.CheckOrderRequest}
REPLY_TYPES: dict[str, Any] = {"evaluate": pb.CustomerDecision, "check_order": pb.OrderDecision}


def parse_request(kind: str, data: bytes) -> Any:
    """The request message of `kind` from its wire bytes (parse_message)."""
    return parse_message(REQUEST_TYPES[kind], data)


def parse_message(message_type: Any, data: bytes) -> Any:
    """A request message from its wire bytes; bytes that are not one, or that carry a field with another
    wire type than the contract's or two members of a oneof (`customer_id` and `snapshot`), are the
    caller's error (INVALID_ARGUMENT), not the server's (gRPC's own deserializer would answer UNKNOWN and
    log a traceback for every such call). Its int32 fields hold the whole number sent (wide_numbers.py)."""
    if oversized := oversized_on_wire(message_type, data):  # before the items are built (wire_counts.py)
        raise InvalidInput(oversized)
    try:
        message = read_whole(message_type).FromString(data)
    except DecodeError as exc:
        name = message_type.DESCRIPTOR.full_name
        problem = f"not a valid {name} message: {str(exc)[:200]}"
        raise InvalidInput([FieldViolation("request", problem, NOT_A_MESSAGE)]) from None
    if violations := wire_violations(message, data):
        raise InvalidInput(violations)
    return message


def echoed_request_id(data: bytes) -> str:
    """The request_id of stream item bytes refused for their wire form (a mistyped field, both customer_id
    and snapshot): the caller matches replies by it, so it is echoed where it reads and is a good id, as
    for an item refused for its content; "" where the bytes are no message or the id is bad."""
    if len(data) >= WALKED_FROM:  # it may be refused for its lists' length: read without building them
        request_id = request_id_on_wire(data)
    else:
        try:
            request_id = str(pb.EvaluateCustomerRequest.FromString(data).request_id)
        except DecodeError:
            return ""
    return "" if mapping.request_id_problem(request_id) else request_id


@dataclass(frozen=True)
class Outcome:
    """What the metrics need to know about a decision."""

    kind: str
    outcome: str
    grade: str
    version: str
    log_failures: int = 0
    """Decision-log entries the store reported lost since its previous answer (usually 0)."""


def _snapshot(ref: mapping.CustomerRef, store: CustomerStore, day: date) -> CustomerSnapshot:
    """The caller's snapshot, or the store's as known on `day`, the date decided for (its last contact and 5C
    assessment by then: the store holds them all)."""
    if ref.snapshot is not None:
        return ref.snapshot
    assert ref.customer_id is not None
    return store.get_snapshot(ref.customer_id, day)


def _engine_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call into the policy; anything but a PolicyError is the engine's fault, not the caller's."""
    try:
        return fn(*args, **kwargs)
    except PolicyError:
        raise
    except Exception as exc:
        raise EngineFailure(f"{type(exc).__name__}: {exc}") from exc


@functools.cache
def _accepts_order_request(store_type: type[CustomerStore]) -> bool:
    """Whether this store's record_decision takes the order request too (the SQL store does)."""
    try:
        return "order_request" in inspect.signature(store_type.record_decision).parameters
    except (TypeError, ValueError):
        return False


def _record(store: CustomerStore, snapshot: CustomerSnapshot, decision: Any,
            order: OrderDecision | None = None, order_request: OrderRequest | None = None) -> None:
    extra: dict[str, Any] = {}
    if order_request is not None and _accepts_order_request(type(store)):
        extra["order_request"] = order_request
    store.record_decision(snapshot, decision, source="service", order=order, **extra)


def _new_log_failures(store: CustomerStore) -> int:
    """Entries the store's background decision-log writer lost since the last call (stores without one: 0)."""
    count = getattr(store, "new_log_failures", None)
    return count() if count is not None else 0


def evaluate(request: pb.EvaluateCustomerRequest, policy: Any, store: CustomerStore) -> tuple[Any, Outcome]:
    """EvaluateCustomer: validated, evaluated, recorded; returns the reply and its outcome."""
    ref, as_of, explain = mapping.evaluate_request(request)
    day = as_of or date.today()  # once: the store's cut and the decision are as of the same day
    snapshot = _snapshot(ref, store, day)
    decision = _engine_call(policy.evaluate, snapshot, as_of=day, explain=explain)
    _record(store, snapshot, decision)
    return mapping.decision_message(decision), Outcome("customer", "EVALUATED", decision.grade,
                                                       decision.policy_version, _new_log_failures(store))


def check_order(request: pb.CheckOrderRequest, policy: Any, store: CustomerStore) -> tuple[Any, Outcome]:
    """CheckOrder: validated, decided, recorded; returns the reply and its outcome."""
    ref, order, as_of = mapping.check_order_request(request)
    day = as_of or date.today()
    snapshot = _snapshot(ref, store, day)
    decision = _engine_call(policy.check_order, snapshot, order, as_of=day, explain=request.explain)
    _record(store, snapshot, decision.customer, decision, order)
    return mapping.order_decision_message(decision), Outcome("order", decision.outcome, decision.customer.grade,
                                                             decision.customer.policy_version,
                                                             _new_log_failures(store))


HANDLERS: dict[str, Callable[[Any, Any, CustomerStore], tuple[Any, Outcome]]] = {
    "evaluate": evaluate,
    "check_order": check_order,
}
