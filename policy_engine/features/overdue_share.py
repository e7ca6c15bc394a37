"""The overdue share of the open balance, now and 90 days before: a rise in it is a payment warning sign.

002 付款变化 (延迟付款期限) is about a customer starting to pay late; the share of what it owes that is past due
says so whatever the size of its book, and the same share 90 days before says whether it rose. Both are
computed from the snapshot as it stood on each day (as_stood.py's rules, applied here to the earlier day).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from policy_engine.domain.models import Invoice

SHARE_LOOKBACK_DAYS = 90
"""How far back `overdue_share_90d_ago` looks: fixed, as its name says it."""


def overdue_share(overdue: Decimal, open_balance: Decimal) -> float:
    """Overdue amount / open balance; 0.0 when nothing is open (nothing owed, so nothing overdue)."""
    return float(overdue / open_balance) if open_balance else 0.0


def overdue_share_before(invoices: list[Invoice], day: int) -> float:
    """The overdue share as the invoices stood on `day` (an ordinal): issued by then, unpaid if paid after it."""
    open_sum = overdue_sum = Decimal(0)
    for inv in invoices:
        # Fields straight from the model's __dict__, as payments.py reads them: this runs for every decision.
        fields: dict[str, Any] = inv.__dict__
        if fields["issued_on"].toordinal() > day:
            continue
        paid_on = fields["paid_on"]
        # A payment dated after `day` had not been made then; `paid_on` is the last payment's date, so no part
        # of `paid_amount` is known to be paid by then (as_stood.py). An undated part payment is taken as known.
        paid = fields["paid_amount"] if paid_on is None or paid_on.toordinal() <= day else Decimal(0)
        open_amount = fields["amount"] - paid
        if open_amount > 0:
            open_sum += open_amount
            if fields["due_on"].toordinal() < day:
                overdue_sum += open_amount
    return overdue_share(overdue_sum, open_sum)
