"""The value classes a candidate's portfolio.yaml moves (simulate): each customer ranked under both cut-offs and
sales windows, per currency, as the batch ranks them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from adapters.batch.config import PortfolioConfig
from adapters.batch.scan import iter_customer_figures
from policy_engine.portfolio import abc_classes_by_currency


def moved_value_classes(engine: Engine, as_of: date, live: PortfolioConfig,
                   cand: PortfolioConfig) -> dict[str, dict[str, Any]]:  # fmt: skip
    """customer_id → {value_class: [live, candidate], name, currency} for those whose value class would change."""
    if live.abc == cand.abc and live.sales_window_months == cand.sales_window_months:
        return {}
    sales_live: dict[str, Decimal] = {}
    currency: dict[str, str] = {}  # each currency's customers are ranked among themselves, as the batch does
    names: dict[str, str] = {}
    for f in iter_customer_figures(engine, as_of, live):
        sales_live[f.customer_id] = f.sales
        currency[f.customer_id] = f.currency or ""
        names[f.customer_id] = f.name
    if cand.sales_window_months == live.sales_window_months:
        sales_cand = sales_live
    else:
        sales_cand = {f.customer_id: f.sales for f in iter_customer_figures(engine, as_of, cand)}
    a = abc_classes_by_currency(sales_live, currency, live.abc)
    b = abc_classes_by_currency(sales_cand, currency, cand.abc)
    return {c: {"value_class": [a[c], b.get(c, "")], "name": names[c], "currency": currency[c]}
            for c in a if a[c] != b.get(c, "")}  # fmt: skip
