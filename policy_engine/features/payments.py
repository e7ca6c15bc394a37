"""Payment features: open and overdue receivables, days beyond terms, lateness. One pass sorts the invoices
(and collects their part of the purchase features); each feature group then reads only its own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from policy_engine.domain.models import CustomerSnapshot, Invoice
from policy_engine.features.catalogue import FeatureSettings

_ZERO = Decimal(0)  # Decimals are immutable: one shared zero instead of building one per use


def _weighted_days(weights: list[float], weighted_days: list[float]) -> float:
    """sum(w·d) / sum(w) from parallel lists of w and w·d, 0.0 when the weights add up to nothing.

    sum() of lists rather than running `+=` totals: from Python 3.12 sum() adds floats with
    compensation (Neumaier), so a plain running total could differ in the last bit there.
    """
    total = sum(weights)
    return sum(weighted_days) / total if total else 0.0


def _lateness_gap(weights: list[float], weighted_days: list[float], median: float) -> float | None:
    """Weighted days late of the invoices at or above the median amount minus that of those below."""
    large_w: list[float] = []
    large_wd: list[float] = []
    small_w: list[float] = []
    small_wd: list[float] = []
    for w, wd in zip(weights, weighted_days, strict=True):  # one loop beats four filtering comprehensions
        if w >= median:
            large_w.append(w)
            large_wd.append(wd)
        else:
            small_w.append(w)
            small_wd.append(wd)
    if not small_w:  # (the median itself is always large)
        return None
    return _weighted_days(large_w, large_wd) - _weighted_days(small_w, small_wd)


_InvoicePurchases = tuple[set[int], Decimal, int]
"""What the invoice pass hands to _purchase_features: the issue days (ordinals), the
amount invoiced in the last 365 days and the first issue day among those (as_of's if none)."""

_Fields = dict[str, Any]
_GapEntry = tuple[int, float, float, int]
"""An overdue invoice's place in the lateness gap: (index into the paid ones, amount, amount × days, days)."""


def _payment_features(
    snap: CustomerSnapshot, as_of: date, s: FeatureSettings, out: dict[str, Any]
) -> _InvoicePurchases:
    """Write the payment features to `out`; return the invoices' part of the purchase features."""
    # Day counts on ordinals; money sums in Decimal, exact (every total stays far below the 28
    # digits of the context, see MAX_MONEY); weights in floats, kept in lists for _weighted_days.
    today = as_of.toordinal()
    open_invoices, paid, settled_changes, purchases, out["invoice_count"] = _sort_invoices(snap.invoices, today, s)
    open_changes, overdue_gap = _open_features(open_invoices, today, out)
    out["due_date_changes_90d"] = open_changes + settled_changes
    paid_w, paid_wd = _paid_features(paid, out)
    if len(paid_w) + len(overdue_gap) >= s.lateness_gap_min_invoices:
        if overdue_gap:
            paid_w, paid_wd = _in_invoice_order(paid_w, paid_wd, overdue_gap)
        median = sorted(paid_w)[len(paid_w) // 2]
        gap = _lateness_gap(paid_w, paid_wd, median)
        if gap is not None:
            out["large_small_lateness_gap"] = gap
        # 000's 小额货款都不能支付 needs amounts clearly small for this customer: below the gap's
        # median alone would call an invoice at 95% of the usual small, and double-count most
        # customers warn.pays_late already flags for the same invoice.
        half = median / 2
        out["dbt_small_open_max"] = max((late for _, w, _, late in overdue_gap if w <= half), default=0)
    return purchases


def _sort_invoices(
    invoices: list[Invoice], today: int, s: FeatureSettings
) -> tuple[list[tuple[int, _Fields]], list[tuple[int, Decimal]], int, _InvoicePurchases, int]:
    """One pass: the open invoices (each with the count of paid ones before it), those paid in the
    payment window, the due-date changes of the settled ones in the change window, the invoices'
    part of the purchase features, and the count of invoices of more than 0 (invoice_count)."""
    paid_from = today - s.payment_window_days
    changes_from = today - s.due_change_window_days
    year_ago = today - 365
    changes = billed = 0
    invoiced = _ZERO
    first_recent = today
    days: set[int] = set()
    open_invoices: list[tuple[int, _Fields]] = []
    paid: list[tuple[int, Decimal]] = []  # (paid on minus due on, amount)
    for inv in invoices:
        # Fields straight from the model's __dict__ (where pydantic keeps them): BaseModel's
        # attribute hook costs ~40 ns a read, and this loop may see thousands of invoices.
        fields = inv.__dict__
        amount: Decimal = fields["amount"]
        if not amount:
            # An invoice of 0 (free of charge, or credited in full) is no purchase, and owes nothing: a date it was
            # "paid" on or a due date moved on it says nothing of how the customer pays what it owes (no lateness).
            continue
        billed += 1
        issued: int = fields["issued_on"].toordinal()  # on or before today: later ones are cut (as_stood.py)
        days.add(issued)
        if issued > year_ago:
            invoiced += amount
            if issued < first_recent:
                first_recent = issued
        if fields["paid_amount"] < amount:  # open: something is still owed
            open_invoices.append((len(paid), fields))
            continue
        if issued >= changes_from:
            changes += fields["due_date_changes"]
        paid_on: date | None = fields["paid_on"]
        if paid_on is not None:
            paid_day = paid_on.toordinal()
            if paid_day >= paid_from:
                paid.append((paid_day - fields["due_on"].toordinal(), amount))
    return open_invoices, paid, changes, (days, invoiced, first_recent), billed


def _open_features(
    open_invoices: list[tuple[int, _Fields]], today: int, out: dict[str, Any]
) -> tuple[int, list[_GapEntry]]:
    """Open, overdue and part-paid overdue counts, amounts, days beyond terms; returns the open invoices' due-date
    changes and the overdue ones' entries for the lateness gap."""
    overdue_count = due_changes = open_max = part_paid = 0
    open_sum = overdue_sum = _ZERO
    overdue_w: list[float] = []  # open amount of each overdue invoice …
    overdue_wd: list[float] = []  # … times its days past due
    overdue_gap: list[_GapEntry] = []
    for at, fields in open_invoices:
        amount: Decimal = fields["amount"]
        paid_amount: Decimal = fields["paid_amount"]
        open_amount = amount - paid_amount
        open_sum += open_amount
        due_changes += fields["due_date_changes"]
        late = today - fields["due_on"].toordinal()
        if late > 0:
            overdue_count += 1
            overdue_sum += open_amount
            if late > open_max:
                open_max = late
            # float() of a Decimal costs ~0.25 µs: with nothing paid yet the open amount is
            # the amount, and so is its float.
            w = float(amount)
            if paid_amount:  # paid in part (不按清款支付), weighed by what is still open
                part_paid += 1
                w_open = float(open_amount)
            else:
                w_open = w
            overdue_w.append(w_open)
            overdue_wd.append(w_open * late)
            overdue_gap.append((at, w, w * late, late))
    out["open_invoice_count"] = len(open_invoices)
    out["open_receivables"] = open_sum
    out["overdue_count"] = overdue_count
    out["overdue_amount"] = overdue_sum
    out["dbt_open_max"] = open_max
    out["dbt_open_weighted"] = _weighted_days(overdue_w, overdue_wd)
    out["part_paid_overdue_count"] = part_paid
    return due_changes, overdue_gap


def _paid_features(paid: list[tuple[int, Decimal]], out: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Days beyond terms and the late share of the invoices paid in the window; returns their
    amounts and amounts × days late, in invoice order."""
    paid_max = late_paid = 0
    paid_w: list[float] = []  # amount of each invoice paid in the window …
    paid_wd: list[float] = []  # … times its days paid late
    for late, amount in paid:
        if late > 0:
            late_paid += 1
            if late > paid_max:
                paid_max = late
        else:
            late = 0  # paid early counts as paid on time
        w = float(amount)
        paid_w.append(w)
        paid_wd.append(w * late)
    if paid_w:
        out["dbt_paid_max"] = paid_max
        out["dbt_paid_weighted"] = _weighted_days(paid_w, paid_wd)
        out["late_paid_share"] = late_paid / len(paid_w)
    return paid_w, paid_wd


def _in_invoice_order(
    paid_w: list[float], paid_wd: list[float], overdue_gap: list[_GapEntry]
) -> tuple[list[float], list[float]]:
    """The lateness gap's weights: the overdue invoices merged in among the paid ones, in invoice
    order (the order of the float sums in _weighted_days)."""
    gap_w: list[float] = []
    gap_wd: list[float] = []
    done = 0
    for at, w, wd, _ in overdue_gap:
        gap_w += paid_w[done:at]
        gap_wd += paid_wd[done:at]
        gap_w.append(w)
        gap_wd.append(wd)
        done = at
    gap_w += paid_w[done:]
    gap_wd += paid_wd[done:]
    return gap_w, gap_wd
