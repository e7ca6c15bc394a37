"""Synthetic customer snapshots: a realistic, seeded mix for examples, tests and benchmarks."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import TypedDict

from policy_engine.domain.models import (
    Assessment,
    CustomerSnapshot,
    Financials,
    Invoice,
    Order,
    Signal,
)
from policy_engine.domain.values import SIGNAL_CODES

BEHAVIOURS = ("prompt", "prompt", "prompt", "slow", "late", "large_late", "declining", "spike", "dormant", "new")
SIZES = {"large": (150_000, 600_000), "medium": (30_000, 150_000), "small": (3_000, 30_000)}
SEGMENTS = ("distributor", "hospital", "pharmacy", "retailer", "clinic")


def _money(x: float) -> Decimal:
    return Decimal(str(round(x, 2))).quantize(Decimal("0.01"))


def make_snapshot(
    rng: random.Random, as_of: date, customer_id: str, *, behaviour: str | None = None, invoices: int | None = None
) -> CustomerSnapshot:
    """One customer with up to two years of invoices and orders behaving as `behaviour` says."""
    # The draws are made in the same order as they always were, so a seed keeps giving the same data.
    behaviour = behaviour or rng.choice(BEHAVIOURS)
    size = rng.choices(("large", "medium", "small"), weights=(1, 3, 6))[0]
    monthly = rng.uniform(*SIZES[size])
    since, count = _history(rng, as_of, behaviour, invoices)
    inv_list, ord_list = _trade(rng, as_of, since, behaviour, monthly, count)
    fin = _financials(rng, as_of, size, monthly, behaviour)
    signals = _signals(rng, as_of, behaviour)
    assessment = _assessment(rng, as_of)
    return CustomerSnapshot(
        customer_id=customer_id,
        name=f"Customer {customer_id}",
        size=size,
        relationship_since=since,
        currency="CNY",
        invoices=inv_list,
        orders=ord_list,
        financials=fin,
        signals=signals,
        assessment=assessment,
        **_account(rng, as_of, monthly),
    )


def _history(rng: random.Random, as_of: date, behaviour: str, invoices: int | None) -> tuple[date, int]:
    """When the relationship began, and how many invoices it has had (`invoices` when given)."""
    months = 3 if behaviour == "new" else rng.randint(8, 24)
    count = invoices if invoices is not None else min(60, max(0, int(months * rng.uniform(0.5, 2.5))))
    since = as_of - timedelta(days=30 * months + rng.randint(0, 25))
    return since, count


def _signals(rng: random.Random, as_of: date, behaviour: str) -> list[Signal]:
    """A warning sign for about one customer in seven, and for every late payer."""
    if rng.random() < 0.15 or behaviour in ("late", "large_late"):
        return [Signal(code=rng.choice(SIGNAL_CODES), observed_on=as_of - timedelta(days=rng.randint(1, 150)))]
    return []


def _assessment(rng: random.Random, as_of: date) -> Assessment | None:
    """A 5C assessment for about two customers in five."""
    if rng.random() >= 0.4:
        return None
    return Assessment(
        **{k: rng.randint(30, 95) for k in ("character", "capacity", "capital", "collateral", "conditions")},
        assessed_on=as_of - timedelta(days=rng.randint(10, 200)),
    )


class _Account(TypedDict):
    segment: str
    last_contact_on: date | None
    last_review_on: date
    current_grade: str
    current_limit: Decimal


def _account(rng: random.Random, as_of: date, monthly: float) -> _Account:
    """Segment, last contact and review, current grade and limit, drawn in this order."""
    return {
        "segment": rng.choice(SEGMENTS),
        "last_contact_on": None if rng.random() < 0.05 else as_of - timedelta(days=rng.randint(0, 120)),
        "last_review_on": as_of - timedelta(days=rng.randint(5, 200)),
        "current_grade": rng.choice(("AA", "A", "BBB", "BB", "B", "CCC")),
        "current_limit": _money(monthly * rng.uniform(1, 4)),
    }


def _trade(
    rng: random.Random, as_of: date, since: date, behaviour: str, monthly: float, count: int
) -> tuple[list[Invoice], list[Order]]:
    invoices, orders = [], []
    span = max(1, (as_of - since).days - 5)
    days = sorted(rng.randint(0, span) for _ in range(count))
    avg_amount = monthly * (span / 30) / max(1, count)
    for n, offset in enumerate(days):
        inv = _invoice(rng, as_of, since + timedelta(days=offset), behaviour, avg_amount, f"INV-{n}")
        invoices.append(inv)
        orders.append(
            Order(
                order_id=f"SO-{n}",
                ordered_on=inv.issued_on - timedelta(days=rng.randint(1, 5)),
                amount=inv.amount,
                status="done",
            )
        )
    if behaviour not in ("dormant",) and rng.random() < 0.5:
        orders.append(_open_order(rng, as_of, monthly))
    return invoices, orders


def _invoice(
    rng: random.Random, as_of: date, issued: date, behaviour: str, avg_amount: float, invoice_id: str
) -> Invoice:
    """One invoice as `behaviour` pays it; still unpaid if it would be paid after as_of."""
    age = (as_of - issued).days
    if behaviour == "dormant" and age < 200:
        issued -= timedelta(days=200)
        age += 200
    amount = _money(avg_amount * rng.uniform(0.4, 1.6) * _scale(behaviour, age))
    term = rng.choice((15, 30, 30, 45, 60, 90))
    due = issued + timedelta(days=term)
    changes = rng.choice((0, 0, 0, 1, 2)) if behaviour == "late" else 0
    paid_on = due + timedelta(days=_payment_delay(rng, behaviour, amount, avg_amount))
    # Paid fields only when paid: unpaid invoices keep the defaults unset, as they always have.
    paid = {"paid_amount": amount, "paid_on": paid_on} if paid_on <= as_of and paid_on >= issued else {}
    return Invoice(
        invoice_id=invoice_id, issued_on=issued, due_on=due, amount=amount, payment_term_days=term,
        due_date_changes=changes, **paid,
    )


def _scale(behaviour: str, age: int) -> float:
    """How much larger than usual an invoice `age` days old is: declining and spiking customers' recent ones."""
    if behaviour == "declining" and age < 90:
        return 0.3
    if behaviour == "spike" and age < 60:
        return 4.0
    return 1.0


