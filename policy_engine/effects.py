"""The declared effects of fired rules: score, warning combination, limit, review date, actions, reasons."""

from __future__ import annotations

import calendar
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from policy_engine.domain.models import Action, Invoice, Reason, trusted
from policy_engine.domain.values import GRADE_RANK
from policy_engine.ir import CompiledRule

REASON_CODES = {
    "grade_band": "GRADE_BAND",
    "limit": "CREDIT_LIMIT",
    "cadence": "REVIEW_CADENCE",
    "reminder": "COLLECTION_REMINDER",
}
"""Reason codes of the rule kinds whose rules carry no code of their own."""


def reason_code(kind: str, table: str, spec: Any) -> str:
    """The reason code a rule reports: its own `code`/outcome/action, else one per kind."""
    if kind == "score_row":
        return "SCORE_" + table.split(".")[1].upper()
    for name in ("code", "outcome", "action"):
        if name in type(spec).model_fields:
            return str(getattr(spec, name))
    return REASON_CODES.get(kind, kind.upper())


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


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


@functools.lru_cache(maxsize=4096)
def _dec(x: float) -> Decimal:
    """A rule file's number as the decimal it reads as (`0.1` → Decimal("0.1")), cached: rule files
    hold few distinct numbers."""
    return Decimal(str(x))


FIXED_ACTION_CODES = ("CREDIT_REVIEW", "HOLD_ORDERS", "REQUEST_COLLATERAL", "REDUCE_LIMIT", "COLLECTION_REMINDER")
"""The action codes `actions` writes itself; follow-up rules add their own (`action:`)."""

_TENTH = Decimal("0.1")
_CENT = Decimal("0.01")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class ScorePlan:
    """A scorecard prepared once per policy: per factor (its table, weight, default points,
    staff-assessment field), and the weight of the staff assessment in the blend."""

    factors: tuple[tuple[str, Decimal, Decimal, str], ...]
    staff_weight: Decimal


def score_plan(card: Any) -> ScorePlan:
    """The ScorePlan of a `scorecard` kind."""
    factors = [(f"scorecard.{f.id}", _dec(f.weight), _dec(f.default_points), f"assess_{f.id}") for f in card.factors]
    return ScorePlan(tuple(factors), _dec(card.staff_assessment_weight))


