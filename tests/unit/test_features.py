"""Features derived from a snapshot as of a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from policy_engine.domain.models import CustomerSnapshot
from policy_engine.features import FEATURES, FeatureSettings, compute_features

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


def test_due_date_changes_count_recent_and_open_invoices() -> None:
    snap = _snap(
        invoices=[
            _inv("old", "2025-01-01", "2025-02-01", "10.00", paid="2025-02-01", due_date_changes=5),
            _inv("recent", "2026-10-01", "2026-11-01", "10.00", paid="2026-11-01", due_date_changes=1),
            _inv("open", "2026-05-01", "2026-12-01", "10.00", due_date_changes=2),
        ]
    )

    assert compute_features(snap, AS_OF)["due_date_changes_90d"] == 3


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


def test_every_computed_feature_is_in_the_catalogue() -> None:
    names = {spec.name for spec in FEATURES}
    snap = _snap(
        relationship_since="2024-01-01",
        current_grade="A",
        current_limit="100.00",
        assessment={"character": 1, "capacity": 2, "capital": 3, "collateral": 4, "conditions": 5},
        invoices=[_inv("a", "2026-10-23", "2026-11-22", "10.00")],
    )

    assert set(compute_features(snap, AS_OF)) <= names
