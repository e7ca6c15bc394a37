"""Purchase features: order trend and spikes, open orders, monthly purchases, days since the last purchase."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from policy_engine.domain.models import CustomerSnapshot
from policy_engine.features.payments import _ZERO, _InvoicePurchases

_CENT = Decimal("0.01")


def _months_between(later: date, earlier: date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def _purchase_features(snap: CustomerSnapshot, as_of: date, invoices: _InvoicePurchases, out: dict[str, Any]) -> None:
    days, invoiced, first_recent = invoices
    now = as_of.year * 12 + as_of.month
    recent = [_ZERO, _ZERO, _ZERO]  # ordered this month, 1 and 2 months ago
    prior = open_orders = _ZERO
    oldest = 0  # months back of the first order
    last_order: date | None = None
    for order in snap.orders:
        ordered_on = order.ordered_on
        if ordered_on > as_of:
            continue
        amount = order.amount
        days.add(ordered_on.toordinal())
        ago = now - (ordered_on.year * 12 + ordered_on.month)
        if ago < 3:
            recent[ago] += amount
        elif ago < 15:
            prior += amount
        if ago > oldest:
            oldest = ago
        if order.status == "open":
            open_orders += amount
        if last_order is None or ordered_on > last_order:
            last_order = ordered_on
    out["has_orders"] = last_order is not None
    out["open_orders_amount"] = open_orders
    # The prior window is the 12 months before the last 3, or as much of it as the records cover
    # (`prior` above summed 3 to 14 months back: nothing was ordered before the first order).
    prior_months = min(12, oldest - 2)
    if prior_months > 0 and prior:
        monthly = prior / prior_months
        out["order_trend_ratio"] = float(sum(recent, _ZERO) / 3 / monthly)
        out["order_spike_ratio"] = float(max(recent) / monthly)
    if last_order is not None:
        out["months_since_last_order"] = _months_between(as_of, last_order)

    covered = 12
    if invoiced:
        first_month = _months_between(as_of, date.fromordinal(first_recent)) + 1
        covered = min(12, max(1, out.get("relationship_months", 12), first_month))
    out["avg_monthly_purchases"] = (invoiced / covered).quantize(_CENT)
    out["never_bought"] = not days
    if days:
        today = as_of.toordinal()
        last, first = max(days), min(days)
        out["days_since_last_purchase"] = today - last
        if len(days) >= 3 and last > first:
            out["purchase_interval_ratio"] = (today - last) / ((last - first) / (len(days) - 1))
