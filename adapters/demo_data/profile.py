"""The credit profile each demo customer holds today, and its ABC value class across the portfolio."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

GRADE_CUTS = ((88, "AAA"), (82, "AA"), (76, "A"), (70, "BBB"), (64, "BB"), (58, "B"), (50, "CCC"), (42, "CC"))
LIMIT_MONTHS = {"A": 3.0, "B": 2.0, "C": 1.0}
REVIEW_DAYS = {"A": 182, "B": 91, "C": 30}  # 000: A every six months, B three, C monthly


@dataclass(frozen=True)
class ProfileSeed:
    """What the generator knows about a trading customer: its 5C average, monthly sales, 12-month sales."""

    customer_id: str
    score: float
    monthly: float
    sales_12m_cents: int


def grade_for(score: float) -> str:
    """Nine grades from the 5C average."""
    for cut, grade in GRADE_CUTS:
        if score >= cut:
            return grade
    return "C"


def value_classes(seeds: Sequence[ProfileSeed]) -> dict[str, str]:
    """ABC by cumulative 12-month sales: the top 75% of sales A, the next 20% B, the last 5% C."""
    ranked = sorted(seeds, key=lambda s: (-s.sales_12m_cents, s.customer_id))
    total = sum(s.sales_12m_cents for s in ranked) or 1
    classes, running = {}, 0
    for seed in ranked:
        share_before = running / total
        classes[seed.customer_id] = "A" if share_before < 0.75 else "B" if share_before < 0.95 else "C"
        running += seed.sales_12m_cents
    return classes


def profile_rows(seeds: Sequence[ProfileSeed], as_of: date, pick: list[int]) -> list[tuple[object, ...]]:
    """credit_profiles rows (writer.COLUMNS order); `pick` gives each a validity offset in days."""
    classes = value_classes(seeds)
    rows: list[tuple[object, ...]] = []
    for seed, offset in zip(seeds, pick, strict=True):
        grade = grade_for(seed.score)
        grade_class = grade[0]
        limit = int(seed.monthly * LIMIT_MONTHS[grade_class] / 1000) * 1000
        reviewed = as_of - timedelta(days=offset % REVIEW_DAYS[grade_class])
        rows.append((
            seed.customer_id, grade, grade_class, classes[seed.customer_id], f"{limit}.00", "CNY",
            (as_of + timedelta(days=offset - 30)).isoformat(),
            (reviewed + timedelta(days=REVIEW_DAYS[grade_class])).isoformat(),
            round(seed.score, 1), "demo-data", as_of.isoformat(),
        ))  # fmt: skip
    return rows
