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
    """Write the purchase features to `out`: orders, monthly purchases, purchase recency."""
    days, invoiced, first_recent = invoices
    _order_features(snap, as_of, days, out)
    _monthly_purchases(as_of, invoiced, first_recent, out)
    _purchase_recency(as_of, days, out)


def _order_features(snap: CustomerSnapshot, as_of: date, days: set[int], out: dict[str, Any]) -> None:
    """Open orders, the order trend and spike, months since the last order; adds the order days to `days`."""
    now = as_of.year * 12 + as_of.month
    recent = [_ZERO, _ZERO, _ZERO]  # ordered this month, 1 and 2 months ago
    prior = open_orders = _ZERO
    oldest = 0  # months back of the first order
    last_order: date | None = None
    for order in snap.orders:
        amount = order.amount
        if not amount:  # a placeholder or an order cancelled in full: no order, no purchase (models.Order)
            continue
        ordered_on = order.ordered_on
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
    _order_trend(recent, prior, oldest, out)
    if last_order is not None:
        out["months_since_last_order"] = _months_between(as_of, last_order)


def _order_trend(recent: list[Decimal], prior: Decimal, oldest: int, out: dict[str, Any]) -> None:
    """The last 3 months' orders against the monthly average of the 12 before: trend and spike ratios."""
    # The prior window is the 12 months before the last 3, or as much of it as the records cover
    # (`prior` summed 3 to 14 months back: nothing was ordered before the first order).
    prior_months = min(12, oldest - 2)
    if prior_months > 0 and prior:
        monthly = prior / prior_months
        out["order_trend_ratio"] = float(sum(recent, _ZERO) / 3 / monthly)
        out["order_spike_ratio"] = float(max(recent) / monthly)


def _monthly_purchases(as_of: date, invoiced: Decimal, first_recent: int, out: dict[str, Any]) -> None:
    """Invoiced in the last 12 months over the months of them the relationship covers."""
    covered = 12
    if invoiced:
        first_month = _months_between(as_of, date.fromordinal(first_recent)) + 1
        covered = min(12, max(1, out.get("relationship_months", 12), first_month))
    out["avg_monthly_purchases"] = (invoiced / covered).quantize(_CENT)


def _purchase_recency(as_of: date, days: set[int], out: dict[str, Any]) -> None:
    """Never bought, days since the last purchase, and that gap against the usual one between purchases."""
    out["never_bought"] = not days
    if days:
        today = as_of.toordinal()
        last, first = max(days), min(days)
        out["days_since_last_purchase"] = today - last
        if len(days) >= 3 and last > first:
            out["purchase_interval_ratio"] = (today - last) / ((last - first) / (len(days) - 1))
