"""Portfolio settings of a policy: the `kind: portfolio` rule file (rules/portfolio.yaml), as exact values.

The rule loader validates that file (lint names file and line) and its text is part of the policy
version, so a change to the cut-offs is a new batch run like any other rule change.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from policy_engine.portfolio import AbcCutoffs

GROWTH_MIN_SALES = Decimal("10000.00")
"""Growth is ranked only for customers with at least this much in the previous window."""

GIVE_UP_MIN_RELATIONSHIP_DAYS = 365
"""Customers trading with us for less than this are never flagged for the give-up review."""


@dataclass(frozen=True)
class PortfolioConfig:
    """ABC cut-offs (cumulative), sales window, ranking size and give-up share."""

    abc: AbcCutoffs = field(default_factory=AbcCutoffs)
    sales_window_months: int = 12
    top_n: int = 10
    give_up_share: Decimal = Decimal("0.05")
    growth_min_sales: Decimal = GROWTH_MIN_SALES
    give_up_min_relationship_days: int = GIVE_UP_MIN_RELATIONSHIP_DAYS

    def window_start(self, as_of: date, windows: int = 1) -> date:
        """The day before the first day of the sales window (`windows` windows back)."""
        return months_before(as_of, self.sales_window_months * windows)

    def describe(self) -> dict[str, Any]:
        """The settings as JSON-friendly values (for summaries and the report)."""
        return {"a_share": str(self.abc.a), "b_share": str(self.abc.b - self.abc.a),
                "sales_window_months": self.sales_window_months, "top_n": self.top_n,
                "give_up_share": str(self.give_up_share)}  # fmt: skip


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _exact(value: float) -> Decimal:
    # The rule file's shares are short decimals; their text is the exact value meant.
    return Decimal(str(value))


def portfolio_config(policy: Any) -> PortfolioConfig:
    """The portfolio settings of a loaded Policy (the defaults of DOMAIN.md when it has none)."""
    book = policy.program.kinds.get("portfolio")
    if book is None:
        return PortfolioConfig()
    a = _exact(book.value_classes.a_share)
    return PortfolioConfig(
        abc=AbcCutoffs(a=a, b=a + _exact(book.value_classes.b_share)),
        sales_window_months=int(book.value_classes.sales_window_months),
        top_n=int(book.key_customer_ranking_size),
        give_up_share=_exact(book.give_up_share),
    )
