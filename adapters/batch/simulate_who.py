"""Who a simulated change is about and why: each changed customer's segment, size, exposure and the rules
behind its move, and the changes counted per segment.

A head of credit asks "which customers lose more than a fifth of their limit, and how much of what they owe is
then over it?" and "which rule moved them?". Before, a change named only the customer and its compared facts:
neither the exposure over the new limit nor the rule that moved it could be read from the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from policy_engine.domain.models import CustomerDecision
from policy_engine.domain.values import GRADE_RANK

WHO = ("segment", "size", "exposure", "available_credit", "live_grade", "live_grade_class", "why")
"""What a change carries about the customer and its causes: not compared facts."""


SETTINGS_EVERYWHERE = frozenset({"features", "warning_signs"})
"""What a feature window or warning signs' `combine` decides reaches every compared fact: named for every change."""


def why(fired_live: list[str], fired_candidate: list[str], changed_rule_ids: frozenset[str],
        settings: list[str] | None = None) -> dict[str, list[str]]:  # fmt: skip
    """The causes of one customer's move: the rules the candidate changes (adds, removes, edits or moves) that fired
    for it under either policy, those that fire for it under one policy only, and the changed `settings` behind it."""
    live, cand = set(fired_live), set(fired_candidate)
    return {"changed_rules": sorted((live | cand) & changed_rule_ids),
            "fires_now": sorted(cand - live), "no_longer_fires": sorted(live - cand),
            "changed_settings": settings or []}  # fmt: skip


def settings_behind(settings: tuple[tuple[str, str], ...], moved: set[str]) -> list[str]:
    """Of the changed `settings` (name, what it decides: simulate_settings.AFFECTS), those that can have moved a
    customer whose `moved` facts (`score`, `grade`, `grade_class`, `order_outcome`, `value_class`, ...) differ: a
    scorecard weight only where the score moved, a band's range only where the grade did. Before, a change made by a
    setting alone had an empty why."""
    return [name for name, affects in settings if affects in SETTINGS_EVERYWHERE or affects in moved]


def who(live: CustomerDecision, cand: CustomerDecision, segment: str, size: str,
        reasons: dict[str, list[str]]) -> dict[str, Any]:  # fmt: skip
    """A changed customer's segment, size, exposure (the same under both: it is the customer's, not the rules')
    and available credit under each policy (negative: that much of the exposure is over the limit), its grade and
    grade class under the live rules (changed or not: `--grade-class` selects on it), and why."""
    return {"segment": segment, "size": size, "exposure": live.exposure,
            "available_credit": [live.available_credit, cand.available_credit], "live_grade": live.grade,
            "live_grade_class": live.grade_class, "why": reasons}


def over_limit(available_credit: Decimal | str) -> Decimal:
    """The part of the exposure over the credit limit (0 within it), from the available credit (limit − exposure)."""
    return max(Decimal("0.00"), -Decimal(str(available_credit)))


@dataclass
class SegmentRow:
    """One segment's customers in one currency: how many, how many change, and the sums under both policies."""

    customers: int = 0
    changed: int = 0
    grade_down: int = 0
    grade_up: int = 0
    limit_cut: int = 0
    limit_raised: int = 0
    extended: list[Decimal] = field(default_factory=lambda: [Decimal(0), Decimal(0)])
    over_limit: list[Decimal] = field(default_factory=lambda: [Decimal(0), Decimal(0)])

    def add(self, live: CustomerDecision, cand: CustomerDecision, changed: bool) -> None:
        """Count one customer's two decisions."""
        self.customers += 1
        self.changed += changed
        move = GRADE_RANK[cand.grade] - GRADE_RANK[live.grade]
        self.grade_down += move > 0
        self.grade_up += move < 0
        self.limit_cut += cand.credit_limit < live.credit_limit
        self.limit_raised += cand.credit_limit > live.credit_limit
        for side, decision in enumerate((live, cand)):
            self.extended[side] += decision.credit_limit
            self.over_limit[side] += over_limit(decision.available_credit)

    def merge(self, other: SegmentRow) -> None:
        """Add another chunk's row."""
        for name in ("customers", "changed", "grade_down", "grade_up", "limit_cut", "limit_raised"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for side in (0, 1):
            self.extended[side] += other.extended[side]
            self.over_limit[side] += other.over_limit[side]


def merge_segments(into: dict[tuple[str, str], SegmentRow], other: dict[tuple[str, str], SegmentRow]) -> None:
    """Add another chunk's segment rows."""
    for key, row in other.items():
        into.setdefault(key, SegmentRow()).merge(row)


def segment_rows(segments: dict[tuple[str, str], SegmentRow]) -> list[dict[str, Any]]:
    """Per segment and currency (empty segment: not recorded): the customers, those that change, grades and limits
    moved, the credit extended and the exposure over the limit under both; most changed customers first."""
    rows: list[dict[str, Any]] = []
    for (segment, currency), r in segments.items():
        rows.append({"segment": segment, "currency": currency, "customers": r.customers, "changed": r.changed,
                     "grade_down": r.grade_down, "grade_up": r.grade_up, "limit_cut": r.limit_cut,
                     "limit_raised": r.limit_raised, "credit_extended": _pair(r.extended),
                     "over_limit": _pair(r.over_limit)})  # fmt: skip
    rows.sort(key=lambda r: (-r["changed"], r["segment"], r["currency"]))
    return rows


def _pair(sums: list[Decimal]) -> dict[str, str]:
    return {"live": str(sums[0]), "candidate": str(sums[1]), "change": str(sums[1] - sums[0])}
