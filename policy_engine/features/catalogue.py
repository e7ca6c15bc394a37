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
    minimum: float | None = None
    """The least value the computation can give (0 for a count, days, an amount); None when it can go negative."""
    maximum: float | None = None
    """The greatest value the domain allows (100 for a 5C score, 1 for a share, 9 for a grade rank); None when it has
    no top, or only a typical one (a utilisation passes 1 over the limit)."""
    fraction: bool = False
    """A share or rate people state in percent (0.8 for 80%), not a multiple (a current ratio of 2): lint takes a
    threshold of 5 or more (either sign) on it for a percentage written whole, where its hundredth is `realistic`."""
    realistic: tuple[float, float] | None = None
    """The values real customers have, from low to high (a net margin from a loss of 5 times revenue to all revenue
    as profit): lint reads a threshold outside it whose hundredth lies inside as a percentage written whole."""

    def written_as(self) -> str | None:
        """How a percentage is written on the field: `fraction` (0.8 for 80%), `ratio` (1.5 for 150%), or None when it
        is no share or multiple (an amount, days, a score)."""
        if self.fraction:
            return "fraction"
        return "ratio" if self.realistic is not None else None

    def unit_text(self) -> str:
        """The unit and the bounds (`months, ≥ 0`, `1-9`); a range written as the unit (0-1, 0-100) shows them
        already. A fraction with no unit says so (`fraction, ≥ 0`): 0.8, not 80, is its 80%. Then the realistic range
        lint judges a threshold by, and how a percentage is written (`real values 0 to 10, written as a ratio: 1.5 for
        150%`). What `credit-policy fields` shows, and lint where a field is given no number."""
        unit = self.unit or ("fraction" if self.fraction else "")
        shown = "" if self.minimum is None else f"{self.minimum:g}"
        if self.minimum is not None and not unit.startswith(f"{shown}-"):
            bounds = f"≥ {shown}" if self.maximum is None else f"{shown}-{self.maximum:g}"
            unit = ", ".join(filter(None, (unit, bounds)))
        written = self.written_as()
        if self.realistic is None or written is None:
            return unit
        low, high = self.realistic
        real = f"real values {low:g} to {high:g}, written as a {written}: {_WRITTEN[written]}"
        return "; ".join(filter(None, (unit, real)))


_WRITTEN = {"fraction": "0.8 for 80%", "ratio": "1.5 for 150%"}


def _f(name: str, type_: FieldType, description: str, unit: str = "", **kw: Any) -> FieldSpec:
    return FieldSpec(name, type_, description, unit, **kw)


def _share(name: str, description: str) -> FieldSpec:
    """A share from 0 to 1 that people state in percent."""
    return FieldSpec(name, "number", description, "0-1", minimum=0, maximum=1, fraction=True, realistic=(0, 1))


