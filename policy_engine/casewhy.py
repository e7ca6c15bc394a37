"""Why a rule test case's expectation failed, in the words of the rule files: the row that decided a value,
the warning signs that moved it, and what a rule's condition saw. `credit_limit: expected 999000.00, got
200000.00` alone left staff to guess whether the case or the rule was wrong, and which rule."""

from __future__ import annotations

from typing import Any

from policy_engine.ir import CompiledRule

_DECIDING_KIND = {"grade": "grade_band", "grade_class": "grade_band", "credit_limit": "limit",
                  "limit_valid_until": "limit", "next_review_on": "cadence"}
"""The first-hit table whose row decides each expected value."""

_FIRST_HIT = frozenset({"grade_band", "limit", "cadence", "gather", "order_step"})
"""Kinds where one row wins: an expected row may match and still lose to an earlier one."""

_MOVED_BY = {"grade": ("downgrade", "cap_grade"), "grade_class": ("downgrade", "cap_grade"),
             "credit_limit": ("limit_factor",), "next_review_on": ("urgent_review",)}
"""The warning-sign effects that move each value after its row decided it."""


def decided_by(key: str, decision: Any, rules: dict[str, CompiledRule]) -> str:
    """` (set by limit.aa at rules/limits.yaml:30; cut by warn.x)`: the row behind an expected value, and the
    warning signs that moved it; empty when no row of that table fired."""
    kind = _DECIDING_KIND.get(key)
    fired = [rules[t.rule_id] for t in decision.trace if t.fired and t.rule_id in rules]
    row = next((r for r in fired if r.kind == kind), None)
    if row is None:
        return ""
    head = (f"score {decision.score}: band {row.id} at {row.where}" if kind == "grade_band"
            else f"set by {row.id} at {row.where}")
    moved = [r.id for r in fired if r.kind == "warning" and any(getattr(r.spec.effects, e, None)
                                                                for e in _MOVED_BY.get(key, ()))]
    return f" ({head}; moved by the warning signs {', '.join(moved)})" if moved else f" ({head})"


def why_not_fired(rule_id: str, decision: Any, rules: dict[str, CompiledRule]) -> str:
    """`; limit.aa fired in its place (first hit); it saw grade AA` for a rule expected to fire that did not."""
    rule = rules.get(rule_id)
    winner = next((t.rule_id for t in decision.trace if t.fired and rule is not None and t.rule_id in rules
                   and rules[t.rule_id].table == rule.table and rule.kind in _FIRST_HIT), None)
    instead = f"; {winner} fired in its place (first hit)" if winner else ""
    return instead + saw(rule_id, decision)


def saw(rule_id: str, decision: Any) -> str:
    """`; it saw dbt_open_max 0, dbt_paid_weighted 0.0`: the inputs the rule's condition looked at."""
    inputs = next((t.inputs for t in decision.trace if t.rule_id == rule_id), None)
    if not inputs:
        return ""
    return "; it saw " + ", ".join(f"{name} {_shown(value)}" for name, value in sorted(inputs.items()))


def asked_by(code: str, decision: Any) -> str:
    """` (asked by review.class_a)`: the rules whose actions carry `code`."""
    ids = list(dict.fromkeys(a.rule_id for a in decision.actions if a.code == code))
    return f" (asked by {', '.join(ids)})" if ids else ""


def _shown(value: Any) -> str:
    """A value as staff read it: 1.0163 rather than 1.016304347826087, `none` for a value the customer lacks."""
    if value is None:
        return "none (the customer has no such value)"
    if isinstance(value, float):
        return f"{round(value, 4)}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
