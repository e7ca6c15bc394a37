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
