"""Features derived from a snapshot as of a date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy_engine.domain.models import CustomerSnapshot
from policy_engine.features import FEATURE_BY_NAME, FEATURES, FeatureSettings, compute_features

AS_OF = date(2026, 11, 22)


def _snap(**data: Any) -> CustomerSnapshot:
    return CustomerSnapshot.model_validate({"customer_id": "C", **data})


def _inv(i: str, issued: str, due: str, amount: str, paid: str | None = None, **kw: Any) -> dict[str, Any]:
    out = {"invoice_id": i, "issued_on": issued, "due_on": due, "amount": amount, **kw}
    if paid:
        out.update(paid_amount=amount, paid_on=paid)
    return out


def test_days_beyond_terms_open_and_paid() -> None:
    snap = _snap(
        invoices=[
            _inv("a", "2026-09-01", "2026-10-01", "100.00", paid="2026-10-11"),  # paid 10 days late
            _inv("b", "2026-09-01", "2026-10-01", "300.00", paid="2026-10-01"),  # on time
            _inv("c", "2026-10-01", "2026-11-12", "200.00"),  # open, 10 days overdue
            _inv("d", "2026-10-01", "2026-10-23", "100.00"),  # open, 30 days overdue
            _inv("e", "2026-11-10", "2026-12-10", "50.00"),  # open, not due
        ]
    )

    f = compute_features(snap, AS_OF)

    assert f["dbt_paid_max"] == 10
    assert f["dbt_paid_weighted"] == pytest.approx(10 * 100 / 400)
    assert f["late_paid_share"] == 0.5
    assert f["dbt_open_max"] == 30
    assert f["dbt_open_weighted"] == pytest.approx((10 * 200 + 30 * 100) / 300)
    assert (f["overdue_count"], f["overdue_amount"]) == (2, Decimal("300.00"))
    assert (f["open_invoice_count"], f["open_receivables"]) == (3, Decimal("350.00"))


def test_large_invoices_paid_later_than_small_ones_show_a_gap() -> None:
    small = [_inv(f"s{i}", "2026-08-01", "2026-09-01", "10.00", paid="2026-09-01") for i in range(3)]
    large = [_inv(f"l{i}", "2026-08-01", "2026-09-01", "1000.00", paid="2026-10-01") for i in range(3)]

    f = compute_features(_snap(invoices=small + large), AS_OF)

    assert f["large_small_lateness_gap"] == pytest.approx(30)


def test_small_amounts_unpaid_is_the_most_overdue_invoice_at_most_half_the_median_amount() -> None:
    paid = [_inv(f"p{i}", "2026-08-01", "2026-09-01", "1000.00", paid="2026-09-01") for i in range(3)]
    snap = _snap(
        invoices=[
            *paid,
            _inv("s1", "2026-08-01", "2026-10-01", "10.00"),  # small, 52 days past due
            _inv("s2", "2026-09-01", "2026-10-23", "10.00", paid_amount="5.00"),  # small, part paid, 30 days
            _inv("big", "2026-06-01", "2026-07-01", "5000.00"),  # large: 144 days, not counted
            _inv("s3", "2026-11-01", "2026-12-01", "10.00"),  # small but not yet due
        ]
    )

    f = compute_features(snap, AS_OF)

    assert f["dbt_small_open_max"] == 52
    assert f["dbt_open_max"] == 144


def test_an_invoice_is_small_at_half_the_median_amount_not_just_below_the_median() -> None:
    paid = [_inv(f"p{i}", "2026-08-01", "2026-09-01", "1000.00", paid="2026-09-01") for i in range(3)]

    def small_max(amount: str) -> Any:
        late = _inv("o", "2026-08-01", "2026-10-01", amount)  # 52 days past due; the median stays 1000
        return compute_features(_snap(invoices=[*paid, late]), AS_OF).get("dbt_small_open_max")

    assert (small_max("500.00"), small_max("500.01"), small_max("999.99")) == (52, 0, 0)


def test_small_amounts_unpaid_is_unknown_with_fewer_than_four_invoices_paid_or_overdue() -> None:
    paid = [_inv(f"p{i}", "2026-08-01", "2026-09-01", "1000.00", paid="2026-09-01") for i in range(2)]
    late_small = _inv("s", "2026-08-01", "2026-10-01", "10.00")

    assert "dbt_small_open_max" not in compute_features(_snap(invoices=[*paid, late_small]), AS_OF)


def test_part_paid_overdue_counts_open_invoices_past_due_with_something_paid() -> None:
    snap = _snap(
        invoices=[
            _inv("a", "2026-08-01", "2026-10-01", "100.00", paid_amount="40.00"),  # part paid, overdue
            _inv("b", "2026-08-01", "2026-10-01", "100.00", paid_amount="99.99"),  # part paid, overdue
            _inv("c", "2026-08-01", "2026-10-01", "100.00"),  # nothing paid: not "not in full"
            _inv("d", "2026-11-01", "2026-12-01", "100.00", paid_amount="50.00"),  # part paid, not yet due
            _inv("e", "2026-08-01", "2026-10-01", "100.00", paid="2026-10-01"),  # paid in full
        ]
    )

    f = compute_features(snap, AS_OF)

    assert f["part_paid_overdue_count"] == 2
    assert compute_features(_snap(), AS_OF)["part_paid_overdue_count"] == 0


def test_due_date_changes_count_recent_and_open_invoices() -> None:
    snap = _snap(
        invoices=[
            _inv("old", "2025-01-01", "2025-02-01", "10.00", paid="2025-02-01", due_date_changes=5),
            _inv("recent", "2026-10-01", "2026-11-01", "10.00", paid="2026-11-01", due_date_changes=1),
            _inv("open", "2026-05-01", "2026-12-01", "10.00", due_date_changes=2),
        ]
    )

    assert compute_features(snap, AS_OF)["due_date_changes_90d"] == 3


def test_overdue_share_is_the_past_due_part_of_the_open_balance_now_and_90_days_before() -> None:
    snap = _snap(
        invoices=[
            # 90 days before AS_OF (2026-08-24) open and not yet due; now overdue.
            _inv("a", "2026-08-01", "2026-09-30", "300.00"),
            # Overdue 90 days before; paid since, so open then by its whole amount and closed now.
            _inv("b", "2026-06-01", "2026-07-01", "100.00", paid="2026-10-01"),
            # Not due yet now.
            _inv("c", "2026-11-01", "2026-12-01", "700.00"),
        ]
    )

    f = compute_features(snap, AS_OF)

    assert f["overdue_share"] == 0.3  # 300.00 of 1000.00
    assert f["overdue_share_90d_ago"] == 0.25  # 100.00 of 400.00: "c" was not issued yet
    assert compute_features(_snap(), AS_OF)["overdue_share"] == 0.0  # nothing open: nothing overdue


def _orders(months: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"order_id": m, "ordered_on": f"{m}-05", "amount": amount, "status": "done"} for m, amount in months.items()
    ]


def test_order_trend_compares_last_three_months_with_the_twelve_before() -> None:
    prior = {f"2025-{m:02d}": "100.00" for m in range(9, 13)} | {f"2026-{m:02d}": "100.00" for m in range(1, 9)}
    recent = {"2026-09": "50.00", "2026-10": "50.00", "2026-11": "200.00"}

    f = compute_features(_snap(orders=_orders(prior | recent)), AS_OF)

    assert f["order_trend_ratio"] == pytest.approx(1.0)
    assert f["order_spike_ratio"] == pytest.approx(2.0)
    assert f["months_since_last_order"] == 0


def test_no_orders_leaves_trend_unknown() -> None:
    f = compute_features(_snap(), AS_OF)

    assert "order_trend_ratio" not in f and "months_since_last_order" not in f
    assert f["has_orders"] is False and f["never_bought"] is True


def test_exposure_is_open_receivables_plus_open_orders() -> None:
    snap = _snap(
        invoices=[_inv("a", "2026-11-01", "2026-12-01", "500.00")],
        orders=[{"order_id": "o", "ordered_on": "2026-11-20", "amount": "250.00", "status": "open"}],
    )

    assert compute_features(snap, AS_OF)["exposure"] == Decimal("750.00")


def test_ratios_and_net_worth_from_the_latest_statement() -> None:
    snap = _snap(
        financials=[
            {"period_end": "2024-12-31", "revenue": "800.00"},
            {
                "period_end": "2025-12-31",
                "current_assets": "300.00",
                "current_liabilities": "150.00",
                "inventory": "100.00",
                "total_assets": "1000.00",
                "total_liabilities": "400.00",
                "revenue": "1000.00",
            },
        ]
    )

    f = compute_features(snap, AS_OF)

    assert f["current_ratio"] == 2.0
    assert f["quick_ratio"] == pytest.approx(200 / 150)
    assert f["debt_ratio"] == 0.4
    assert f["net_worth"] == Decimal("600.00")
    assert f["revenue_change_ratio"] == pytest.approx(0.25)


def test_relationship_contact_and_purchase_ages() -> None:
    snap = _snap(
        relationship_since="2024-11-22",
        last_contact_on="2026-11-02",
        invoices=[_inv("a", "2026-10-23", "2026-11-22", "10.00")],
    )

    f = compute_features(snap, AS_OF)

    assert (f["relationship_months"], f["days_since_last_contact"], f["days_since_last_purchase"]) == (24, 20, 30)
    assert f["never_contacted"] is False


def test_signals_count_only_within_their_window() -> None:
    snap = _snap(
        signals=[
            {"code": "low_morale", "observed_on": "2026-11-01"},
            {"code": "bad_rumours", "observed_on": "2025-01-01"},
        ]
    )

    f = compute_features(snap, AS_OF, FeatureSettings(signal_window_days=180))

    assert f["signal_low_morale"] is True and "signal_bad_rumours" not in f and f["signal_count"] == 1


def test_the_value_class_is_a_feature_only_when_it_was_computed() -> None:
    known, unknown = _snap(value_class="A"), _snap(value_class="")

    assert compute_features(known, AS_OF)["value_class"] == "A"
    assert "value_class" not in compute_features(unknown, AS_OF)
    assert FEATURE_BY_NAME["value_class"].values == ("A", "B", "C")


def test_every_computed_feature_is_in_the_catalogue() -> None:
    names = {spec.name for spec in FEATURES}
    snap = _snap(
        relationship_since="2024-01-01",
        current_grade="A",
        current_limit="100.00",
        value_class="B",
        assessment={"character": 1, "capacity": 2, "capital": 3, "collateral": 4, "conditions": 5},
        invoices=[_inv("a", "2026-10-23", "2026-11-22", "10.00")],
    )

    assert set(compute_features(snap, AS_OF)) <= names


def test_a_partly_paid_overdue_invoice_weighs_by_what_is_open_and_the_gap_by_its_amount() -> None:
    snap = _snap(
        invoices=[
            _inv("p1", "2026-08-01", "2026-09-01", "10.00", paid="2026-09-01"),
            _inv("o", "2026-08-01", "2026-10-23", "1000.00", paid_amount="900.00"),  # 100.00 open, 30 days overdue
            _inv("p2", "2026-08-01", "2026-09-01", "10.00", paid="2026-09-01"),
            _inv("p3", "2026-08-01", "2026-09-01", "1000.00", paid="2026-09-11"),  # 10 days late
        ]
    )

    f = compute_features(snap, AS_OF)

    assert (f["dbt_open_weighted"], f["overdue_amount"]) == (30.0, Decimal("100.00"))
    assert f["large_small_lateness_gap"] == pytest.approx((1000 * 30 + 1000 * 10) / 2000)


def test_of_statements_with_the_same_period_end_the_later_listed_counts_as_latest() -> None:
    snap = _snap(
        financials=[
            {"period_end": "2025-12-31", "revenue": "100.00"},
            {"period_end": "2024-12-31", "revenue": "400.00"},
            {"period_end": "2025-12-31", "revenue": "200.00"},
            {"period_end": "2027-12-31", "revenue": "999.00"},  # after as_of: not yet known
        ]
    )

    f = compute_features(snap, AS_OF)

    assert f["revenue_change_ratio"] == 1.0 and f["financials_age_days"] == 326
    older_tie = [{"period_end": "2024-12-31", "revenue": r} for r in ("100.00", "200.00")]
    snap = _snap(financials=[{"period_end": "2025-12-31", "revenue": "400.00"}, *older_tie])
    assert compute_features(snap, AS_OF)["revenue_change_ratio"] == 1.0  # 400 against the later 200


def test_future_invoices_and_orders_are_neither_purchases_nor_owed_yet() -> None:
    snap = _snap(
        invoices=[_inv("f", "2026-12-01", "2026-12-31", "100.00")],
        orders=[{"order_id": "o", "ordered_on": "2026-12-01", "amount": "50.00", "status": "open"}],
    )

    f = compute_features(snap, AS_OF)

    assert f["never_bought"] is True and f["has_orders"] is False
    assert (f["avg_monthly_purchases"], f["open_orders_amount"]) == (Decimal("0.00"), Decimal(0))
    assert (f["open_receivables"], f["invoice_count"]) == (Decimal(0), 0)  # not issued yet as of 2026-11-22


# ---- every snapshot: the one-pass computation against the plain definitions ----

_AMOUNTS = st.one_of(
    st.sampled_from(["0", "0.00", "0.000001", "0.01", "10", "10.00", "100.5", "999999999.99"]),  # "-0.00" is refused
    st.decimals(min_value=0, max_value=10**7, places=2).map(str),
    st.decimals(min_value=0, max_value=10**5, places=6),
    st.integers(0, 10**6),
)
_AS_OFS = st.sampled_from([AS_OF, date(2024, 2, 29), date(2025, 1, 1), date(2025, 12, 31), date(2026, 3, 31)])


def _day(draw: st.DrawFn, as_of: date, back: int, ahead: int) -> date:
    return as_of + timedelta(days=draw(st.integers(-back, ahead)))


@st.composite
def _invoice(draw: st.DrawFn, i: int, as_of: date) -> dict[str, Any]:
    issued = _day(draw, as_of, 800, 30)
    amount = Decimal(str(draw(_AMOUNTS)))
    inv: dict[str, Any] = {
        "invoice_id": f"I{i}",
        "issued_on": issued,
        "due_on": issued + timedelta(days=draw(st.sampled_from([0, 15, 30, 60, 400]))),
        "amount": amount,
        "due_date_changes": draw(st.integers(0, 3)),
    }
    paid = draw(st.sampled_from(["none", "all", "all", "part"]))
    if paid != "none":
        inv["paid_amount"] = amount if paid == "all" else (amount / 3).quantize(Decimal("0.01"), ROUND_DOWN)
        # A payment date only beside a payment (models.Invoice), or on an invoice of 0, which owes nothing.
        if draw(st.booleans()) and (inv["paid_amount"] or not amount):
            inv["paid_on"] = max(issued, inv["due_on"] + timedelta(days=draw(st.integers(-30, 60))))
    return inv


@st.composite
def _order(draw: st.DrawFn, k: int, as_of: date) -> dict[str, Any]:
    months = as_of.year * 12 + as_of.month - 1 - draw(st.integers(-1, 20))  # whole months around the windows
    ordered_on = date(months // 12, months % 12 + 1, draw(st.integers(1, 28)))
    status = draw(st.sampled_from(["open", "done"]))
    amount = draw(_AMOUNTS)  # 0 too: a placeholder or an order cancelled in full, which counts for nothing
    return {"order_id": f"O{k}", "ordered_on": ordered_on, "amount": amount, "status": status}


@st.composite
def _cases(draw: st.DrawFn) -> tuple[CustomerSnapshot, date]:
    as_of = draw(_AS_OFS)
    invoices = [draw(_invoice(i, as_of)) for i in range(draw(st.integers(0, 30)))]
    ties: bool = draw(st.booleans())
    if ties:  # many equal amounts: ties at the median
        for inv in invoices[::2]:
            inv["amount"] = inv.get("paid_amount") or Decimal("0")
    financials = [
        {
            "period_end": draw(st.sampled_from([date(y, 12, 31) for y in range(as_of.year - 3, as_of.year + 1)])),
            "revenue": draw(st.none() | _AMOUNTS),
            "net_profit": draw(st.none() | st.sampled_from(["-100.00", "-0.00", "0", "55.55"])),
            "current_assets": draw(st.none() | _AMOUNTS),
            "current_liabilities": draw(st.none() | _AMOUNTS),
            "inventory": draw(st.none() | _AMOUNTS),
        }
        for _ in range(draw(st.integers(0, 4)))
    ]
    snap = _snap(
        relationship_since=None if draw(st.booleans()) else _day(draw, as_of, 3000, 30),
        invoices=invoices,
        orders=[draw(_order(k, as_of)) for k in range(draw(st.integers(0, 12)))],
        financials=financials,
        current_limit=draw(st.none() | st.sampled_from(["0", "0.00", "1000.00"])),
    )
    return snap, as_of


def _weighted(pairs: list[tuple[float, int]]) -> float:
    total = sum(w for w, _ in pairs)
    return sum(w * d for w, d in pairs) / total if total else 0.0


def _share(part: Decimal, whole: Decimal) -> float:
    return float(part / whole) if whole else 0.0


def _by_definition(snap: CustomerSnapshot, as_of: date, s: FeatureSettings) -> dict[str, Any]:
    """Payment, order and statement features computed plainly, one definition at a time."""
    out: dict[str, Any] = {}
    # As they stood on as_of: invoices issued later are not there yet, payments made later not made yet.
    unpaid = {"paid_amount": Decimal(0), "paid_on": None}
    # An invoice of 0 is no trade: no purchase, and no evidence of how the customer pays (payments.py).
    invoices = [i if i.paid_on is None or i.paid_on <= as_of else i.model_copy(update=unpaid)
                for i in snap.invoices if i.issued_on <= as_of and i.amount]
    out["invoice_count"] = len(invoices)
    is_open = [i.amount - i.paid_amount > 0 for i in invoices]
    open_ = [i for i, o in zip(invoices, is_open, strict=True) if o]
    overdue = [i for i in open_ if i.due_on < as_of]
    out["open_receivables"] = sum((i.amount - i.paid_amount for i in open_), Decimal(0))
    out["overdue_amount"] = sum((i.amount - i.paid_amount for i in overdue), Decimal(0))
    overdue_days = [(float(i.amount - i.paid_amount), (as_of - i.due_on).days) for i in overdue]
    out["dbt_open_max"] = max((d for _, d in overdue_days), default=0)
    out["dbt_open_weighted"] = _weighted(overdue_days)
    paid_from, changes_from = as_of - timedelta(s.payment_window_days), as_of - timedelta(s.due_change_window_days)
    out["due_date_changes_90d"] = sum(
        i.due_date_changes for i, o in zip(invoices, is_open, strict=True) if o or i.issued_on >= changes_from
    )
    lateness = []  # (amount, days late), paid in the window or overdue, in invoice order
    paid_days = []
    for i, o in zip(invoices, is_open, strict=True):
        if o and i.due_on < as_of:
            lateness.append((float(i.amount), (as_of - i.due_on).days))
        elif not o and i.paid_on is not None and i.paid_on >= paid_from:
            paid_days.append((float(i.amount), max(0, (i.paid_on - i.due_on).days)))
            lateness.append(paid_days[-1])
    if paid_days:
        out["dbt_paid_max"] = max(d for _, d in paid_days)
        out["dbt_paid_weighted"] = _weighted(paid_days)
        out["late_paid_share"] = sum(1 for _, d in paid_days if d > 0) / len(paid_days)
    if len(lateness) >= s.lateness_gap_min_invoices:
        median = sorted(a for a, _ in lateness)[len(lateness) // 2]
        large, small = [p for p in lateness if p[0] >= median], [p for p in lateness if p[0] < median]
        if small:
            out["large_small_lateness_gap"] = _weighted(large) - _weighted(small)
        small_late = [(as_of - i.due_on).days for i in overdue if float(i.amount) <= median / 2]
        out["dbt_small_open_max"] = max(small_late, default=0)
    out["part_paid_overdue_count"] = sum(1 for i in overdue if i.paid_amount > 0)
    out["overdue_share"] = _share(out["overdue_amount"], out["open_receivables"])
    before = as_of - timedelta(90)  # the snapshot as it stood then, by the same cut as on as_of
    then = [i if i.paid_on is None or i.paid_on <= before else i.model_copy(update=unpaid)
            for i in snap.invoices if i.issued_on <= before]
    then_open = [i for i in then if i.amount - i.paid_amount > 0]
    out["overdue_share_90d_ago"] = _share(
        sum((i.amount - i.paid_amount for i in then_open if i.due_on < before), Decimal(0)),
        sum((i.amount - i.paid_amount for i in then_open), Decimal(0)),
    )

    orders = [order for order in snap.orders if order.ordered_on <= as_of and order.amount]  # 0: no order
    out["open_orders_amount"] = sum((order.amount for order in orders if order.status == "open"), Decimal(0))
    by_month: dict[int, Decimal] = {}
    for order in orders:
        month = order.ordered_on.year * 12 + order.ordered_on.month
        by_month[month] = by_month.get(month, Decimal(0)) + order.amount
    now = as_of.year * 12 + as_of.month
    prior_months = min(12, now - 2 - min(by_month, default=now))
    prior = sum((by_month.get(now - k, Decimal(0)) for k in range(3, 3 + prior_months)), Decimal(0))
    if prior_months > 0 and prior:
        recent = [by_month.get(now - k, Decimal(0)) for k in range(3)]
        out["order_trend_ratio"] = float(sum(recent, Decimal(0)) / 3 / (prior / prior_months))
        out["order_spike_ratio"] = float(max(recent) / (prior / prior_months))
    out["has_orders"] = bool(orders)
    if orders:
        last = max(order.ordered_on for order in orders)
        months = (as_of.year - last.year) * 12 + as_of.month - last.month
        out["months_since_last_order"] = months - 1 if as_of.day < last.day else months
    days = {order.ordered_on for order in orders} | {i.issued_on for i in invoices}
    out["never_bought"] = not days
    if days:
        out["days_since_last_purchase"] = (as_of - max(days)).days

    statements = sorted((f for f in snap.financials if f.period_end <= as_of), key=lambda f: f.period_end)
    if statements:
        out["financials_age_days"] = (as_of - statements[-1].period_end).days
        latest, before = statements[-1].revenue, statements[-2].revenue if len(statements) > 1 else None
        if before and latest is not None:
            out["revenue_change_ratio"] = float(latest / before) - 1.0
    return out


_KINDS = {"integer": int, "boolean": bool, "enum": str}


@settings(max_examples=300, deadline=None)
@given(
    case=_cases(),
    s=st.builds(
        FeatureSettings,
        payment_window_days=st.sampled_from([90, 365]),
        due_change_window_days=st.sampled_from([0, 90]),
        lateness_gap_min_invoices=st.integers(1, 5),
    ),
)
def test_features_follow_their_definitions_with_catalogue_types(
    case: tuple[CustomerSnapshot, date], s: FeatureSettings
) -> None:
    snap, as_of = case
    f = compute_features(snap, as_of, s)

    # Exactly the same numbers: Decimal exponents and float bits too (hence repr).
    for name, value in _by_definition(snap, as_of, s).items():
        assert repr(f.get(name)) == repr(value), name
    for name, value in f.items():
        spec = FEATURE_BY_NAME[name]
        kind = Decimal if spec.money else _KINDS.get(spec.type, float)
        assert type(value) is kind, (name, value)
        assert spec.minimum is None or value >= spec.minimum, (name, value)  # lint relies on it (field_ranges.py)
        assert spec.maximum is None or value <= spec.maximum, (name, value)
    assert f["exposure"] == f["open_receivables"] + f["open_orders_amount"]
    assert f["avg_monthly_purchases"].as_tuple().exponent == -2
