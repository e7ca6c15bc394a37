"""The explain trace: for every rule of the policy, whether it fired and the inputs it looked at.

Built only when a caller asks to explain, after the decision is made; it reads the evaluation and
changes nothing in it. A rule can fire (its condition held) and still add no action: a reminder row
whose invoice is not yet within its lead days, or a row or order step that a first-hit table passed
over for another. The trace says which (`no_action`, `superseded_by`), so `fired` never reads as
"acted".
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from policy_engine.domain.models import TraceEntry
from policy_engine.effects.reminders import _reminder_due, pick_reminders, remind_from

if TYPE_CHECKING:
    from policy_engine.evaluator import Evaluation
    from policy_engine.ir import CompiledRule, Program


def build_trace(program: Program, ev: Evaluation) -> list[TraceEntry]:
    """One entry per rule in file order: fired or not, with its inputs (invoice rules: the invoices hit)."""
    fired = {r.name for r in ev.fired} | {r.name for r, _ in ev.invoice_hits}
    chosen = pick_reminders(ev.invoice_hits)
    out = []
    for rule in program.rules:
        entry = TraceEntry(rule_id=rule.id, fired=rule.name in fired)
        if rule.stage == "invoice":
            hits = [i for r, i in ev.invoice_hits if r is rule]
            entry.inputs = {"invoices": [ev.invoice_contexts[i]["invoice_id"] for i in hits]}
            if rule.kind == "reminder":
                _note_reminders(entry, rule, hits, chosen, ev.invoice_contexts)
        else:
            entry.inputs = {f: _jsonable(ev.context.get(f)) for f in rule.fields}
            if entry.fired and rule.stage == "order" and ev.order_step is not None and ev.order_step is not rule:
                hit = program.kinds["order_checks"].hit
                entry.superseded_by = ev.order_step.id
                entry.no_action = f"superseded by {ev.order_step.id} (hit: {hit}): it decided the outcome"
        out.append(entry)
    return out


def _note_reminders(
    entry: TraceEntry, rule: CompiledRule, hits: list[int], chosen: dict[int, CompiledRule],
    invoices: list[dict[str, Any]],
) -> None:
    """Why `rule` reminded none of some invoices it fired for: another row was taken, or it is not due yet."""
    notes = []
    for index in hits:
        inv, taken = invoices[index], chosen[index]
        if taken is not rule:
            entry.superseded_by = entry.superseded_by or taken.id
            notes.append(f"superseded by {taken.id} for {inv['invoice_id']} (hit: first)")
        elif not _reminder_due(rule, inv):
            notes.append(f"not due yet: {inv['invoice_id']} reminded from {remind_from(rule, inv)} "
                         f"({rule.spec.lead_days} days before it falls due on {inv['invoice_due_on']})")
    entry.no_action = "; ".join(notes)


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
