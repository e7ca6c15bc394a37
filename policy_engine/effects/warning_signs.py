"""The combined effect of the warning signs that fired: notches, grade cap, limit factor, holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from policy_engine.domain.values import GRADE_RANK
from policy_engine.ir import CompiledRule


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
