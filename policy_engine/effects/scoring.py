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


@dataclass(frozen=True)
class FactorScore:
    """One factor's part of the score: the row that decided it (None: its default points), its points and weight,
    and the staff's own score for it (None when staff did not score it: its points stand in)."""

    factor: str
    row: str | None
    points: Decimal
    weight: Decimal
    staff: Decimal | None


@dataclass(frozen=True)
class ScoreBreakdown:
    """How a 5C score is reached: each factor, the rules' and the staff's weighted sums, the blend and the score."""

    factors: tuple[FactorScore, ...]
    rule_score: Decimal
    staff_score: Decimal
    staff_weight: Decimal
    """The scorecard's staff_assessment_weight, as written; it applies only when `assessed`."""
    assessed: bool
    unrounded: Decimal
    score: float


def score(plan: ScorePlan, fired: Sequence[CompiledRule], ctx: dict[str, Any]) -> float:
    """The 5C score: each factor's first fired row (or its default), weighted; staff scores blended in.

    Computed in decimal and rounded half up to one decimal; the grade bands apply to that score,
    the one the decision reports, so a reported 66.0 is always in the band that holds 66.0.
    """
    return _rounded(_blend(plan, fired, ctx, None)[3])


def score_breakdown(plan: ScorePlan, fired: Sequence[CompiledRule], ctx: dict[str, Any]) -> ScoreBreakdown:
    """The score and every part of it, from the same arithmetic as `score` (`credit-policy test --score`)."""
    parts: list[FactorScore] = []
    rule_score, staff_score, assessed, total = _blend(plan, fired, ctx, parts)
    return ScoreBreakdown(tuple(parts), rule_score, staff_score, plan.staff_weight, assessed, total, _rounded(total))


def _rounded(total: Decimal) -> float:
    return float(total.quantize(_TENTH, rounding=ROUND_HALF_UP))


def _blend(plan: ScorePlan, fired: Sequence[CompiledRule], ctx: dict[str, Any],
           parts: list[FactorScore] | None) -> tuple[Decimal, Decimal, bool, Decimal]:  # fmt: skip
    """(rules' weighted 5C, staff's weighted 5C, assessed, blended score unrounded); each factor's part appended to
    `parts` when given (not on every decision: building them cost ~7% of an evaluation)."""
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
        if parts is not None:
            parts.append(FactorScore(table.removeprefix("scorecard."), row.id if row is not None else None, points,
                                     weight, None if staff is None else Decimal(staff)))  # fmt: skip
    assessed = bool(get("has_assessment"))
    blend = plan.staff_weight if assessed else Decimal(0)
    return rule_score, staff_score, assessed, (1 - blend) * rule_score + blend * staff_score