def _payment_delay(rng: random.Random, behaviour: str, amount: Decimal, avg_amount: float) -> int:
    """Days paid after the due date (negative: early)."""
    # All four draws are made whatever the behaviour, so a seed keeps giving the same data.
    delay = {"prompt": rng.randint(-3, 2), "slow": rng.randint(5, 25), "late": rng.randint(20, 120)}.get(
        behaviour, rng.randint(-2, 8)
    )
    if behaviour == "large_late":
        delay = rng.randint(25, 60) if amount > _money(avg_amount) else rng.randint(-3, 0)
    return delay


def _open_order(rng: random.Random, as_of: date, monthly: float) -> Order:
    """An order taken in the last ten days and not yet invoiced."""
    return Order(
        order_id="SO-open",
        ordered_on=as_of - timedelta(days=rng.randint(0, 10)),
        amount=_money(monthly * rng.uniform(0.2, 0.8)),
        status="open",
    )


def _financials(rng: random.Random, as_of: date, size: str, monthly: float, behaviour: str) -> list[Financials]:
    if behaviour == "new" or (size == "small" and rng.random() < 0.5):
        return []
    out = []
    revenue = monthly * 12 * rng.uniform(4, 12)
    for years_back in (1, 0):
        weak = behaviour in ("late", "declining") and rng.random() < 0.6
        ca = revenue * rng.uniform(0.2, 0.5)
        cl = ca / (rng.uniform(0.6, 1.1) if weak else rng.uniform(1.1, 2.6))
        ta = ca * rng.uniform(1.4, 2.2)
        # Total liabilities include the current ones; max() adds no draw, so the stream is unchanged.
        tl = max(cl, ta * (rng.uniform(0.7, 0.95) if weak else rng.uniform(0.3, 0.7)))
        out.append(
            Financials(
                period_end=date(as_of.year - 1 - years_back, 12, 31),
                current_assets=_money(ca),
                current_liabilities=_money(cl),
                inventory=_money(ca * rng.uniform(0.2, 0.5)),
                cash=_money(ca * rng.uniform(0.05, 0.3)),
                total_assets=_money(ta),
                total_liabilities=_money(tl),
                equity=_money(ta) - _money(tl),  # assets = liabilities + equity to the cent, as written
                revenue=_money(revenue),
                net_profit=_money(revenue * rng.uniform(-0.05, 0.12)),
            )
        )
        revenue *= rng.uniform(0.6, 1.3)
    return out


def portfolio(n: int, as_of: date, seed: int = 7) -> list[CustomerSnapshot]:
    """`n` customers, a seeded mix of sizes and behaviours."""
    rng = random.Random(seed)
    return [make_snapshot(rng, as_of, f"C{i:06d}") for i in range(n)]
