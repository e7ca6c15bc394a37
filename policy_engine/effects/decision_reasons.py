"""A decision's reasons: each rule that shaped it, with its code and the values it saw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policy_engine.domain.models import Reason, trusted
from policy_engine.domain.values import GRADE_RANK, GRADES
from policy_engine.effects.reminders import _reminder_due
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


def _evidence(rule: CompiledRule, ctx: dict[str, Any]) -> dict[str, Any]:
    return {f: ctx[f] for f in rule.fields if f in ctx}


def reason(rule: CompiledRule, ctx: dict[str, Any]) -> Reason:
    """Why `rule` mattered, with the values it saw."""
    return trusted(Reason, rule_id=rule.id, code=rule.code, message=rule.message, evidence=_evidence(rule, ctx))


def moved_grade(ctx: dict[str, Any]) -> str:
    """How the warning signs moved the grade from the band's (`band grade A, 1 notch down to BBB by
    warning signs`), or "" when they did not: the band's reason alone would contradict the grade."""
    base, grade = ctx["base_grade"], ctx["grade"]
    if grade == base:
        return ""
    notches = ctx["downgrade_notches"]
    capped = GRADES[min(len(GRADES), GRADE_RANK[base] + notches) - 1] != grade  # a cap_grade went further
    down = f"{notches} notch{'es' if notches != 1 else ''} down" if notches else ""
    by = "by a warning sign" if ctx["warning_count"] == 1 else "by warning signs"
    if not capped:
        return f"band grade {base}, {down} to {grade} {by}"
    if not down:
        return f"band grade {base}, capped at {grade} {by}"
    return f"band grade {base}, {down} and capped at {grade} {by}"


def _band_reason(rule: CompiledRule, ctx: dict[str, Any]) -> Reason:
    moved = moved_grade(ctx)
    message = f"{rule.message}: {moved}" if moved else rule.message
    return trusted(Reason, rule_id=rule.id, code=rule.code, message=message, evidence=_evidence(rule, ctx))


def _chosen(fired: Sequence[CompiledRule]) -> list[CompiledRule]:
    """Fired rules that decided something: first hit per table, every collect rule."""
    seen: set[str] = set()
    out = []
    for rule in fired:
        if rule.kind in ("warning", "follow_up"):
            out.append(rule)
        elif rule.table not in seen and rule.kind not in ("order_step", "gather"):  # gather: on the review action
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
    out = [_band_reason(rule, ctx) if rule.kind == "grade_band" else reason(rule, ctx) for rule in _chosen(fired)]
    for index, rule in sorted(reminders.items()):
        if _reminder_due(rule, invoices[index]):
            r = reason(rule, invoices[index])
            r.evidence["invoice_id"] = invoices[index]["invoice_id"]
            out.append(r)
    return out
