"""compute_features: every catalogue field known for a customer as of a date, from its snapshot."""

from __future__ import annotations

from datetime import date
from typing import Any

from policy_engine.domain.models import CustomerSnapshot
from policy_engine.domain.values import GRADE_RANK
from policy_engine.features.as_stood import as_stood
from policy_engine.features.catalogue import FeatureSettings
from policy_engine.features.financials import _financial_features
from policy_engine.features.overdue_share import SHARE_LOOKBACK_DAYS, overdue_share, overdue_share_before
from policy_engine.features.payments import _payment_features
from policy_engine.features.purchases import _months_between, _purchase_features


def compute_features(
    snap: CustomerSnapshot, as_of: date, settings: FeatureSettings = FeatureSettings()
) -> dict[str, Any]:
    """Derive every catalogue field known for this customer on `as_of`; unknown ones are left out."""
    # Records dated after as_of are cut first (as_stood.py); the passes see only the rest.
    return features_as_stood(as_stood(snap, as_of), as_of, settings)


def features_as_stood(
    snap: CustomerSnapshot, as_of: date, settings: FeatureSettings = FeatureSettings()
) -> dict[str, Any]:
    """compute_features for a snapshot already cut at `as_of` (as_stood): the evaluator cuts once for the
    features and its own reads, and a second cut would scan every record again for nothing (~4 µs)."""
    # Only known values are ever stored, so there are no None values to drop at the end.
    out: dict[str, Any] = {"size": snap.size}
    # Without relationship_since, the first invoice of more than 0: an invoice of 0 is no trade (payments.py).
    first_trade = snap.relationship_since or min((i.issued_on for i in snap.invoices if i.amount), default=None)
    out["relationship_months"] = max(0, _months_between(as_of, first_trade)) if first_trade else 0
    _purchase_features(snap, as_of, _payment_features(snap, as_of, settings, out), out)
    _financial_features(snap, as_of, out)
    out["overdue_share"] = overdue_share(out["overdue_amount"], out["open_receivables"])
    out["overdue_share_90d_ago"] = overdue_share_before(snap.invoices, as_of.toordinal() - SHARE_LOOKBACK_DAYS)
    out["exposure"] = exposure = out["open_receivables"] + out["open_orders_amount"]
    if snap.current_limit:
        out["limit_utilisation"] = float(exposure / snap.current_limit)
    today = as_of.toordinal()
    contact = snap.last_contact_on
    if contact is None:
        out["never_contacted"] = True
    elif contact <= as_of:
        out["never_contacted"] = False
        out["days_since_last_contact"] = today - contact.toordinal()
    # else the last contact came after as_of: whether one came before is not known (as_stood.py), so neither
    if snap.last_review_on is not None:
        out["days_since_last_review"] = today - snap.last_review_on.toordinal()
    window = today - settings.signal_window_days
    active = {s.code for s in snap.signals if s.observed_on.toordinal() >= window}
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
    if snap.value_class:  # "" is "not computed": absent, so every comparison on it is false
        out["value_class"] = snap.value_class
    return out
