"""A decision's actions: the review, warning-sign actions, follow-ups, collection reminders; the order step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from policy_engine.domain.models import Action, trusted
from policy_engine.effects.decimals import money_out
from policy_engine.effects.reminders import _reminder_due
from policy_engine.ir import CompiledRule

FIXED_ACTION_CODES = ("CREDIT_REVIEW", "HOLD_ORDERS", "REQUEST_COLLATERAL", "REDUCE_LIMIT", "COLLECTION_REMINDER")
"""The action codes `actions` writes itself; follow-up rules add their own (`action:`)."""


def pick_order_step(steps: Sequence[CompiledRule], hit: str) -> CompiledRule | None:
    """First step in file order, or the highest priority (file order breaks ties)."""
    if not steps:
        return None
    if hit == "priority":
        return sorted(steps, key=lambda r: (-r.spec.priority, r.order))[0]
    return steps[0]


def actions(
    fired: Sequence[CompiledRule],
    ctx: dict[str, Any],
    as_of: date,
    reminders: dict[int, CompiledRule],
    invoices: list[dict[str, Any]],
) -> list[Action]:
    """What to do: the next or urgent review, warning-sign actions, follow-ups, collection reminders."""
    warnings = [r for r in fired if r.kind == "warning"]
    out = [_review_action(fired, warnings, ctx["next_review_on"], as_of)]
    out += _warning_actions(warnings, as_of)
    out += _follow_up_actions(fired, as_of)
    out += _reminder_actions(reminders, invoices, as_of)
    return out


def _review_action(
    fired: Sequence[CompiledRule], warnings: list[CompiledRule], next_review_on: date, as_of: date
) -> Action:
    """The credit review: urgent when a warning sign asks for one, else on the grade's cadence."""
    cadence = next(r for r in fired if r.kind == "cadence")
    urgent = next((r for r in warnings if r.spec.effects.urgent_review), None)
    review_rule = urgent or cadence
    severity = "urgent" if urgent else ("warning" if next_review_on <= as_of else "info")
    months = cadence.spec.interval_months
    every = "every month" if months == 1 else f"every {months} months"
    message = f"Urgent credit review: {urgent.spec.title.en}" if urgent else f"Credit review {every}"
    row = next((r for r in fired if r.kind == "gather"), None)
    gather = [item.en for item in row.spec.gather] if row else []
    return trusted(
        Action,
        code="CREDIT_REVIEW",
        due_on=next_review_on,
        severity=severity,
        rule_id=review_rule.id,
        message=f"{message}; gather: {', '.join(gather)}" if gather else message,
        gather=gather,
    )


def _warning_actions(warnings: list[CompiledRule], as_of: date) -> list[Action]:
    """Hold orders, ask for collateral, reduce the limit: each once, for the first warning sign that asks."""
    out = []
    for flag, code, text in (
        ("hold_orders", "HOLD_ORDERS", "Hold new orders"),
        ("request_collateral", "REQUEST_COLLATERAL", "Ask for collateral or a guarantee"),
        ("limit_factor", "REDUCE_LIMIT", "Credit limit reduced"),
    ):
        rule = next((r for r in warnings if _wants(r, flag)), None)
        if rule is not None:
            out.append(
                trusted(
                    Action,
                    code=code,
                    due_on=as_of,
                    severity="urgent" if code == "HOLD_ORDERS" else "warning",
                    rule_id=rule.id,
                    message=f"{text}: {rule.spec.title.en}",
                )
            )
    return out


def _follow_up_actions(fired: Sequence[CompiledRule], as_of: date) -> list[Action]:
    """The follow-up rules' own actions, due their `due_in_days` after as_of."""
    return [
        trusted(
            Action,
            code=rule.spec.action,
            due_on=as_of + timedelta(days=rule.spec.due_in_days),
            severity=rule.spec.severity,
            rule_id=rule.id,
            message=rule.spec.title.en,
        )
        for rule in fired
        if rule.kind == "follow_up"
    ]


def _reminder_actions(
    reminders: dict[int, CompiledRule], invoices: list[dict[str, Any]], as_of: date
) -> list[Action]:
    """Collection reminders of the open invoices whose reminder rule says one is due, in invoice order."""
    out = []
    for index, rule in sorted(reminders.items()):
        inv = invoices[index]
        if _reminder_due(rule, inv):
            days = inv["invoice_days_overdue"]
            overdue = days > 0
            when = f"{days} {'day' if days == 1 else 'days'} overdue" if overdue else f"due on {inv['invoice_due_on']}"
            out.append(
                trusted(
                    Action,
                    code="COLLECTION_REMINDER",
                    due_on=as_of,
                    target_id=inv["invoice_id"],
                    severity="warning" if overdue else "info",
                    rule_id=rule.id,
                    message=f"Remind payment of {inv['invoice_id']} ({money_out(inv['invoice_open_amount'])}), {when}",
                )
            )
    return out


def _wants(rule: CompiledRule, flag: str) -> bool:
    fx = rule.spec.effects
    if flag == "limit_factor":
        return fx.limit_factor is not None and fx.limit_factor < 1
    return bool(getattr(fx, flag))
