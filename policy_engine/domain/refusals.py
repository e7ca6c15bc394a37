"""The refusals the snapshot's validators raise: at the field to fix, carrying their violation reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic_core import InitErrorDetails, PydanticCustomError

from policy_engine.domain.violation_reasons import CONTEXT_KEY, DUPLICATE, INCONSISTENT

if TYPE_CHECKING:
    from policy_engine.domain.models import Invoice


def incoherent(invoice: Invoice) -> list[InitErrorDetails]:
    """Each field of the invoice that contradicts another, at that field (the later one: the one to fix),
    naming the field it was compared with (`paid_on 2026-01-01 is before issued_on 2026-02-01`)."""
    issued_on, paid_on = invoice.issued_on, invoice.paid_on
    unpaid = paid_on is not None and not invoice.paid_amount and invoice.amount > 0
    compared = [
        ("due_on", invoice.due_on, invoice.due_on < issued_on, f"is before issued_on {issued_on}"),
        ("paid_amount", invoice.paid_amount, invoice.paid_amount > invoice.amount, f"exceeds amount {invoice.amount}"),
        ("paid_on", paid_on, paid_on is not None and paid_on < issued_on, f"is before issued_on {issued_on}"),
        # A payment date with nothing paid: the invoice was taken as open by its whole amount, its date ignored.
        ("paid_on", paid_on, unpaid, "is the date of a payment, but paid_amount is 0: send the amount paid, "
                                     "or leave paid_on empty while nothing is paid"),
    ]
    return [value_error_at((field,), value, f"{field} {value} {why}", INCONSISTENT)
            for field, value, wrong, why in compared if wrong]


def value_error_at(loc: tuple[str | int, ...], value: Any, message: str, reason: str) -> InitErrorDetails:
    """An error at `loc` (a nested model's is prefixed with its path: `invoices[1].paid_on`) for `reason`."""
    return InitErrorDetails(type=value_error(message, reason), loc=loc, input=value)


def value_error(message: str, reason: str) -> PydanticCustomError:
    """A refusal carrying its violation reason (violation_reasons.py) in its context."""
    # "value_error", the type a ValueError gets: the code importers report stays as it was.
    return PydanticCustomError("value_error", message, {CONTEXT_KEY: reason})


def repeated_ids(name: str, field: str, ids: list[str]) -> list[InitErrorDetails]:
    """Each repeat of an id, at the id field a caller sent (`invoices[2].invoice_id`), naming the first."""
    first: dict[str, int] = {}
    found: list[InitErrorDetails] = []
    for index, item_id in enumerate(ids):
        if item_id in first:
            message = f"{name}[{first[item_id]}] and {name}[{index}] have the same id {item_id!r}"
            found.append(value_error_at((name, index, field), item_id, message, DUPLICATE))
        first.setdefault(item_id, index)
    return found
