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


def _days(a: date, b: date) -> int:
    return (a - b).days


def _months_between(later: date, earlier: date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def _ratio(num: Decimal | None, den: Decimal | None) -> float | None:
    if num is None or den is None or not den:
        return None
    return float(num / den)


def _weighted_days(pairs: list[tuple[float, int]]) -> float:
    total = sum(w for w, _ in pairs)
    return sum(w * d for w, d in pairs) / total if total else 0.0


def _payment_features(snap: CustomerSnapshot, as_of: date, s: FeatureSettings, out: dict[str, Any]) -> None:
    # One pass over the invoices; day counts on ordinals and weights in floats, money sums in Decimal.
    today = as_of.toordinal()
    paid_from = today - s.payment_window_days
    changes_from = today - s.due_change_window_days
    open_count = overdue_count = due_changes = 0
    open_sum = overdue_sum = Decimal(0)
    overdue: list[tuple[float, int]] = []
    paid: list[tuple[float, int]] = []
    lateness: list[tuple[float, int]] = []  # (amount, days late) for the large/small gap
    for inv in snap.invoices:
        open_amount = inv.amount - inv.paid_amount
        due = inv.due_on.toordinal()
        if open_amount > 0:
            open_count += 1
            open_sum += open_amount
            due_changes += inv.due_date_changes
            late = today - due
            if late > 0:
                overdue_count += 1
                overdue_sum += open_amount
                overdue.append((float(open_amount), late))
                lateness.append((float(inv.amount), late))
            continue
        if inv.issued_on.toordinal() >= changes_from:
            due_changes += inv.due_date_changes
        if inv.paid_on is not None and inv.paid_on.toordinal() >= paid_from:
            pair = (float(inv.amount), max(0, inv.paid_on.toordinal() - due))
            paid.append(pair)
            lateness.append(pair)
    out["invoice_count"] = len(snap.invoices)
    out["open_invoice_count"] = open_count
    out["open_receivables"] = open_sum
    out["overdue_count"] = overdue_count
    out["overdue_amount"] = overdue_sum
    out["dbt_open_max"] = max((d for _, d in overdue), default=0)
    out["dbt_open_weighted"] = _weighted_days(overdue)
    out["due_date_changes_90d"] = due_changes
    if paid:
        out["dbt_paid_max"] = max(d for _, d in paid)
        out["dbt_paid_weighted"] = _weighted_days(paid)
        out["late_paid_share"] = sum(1 for _, d in paid if d > 0) / len(paid)
    if len(lateness) >= s.lateness_gap_min_invoices:
        median = sorted(a for a, _ in lateness)[len(lateness) // 2]
        large = [p for p in lateness if p[0] >= median]
        small = [p for p in lateness if p[0] < median]
        if large and small:
            out["large_small_lateness_gap"] = _weighted_days(large) - _weighted_days(small)


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _purchase_features(snap: CustomerSnapshot, as_of: date, out: dict[str, Any]) -> None:
    now = _month_index(as_of)
    by_month: dict[int, Decimal] = {}
    open_orders = Decimal(0)
    last_order: date | None = None
    first_month = now
    order_days = []
    for order in snap.orders:
        if order.ordered_on > as_of:
            continue
        order_days.append(order.ordered_on.toordinal())
        m = _month_index(order.ordered_on)
        by_month[m] = by_month.get(m, Decimal(0)) + order.amount
        first_month = min(first_month, m)
        if order.status == "open":
            open_orders += order.amount
        if last_order is None or order.ordered_on > last_order:
            last_order = order.ordered_on
    out["has_orders"] = last_order is not None
    out["open_orders_amount"] = open_orders
    # The prior window is the 12 months before the last 3, or as much of it as the records cover.
    prior_months = min(12, now - 3 - first_month + 1)
    if prior_months > 0:
        recent = [by_month.get(now - k, Decimal(0)) for k in range(3)]
        prior = sum((by_month.get(now - k, Decimal(0)) for k in range(3, 3 + prior_months)), Decimal(0))
        if prior:
            monthly = prior / prior_months
            out["order_trend_ratio"] = float(sum(recent, Decimal(0)) / 3 / monthly)
            out["order_spike_ratio"] = float(max(recent) / monthly)
    if last_order is not None:
        out["months_since_last_order"] = _months_between(as_of, last_order)

    today = as_of.toordinal()
    year_ago = today - 365
    invoiced = Decimal(0)
    first_recent = today
    purchase_days = set(order_days)
    for inv in snap.invoices:
        issued = inv.issued_on.toordinal()
        if issued > today:
            continue
        purchase_days.add(issued)
        if issued > year_ago:
            invoiced += inv.amount
            first_recent = min(first_recent, issued)
    covered = 12
    if invoiced:
        covered = min(
            12, max(1, out.get("relationship_months", 12), _months_between(as_of, date.fromordinal(first_recent)) + 1)
        )
    out["avg_monthly_purchases"] = (invoiced / covered).quantize(Decimal("0.01"))
    out["never_bought"] = not purchase_days
    if purchase_days:
        last, first = max(purchase_days), min(purchase_days)
        out["days_since_last_purchase"] = today - last
        if len(purchase_days) >= 3 and last > first:
            out["purchase_interval_ratio"] = (today - last) / ((last - first) / (len(purchase_days) - 1))


def _financial_features(snap: CustomerSnapshot, as_of: date, out: dict[str, Any]) -> None:
    statements = sorted((f for f in snap.financials if f.period_end <= as_of), key=lambda f: f.period_end)
    out["has_financials"] = bool(statements)
    if not statements:
        return
    fin = statements[-1]
    out["financials_age_days"] = _days(as_of, fin.period_end)
    ca, cl = fin.current_assets, fin.current_liabilities
    out["current_ratio"] = _ratio(ca, cl)
    if ca is not None and fin.inventory is not None:
        out["quick_ratio"] = _ratio(ca - fin.inventory, cl)
    out["debt_ratio"] = _ratio(fin.total_liabilities, fin.total_assets)
    if fin.equity is not None:
        out["net_worth"] = fin.equity
    elif fin.total_assets is not None and fin.total_liabilities is not None:
        out["net_worth"] = fin.total_assets - fin.total_liabilities
    if ca is not None and cl is not None:
        out["working_capital"] = ca - cl
    out["net_margin"] = _ratio(fin.net_profit, fin.revenue)
    if len(statements) >= 2 and statements[-2].revenue and fin.revenue is not None:
        out["revenue_change_ratio"] = float(fin.revenue / statements[-2].revenue) - 1.0


def compute_features(
    snap: CustomerSnapshot, as_of: date, settings: FeatureSettings = FeatureSettings()
) -> dict[str, Any]:
    """Derive every catalogue field known for this customer; unknown ones are left out."""
    out: dict[str, Any] = {"size": snap.size}
    first_trade = snap.relationship_since or min((i.issued_on for i in snap.invoices), default=None)
    out["relationship_months"] = max(0, _months_between(as_of, first_trade)) if first_trade else 0
    _payment_features(snap, as_of, settings, out)
    _purchase_features(snap, as_of, out)
    _financial_features(snap, as_of, out)
    out["exposure"] = out["open_receivables"] + out["open_orders_amount"]
    if snap.current_limit:
        out["limit_utilisation"] = float(out["exposure"] / snap.current_limit)
    out["never_contacted"] = snap.last_contact_on is None
    if snap.last_contact_on is not None:
        out["days_since_last_contact"] = _days(as_of, snap.last_contact_on)
    if snap.last_review_on is not None:
        out["days_since_last_review"] = _days(as_of, snap.last_review_on)
    window = as_of.toordinal() - settings.signal_window_days
    active = {s.code for s in snap.signals if window <= s.observed_on.toordinal() <= as_of.toordinal()}
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
    return {k: v for k, v in out.items() if v is not None}
