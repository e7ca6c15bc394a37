"""The feature catalogue: typed, documented values derived from a snapshot as of a date.

Rule files compare these fields; the evaluator sends the engine only the ones its rules use.
A value that cannot be known for a customer (no statement, never ordered) is absent, and any
comparison on an absent value is false, also under `not` (see rules/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from policy_engine.domain.models import CustomerSnapshot
from policy_engine.domain.values import GRADE_RANK, GRADES, SIGNAL_CODES

FieldType = str  # "number" | "integer" | "boolean" | "enum"


@dataclass(frozen=True)
class FieldSpec:
    """One field a rule may compare: its type, unit and meaning."""

    name: str
    type: FieldType
    description: str
    unit: str = ""
    values: tuple[str, ...] = ()
    money: bool = False


def _f(name: str, type_: FieldType, description: str, unit: str = "", **kw: Any) -> FieldSpec:
    return FieldSpec(name, type_, description, unit, **kw)


FEATURES: tuple[FieldSpec, ...] = (
    _f("size", "enum", "Customer size", values=("large", "medium", "small")),
    _f("relationship_months", "integer", "Whole months since the first trade with us", "months"),
    _f("invoice_count", "integer", "Invoices on record"),
    _f("open_invoice_count", "integer", "Invoices not fully paid"),
    _f("open_receivables", "number", "Unpaid invoice amounts", "money", money=True),
    _f("overdue_count", "integer", "Open invoices past their due date"),
    _f("overdue_amount", "number", "Unpaid amount past due", "money", money=True),
    _f("dbt_open_max", "integer", "Most days past due among open invoices (0 when none)", "days"),
    _f("dbt_open_weighted", "number", "Days past due of overdue open invoices, weighted by open amount", "days"),
    _f("dbt_paid_max", "integer", "Most days paid after due, invoices paid in the last 12 months", "days"),
    _f("dbt_paid_weighted", "number", "Days paid after due, amount-weighted, last 12 months", "days"),
    _f("late_paid_share", "number", "Share of invoices paid in the last 12 months that were paid late", "0-1"),
    _f(
        "large_small_lateness_gap",
        "number",
        "Amount-weighted lateness of large invoices minus that of small ones, last 12 months "
        "(小额付款及时,大额付款拖延); needs 4 invoices",
        "days",
    ),
    _f("due_date_changes_90d", "integer", "Times due dates were moved on invoices issued in 90 days or open"),
    _f("avg_monthly_purchases", "number", "Invoiced amount of the last 12 months per month", "money", money=True),
    _f("order_trend_ratio", "number", "Monthly orders of the last 3 months / monthly average of the 12 before"),
    _f("order_spike_ratio", "number", "Largest month of the last 3 / monthly average of the 12 before"),
    _f("months_since_last_order", "integer", "Whole months since the last order (absent if none)", "months"),
    _f("has_orders", "boolean", "Has ever ordered"),
    _f("open_orders_amount", "number", "Orders not yet invoiced", "money", money=True),
    _f("exposure", "number", "Open receivables + open orders", "money", money=True),
    _f("limit_utilisation", "number", "Exposure / current credit limit", "0-1+"),
    _f("has_financials", "boolean", "At least one financial statement on file"),
    _f("financials_age_days", "integer", "Days since the latest statement's period end", "days"),
    _f("current_ratio", "number", "Current assets / current liabilities (流动比率)"),
    _f("quick_ratio", "number", "(Current assets − inventory) / current liabilities (速动比率)"),
    _f("debt_ratio", "number", "Total liabilities / total assets (负债比率)"),
    _f("net_worth", "number", "Equity, or total assets − total liabilities (净资产)", "money", money=True),
    _f("working_capital", "number", "Current assets − current liabilities", "money", money=True),
    _f("net_margin", "number", "Net profit / revenue of the latest statement"),
    _f("revenue_change_ratio", "number", "Latest revenue / previous statement's revenue − 1"),
    _f("days_since_last_contact", "integer", "Days since staff last contacted the customer", "days"),
    _f("never_contacted", "boolean", "Staff never recorded a contact"),
    _f("days_since_last_purchase", "integer", "Days since the last invoice or order", "days"),
    _f("never_bought", "boolean", "No invoice and no order on record"),
    _f("purchase_interval_ratio", "number", "Days since last purchase / average days between purchases"),
    _f("days_since_last_review", "integer", "Days since the last credit review", "days"),
    _f("signal_count", "integer", "Warning signs observed by staff within the signal window"),
    _f("has_assessment", "boolean", "Staff have scored the customer on the 5C"),
    _f("assess_character", "number", "Staff's 5C score: character 品质", "0-100"),
    _f("assess_capacity", "number", "Staff's 5C score: capacity 能力", "0-100"),
    _f("assess_capital", "number", "Staff's 5C score: capital 资本", "0-100"),
    _f("assess_collateral", "number", "Staff's 5C score: collateral 抵押", "0-100"),
    _f("assess_conditions", "number", "Staff's 5C score: conditions 经济环境", "0-100"),
    _f("current_grade", "enum", "Grade the customer holds today", values=GRADES),
    _f("current_grade_rank", "integer", "Rank of the grade held today (AAA 1 … C 9)"),
) + tuple(_f(f"signal_{code}", "boolean", f"Staff observed `{code}` within the signal window") for code in SIGNAL_CODES)

FEATURE_BY_NAME = {spec.name: spec for spec in FEATURES}
SIGNAL_FIELDS = frozenset(f"signal_{code}" for code in SIGNAL_CODES)
"""Flags that are never unknown: absent means false (so facts stay small); the compiler knows."""


@dataclass(frozen=True)
class FeatureSettings:
    """Tunable windows of the feature computation (policy.yaml `features:`)."""

    signal_window_days: int = 180
    payment_window_days: int = 365
    due_change_window_days: int = 90
    lateness_gap_min_invoices: int = 4


_ZERO = Decimal(0)  # Decimals are immutable: one shared zero instead of building one per use
_CENT = Decimal("0.01")


def _months_between(later: date, earlier: date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def _set_ratio(out: dict[str, Any], name: str, num: Decimal | None, den: Decimal | None) -> None:
    """out[name] = num / den as a float, unless either is unknown or den is zero (then absent)."""
    if num is not None and den:  # `den` is falsy both when None and when zero
        out[name] = float(num / den)


def _weighted_days(weights: list[float], weighted_days: list[float]) -> float:
    """sum(w·d) / sum(w) from parallel lists of w and w·d, 0.0 when the weights add up to nothing.

    sum() of lists rather than running `+=` totals: from Python 3.12 sum() adds floats with
    compensation (Neumaier), so a plain running total could differ in the last bit there.
    """
    total = sum(weights)
    return sum(weighted_days) / total if total else 0.0


def _lateness_gap(weights: list[float], weighted_days: list[float]) -> float | None:
    """Weighted days late of the invoices at or above the median amount minus that of those below."""
    median = sorted(weights)[len(weights) // 2]
    large_w: list[float] = []
    large_wd: list[float] = []
    small_w: list[float] = []
    small_wd: list[float] = []
    for w, wd in zip(weights, weighted_days, strict=True):  # one loop beats four filtering comprehensions
        if w >= median:
            large_w.append(w)
            large_wd.append(wd)
        else:
            small_w.append(w)
            small_wd.append(wd)
    if not small_w:  # (the median itself is always large)
        return None
    return _weighted_days(large_w, large_wd) - _weighted_days(small_w, small_wd)


_InvoicePurchases = tuple[set[int], Decimal, int]
"""What the invoice pass hands to _purchase_features: the issue days up to as_of (ordinals), the
amount invoiced in the last 365 days and the first issue day among those (as_of's if none)."""


def _payment_features(
    snap: CustomerSnapshot, as_of: date, s: FeatureSettings, out: dict[str, Any]
) -> _InvoicePurchases:
    # One pass over the invoices, which also collects their part of the purchase features.
    # Day counts on ordinals; money sums in Decimal, exact (every total stays far below the 28
    # digits of the context, see MAX_MONEY); weights in floats, kept in lists for _weighted_days.
    today = as_of.toordinal()
    paid_from = today - s.payment_window_days
    changes_from = today - s.due_change_window_days
    year_ago = today - 365
    open_count = overdue_count = due_changes = open_max = paid_max = late_paid = 0
    open_sum = overdue_sum = invoiced = _ZERO
    first_recent = today
    days: set[int] = set()
    overdue_w: list[float] = []  # open amount of each overdue invoice …
    overdue_wd: list[float] = []  # … times its days past due
    paid_w: list[float] = []  # amount of each invoice paid in the window …
    paid_wd: list[float] = []  # … times its days paid late
    # The lateness gap weighs the paid invoices and the overdue ones, in invoice order. Overdue
    # ones are rare, so rather than a third pair of lists: where each goes among the paid ones.
    overdue_gap: list[tuple[int, float, float]] = []  # (index into paid_w, amount, amount × days)
    for inv in snap.invoices:
        # Fields straight from the model's __dict__ (where pydantic keeps them): BaseModel's
        # attribute hook costs ~40 ns a read, and this loop may see thousands of invoices.
        fields = inv.__dict__
        amount: Decimal = fields["amount"]
        issued: int = fields["issued_on"].toordinal()
        if issued <= today:
            days.add(issued)
            if issued > year_ago:
                invoiced += amount
                if issued < first_recent:
                    first_recent = issued
        paid_amount: Decimal = fields["paid_amount"]
        if paid_amount < amount:  # open: something is still owed
            open_amount = amount - paid_amount
            open_count += 1
            open_sum += open_amount
            due_changes += fields["due_date_changes"]
            late = today - fields["due_on"].toordinal()
            if late > 0:
                overdue_count += 1
                overdue_sum += open_amount
                if late > open_max:
                    open_max = late
                # float() of a Decimal costs ~0.25 µs: with nothing paid yet the open amount is
                # the amount, and so is its float.
                w = float(amount)
                w_open = float(open_amount) if paid_amount else w
                overdue_w.append(w_open)
                overdue_wd.append(w_open * late)
                overdue_gap.append((len(paid_w), w, w * late))
            continue
        if issued >= changes_from:
            due_changes += fields["due_date_changes"]
        paid_on: date | None = fields["paid_on"]
        if paid_on is not None:
            paid = paid_on.toordinal()
            if paid >= paid_from:
                late = paid - fields["due_on"].toordinal()
                if late > 0:
                    late_paid += 1
                    if late > paid_max:
                        paid_max = late
                else:
                    late = 0  # paid early counts as paid on time
                w = float(amount)
                paid_w.append(w)
                paid_wd.append(w * late)
    out["invoice_count"] = len(snap.invoices)
    out["open_invoice_count"] = open_count
    out["open_receivables"] = open_sum
    out["overdue_count"] = overdue_count
    out["overdue_amount"] = overdue_sum
    out["dbt_open_max"] = open_max
    out["dbt_open_weighted"] = _weighted_days(overdue_w, overdue_wd)
    out["due_date_changes_90d"] = due_changes
    if paid_w:
        out["dbt_paid_max"] = paid_max
        out["dbt_paid_weighted"] = _weighted_days(paid_w, paid_wd)
        out["late_paid_share"] = late_paid / len(paid_w)
    if len(paid_w) + len(overdue_gap) >= s.lateness_gap_min_invoices:
        gap_w, gap_wd = paid_w, paid_wd
        if overdue_gap:  # merge the overdue invoices in among the paid ones
            gap_w, gap_wd, done = [], [], 0
            for at, w, wd in overdue_gap:
                gap_w += paid_w[done:at]
                gap_wd += paid_wd[done:at]
                gap_w.append(w)
                gap_wd.append(wd)
                done = at
            gap_w += paid_w[done:]
            gap_wd += paid_wd[done:]
        gap = _lateness_gap(gap_w, gap_wd)
        if gap is not None:
            out["large_small_lateness_gap"] = gap
    return days, invoiced, first_recent


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


def _financial_features(snap: CustomerSnapshot, as_of: date, out: dict[str, Any]) -> None:
    # The latest statement up to as_of and the one before it; among equal period ends the later
    # in the list counts as later (as a stable sort by period_end would order them).
    fin = prev = None
    for f in snap.financials:
        if f.period_end > as_of:
            continue
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


def compute_features(
    snap: CustomerSnapshot, as_of: date, settings: FeatureSettings = FeatureSettings()
) -> dict[str, Any]:
    """Derive every catalogue field known for this customer; unknown ones are left out."""
    # Only known values are ever stored, so there are no None values to drop at the end.
    out: dict[str, Any] = {"size": snap.size}
    first_trade = snap.relationship_since or min((i.issued_on for i in snap.invoices), default=None)
    out["relationship_months"] = max(0, _months_between(as_of, first_trade)) if first_trade else 0
    _purchase_features(snap, as_of, _payment_features(snap, as_of, settings, out), out)
    _financial_features(snap, as_of, out)
    out["exposure"] = exposure = out["open_receivables"] + out["open_orders_amount"]
    if snap.current_limit:
        out["limit_utilisation"] = float(exposure / snap.current_limit)
    today = as_of.toordinal()
    contact = snap.last_contact_on
    out["never_contacted"] = contact is None
    if contact is not None:
        out["days_since_last_contact"] = today - contact.toordinal()
    if snap.last_review_on is not None:
        out["days_since_last_review"] = today - snap.last_review_on.toordinal()
    window = today - settings.signal_window_days
    active = {s.code for s in snap.signals if window <= s.observed_on.toordinal() <= today}
    for code in active:  # only observed signs are sent: an absent flag means "not observed" (see SIGNAL_FIELDS)
        out[f"signal_{code}"] = True
    out["signal_count"] = len(active)
    a = snap.assessment
    out["has_assessment"] = a is not None
    if a is not None:
        out.update(
            assess_character=a.character,
            assess_capacity=a.capacity,
            assess_capital=a.capital,
            assess_collateral=a.collateral,
            assess_conditions=a.conditions,
        )
    if snap.current_grade is not None:
        out["current_grade"] = snap.current_grade
        out["current_grade_rank"] = GRADE_RANK[snap.current_grade]
    return out
