"""A snapshot is read as it stood on as_of: what happened after that date is not known yet."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from policy_engine.api import Policy
from policy_engine.domain.models import CustomerSnapshot, OrderRequest
from policy_engine.features import compute_features
from policy_engine.synthetic import BEHAVIOURS, make_snapshot

AS_OF = date(2026, 1, 1)


def _snap(**data: Any) -> CustomerSnapshot:
    return CustomerSnapshot.model_validate({"customer_id": "C", **data})


def _inv(i: str, issued: str, due: str, amount: str, **kw: Any) -> dict[str, Any]:
    return {"invoice_id": i, "issued_on": issued, "due_on": due, "amount": amount, **kw}


def test_an_invoice_issued_after_as_of_is_left_out() -> None:
    snap = _snap(invoices=[_inv("later", "2026-09-01", "2026-10-01", "120000.00")])

    f = compute_features(snap, AS_OF)

    assert (f["exposure"], f["open_receivables"]) == (Decimal(0), Decimal(0))
    assert (f["invoice_count"], f["open_invoice_count"], f["never_bought"]) == (0, 0, True)


def test_an_invoice_paid_after_as_of_is_open_at_as_of_by_its_whole_amount() -> None:
    paid_later = {"paid_amount": "120000.00", "paid_on": "2026-03-01"}
    part_paid_later = {"paid_amount": "50.00", "paid_on": "2026-02-01"}
    snap = _snap(invoices=[
        _inv("paid", "2025-11-01", "2025-12-01", "120000.00", **paid_later),
        _inv("part", "2025-11-01", "2025-12-11", "100.00", **part_paid_later),
    ])

    f = compute_features(snap, AS_OF)

    assert (f["exposure"], f["open_invoice_count"]) == (Decimal("120100.00"), 2)
    assert (f["overdue_amount"], f["dbt_open_max"], f["part_paid_overdue_count"]) == (Decimal("120100.00"), 31, 0)
    assert "dbt_paid_max" not in f  # nothing was paid yet as of 2026-01-01


def test_an_invoice_paid_on_as_of_is_paid() -> None:
    on_the_day = {"paid_amount": "10.00", "paid_on": "2026-01-01"}
    snap = _snap(invoices=[_inv("paid", "2025-11-01", "2025-12-01", "10.00", **on_the_day)])

    f = compute_features(snap, AS_OF)

    assert (f["open_invoice_count"], f["dbt_paid_max"]) == (0, 31)


def test_a_due_date_after_as_of_is_not_yet_due() -> None:
    snap = _snap(invoices=[_inv("open", "2025-12-15", "2026-01-15", "10.00")])

    f = compute_features(snap, AS_OF)

    assert (f["open_receivables"], f["overdue_count"]) == (Decimal("10.00"), 0)


def test_an_order_placed_after_as_of_is_left_out() -> None:
    snap = _snap(orders=[{"order_id": "o", "ordered_on": "2026-01-02", "amount": "50.00", "status": "open"}])

    f = compute_features(snap, AS_OF)

    assert (f["open_orders_amount"], f["has_orders"], f["never_bought"]) == (Decimal(0), False, True)


def test_a_signal_observed_after_as_of_is_left_out() -> None:
    snap = _snap(signals=[{"code": "bank_account_frozen", "observed_on": "2026-01-02"}])

    f = compute_features(snap, AS_OF)

    assert f["signal_count"] == 0 and "signal_bank_account_frozen" not in f


def test_a_statement_dated_after_as_of_is_left_out() -> None:
    snap = _snap(financials=[{"period_end": "2026-03-31", "current_assets": "10.00", "current_liabilities": "5.00"}])

    f = compute_features(snap, AS_OF)

    assert f["has_financials"] is False and "current_ratio" not in f


def test_an_assessment_made_after_as_of_is_left_out() -> None:
    scores = dict.fromkeys(("character", "capacity", "capital", "collateral", "conditions"), 90)
    later, undated = _snap(assessment={**scores, "assessed_on": "2026-02-01"}), _snap(assessment=scores)

    assert compute_features(later, AS_OF)["has_assessment"] is False
    assert compute_features(undated, AS_OF)["assess_character"] == 90  # no date: taken as known


def test_a_review_after_as_of_had_not_happened_yet_and_a_contact_after_it_leaves_contact_unknown() -> None:
    snap = _snap(last_contact_on="2026-01-10", last_review_on="2026-01-10", relationship_since="2026-02-01")

    f = compute_features(snap, AS_OF)

    # Only the last contact is held: one before as_of may have been made, so not "never contacted".
    assert "never_contacted" not in f and "days_since_last_contact" not in f
    assert "days_since_last_review" not in f
    assert f["relationship_months"] == 0


def test_only_invoices_open_at_as_of_get_invoice_stage_facts(policy: Policy) -> None:
    # Due 2025-12-31 and paid in February: open, overdue and reminded as of 2026-01-01;
    # issued in September: not an invoice yet, so no reminder for it.
    snap = _snap(invoices=[
        _inv("due", "2025-12-01", "2025-12-31", "100.00", paid_amount="100.00", paid_on="2026-02-01"),
        _inv("later", "2026-09-01", "2026-09-02", "100.00"),
    ])

    decision = policy.evaluate(snap, as_of=AS_OF)

    reminded = {a.target_id for a in decision.actions if a.code == "COLLECTION_REMINDER"}
    assert reminded == {"due"} and decision.exposure == Decimal("100.00")


def test_an_order_check_counts_no_order_placed_after_as_of(policy: Policy) -> None:
    later = {"order_id": "SO-1", "ordered_on": "2026-01-05", "amount": "70.00", "status": "open"}
    snap = _snap(orders=[later])

    checked = policy.check_order(snap, OrderRequest(order_id="SO-1", amount="70.00"), as_of=AS_OF)

    assert checked.customer.exposure == Decimal(0)
    assert checked.available_credit_after == checked.customer.available_credit - Decimal("70.00")


def _cut_by_hand(snap: CustomerSnapshot, day: date) -> CustomerSnapshot:
    """The snapshot a caller would have sent on `day`: later records out, later payments not made."""
    data = snap.model_dump()
    invoices = [i for i in data["invoices"] if i["issued_on"] <= day]
    for inv in invoices:
        if inv["paid_on"] is not None and inv["paid_on"] > day:
            inv.update(paid_amount=Decimal(0), paid_on=None)
    data.update(
        invoices=invoices,
        orders=[o for o in data["orders"] if o["ordered_on"] <= day],
        financials=[f for f in data["financials"] if f["period_end"] <= day],
        signals=[s for s in data["signals"] if s["observed_on"] <= day],
    )
    if data["last_review_on"] is not None and data["last_review_on"] > day:
        data["last_review_on"] = None
    # A last contact after `day` is kept: the product reads it as unknown, which a snapshot cannot say
    # (None is "never contacted"); the test above pins that reading.
    if data["assessment"] and (data["assessment"]["assessed_on"] or day) > day:
        data["assessment"] = None
    return CustomerSnapshot.model_validate(data)


@pytest.mark.parametrize("seed", range(12))
def test_a_past_as_of_decides_as_the_snapshot_cut_at_that_date_by_hand(policy: Policy, seed: int) -> None:
    now, then = date(2026, 11, 22), date(2026, 8, 20)
    snap = make_snapshot(random.Random(seed), now, f"C{seed}", behaviour=BEHAVIOURS[seed % len(BEHAVIOURS)])

    replayed = policy.evaluate(snap, as_of=then, explain=True)
    by_hand = policy.evaluate(_cut_by_hand(snap, then), as_of=then, explain=True)

    assert replayed.model_dump() == by_hand.model_dump()
