"""A realistic synthetic portfolio: mixed sizes and segments, skewed sales, two years of trading,
customers drifting into each warning sign of DOMAIN.md and a few strong payers who reach the top
grades. Pure Python, no database."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from adapters.demo_data import profile as pf
from adapters.demo_data.amounts import money
from adapters.demo_data.statements import yearly_statements
from policy_engine.domain.values import SIGNAL_CODES

DRIFTS = (
    "late_payment",  # paying later than the term
    "due_date_changes",  # payment dates often changed
    "small_prompt_large_late",  # small amounts paid promptly, large ones delayed
    "overdue",  # not paying as settled: open invoices past due
    "order_drop",  # order value drops suddenly
    "no_orders",  # no orders lately
    "order_spike",  # unexplained sudden increase in orders
    "staff_signals",  # warning signs recorded by staff (CONTRACT vocabulary)
    "weak_financials",  # current ratio below 1, losses, thin or negative equity
    "no_follow_up",  # never or long not contacted
)
CATEGORIES = (*DRIFTS, "new_customer")
SIZES = ("large", "medium", "small")
SIZE_WEIGHTS = (0.1, 0.3, 0.6)
MONTHLY_BASE = {"large": 400_000, "medium": 80_000, "small": 12_000}
TERMS = {"large": (30, 45, 60, 90), "medium": (30, 45, 60), "small": (7, 15, 30)}
SEGMENTS = ("distributor", "hospital", "pharmacy", "retailer", "clinic", "wholesaler")
CITIES = ("Shanghai", "Beijing", "Guangzhou", "Shenzhen", "Chengdu", "Wuhan", "Hangzhou", "Nanjing", "Xi'an")
WORDS = ("Huaxin", "Kangda", "Jinyuan", "Hengtai", "Ruifeng", "Minsheng", "Tianhe", "Yongkang", "Dahua")
FORMS = ("limited company", "joint-stock company", "sole proprietorship", "partnership", "state-owned")
DAY = timedelta(days=1)
# Established, steady, not small customers who pay on or before the due date, keep a solid book and are
# rated 86-98 by staff: without them no demo customer reaches AAA (a score of 90 needs every factor near its
# best at once), so a preview of a change to the top grades decided nothing.
STRONG_SHARE = 0.08


@dataclass
class Portfolio:
    """Rows for each table, as tuples in the column order of writer.COLUMNS."""

    customers: list[tuple[object, ...]] = field(default_factory=list)
    invoices: list[tuple[object, ...]] = field(default_factory=list)
    orders: list[tuple[object, ...]] = field(default_factory=list)
    financial_statements: list[tuple[object, ...]] = field(default_factory=list)
    staff_signals: list[tuple[object, ...]] = field(default_factory=list)
    assessments: list[tuple[object, ...]] = field(default_factory=list)
    contacts: list[tuple[object, ...]] = field(default_factory=list)
    profiles: list[pf.ProfileSeed] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))


class Generator:
    """Deterministic for a given seed and as_of."""

    def __init__(self, seed: int, as_of: date):
        self.rng = random.Random(seed)
        # Which statements are filed late comes from a stream of its own: a draw more in self.rng
        # would move every later customer's data, and with it each figure the docs quote.
        self.filing = random.Random(f"{seed}:filing")
        # The strong payers are chosen, and their figures drawn, from a stream of their own too.
        self.standing = random.Random(f"{seed}:standing")
        self.as_of = as_of

    def chunks(self, count: int, chunk_size: int = 5000) -> Iterator[Portfolio]:
        """Customers 1..count in portfolios of chunk_size customers."""
        for start in range(0, count, chunk_size):
            out = Portfolio()
            for index in range(start + 1, min(start + chunk_size, count) + 1):
                self.customer(index, out)
            yield out

    def customer(self, index: int, out: Portfolio) -> None:
        """Add one customer and its history to `out`."""
        r, as_of = self.rng, self.as_of
        cid = f"C{index:07d}"
        size = r.choices(SIZES, SIZE_WEIGHTS)[0]
        new = r.random() < 0.04
        drifts: set[str] = set()
        if not new and r.random() < 0.35:
            drifts.add(r.choice(DRIFTS))
            if r.random() < 0.25:
                drifts.add(r.choice(DRIFTS))
        for d in drifts:
            out.categories[d] += 1
        out.categories["new_customer"] += new
        strong = self._strong_payer(size, new, drifts)
        since = as_of - DAY * (r.randint(5, 60) if new else r.randint(120, 3650))
        monthly = MONTHLY_BASE[size] * min(r.paretovariate(1.3), 200.0)
        self._record_card(cid, size, since, new, out)
        if not new:
            sales = self._trading(cid, size, since, monthly, drifts, out, strong)
            weak, standing = "weak_financials" in drifts, self.standing if strong else None
            out.financial_statements.extend(
                yearly_statements(r, self.filing, as_of, cid, size, monthly, weak, standing)
            )
            score = self._assessment(cid, drifts, out, strong)
            out.profiles.append(pf.ProfileSeed(cid, score, monthly, sales))
        elif r.random() < 0.5:
            oid = f"{cid}-O001"
            out.orders.append(
                (oid, cid, (as_of - DAY * r.randint(0, 5)).isoformat(), money(int(monthly * 100)), "open")
            )
        self._signals(cid, "staff_signals" in drifts, out)
        self._contacts(cid, new, "no_follow_up" in drifts, out)

    def _strong_payer(self, size: str, new: bool, drifts: set[str]) -> bool:
        """Whether this customer is a strong payer: STRONG_SHARE of the established, steady, not small ones."""
        drawn = self.standing.random() < STRONG_SHARE
        return drawn and not new and not drifts and size != "small"

    def _record_card(self, cid: str, size: str, since: date, new: bool, out: Portfolio) -> None:
        r = self.rng
        city, word = r.choice(CITIES), r.choice(WORDS)
        segment = r.choice(SEGMENTS)
        review = None if new else (self.as_of - DAY * r.randint(0, 200)).isoformat()
        established = since - DAY * r.randint(365, 9000)
        out.customers.append((
            cid, f"{city} {word} {segment.title()} {cid[-4:]}", size, segment, since.isoformat(), "CNY", None,
            review, f"{r.randint(1, 999)} {word} Road, {city}", f"{r.choice(WORDS)} {r.choice('LWZCH')}.",
            established.isoformat(), r.choice(FORMS), f"healthcare {segment}", city,
            r.choice(("high", "medium", "low")), r.choice(("high", "medium", "low")),
            r.choice(("exclusive with us", "also buys from competitors", "mainly competitors")),
            r.choice(("cooperative", "neutral", "difficult")), f"net {r.choice(TERMS[size])}", "",
        ))  # fmt: skip

    def _trading(
        self, cid: str, size: str, since: date, monthly: float, drifts: set[str], out: Portfolio, strong: bool
    ) -> int:
        """Two years of monthly invoices (each from a done order) and open orders; returns 12-month sales."""
        sales_12m, n = self._invoiced_orders(cid, size, since, monthly, drifts, out, strong)
        if "no_orders" not in drifts and self.rng.random() < 0.5:
            self._open_orders(cid, n, monthly, out)
        return sales_12m

    def _invoiced_orders(
        self, cid: str, size: str, since: date, monthly: float, drifts: set[str], out: Portfolio, strong: bool
    ) -> tuple[int, int]:
        """An order a month, done and invoiced, its size moved as the drifts say: (12-month sales, orders)."""
        r, as_of = self.rng, self.as_of
        issued = max(since, as_of - DAY * 730) + DAY * r.randint(0, 20)
        sales_12m, n = 0, 0
        while issued <= as_of:
            age = (as_of - issued).days
            factor = r.uniform(0.6, 1.4)
            if "order_drop" in drifts and age < 90:
                factor *= 0.2
            if "order_spike" in drifts and age < 35:
                factor *= 5
            if not ("no_orders" in drifts and age < 130):
                n += 1
                cents = max(100, int(monthly * factor * 100))
                sales_12m += cents if age < 365 else 0
                ordered = (issued - DAY * r.randint(0, 5)).isoformat()
                out.orders.append((f"{cid}-O{n:03d}", cid, ordered, money(cents), "done"))
                iid = f"{cid}-I{n:03d}"
                out.invoices.append(self._invoice(iid, cid, size, issued, cents, monthly, drifts, strong))
            issued += DAY * r.randint(25, 35)
        return sales_12m, n

    def _open_orders(self, cid: str, n: int, monthly: float, out: Portfolio) -> None:
        """One or two orders of the last two weeks not yet invoiced, numbered on from the `n` before them."""
        r, as_of = self.rng, self.as_of
        for _ in range(r.randint(1, 2)):
            n += 1
            cents = max(100, int(monthly * r.uniform(0.5, 1.2) * 100))
            ordered = (as_of - DAY * r.randint(0, 14)).isoformat()
            out.orders.append((f"{cid}-O{n:03d}", cid, ordered, money(cents), "open"))

    def _invoice(
        self, iid: str, cid: str, size: str, issued: date, cents: int, monthly: float, drifts: set[str], strong: bool
    ) -> tuple[object, ...]:
        r, as_of = self.rng, self.as_of
        age = (as_of - issued).days
        term = r.choice(TERMS[size])
        due = issued + DAY * term
        changes = 0
        if "due_date_changes" in drifts and age < 200 and r.random() < 0.6:
            changes = r.randint(1, 3)
            due += DAY * 15 * changes
        delay = r.randint(-7, 3)
        if "late_payment" in drifts and age < 240:
            delay = r.randint(15, 75)
        if "small_prompt_large_late" in drifts:
            delay = r.randint(25, 70) if cents > monthly * 100 else r.randint(-5, 0)
        paid_by = max(issued, due + DAY * delay)
        if strong and paid_by <= as_of:
            # On or before the due date, never later than drawn. One drawn still open stays open: paid, it would
            # skip rng's part-payment draw below and move every later customer's data.
            paid_by = max(issued, min(paid_by, due - DAY * self.standing.randint(0, 7)))
        paid_on: date | None = paid_by
        paid = cents
        if "overdue" in drifts and due < as_of and age < 110:
            paid_on = None
        if paid_on is None or paid_on > as_of:
            paid_on, paid = None, 0
            if r.random() < 0.2 and issued < as_of:  # a part payment on an open invoice
                paid = cents // 2
                paid_on = issued + DAY * r.randint(0, (as_of - issued).days)
        return (iid, cid, issued.isoformat(), due.isoformat(), money(cents), money(paid),
                paid_on.isoformat() if paid_on else None, term, changes)  # fmt: skip

    def _assessment(self, cid: str, drifts: set[str], out: Portfolio, strong: bool) -> float:
        r = self.rng
        low, high = (35, 75) if drifts else (55, 95)
        scores = [r.randint(low, high) for _ in range(5)]
        if strong:  # drawn after rng's five, so rng draws as it does for every other customer
            scores = [self.standing.randint(86, 98) for _ in scores]
        assessed = self.as_of - DAY * r.randint(0, 365)
        out.assessments.append((cid, assessed.isoformat(), *scores))
        return sum(scores) / 5

    def _signals(self, cid: str, drifting: bool, out: Portfolio) -> None:
        r, as_of = self.rng, self.as_of
        seen: set[tuple[str, date]] = set()
        count = r.randint(1, 3) if drifting else (1 if r.random() < 0.02 else 0)
        for _ in range(count):
            code = r.choice(SIGNAL_CODES)
            observed = as_of - DAY * (r.randint(0, 90) if drifting else r.randint(400, 700))
            if (code, observed) not in seen:
                seen.add((code, observed))
                out.staff_signals.append((cid, code, observed.isoformat(), "observed by sales staff"))

    def _contacts(self, cid: str, new: bool, neglected: bool, out: Portfolio) -> None:
        r, as_of = self.rng, self.as_of
        if neglected and r.random() < 0.5:
            return  # never followed up
        count = 1 if new or neglected else r.randint(1, 3)
        for _ in range(count):
            ago = r.randint(150, 400) if neglected else r.randint(0, 45)
            out.contacts.append(
                (cid, (as_of - DAY * ago).isoformat(), r.choice(("visit", "call", "email")), "sales", "")
            )

