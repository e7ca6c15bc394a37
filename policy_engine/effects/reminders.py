"""Collection reminders: the invoice-stage context, the reminder row per invoice and whether it is due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from policy_engine.domain.models import Invoice
from policy_engine.ir import CompiledRule


def invoice_context(inv: Invoice, as_of: date) -> dict[str, Any]:
    """The invoice's own fields; invoice-stage rules see these first, then the customer's features."""
    to_due = (inv.due_on - as_of).days
    return {
        "invoice_id": inv.invoice_id,
        "invoice_due_on": inv.due_on,
        "invoice_payment_term_days": inv.payment_term_days,
        "invoice_days_to_due": to_due,
        "invoice_days_overdue": max(0, -to_due),
        "invoice_open_amount": inv.amount - inv.paid_amount,
        "invoice_amount": inv.amount,
        "invoice_due_date_changes": inv.due_date_changes,
    }


def pick_reminders(hits: Sequence[tuple[CompiledRule, int]]) -> dict[int, CompiledRule]:
    """For each invoice, the first reminder row that fired (first hit)."""
    chosen: dict[int, CompiledRule] = {}
    for rule, index in hits:
        if rule.kind == "reminder":
            chosen.setdefault(index, rule)
    return chosen


def remind_from(rule: CompiledRule, inv: dict[str, Any]) -> date:
    """The first day the reminder row `rule` makes a reminder of the invoice due (its lead days before due)."""
    return inv["invoice_due_on"] - timedelta(days=rule.spec.lead_days)  # type: ignore[no-any-return]


def _reminder_due(rule: CompiledRule, inv: dict[str, Any]) -> bool:
    return bool(inv["invoice_days_to_due"] <= rule.spec.lead_days)
