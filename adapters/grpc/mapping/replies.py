"""Domain → proto: decisions as reply messages (a reply's hot path).

The reply is built a field at a time, which is what upb does fastest: a keyword constructor or
add(**fields) costs ~3x setting the same fields one by one, and each `m.reasons` makes a new
container object, so a repeated field's `add` is fetched once. The bytes do not depend on the
order fields are set in (they are serialised by number), and Struct entries are still inserted
in the evidence's own order.
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from typing import Any

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.domain.models import CustomerDecision, OrderDecision, Reason


def _money(value: Decimal) -> str:
    # format(value, "f") costs ~3x str(value), and gives the same text whenever str() did not choose
    # exponent notation (1E+3, 1E-7): plain notation keeps the exponent, as "f" does.
    text = str(value)
    return text if "E" not in text and "e" not in text else format(value, "f")


@functools.lru_cache(maxsize=1024)
def _day(value: date) -> str:
    """value.isoformat(), cached: a decision's dates are a few distinct days (~90 ns instead of ~270 ns)."""
    return value.isoformat()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _fill_struct(struct: Any, values: dict[str, Any]) -> None:
    """Struct.update(_jsonable(values)) without its generic per-value dispatch for the common scalar cases."""
    fields = struct.fields
    for key, value in values.items():
        kind = type(value)
        if kind is float:
            fields[key].number_value = value
        elif kind is str:
            fields[key].string_value = value
        elif kind is int:
            fields[key].number_value = float(value)  # the same double; upb converts an int more slowly
        elif kind is bool:
            fields[key].bool_value = value
        elif kind is Decimal:
            fields[key].string_value = _money(value)
        else:
            struct.update({key: _jsonable(value)})


def _add_reasons(reasons: list[Reason], out: Any) -> None:
    add = out.add
    for r in reasons:
        reason = add()
        reason.rule_id = r.rule_id
        reason.code = r.code
        reason.message = r.message
        if r.evidence:
            _fill_struct(reason.evidence, r.evidence)


def decision_message(d: CustomerDecision, out: pb.CustomerDecision | None = None) -> pb.CustomerDecision:
    """A CustomerDecision as its proto message."""
    m = out if out is not None else pb.CustomerDecision()
    m.customer_id = d.customer_id
    m.policy_version = d.policy_version
    m.as_of = _day(d.as_of)
    m.score = float(d.score)
    m.grade = d.grade
    m.grade_class = d.grade_class
    m.value_class = d.value_class
    m.credit_limit = _money(d.credit_limit)
    m.currency = d.currency
    m.limit_valid_until = _day(d.limit_valid_until)
    m.exposure = _money(d.exposure)
    m.available_credit = _money(d.available_credit)
    m.next_review_on = _day(d.next_review_on)
    if d.actions:
        add_action = m.actions.add
        for a in d.actions:
            action = add_action()
            action.code = a.code
            action.due_on = _day(a.due_on)
            action.target_id = a.target_id
            action.severity = a.severity
            action.rule_id = a.rule_id
            action.message = a.message
            if a.gather:
                action.gather.extend(a.gather)
    if d.reasons:
        _add_reasons(d.reasons, m.reasons)
    if d.trace:
        add_entry = m.trace.add
        for t in d.trace:
            entry = add_entry()
            entry.rule_id = t.rule_id
            entry.fired = t.fired
            if t.no_action:  # set whenever superseded_by is: one test for the common case
                entry.superseded_by = t.superseded_by
                entry.no_action = t.no_action
            if t.inputs:
                _fill_struct(entry.inputs, t.inputs)
    return m


def order_decision_message(d: OrderDecision) -> pb.OrderDecision:
    """An OrderDecision as its proto message."""
    m = pb.OrderDecision()
    m.customer_id = d.customer_id
    m.order_id = d.order_id
    m.outcome = d.outcome
    m.available_credit_after = _money(d.available_credit_after)
    m.policy_version = d.customer.policy_version
    if d.reasons:
        _add_reasons(d.reasons, m.reasons)
    decision_message(d.customer, m.customer)
    return m
