"""Currencies: the code a snapshot or an order names, and an order's against its customer's.

One currency per customer (CONTRACT.md) and no FX rates here, so an order's amount in another currency
would be read as the customer's without a word: it is refused instead."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, StringConstraints

from policy_engine.domain.errors import FieldViolation, InvalidInput
from policy_engine.domain.values import CURRENCY_PATTERN
from policy_engine.domain.violation_reasons import INCONSISTENT

if TYPE_CHECKING:  # models imports the types below
    from policy_engine.domain.models import CustomerSnapshot, OrderRequest


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value  # proto3's default: a caller that never heard of the field


Currency = Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)]
"""An ISO 4217 code in use (values.ISO_4217)."""
OptionalCurrency = Annotated[Currency | None, BeforeValidator(_empty_is_none)]
"""A currency or None; empty is None (the customer's, for an order)."""

LEAVE_EMPTY = "leave currency empty"
"""What a gRPC or library caller does to mean "the customer's currency"."""


def currency_violation(order: OrderRequest, snapshot: CustomerSnapshot,
                       leave: str = LEAVE_EMPTY) -> FieldViolation | None:
    """The violation at `currency` when the order names another currency than the customer's; None when it
    names none (the customer's) or the customer's own. `leave` says how to name none where the caller is."""
    if order.currency is None or order.currency == snapshot.currency:
        return None
    return FieldViolation("currency", f"order in {order.currency}, customer {snapshot.customer_id} is in "
                                      f"{snapshot.currency}: convert the amount, or {leave}", INCONSISTENT)


def require_customer_currency(order: OrderRequest, snapshot: CustomerSnapshot) -> None:
    """Raise InvalidInput at `currency` when the order is in another currency than the customer's."""
    if (violation := currency_violation(order, snapshot)) is not None:
        raise InvalidInput([violation])
