"""The 5C score: each factor's first fired row, weighted, with the staff's assessment blended in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from policy_engine.effects.decimals import _dec
from policy_engine.ir import CompiledRule

_TENTH = Decimal("0.1")


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
