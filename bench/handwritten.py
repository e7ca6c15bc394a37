"""The default policy (rules/*.yaml as shipped) written out by hand in plain Python: the practical limit.

Every threshold, weight and effect is typed in here, not read from the rule files, so this module
only agrees with the engine while the files keep their shipped values; bench_decisions.py and
tests/unit/test_bench_equivalence.py check that it does, customer by customer.

    rate(features)                       → (score, grade, [warning rule ids])  scorecard + grades + warnings
    decide(snapshot, features, as_of)    → CustomerDecision                    the whole decision

Semantics kept from the rule language: a comparison on a missing feature is false.
Action messages are written in the engine's style but are not compared; everything else is.
The decision is built like the engine builds its own (see `_build`).
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any

from policy_engine.domain import models
from policy_engine.domain.models import Action, CustomerDecision, CustomerSnapshot, Reason

# Output objects are built the way the engine path builds them (so the comparison is fair):
# `models.trusted` (unvalidated construction) where the engine has it, else pydantic's model_construct.
_build: Any = getattr(models, "trusted", None) or (lambda cls, **values: cls.model_construct(**values))

GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
CLASS = {"AAA": "A", "AA": "A", "A": "A", "BBB": "B", "BB": "B", "B": "B", "CCC": "C", "CC": "C", "C": "C"}
STAFF_TENTHS = 4  # staff_assessment_weight 0.4, in tenths
MAX_DOWNGRADE = 4
_CENT = Decimal("0.01")
_THOUSAND = Decimal(1000)
_ZERO = Decimal(0)
_ONE = Decimal(1)


def _two_places(value: Decimal) -> Decimal:
    """An amount with at least two decimal places, as a decision's messages show it."""
    return value if value.as_tuple().exponent <= -2 else value.quantize(_CENT)  # type: ignore[operator]


# --- the 5C scorecard --------------------------------------------------------------------------------
# Each factor: (points, row id, evidence fields) of the first matching row, or (default, None, ()).

_CHAR_F3 = ("dbt_paid_weighted", "late_paid_share", "overdue_count")
_CHAR_F2 = ("dbt_open_max", "dbt_paid_weighted")


def _character(f: dict[str, Any]) -> tuple[float, str | None, tuple[str, ...]]:
    pw = f.get("dbt_paid_weighted")
    om = f.get("dbt_open_max")
    if pw is not None:
        share = f.get("late_paid_share")
        if pw <= 3 and share is not None and share <= 0.1 and f.get("overdue_count") == 0:
            return 95, "score.character.prompt", _CHAR_F3
        if om is not None:
            if pw <= 10 and om <= 15:
                return 80, "score.character.mostly_prompt", _CHAR_F2
            if pw <= 30 and om <= 45:
                return 55, "score.character.slow", _CHAR_F2
    if (pw is not None and pw > 30) or (om is not None and om > 45):
        return 20, "score.character.very_slow", _CHAR_F2
    return 50, None, ()


_CAP_F = ("current_ratio",)


def _capacity(f: dict[str, Any]) -> tuple[float, str | None, tuple[str, ...]]:
    cr = f.get("current_ratio")
    if cr is None:
        return 45, None, ()
    if cr >= 2:
        return 95, "score.capacity.strong", _CAP_F
    if cr >= 1.5:
        return 80, "score.capacity.sound", _CAP_F
    if cr >= 1.2:
        return 65, "score.capacity.adequate", _CAP_F
    if cr >= 1:
        return 45, "score.capacity.thin", _CAP_F
    return 20, "score.capacity.weak", _CAP_F


_CAPITAL_F = ("debt_ratio", "net_worth")


def _capital(f: dict[str, Any]) -> tuple[float, str | None, tuple[str, ...]]:
    dr = f.get("debt_ratio")
    nw = f.get("net_worth")
    if dr is not None and nw is not None and nw > 0:
        if dr <= 0.4:
            return 90, "score.capital.strong", _CAPITAL_F
        if dr <= 0.6:
            return 70, "score.capital.sound", _CAPITAL_F
        if dr <= 0.8:
            return 45, "score.capital.stretched", _CAPITAL_F
    if (dr is not None and dr > 0.8) or (nw is not None and nw <= 0):
        return 15, "score.capital.weak", _CAPITAL_F
    return 45, None, ()


_COLL_F = ("net_worth", "size")


