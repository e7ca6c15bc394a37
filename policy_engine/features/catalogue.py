"""The field catalogue: every field a rule may compare, with its type, unit and meaning; the feature windows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policy_engine.domain.values import GRADES, SIGNAL_CODES, VALUE_CLASSES

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
    _f(
        "dbt_small_open_max",
        "integer",
        "Most days past due among open invoices of at most half the median amount of the invoices paid in "
        "the last 12 months or overdue (the median of large_small_lateness_gap; 小额货款都不能支付); "
        "0 when none; needs 4 such invoices",
        "days",
    ),
    _f(
        "part_paid_overdue_count",
        "integer",
        "Open invoices past due on which something but not all was paid (不按清款支付)",
    ),
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
    _f(
        "value_class",
        "enum",
        "Value class from the last portfolio run (ABC analysis of sales: A the top 75%, B the next 20%, C the rest); "
        "absent when not computed",
        values=VALUE_CLASSES,
    ),
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
