"""The explain trace: for every rule of the policy, whether it fired and the inputs it looked at.

Built only when a caller asks to explain, after the decision is made; it reads the evaluation and
changes nothing in it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from policy_engine.domain.models import TraceEntry

if TYPE_CHECKING:
    from policy_engine.evaluator import Evaluation
    from policy_engine.ir import Program


def build_trace(program: Program, ev: Evaluation) -> list[TraceEntry]:
    """One entry per rule in file order: fired or not, with its inputs (invoice rules: the invoices hit)."""
    fired = {r.name for r in ev.fired} | {r.name for r, _ in ev.invoice_hits}
    out = []
    for rule in program.rules:
        if rule.stage == "invoice":
            hits = [ev.invoice_contexts[i]["invoice_id"] for r, i in ev.invoice_hits if r is rule]
            inputs: dict[str, Any] = {"invoices": hits}
        else:
            inputs = {f: _jsonable(ev.context.get(f)) for f in rule.fields}
        out.append(TraceEntry(rule_id=rule.id, fired=rule.name in fired, inputs=inputs))
    return out


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
