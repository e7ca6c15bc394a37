"""The credit limit, how long it holds and the next review date."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from policy_engine.domain.values import MAX_MONEY
from policy_engine.effects.decimals import _CENT, _ZERO, _dec
from policy_engine.ir import CompiledRule


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def credit_limit(formula: Any, ctx: dict[str, Any], factor: float) -> Decimal:
    """Months of purchases and a share of net worth, the lower (or higher) wins; floor, cap, factor, rounding;
    always below MAX_MONEY, as every amount is."""
    terms = []
    if formula.months_of_purchases is not None:
        terms.append(_dec(formula.months_of_purchases) * ctx.get("avg_monthly_purchases", _ZERO))
    if formula.share_of_net_worth is not None and "net_worth" in ctx:
        terms.append(_dec(formula.share_of_net_worth) * max(_ZERO, ctx["net_worth"]))
    value = (min(terms) if formula.combine == "lowest" else max(terms)) if terms else _ZERO
    value = max(value, _dec(formula.floor))
    if formula.cap is not None:
        value = min(value, _dec(formula.cap))
    # Held below the bound every amount is (values.MAX_MONEY): a rule set without a cap may take 36 months of
    # purchases or 5 × net worth of inputs near it, and a stored limit past it failed the next read (quarantine).
    value = min(value * _dec(factor), MAX_MONEY - _CENT)
    step = _dec(formula.round_down_to)
    return ((value / step).to_integral_value(rounding=ROUND_DOWN) * step).quantize(_CENT)


def next_review(last_review: date | None, as_of: date, row: CompiledRule, ctx: dict[str, Any]) -> date:
    """Today when urgent or overdue; else the last review plus the class's interval."""
    if ctx["urgent_review"] or last_review is None:
        return as_of
    return max(as_of, add_months(last_review, row.spec.interval_months))
