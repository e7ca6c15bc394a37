"""`credit-policy test --score` shows how each case's 5C score is reached: each factor's row, points and weight, the
staff's scores, the blend and the band. Before, a case at a band's edge meant working the blend out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from typer.testing import CliRunner

from policy_engine.api import load_policy
from policy_engine.cli import build_app
from policy_engine.domain.models import CustomerSnapshot

AS_OF = date(2026, 11, 22)
ASSESSED = CustomerSnapshot.model_validate({
    "customer_id": "X1", "name": "x", "size": "medium", "segment": "pharmacy", "relationship_since": "2020-01-01",
    "currency": "CNY", "assessment": {"character": 80, "capacity": 70, "capital": 60, "collateral": 50,
                                      "conditions": 60, "assessed_on": "2026-10-01"}})  # fmt: skip


def test_the_breakdown_adds_up_to_the_decisions_score_from_the_rows_and_band_the_engine_fired() -> None:
    policy = load_policy()

    breakdown, band, grade = policy.score_breakdown(ASSESSED, AS_OF)

    decision = policy.evaluate(ASSESSED, as_of=AS_OF, explain=True)
    fired = [t.rule_id for t in decision.trace if t.fired]
    assert breakdown.score == decision.score and grade == decision.grade
    assert band.id == next(r for r in fired if r.startswith("grade."))
    for factor in breakdown.factors:  # the first row of its table that fired, or none: the default points
        assert factor.row == next((r for r in fired if r.startswith(f"score.{factor.factor}.")), None)
    w = breakdown.staff_weight
    assert breakdown.assessed and breakdown.unrounded == (1 - w) * breakdown.rule_score + w * breakdown.staff_score
    assert breakdown.rule_score == sum((f.weight * f.points for f in breakdown.factors), Decimal(0))
    assert [f.staff for f in breakdown.factors] == [80, 70, 60, 50, 60]


def test_credit_policy_test_score_prints_each_cases_blend_under_its_line() -> None:
    shown = CliRunner().invoke(build_app(), ["test", "--score"])
    plain = CliRunner().invoke(build_app(), ["test"])

    lines = shown.stdout.splitlines()
    at = lines.index(next(x for x in lines if x.startswith("ok   long_terms_are_reminded_weeks_ahead")))
    assert lines[at + 1].strip().startswith("score 86.0: band grade.aa at ")
    assert "character 0.35 × 95 (score.character.prompt)" in lines[at + 2]
    assert lines[at + 4].strip() == ("blended: (1 − 0.4) × 87.5 + 0.4 × 83.75 = 86, rounded half up to 86.0 "
                                     "(staff_assessment_weight 0.4)")  # fmt: skip
    assert shown.exit_code == plain.exit_code == 0 and "rules' 5C" not in plain.stdout