def _collateral(f: dict[str, Any]) -> tuple[float, str | None, tuple[str, ...]]:
    nw = f.get("net_worth")
    if nw is not None and nw > 0:
        size = f.get("size")
        if size == "large":
            return 75, "score.collateral.large", _COLL_F
        if size == "medium":
            return 55, "score.collateral.medium", _COLL_F
    return 40, None, ()


_COND_F = ("order_trend_ratio",)


def _conditions(f: dict[str, Any]) -> tuple[float, str | None, tuple[str, ...]]:
    t = f.get("order_trend_ratio")
    if t is None:
        return 50, None, ()
    if t >= 1.1:
        return 85, "score.conditions.growing", _COND_F
    if t >= 0.8:
        return 65, "score.conditions.steady", _COND_F
    if t >= 0.5:
        return 40, "score.conditions.softening", _COND_F
    return 20, "score.conditions.falling", _COND_F


def _score(f: dict[str, Any]) -> tuple[float, list[tuple[str, str, tuple[str, ...]]]]:
    """The score (rounded to 0.1) and the rows that gave it: (row id, reason code, evidence fields)."""
    c1, r1, f1 = _character(f)
    c2, r2, f2 = _capacity(f)
    c3, r3, f3 = _capital(f)
    c4, r4, f4 = _collateral(f)
    c5, r5, f5 = _conditions(f)
    # Exact integer arithmetic: weights in per cent, the staff blend in tenths, then half up to 0.1,
    # the rounding the policy states (the bands apply to the reported score).
    raw = 10 * (35 * c1 + 20 * c2 + 20 * c3 + 10 * c4 + 15 * c5)
    if f.get("has_assessment"):
        # Staff scores are floats: Fraction takes each exactly (as the engine's Decimal(value) does), so the
        # sum cannot land a hair under a rounding boundary that the exact value is on.
        staff = (
            35 * Fraction(f.get("assess_character", c1)) + 20 * Fraction(f.get("assess_capacity", c2))
            + 20 * Fraction(f.get("assess_capital", c3)) + 10 * Fraction(f.get("assess_collateral", c4))
            + 15 * Fraction(f.get("assess_conditions", c5))
        )
        raw = (10 - STAFF_TENTHS) * raw // 10 + STAFF_TENTHS * staff
    score = ((raw + 50) // 100) / 10
    rows = []
    if r1:
        rows.append((r1, "SCORE_CHARACTER", f1))
    if r2:
        rows.append((r2, "SCORE_CAPACITY", f2))
    if r3:
        rows.append((r3, "SCORE_CAPITAL", f3))
    if r4:
        rows.append((r4, "SCORE_COLLATERAL", f4))
    if r5:
        rows.append((r5, "SCORE_CONDITIONS", f5))
    return score, rows


def _band(score: float) -> tuple[int, str]:
    """Base grade rank (AAA 1 … C 9) and its band's rule id."""
    if score >= 90:
        return 1, "grade.aaa"
    if score >= 82:
        return 2, "grade.aa"
    if score >= 74:
        return 3, "grade.a"
    if score >= 66:
        return 4, "grade.bbb"
    if score >= 58:
        return 5, "grade.bb"
    if score >= 50:
        return 6, "grade.b"
    if score >= 40:
        return 7, "grade.ccc"
    if score >= 30:
        return 8, "grade.cc"
    return 9, "grade.c"


# --- warning signs -----------------------------------------------------------------------------------
# (id, code, downgrade, cap rank, urgent review, hold orders, request collateral, limit factor, title, fields)

W_NEW = ("start.new_customer", "NEW_CUSTOMER", 0, 7, False, False, False, None, "New customer",
         ("invoice_count", "relationship_months"))
W_UNCLEAR = ("start.unclear_customer", "UNCLEAR_CUSTOMER", 0, 7, False, False, False, None,
             "Customer of unclear standing", ("has_assessment", "has_financials"))
W_LATE = ("warn.pays_late", "PAYS_LATE", 1, 1, False, False, False, None, "Pays later than the terms",
          ("dbt_open_max", "dbt_paid_weighted"))
W_OVERDUE = ("warn.seriously_overdue", "SERIOUSLY_OVERDUE", 2, 1, True, False, False, Decimal("0.5"),
             "Invoices more than 90 days past due", ("dbt_open_max",))
W_DUE_CHANGES = ("warn.due_dates_changed", "DUE_DATES_CHANGED", 1, 1, False, False, False, None,
                 "Payment dates often changed", ("due_date_changes_90d",))
W_LARGE_LATE = ("warn.small_prompt_large_late", "LARGE_INVOICES_LATE", 1, 1, True, False, False, None,
                "Small invoices paid promptly, large ones delayed", ("large_small_lateness_gap",))
W_HOLD = ("warn.overdue_hold", "OVERDUE_HOLD", 0, 1, False, True, False, None, "Earlier invoices unpaid past due",
          ("overdue_count",))
W_EXCUSES = ("warn.payment_excuses", "PAYMENT_EXCUSES", 1, 1, True, False, False, None,
             "Disputes payment notices or asks to extend bills",
             ("signal_bill_extension_requested", "signal_payment_notice_disputed"))
W_SMALL_UNPAID = ("warn.small_amounts_unpaid", "SMALL_AMOUNTS_UNPAID", 1, 1, True, False, False, None,
                  "Cannot pay even small amounts", ("dbt_small_open_max",))
W_PART_PAID = ("warn.not_paid_in_full", "NOT_PAID_IN_FULL", 1, 1, False, False, False, None,
               "Invoices past due paid only in part", ("part_paid_overdue_count",))
W_SUPPLIER = ("warn.supplier_switch", "SUPPLIER_SWITCH", 1, 1, False, False, False, None,
              "Suppliers switched suddenly", ("signal_supplier_switch",))
W_DROP = ("warn.order_drop", "ORDER_DROP", 1, 1, True, False, False, None, "Order value dropped suddenly",
          ("order_trend_ratio",))
W_MOVED = ("warn.competitor_purchases_moved", "PURCHASES_MOVED_TO_US", 0, 1, True, False, False, Decimal("0.8"),
           "Purchases from competitors all moved to us", ("signal_competitor_purchases_moved",))
W_NO_ORDERS = ("warn.no_orders", "NO_ORDERS", 1, 1, False, False, False, None, "No orders",
               ("months_since_last_order",))
W_SPIKE = ("warn.order_spike", "ORDER_SPIKE", 0, 1, True, False, False, Decimal("0.8"),
           "Unexplained sudden increase in orders", ("order_spike_ratio",))
W_BUSINESS = ("warn.business_changes", "BUSINESS_CHANGES", 1, 1, False, False, False, None,
              "Sales swing, bulk returns, inventory swing or bad rumours",
              ("revenue_change_ratio", "signal_bad_rumours", "signal_bulk_returns", "signal_inventory_swing",
               "signal_sales_swing"))
W_SURGE = ("warn.sales_surge", "SALES_SURGE", 0, 1, True, False, False, None, "Sales rose suddenly",
           ("revenue_change_ratio",))
W_STAFF = ("warn.staff_changes", "STAFF_CHANGES", 1, 1, False, False, False, None,
           "Resignations, complaints, low morale or a distracted owner",
           ("signal_low_morale", "signal_owner_distracted", "signal_staff_complaints", "signal_staff_resignations"))
W_FUNDING = ("warn.funding_strain", "FUNDING_STRAIN", 1, 1, False, False, False, None,
             "Early collection, bill discounting, debt delays, high-interest loans",
             ("signal_bill_discounting", "signal_debt_delays", "signal_early_collection",
              "signal_high_interest_loans"))
W_CREDITORS = ("warn.creditor_trouble", "CREDITOR_TROUBLE", 2, 1, True, False, True, Decimal("0.5"),
               "Avoids creditors, strained bank relation, other creditors unpaid",
               ("signal_avoiding_creditors", "signal_bank_relation_strained", "signal_other_creditors_unpaid"))
W_BANK = ("warn.bank_distress", "BANK_DISTRESS", 0, 9, True, True, False, Decimal("0"),
          "Bill dishonoured or bank account frozen", ("signal_bank_account_frozen", "signal_bill_dishonoured"))
W_LIQUIDITY = ("warn.weak_liquidity", "WEAK_LIQUIDITY", 1, 1, False, False, False, None, "Current ratio below 1",
               ("current_ratio",))
W_LEVERAGE = ("warn.over_leveraged", "OVER_LEVERAGED", 1, 1, False, False, True, None, "Debt ratio above 85%",
              ("debt_ratio",))

Warning = tuple[str, str, int, int, bool, bool, bool, Decimal | None, str, tuple[str, ...]]


def _lt(v: Any, x: float) -> bool:
    return v is not None and v < x


def _gte(v: Any, x: float) -> bool:
    return v is not None and v >= x


def _warnings(f: dict[str, Any]) -> list[Warning]:
    """The warning signs that fire, in file order. Signals are present as booleans for every code."""
    out: list[Warning] = []
    if _lt(f.get("relationship_months"), 6) or _lt(f.get("invoice_count"), 3):
        out.append(W_NEW)
    if f.get("has_financials") is False and f.get("has_assessment") is False:
        out.append(W_UNCLEAR)
    pw = f.get("dbt_paid_weighted")
    om = f.get("dbt_open_max")
    if (pw is not None and pw > 15) or (om is not None and 31 <= om < 91):
        out.append(W_LATE)
    if _gte(om, 91):
        out.append(W_OVERDUE)
    if _gte(f.get("due_date_changes_90d"), 2):
        out.append(W_DUE_CHANGES)
    if _gte(f.get("large_small_lateness_gap"), 20):
        out.append(W_LARGE_LATE)
    oc = f.get("overdue_count")
    if oc is not None and oc > 0:
        out.append(W_HOLD)
    if f.get("signal_payment_notice_disputed") is True or f.get("signal_bill_extension_requested") is True:
        out.append(W_EXCUSES)
    if _gte(f.get("dbt_small_open_max"), 31):
        out.append(W_SMALL_UNPAID)
    if _gte(f.get("part_paid_overdue_count"), 2):
        out.append(W_PART_PAID)
    if f.get("signal_supplier_switch") is True:
        out.append(W_SUPPLIER)
    if _lt(f.get("order_trend_ratio"), 0.5):
        out.append(W_DROP)
    if f.get("signal_competitor_purchases_moved") is True:
        out.append(W_MOVED)
    if _gte(f.get("months_since_last_order"), 6):
        out.append(W_NO_ORDERS)
    if _gte(f.get("order_spike_ratio"), 3):
        out.append(W_SPIKE)
    rc = f.get("revenue_change_ratio")
    if (f.get("signal_sales_swing") is True or f.get("signal_bulk_returns") is True
            or f.get("signal_inventory_swing") is True or f.get("signal_bad_rumours") is True
            or (rc is not None and rc <= -0.3)):
        out.append(W_BUSINESS)
    if rc is not None and rc >= 0.5:
        out.append(W_SURGE)
    if (f.get("signal_staff_resignations") is True or f.get("signal_staff_complaints") is True
            or f.get("signal_low_morale") is True or f.get("signal_owner_distracted") is True):
        out.append(W_STAFF)
    if (f.get("signal_early_collection") is True or f.get("signal_bill_discounting") is True
            or f.get("signal_debt_delays") is True or f.get("signal_high_interest_loans") is True):
        out.append(W_FUNDING)
    if (f.get("signal_avoiding_creditors") is True or f.get("signal_bank_relation_strained") is True
            or f.get("signal_other_creditors_unpaid") is True):
        out.append(W_CREDITORS)
    if f.get("signal_bill_dishonoured") is True or f.get("signal_bank_account_frozen") is True:
        out.append(W_BANK)
    if _lt(f.get("current_ratio"), 1):
        out.append(W_LIQUIDITY)
    dr = f.get("debt_ratio")
    if dr is not None and dr > 0.85:
        out.append(W_LEVERAGE)
    return out


def _final_rank(base_rank: int, warnings: list[Warning]) -> int:
    """Notches summed up to four, no better than the worst cap, never worse than C."""
    notches = 0
    cap = 1
    for w in warnings:
        notches += w[2]
        if w[3] > cap:
            cap = w[3]
    return min(9, max(base_rank + min(notches, MAX_DOWNGRADE), cap))


def rate(f: dict[str, Any]) -> tuple[float, str, list[str]]:
    """Scorecard, grade bands and warning signs: (score, final grade, warning rule ids)."""
    score, _rows = _score(f)
    base_rank, _band_id = _band(score)
    warnings = _warnings(f)
    return score, GRADES[_final_rank(base_rank, warnings) - 1], [w[0] for w in warnings]


def grade_for(score: float, f: dict[str, Any]) -> str:
    """The final grade the policy gives a customer with features `f` if its score were `score`."""
    return GRADES[_final_rank(_band(score)[0], _warnings(f)) - 1]


# --- limit, review, follow-ups, collection reminders --------------------------------------------------
# grade: (months of purchases, share of net worth, floor, validity months, row id); the lower term wins.

LIMITS = {
    "AAA": (Decimal("4"), Decimal("0.3"), Decimal(100000), 6, "limit.aaa"),
    "AA": (Decimal("3.5"), Decimal("0.25"), Decimal(80000), 6, "limit.aa"),
    "A": (Decimal("3"), Decimal("0.2"), Decimal(50000), 6, "limit.a"),
    "BBB": (Decimal("2.5"), Decimal("0.15"), Decimal(30000), 6, "limit.bbb"),
    "BB": (Decimal("2"), Decimal("0.12"), Decimal(20000), 4, "limit.bb"),
    "B": (Decimal("1.5"), Decimal("0.1"), Decimal(15000), 4, "limit.b"),
    "CCC": (Decimal("1"), Decimal("0.05"), Decimal(10000), 3, "limit.ccc"),
    "CC": (Decimal("0.5"), Decimal("0.03"), Decimal(0), 3, "limit.cc"),
    "C": (Decimal("0"), Decimal("0"), Decimal(0), 3, "limit.c"),
}
REVIEW = {"A": (6, "review.class_a"), "B": (3, "review.class_b"), "C": (1, "review.class_c")}


def add_months(day: date, months: int) -> date:
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# follow_ups.yaml's visit cadence by value class: (days without contact, rule id, title); None = not computed.
_VISITS: dict[Any, tuple[int, str, str]] = {
    "A": (30, "follow.no_contact.class_a", "Class A customer not contacted for 30 days"),
    "B": (60, "follow.no_contact.class_b", "Class B customer not contacted for 60 days"),
    "C": (90, "follow.no_contact.class_c", "Class C customer not contacted for 90 days"),
    None: (60, "follow.no_contact", "Not contacted for 60 days"),
}


def _evidence(f: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: f[k] for k in fields if k in f}


def decide(
    snapshot: CustomerSnapshot, f: dict[str, Any], as_of: date, version: str = "handwritten"
) -> CustomerDecision:
    """The whole customer decision from precomputed features (`f` is not modified)."""
    score, rows = _score(f)
    base_rank, band_id = _band(score)
    warnings = _warnings(f)
    grade = GRADES[_final_rank(base_rank, warnings) - 1]
    grade_class = CLASS[grade]

    # Credit limit: the lower of months of purchases and a share of net worth, floored, cut, rounded down.
    months, share, floor, validity, limit_id = LIMITS[grade]
    value = months * f.get("avg_monthly_purchases", _ZERO)
    net_worth = f.get("net_worth")
    if net_worth is not None:
        value = min(value, share * (net_worth if net_worth > 0 else _ZERO))
    if value < floor:
        value = floor
    factor = _ONE
    urgent = hold = collateral = cut = None
    for w in warnings:
        if w[7] is not None and w[7] < factor:
            factor = w[7]
        if urgent is None and w[4]:
            urgent = w
        if hold is None and w[5]:
            hold = w
        if collateral is None and w[6]:
            collateral = w
        if cut is None and w[7] is not None and w[7] < 1:
            cut = w
    value *= factor
    credit_limit = ((value / _THOUSAND).to_integral_value(rounding=ROUND_DOWN) * _THOUSAND).quantize(_CENT)
    exposure = f["exposure"]

    interval, review_id = REVIEW[grade_class]
    last = snapshot.last_review_on
    if urgent is not None or last is None:
        next_review = as_of
    else:
        next_review = max(as_of, add_months(last, interval))

    # Actions: the review, warning-sign actions, follow-ups, collection reminders.
    if urgent is not None:
        review = _build(Action, code="CREDIT_REVIEW", due_on=next_review, severity="urgent", rule_id=urgent[0],
                        message=f"Urgent credit review: {urgent[8]}")
    else:
        review = _build(Action, code="CREDIT_REVIEW", due_on=next_review,
                        severity="warning" if next_review <= as_of else "info", rule_id=review_id,
                        message="Credit review every month" if interval == 1
                        else f"Credit review every {interval} months")
    actions = [review]
    if hold is not None:
        actions.append(_build(Action, code="HOLD_ORDERS", due_on=as_of, severity="urgent", rule_id=hold[0],
                              message=f"Hold new orders: {hold[8]}"))
    if collateral is not None:
        actions.append(_build(Action, code="REQUEST_COLLATERAL", due_on=as_of, severity="warning",
                              rule_id=collateral[0], message=f"Ask for collateral or a guarantee: {collateral[8]}"))
    if cut is not None:
        actions.append(_build(Action, code="REDUCE_LIMIT", due_on=as_of, severity="warning", rule_id=cut[0],
                              message=f"Credit limit reduced: {cut[8]}"))

    follow_ups: list[tuple[str, str, tuple[str, ...]]] = []
    days_contact = f.get("days_since_last_contact")
    visit = _VISITS.get(f.get("value_class"))
    if days_contact is not None and days_contact > visit[0]:
        follow_ups.append((visit[1], visit[2], ("days_since_last_contact", "value_class")))
    if f.get("never_contacted") is True:
        follow_ups.append(("follow.never_contacted", "Never contacted", ("never_contacted",)))
    days_purchase = f.get("days_since_last_purchase")
    if days_purchase is not None and days_purchase > 90:
        follow_ups.append(("follow.no_purchase", "No purchase for 90 days", ("days_since_last_purchase",)))
    if f.get("never_bought") is True:
        follow_ups.append(("follow.never_bought", "Never bought", ("never_bought",)))
    ratio = f.get("purchase_interval_ratio")
    if ratio is not None and ratio >= 1.5 and days_purchase is not None and days_purchase <= 90:
        follow_ups.append(("follow.restock_due", "Product has probably run out",
                           ("days_since_last_purchase", "purchase_interval_ratio")))
    age = f.get("financials_age_days")
    if age is not None and age > 455:
        follow_ups.append(("follow.stale_financials",
                           "Ask for current financial statements: the latest is over 15 months old",
                           ("financials_age_days",)))
    for rule_id, title, _fields in follow_ups:  # all due today (due_in_days 0), severity info
        actions.append(_build(Action, code="FOLLOW_UP", due_on=as_of, severity="info", rule_id=rule_id,
                              message=title))

    # Reasons: follow-ups, the 5C rows, warning signs, band, limit, cadence; then the reminders.
    reasons = [_build(Reason, rule_id=rid, code="FOLLOW_UP", message=title, evidence=_evidence(f, fields))
               for rid, title, fields in follow_ups]
    reasons += [_build(Reason, rule_id=rid, code=code, message=code, evidence=_evidence(f, fields))
                for rid, code, fields in rows]
    reasons += [_build(Reason, rule_id=w[0], code=w[1], message=w[8], evidence=_evidence(f, w[9]))
                for w in warnings]
    reasons.append(_build(Reason, rule_id=band_id, code="GRADE_BAND", message=grade, evidence={"score": score}))
    reasons.append(_build(Reason, rule_id=limit_id, code="CREDIT_LIMIT", message=f"{grade} limit",
                          evidence={"grade": grade}))
    reasons.append(_build(Reason, rule_id=review_id, code="REVIEW_CADENCE", message=f"Class {grade_class} review",
                          evidence={"grade_class": grade_class}))

    # Collection reminders: per open invoice, 2 days ahead up to 30-day terms, 7 up to 60, else 14.
    for inv in snapshot.invoices:
        if inv.amount <= inv.paid_amount:
            continue
        term = inv.payment_term_days
        if term <= 30:
            lead, rule_id = 2, "collect.short_term"
        elif 31 <= term < 61:
            lead, rule_id = 7, "collect.medium_term"
        elif term >= 61:
            lead, rule_id = 14, "collect.long_term"
        else:
            continue
        to_due = (inv.due_on - as_of).days
        if to_due > lead:
            continue
        overdue = -to_due if to_due < 0 else 0
        when = f"{overdue} {'day' if overdue == 1 else 'days'} overdue" if overdue else f"due on {inv.due_on}"
        actions.append(_build(
            Action, code="COLLECTION_REMINDER", due_on=as_of, target_id=inv.invoice_id,
            severity="warning" if overdue else "info", rule_id=rule_id,
            message=f"Remind payment of {inv.invoice_id} ({_two_places(inv.amount - inv.paid_amount)}), {when}"))
        reasons.append(_build(Reason, rule_id=rule_id, code="COLLECTION_REMINDER", message=rule_id,
                              evidence={"invoice_payment_term_days": term, "invoice_id": inv.invoice_id}))

    return _build(
        CustomerDecision,
        customer_id=snapshot.customer_id,
        policy_version=version,
        as_of=as_of,
        score=score,
        grade=grade,
        grade_class=grade_class,
        credit_limit=credit_limit,
        currency=snapshot.currency,
        limit_valid_until=add_months(as_of, validity),
        exposure=exposure,
        available_credit=credit_limit - exposure,
        next_review_on=next_review,
        actions=actions,
        reasons=reasons,
        trace=[],
        value_class=snapshot.value_class,
    )

