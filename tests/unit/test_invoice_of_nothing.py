"""An invoice of 0 is a real record (goods delivered free of charge — a sample, a warranty part — or an invoice
credited in full) and is taken, but it is no purchase: it neither hides "never bought" nor resets the days since
the last purchase, as an order of 0 would have (which is why an order is of more than 0)."""

from __future__ import annotations

from datetime import date
from typing import Any

from policy_engine.domain.models import CustomerSnapshot
from policy_engine.features.compute import compute_features

AS_OF = date(2026, 11, 20)


def invoice(invoice_id: str, issued_on: str, amount: str, **more: Any) -> dict[str, Any]:
    return {"invoice_id": invoice_id, "issued_on": issued_on, "due_on": issued_on, "amount": amount, **more}


def features(*invoices: dict[str, Any]) -> dict[str, Any]:
    snapshot = CustomerSnapshot.model_validate({"customer_id": "C", "relationship_since": "2020-01-01",
                                                "invoices": list(invoices)})
    return compute_features(snapshot, AS_OF)


def test_a_customer_with_only_invoices_of_nothing_has_never_bought() -> None:
    found = features(invoice("I-1", "2026-11-01", "0"), invoice("I-2", "2026-10-01", "0.00", due_date_changes=3))

    assert found["never_bought"] is True and "days_since_last_purchase" not in found
    assert found["open_receivables"] == 0 and found["avg_monthly_purchases"] == 0


def test_a_free_delivery_after_the_last_purchase_does_not_reset_the_days_since_it() -> None:
    paid = {"paid_amount": "5000", "paid_on": "2026-06-01"}

    found = features(invoice("I-1", "2026-06-01", "5000", **paid), invoice("I-2", "2026-11-15", "0"))

    assert found["days_since_last_purchase"] == (AS_OF - date(2026, 6, 1)).days


# An invoice of 0 owes nothing, so nothing on it was ever paid late: a `paid_on` after its due date, or a due date
# moved on it, is no evidence of how the customer pays (before, both counted as a late payment and as changes).


def test_an_invoice_of_nothing_dated_paid_late_is_no_late_payment() -> None:
    on_time = invoice("I-1", "2026-09-01", "5000", paid_amount="5000", paid_on="2026-09-01")
    dated_late = invoice("I-2", "2026-08-01", "0", paid_on="2026-10-30")  # 90 days after its due date

    found = features(on_time, dated_late)

    assert (found["late_paid_share"], found["dbt_paid_max"], found["dbt_paid_weighted"]) == (0.0, 0, 0.0)


def test_only_invoices_of_nothing_leave_the_payment_record_unknown() -> None:
    found = features(invoice("I-1", "2026-08-01", "0", paid_on="2026-10-30"))

    assert {"late_paid_share", "dbt_paid_max", "dbt_paid_weighted"}.isdisjoint(found)


def test_due_dates_moved_on_an_invoice_of_nothing_are_no_due_date_changes() -> None:
    found = features(invoice("I-1", "2026-11-01", "0", due_date_changes=3),
                     invoice("I-2", "2026-11-02", "100", due_date_changes=1))

    assert found["due_date_changes_90d"] == 1


def test_invoices_of_nothing_are_no_trading_record() -> None:
    """Three free samples neither make a customer's invoice_count nor date its first trade."""
    found = features(*(invoice(f"S-{k}", f"2024-0{k}-01", "0") for k in (1, 2, 3)),
                     invoice("I-1", "2026-06-01", "5000", paid_amount="5000", paid_on="2026-06-01"))
    unknown_since = CustomerSnapshot.model_validate({"customer_id": "C", "invoices": [
        invoice("S-1", "2024-01-01", "0"), invoice("I-1", "2026-06-01", "5000")]})

    assert found["invoice_count"] == 1
    assert compute_features(unknown_since, AS_OF)["relationship_months"] == 5  # from June 2026, not January 2024


def test_a_free_sample_dated_paid_late_leaves_the_decision_as_it_was() -> None:
    """Before, it halved late_paid_share (1 of 2 "paid late") and took the customer out of the scorecard's best
    payment band: a lower score for a sample it never owed anything on."""
    from policy_engine.api import load_policy

    paid = [invoice(f"I-{k}", f"2026-0{k}-01", "5000", paid_amount="5000", paid_on=f"2026-0{k}-01") for k in (4, 5, 6)]
    sample = invoice("S-1", "2026-07-01", "0", paid_on="2026-10-15", due_date_changes=2)
    base = {"customer_id": "C", "relationship_since": "2020-01-01"}
    policy = load_policy()
    try:
        alone = policy.evaluate(CustomerSnapshot.model_validate({**base, "invoices": paid}), as_of=AS_OF)
        with_sample = policy.evaluate(CustomerSnapshot.model_validate({**base, "invoices": [*paid, sample]}),
                                      as_of=AS_OF)
    finally:
        policy.close()

    assert (with_sample.score, with_sample.grade, with_sample.reasons) == (alone.score, alone.grade, alone.reasons)
