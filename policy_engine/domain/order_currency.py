"""An order's currency against its customer's: one currency per customer (CONTRACT.md) and no FX rates here,
so an amount in another currency would be read as the customer's without a word. It is refused instead."""

from __future__ import annotations

from policy_engine.domain.errors import FieldViolation, InvalidInput
from policy_engine.domain.models import CustomerSnapshot, OrderRequest

LEAVE_EMPTY = "leave currency empty"
"""What a gRPC or library caller does to mean "the customer's currency"."""


def currency_violation(order: OrderRequest, snapshot: CustomerSnapshot,
                       leave: str = LEAVE_EMPTY) -> FieldViolation | None:
    """The violation at `currency` when the order names another currency than the customer's; None when it
    names none (the customer's) or the customer's own. `leave` says how to name none where the caller is."""
    if order.currency is None or order.currency == snapshot.currency:
        return None
    return FieldViolation("currency", f"order in {order.currency}, customer {snapshot.customer_id} is in "
                                      f"{snapshot.currency}: convert the amount, or {leave}")


def require_customer_currency(order: OrderRequest, snapshot: CustomerSnapshot) -> None:
    """Raise InvalidInput at `currency` when the order is in another currency than the customer's."""
    if (violation := currency_violation(order, snapshot)) is not None:
        raise InvalidInput([violation])
