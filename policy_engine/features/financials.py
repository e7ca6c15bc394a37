"""Financial features: the ratios of the latest statement up to the evaluation date (流动比率, 速动比率, …)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from policy_engine.domain.models import CustomerSnapshot


def _set_ratio(out: dict[str, Any], name: str, num: Decimal | None, den: Decimal | None) -> None:
    """out[name] = num / den as a float, unless either is unknown or den is zero (then absent)."""
    if num is not None and den:  # `den` is falsy both when None and when zero
        out[name] = float(num / den)


def _financial_features(snap: CustomerSnapshot, as_of: date, out: dict[str, Any]) -> None:
    # The latest statement (those after as_of are cut) and the one before it; among equal period
    # ends the later in the list counts as later (as a stable sort by period_end would order them).
    fin = prev = None
    for f in snap.financials:
        if fin is None or f.period_end >= fin.period_end:
            fin, prev = f, fin
        elif prev is None or f.period_end >= prev.period_end:
            prev = f
    out["has_financials"] = fin is not None
    if fin is None:
        return
    out["financials_age_days"] = as_of.toordinal() - fin.period_end.toordinal()
    ca, cl = fin.current_assets, fin.current_liabilities
    _set_ratio(out, "current_ratio", ca, cl)
    if ca is not None and fin.inventory is not None:
        _set_ratio(out, "quick_ratio", ca - fin.inventory, cl)
    _set_ratio(out, "debt_ratio", fin.total_liabilities, fin.total_assets)
    if fin.equity is not None:
        out["net_worth"] = fin.equity
    elif fin.total_assets is not None and fin.total_liabilities is not None:
        out["net_worth"] = fin.total_assets - fin.total_liabilities
    if ca is not None and cl is not None:
        out["working_capital"] = ca - cl
    _set_ratio(out, "net_margin", fin.net_profit, fin.revenue)
    if prev is not None and prev.revenue and fin.revenue is not None:
        out["revenue_change_ratio"] = float(fin.revenue / prev.revenue) - 1.0
