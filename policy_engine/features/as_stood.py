"""The snapshot as it stood on the evaluation date: the one place that says what was known by then.

A decision as of a date must not depend on what happened after it: replays, `simulate` and what-ifs
("as of last month") send the records held now. So every feature, and every invoice-stage fact, is
computed from the snapshot cut at `as_of`, one rule per kind of dated record:

- not there yet, left out: an invoice issued, an order placed, a statement whose period ends, a
  signal observed, an assessment made after `as_of`;
- not paid yet: an invoice paid after `as_of` is open by its whole amount (`paid_on` is the date of
  the last payment, the only one recorded, so no part of `paid_amount` is known to be paid by then);
- the last review after `as_of` had not happened yet, and the snapshot holds none before it: left out,
  as if there had been none (a review is due as of that date: the careful reading for a review).
- the last contact after `as_of` is kept here and read as unknown by compute.py: the snapshot holds only
  the last contact, so whether staff had contacted the customer by `as_of` is not known, and "never
  contacted" (a follow-up that says so) would be a claim the data does not support.

Kept as they are: a due date after `as_of` (not yet due), an undated payment or assessment (no date
to cut by: taken as known), `relationship_since` after `as_of` (0 months of relationship then).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any

from policy_engine.domain.models import CustomerSnapshot, Invoice

_DATED = (  # record list, and the date on which a record of it came to exist
    ("orders", attrgetter("ordered_on")),
    ("financials", attrgetter("period_end")),
    ("signals", attrgetter("observed_on")),
)
_LAST_DAYS = ("last_review_on",)  # the last contact: see the module docstring
_UNPAID = {"paid_amount": Decimal(0), "paid_on": None}


def as_stood(snap: CustomerSnapshot, as_of: date) -> CustomerSnapshot:
    """`snap` as it stood on `as_of`; `snap` itself when nothing in it is dated after that day."""
    if not _dated_after(snap, as_of):  # the usual case (every call of the service): one plain pass, no copy
        return snap
    changes: dict[str, Any] = {}
    invoices = _invoices(snap.invoices, as_of)
    if invoices is not None:
        changes["invoices"] = invoices
    for name, dated in _DATED:
        records: Sequence[Any] = getattr(snap, name)
        if any(dated(r) > as_of for r in records):
            changes[name] = [r for r in records if dated(r) <= as_of]
    for name in _LAST_DAYS:
        day = getattr(snap, name)
        if day is not None and day > as_of:
            changes[name] = None
    assessed_on = snap.assessment.assessed_on if snap.assessment is not None else None
    if assessed_on is not None and assessed_on > as_of:
        changes["assessment"] = None
    # model_copy skips validation: a cut of a valid snapshot is valid (fewer records, less paid).
    return snap.model_copy(update=changes) if changes else snap


def _dated_after(snap: CustomerSnapshot, as_of: date) -> bool:
    """Whether anything `as_stood` cuts is dated after `as_of`: plain loops, as this runs for every decision
    (~2 µs for 24 invoices, where generators over attrgetter took ~9)."""
    for inv in snap.invoices:
        if inv.issued_on > as_of or (inv.paid_on is not None and inv.paid_on > as_of):
            return True
    for order in snap.orders:
        if order.ordered_on > as_of:
            return True
    for statement in snap.financials:
        if statement.period_end > as_of:
            return True
    for signal in snap.signals:
        if signal.observed_on > as_of:
            return True
    review, assessment = snap.last_review_on, snap.assessment
    return ((review is not None and review > as_of)
            or (assessment is not None and assessment.assessed_on is not None and assessment.assessed_on > as_of))


def _invoices(invoices: list[Invoice], as_of: date) -> list[Invoice] | None:
    """The invoices issued by `as_of`, those paid after it unpaid again; None when that is all of them as they are."""
    if all(_known(inv, as_of) for inv in invoices):  # the usual case: no copy
        return None
    return [inv if inv.paid_on is None or inv.paid_on <= as_of else inv.model_copy(update=_UNPAID)
            for inv in invoices if inv.issued_on <= as_of]


def _known(inv: Invoice, as_of: date) -> bool:
    """Issued by `as_of`, and not paid after it."""
    return inv.issued_on <= as_of and (inv.paid_on is None or inv.paid_on <= as_of)