def score(plan: ScorePlan, fired: Sequence[CompiledRule], ctx: dict[str, Any]) -> float:
    """The 5C score: each factor's first fired row (or its default), weighted; staff scores blended in.

    Computed in decimal and rounded half up to one decimal; the grade bands apply to that score,
    the one the decision reports, so a reported 66.0 is always in the band that holds 66.0.
    """
    first: dict[str, CompiledRule] = {}
    for rule in fired:
        if rule.kind == "score_row" and rule.table not in first:
            first[rule.table] = rule
    rule_score = staff_score = Decimal(0)
    get = ctx.get
    for table, weight, default, staff_field in plan.factors:
        row = first.get(table)
        points = _dec(row.spec.points) if row is not None else default
        rule_score += weight * points
        staff = get(staff_field)
        staff_score += weight * (points if staff is None else Decimal(staff))
    blend = plan.staff_weight if get("has_assessment") else Decimal(0)
    total = (1 - blend) * rule_score + blend * staff_score
    return float(total.quantize(_TENTH, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Warnings:
    """The combined effect of every warning sign that fired."""

    notches: int = 0
    cap_rank: int = 1
    urgent: bool = False
    hold_orders: bool = False
    collateral: bool = False
    limit_factor: float = 1.0
    count: int = 0


def merge_combine(combines: Sequence[Any]) -> Any:
    """One combination setting for all warning files (lint refuses files that disagree)."""
    return combines[0] if combines else None


def combine_warnings(rules: Sequence[CompiledRule], combine: Any) -> Warnings:
    """Combine warning effects as the file says: notches summed or maxed and capped; worst cap; min factor."""
    if not rules:
        return _NO_WARNINGS
    summed = combine.downgrade == "sum"
    least = combine.limit_factor == "min"
    notches = cap = 0
    factor = 1.0
    urgent = hold = collateral = False
    for rule in rules:
        e = rule.spec.effects
        notches = notches + e.downgrade if summed else max(notches, e.downgrade)
        if e.limit_factor is not None:
            factor = min(factor, e.limit_factor) if least else factor * e.limit_factor
        if e.cap_grade:
            cap = max(cap, GRADE_RANK[e.cap_grade])
        urgent = urgent or e.urgent_review
        hold = hold or e.hold_orders
        collateral = collateral or e.request_collateral
    return Warnings(
        notches=min(notches, combine.max_downgrade),
        cap_rank=max(1, cap),
        urgent=bool(urgent),
        hold_orders=bool(hold),
        collateral=bool(collateral),
        limit_factor=factor,
        count=len(rules),
    )


_NO_WARNINGS = Warnings()


def money_out(value: Decimal) -> Decimal:
    """An amount as a decision shows it: at least two decimal places, so that amounts side by side read
    alike ("0" → "0.00", "150000.5" → "150000.50"); finer input (up to six places) is kept as sent."""
    return value if value.as_tuple().exponent <= -2 else value.quantize(_CENT)  # type: ignore[operator]


def credit_limit(formula: Any, ctx: dict[str, Any], factor: float) -> Decimal:
    """Months of purchases and a share of net worth, the lower (or higher) wins; floor, cap, factor, rounding."""
    terms = []
    if formula.months_of_purchases is not None:
        terms.append(_dec(formula.months_of_purchases) * ctx.get("avg_monthly_purchases", _ZERO))
    if formula.share_of_net_worth is not None and "net_worth" in ctx:
        terms.append(_dec(formula.share_of_net_worth) * max(_ZERO, ctx["net_worth"]))
    value = (min(terms) if formula.combine == "lowest" else max(terms)) if terms else _ZERO
    value = max(value, _dec(formula.floor))
    if formula.cap is not None:
        value = min(value, _dec(formula.cap))
    value *= _dec(factor)
    step = _dec(formula.round_down_to)
    return ((value / step).to_integral_value(rounding=ROUND_DOWN) * step).quantize(_CENT)


def next_review(last_review: date | None, as_of: date, row: CompiledRule, ctx: dict[str, Any]) -> date:
    """Today when urgent or overdue; else the last review plus the class's interval."""
    if ctx["urgent_review"] or last_review is None:
        return as_of
    return max(as_of, add_months(last_review, row.spec.interval_months))


def pick_order_step(steps: Sequence[CompiledRule], hit: str) -> CompiledRule | None:
    """First step in file order, or the highest priority (file order breaks ties)."""
    if not steps:
        return None
    if hit == "priority":
        return sorted(steps, key=lambda r: (-r.spec.priority, r.order))[0]
    return steps[0]


def pick_reminders(hits: Sequence[tuple[CompiledRule, int]]) -> dict[int, CompiledRule]:
    """For each invoice, the first reminder row that fired (first hit)."""
    chosen: dict[int, CompiledRule] = {}
    for rule, index in hits:
        if rule.kind == "reminder":
            chosen.setdefault(index, rule)
    return chosen


def _evidence(rule: CompiledRule, ctx: dict[str, Any]) -> dict[str, Any]:
    return {f: ctx[f] for f in rule.fields if f in ctx}


def reason(rule: CompiledRule, ctx: dict[str, Any]) -> Reason:
    """Why `rule` mattered, with the values it saw."""
    return trusted(Reason, rule_id=rule.id, code=rule.code, message=rule.message, evidence=_evidence(rule, ctx))


def _chosen(fired: Sequence[CompiledRule]) -> list[CompiledRule]:
    """Fired rules that decided something: first hit per table, every collect rule."""
    seen: set[str] = set()
    out = []
    for rule in fired:
        if rule.kind in ("warning", "follow_up"):
            out.append(rule)
        elif rule.table not in seen and rule.kind != "order_step":
            seen.add(rule.table)
            out.append(rule)
    return out


def reasons(
    fired: Sequence[CompiledRule],
    ctx: dict[str, Any],
    reminders: dict[int, CompiledRule],
    invoices: list[dict[str, Any]],
) -> list[Reason]:
    """Every rule that shaped the decision, with its evidence."""
    out = [reason(rule, ctx) for rule in _chosen(fired)]
    for index, rule in sorted(reminders.items()):
        if _reminder_due(rule, invoices[index]):
            r = reason(rule, invoices[index])
            r.evidence["invoice_id"] = invoices[index]["invoice_id"]
            out.append(r)
    return out


def _reminder_due(rule: CompiledRule, inv: dict[str, Any]) -> bool:
    return bool(inv["invoice_days_to_due"] <= rule.spec.lead_days)


def actions(
    fired: Sequence[CompiledRule],
    ctx: dict[str, Any],
    as_of: date,
    reminders: dict[int, CompiledRule],
    invoices: list[dict[str, Any]],
) -> list[Action]:
    """What to do: the next or urgent review, warning-sign actions, follow-ups, collection reminders."""
    warnings = [r for r in fired if r.kind == "warning"]
    cadence = next(r for r in fired if r.kind == "cadence")
    urgent = next((r for r in warnings if r.spec.effects.urgent_review), None)
    review_rule = urgent or cadence
    severity = "urgent" if urgent else ("warning" if ctx["next_review_on"] <= as_of else "info")
    months = cadence.spec.interval_months
    every = "every month" if months == 1 else f"every {months} months"
    message = f"Urgent credit review: {urgent.spec.title.en}" if urgent else f"Credit review {every}"
    out = [
        trusted(
            Action,
            code="CREDIT_REVIEW",
            due_on=ctx["next_review_on"],
            severity=severity,
            rule_id=review_rule.id,
            message=message,
        )
    ]
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
    for rule in fired:
        if rule.kind == "follow_up":
            out.append(
                trusted(
                    Action,
                    code=rule.spec.action,
                    due_on=as_of + timedelta(days=rule.spec.due_in_days),
                    severity=rule.spec.severity,
                    rule_id=rule.id,
                    message=rule.spec.title.en,
                )
            )
    for index, rule in sorted(reminders.items()):
        inv = invoices[index]
        if _reminder_due(rule, inv):
            overdue = inv["invoice_days_overdue"] > 0
            when = f"{inv['invoice_days_overdue']} days overdue" if overdue else f"due on {inv['invoice_due_on']}"
            out.append(
                trusted(
                    Action,
                    code="COLLECTION_REMINDER",
                    due_on=as_of,
                    target_id=inv["invoice_id"],
                    severity="warning" if overdue else "info",
                    rule_id=rule.id,
                    message=f"Remind payment of {inv['invoice_id']} ({inv['invoice_open_amount']}), {when}",
                )
            )
    return out


def _wants(rule: CompiledRule, flag: str) -> bool:
    fx = rule.spec.effects
    if flag == "limit_factor":
        return fx.limit_factor is not None and fx.limit_factor < 1
    return bool(getattr(fx, flag))
