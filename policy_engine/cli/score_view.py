"""`credit-policy test --score`: how each case's 5C score is reached, so a case at a band's edge can be written
without working the blend out by hand (before, that meant each factor's row, weight and the staff blend on paper)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from policy_engine.effects import ScoreBreakdown


def _n(value: Decimal) -> str:
    """A decimal without trailing zeros: 0.35, 90, 66.25."""
    text = f"{value.normalize():f}"
    return text


def score_lines(breakdown: ScoreBreakdown, band: Any, grade: str) -> list[str]:
    """The score, its band and grade; the rules' and the staff's weighted 5C, factor by factor; the blend."""
    b = breakdown
    after = "" if grade == band.spec.grade else f"; {grade} after the warning signs"
    lines = [f"score {b.score}: band {band.id} at {band.where} → {band.spec.grade}{after}"]
    rules = " + ".join(f"{f.factor} {_n(f.weight)} × {_n(f.points)} ({f.row or 'default_points'})" for f in b.factors)
    lines.append(f"  rules' 5C {_n(b.rule_score)} = {rules}")
    if not b.assessed:
        lines.append(f"  no staff assessment: the score is the rules' 5C {_n(b.rule_score)}, rounded half up to "
                     f"one decimal")
        return lines
    staff = " + ".join(f"{f.factor} {_n(f.weight)} × {_n(f.points if f.staff is None else f.staff)}"
                       + (" (not scored: the rules' points)" if f.staff is None else "") for f in b.factors)
    lines.append(f"  staff's 5C {_n(b.staff_score)} = {staff}")
    w = _n(b.staff_weight)
    lines.append(f"  blended: (1 − {w}) × {_n(b.rule_score)} + {w} × {_n(b.staff_score)} = {_n(b.unrounded)}, "
                 f"rounded half up to {b.score} (staff_assessment_weight {w})")
    return lines