FEATURES: tuple[FieldSpec, ...] = (
    _f("size", "enum", "Customer size", values=("large", "medium", "small")),
    _f("relationship_months", "integer", "Whole months since the first trade with us", "months", minimum=0),
    _f("invoice_count", "integer", "Invoices on record of more than 0 (one of 0 is no trade)", minimum=0),
    _f("open_invoice_count", "integer", "Invoices not fully paid", minimum=0),
    _f("open_receivables", "number", "Unpaid invoice amounts", "money", money=True, minimum=0),
    _f("overdue_count", "integer", "Open invoices past their due date", minimum=0),
    _f("overdue_amount", "number", "Unpaid amount past due", "money", money=True, minimum=0),
    _f("dbt_open_max", "integer", "Most days past due among open invoices (0 when none)", "days", minimum=0),
    _share(
        "overdue_share",
        "Share of the open balance (open_receivables) that is past due: overdue_amount / open_receivables; "
        "0 when nothing is open",
    ),
    _share(
        "overdue_share_90d_ago",
        "overdue_share as the invoices stood 90 days before (a rise: overdue_share above a level that this was "
        "not); 0 when nothing was open then",
    ),
    _f(
        "dbt_small_open_max",
        "integer",
        "Most days past due among open invoices of at most half the median amount of the invoices paid in "
        "the last 12 months or overdue (the median of large_small_lateness_gap; 小额货款都不能支付); "
        "0 when none; needs 4 such invoices",
        "days",
        minimum=0,
    ),
    _f(
        "part_paid_overdue_count",
        "integer",
        "Open invoices past due on which something but not all was paid (不按清款支付)",
        minimum=0,
    ),
    _f(
        "dbt_open_weighted",
        "number",
        "Days past due of overdue open invoices, weighted by open amount",
        "days",
        minimum=0,
    ),
    _f("dbt_paid_max", "integer", "Most days paid after due, invoices paid in the last 12 months", "days", minimum=0),
    _f("dbt_paid_weighted", "number", "Days paid after due, amount-weighted, last 12 months", "days", minimum=0),
    _share("late_paid_share", "Share of invoices paid in the last 12 months that were paid late"),
    _f(
        "large_small_lateness_gap",
        "number",
        "Amount-weighted lateness of large invoices minus that of small ones, last 12 months "
        "(小额付款及时,大额付款拖延); needs 4 invoices",
        "days",
    ),
    _f(
        "due_date_changes_90d",
        "integer",
        "Times due dates were moved on invoices issued in 90 days or open",
        minimum=0,
    ),
    _f(
        "avg_monthly_purchases",
        "number",
        "Invoiced amount of the last 12 months per month",
        "money",
        money=True,
        minimum=0,
    ),
    _f(
        "order_trend_ratio",
        "number",
        "Monthly orders of the last 3 months / monthly average of the 12 before",
        minimum=0,
        realistic=(0, 10),
    ),
    _f("order_spike_ratio", "number", "Largest month of the last 3 / monthly average of the 12 before", minimum=0,
       realistic=(0, 12)),  # 12: a month as large as the whole year before
    _f("months_since_last_order", "integer", "Whole months since the last order (absent if none)", "months", minimum=0),
    _f("has_orders", "boolean", "Has ever ordered"),
    _f("open_orders_amount", "number", "Orders not yet invoiced", "money", money=True, minimum=0),
    _f("exposure", "number", "Open receivables + open orders", "money", money=True, minimum=0),
    _f("limit_utilisation", "number", "Exposure / current credit limit", "0-1+", minimum=0, fraction=True,
       realistic=(0, 5)),
    _f("has_financials", "boolean", "At least one financial statement on file"),
    _f("financials_age_days", "integer", "Days since the latest statement's period end", "days", minimum=0),
    _f("current_ratio", "number", "Current assets / current liabilities (流动比率)", minimum=0, realistic=(0, 10)),
    # Open: nothing holds the inventory within the current assets, so a statement may make this negative.
    _f("quick_ratio", "number", "(Current assets − inventory) / current liabilities (速动比率)", realistic=(0, 10)),
    _f("debt_ratio", "number", "Total liabilities / total assets (负债比率)", minimum=0, fraction=True,
       realistic=(0, 5)),
    # Open: equity, profit and differences (a gap, working capital) can be negative.
    _f("net_worth", "number", "Equity, or total assets − total liabilities (净资产)", "money", money=True),
    _f("working_capital", "number", "Current assets − current liabilities", "money", money=True),
    # Signed: a loss can be several times revenue (a trade collapsing), but profit is at most all of revenue.
    _f("net_margin", "number", "Net profit / revenue of the latest statement", fraction=True, realistic=(-5, 1)),
    # Revenues are never negative, and a previous one of 0 leaves this out: at worst all revenue gone, −1.
    _f("revenue_change_ratio", "number", "Latest revenue / previous statement's revenue − 1", minimum=-1,
       fraction=True, realistic=(-1, 5)),
    _f("days_since_last_contact", "integer", "Days since staff last contacted the customer", "days", minimum=0),
    _f("never_contacted", "boolean", "Staff never recorded a contact"),
    _f("days_since_last_purchase", "integer", "Days since the last invoice or order", "days", minimum=0),
    _f("never_bought", "boolean", "No invoice and no order on record"),
    _f("purchase_interval_ratio", "number", "Days since last purchase / average days between purchases", minimum=0),
    _f("days_since_last_review", "integer", "Days since the last credit review", "days", minimum=0),
    _f("signal_count", "integer", "Warning signs observed by staff within the signal window", minimum=0),
    _f("has_assessment", "boolean", "Staff have scored the customer on the 5C"),
    _f("assess_character", "number", "Staff's 5C score: character 品质", "0-100", minimum=0, maximum=100),
    _f("assess_capacity", "number", "Staff's 5C score: capacity 能力", "0-100", minimum=0, maximum=100),
    _f("assess_capital", "number", "Staff's 5C score: capital 资本", "0-100", minimum=0, maximum=100),
    _f("assess_collateral", "number", "Staff's 5C score: collateral 抵押", "0-100", minimum=0, maximum=100),
    _f("assess_conditions", "number", "Staff's 5C score: conditions 经济环境", "0-100", minimum=0, maximum=100),
    _f("current_grade", "enum", "Grade the customer holds today", values=GRADES),
    _f("current_grade_rank", "integer", "Rank of the grade held today (AAA 1 … C 9)", minimum=1,
       maximum=len(GRADES)),
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
