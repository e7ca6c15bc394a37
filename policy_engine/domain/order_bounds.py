"""An order checked against its customer's exposure: what the decision works out stays within the money bound.

Each amount sent, and a snapshot's invoices and orders together, are below MAX_MONEY (values.py). An order's
`available_credit_after` is the limit less the exposure less the order (the order counted once when it is among
the open orders already), so a large order on a large exposure took it down to almost -2 × MAX_MONEY, past the
bound every amount is held to. The order is refused instead, as that same order once taken into the ERP (an
open order in the snapshot) would be refused for the snapshot's total."""

from __future__ import annotations

from decimal import Decimal

from policy_engine.domain.errors import FieldViolation, InvalidInput
from policy_engine.domain.values import MAX_MONEY
from policy_engine.domain.violation_reasons import OUT_OF_RANGE


def require_order_within_bound(customer_id: str, exposure: Decimal, counted: Decimal, amount: Decimal) -> None:
    """Raise InvalidInput at `amount` when the exposure without the order's own open amount (`counted`), with the
    order, comes to MAX_MONEY or more: `available_credit_after` would then fall to -MAX_MONEY or below."""
    total = exposure - counted + amount
    if total >= MAX_MONEY:
        raise InvalidInput([FieldViolation("amount", (
            f"this order and customer {customer_id}'s exposure come to {total:,}: together they must stay below "
            f"{MAX_MONEY:,.0f}, the bound every amount is held to"), OUT_OF_RANGE)])
