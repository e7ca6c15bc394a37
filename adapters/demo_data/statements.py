"""A demo customer's yearly financial statements: two consecutive years whose revenue moved as a real book's
does, some filed a year or two late, the weak ones with thin or negative equity and losses."""

from __future__ import annotations

import random
from datetime import date
from statistics import NormalDist

from adapters.demo_data.amounts import signed_money, to_cents

STALE_SHARE = 0.05  # customers with statements whose latest is a year or two late (not filed, not asked for)
FALL_SHARE = 0.03  # ... whose revenue fell 30-60% on the year before
SURGE_SHARE = 0.03  # ... whose revenue rose 50-150%
GROWTH = NormalDist(0.04, 0.06)  # the others' year-over-year change: nine in ten within ±15%


def yearly_statements(
    rng: random.Random,
    filing: random.Random,
    as_of: date,
    cid: str,
    size: str,
    monthly: float,
    weak: bool,
    strong: random.Random | None = None,
) -> list[tuple[object, ...]]:
    """Two consecutive yearly statements (none for most small customers): one revenue level, moved on the year
    before as in a real book. `filing` is the stream of its own that decides which are filed late; `strong`, a
    strong payer's, draws its lighter liabilities (strong_liabilities)."""
    if size == "small" and rng.random() < 0.6:
        return []
    late = filing.randint(1, 2) if filing.random() < STALE_SHARE else 0
    latest = as_of.year - 1 - late
    revenue = monthly * 12 / rng.uniform(0.05, 0.3)  # our sales are 5-30% of its revenue
    rows = [statement_row(rng, cid, latest, revenue, weak, strong)]
    # One draw where the year before's revenue used to be drawn on its own: the stream keeps its draws.
    rows.append(statement_row(rng, cid, latest - 1, revenue / (1 + revenue_change(rng.random())), weak, strong))
    return rows


def statement_row(
    rng: random.Random, cid: str, year: int, revenue: float, weak: bool, strong: random.Random | None = None
) -> tuple[object, ...]:
    """The statement of `year`, its lines in proportion to its own revenue (writer.COLUMNS order); a strong
    payer's liabilities are drawn again from its stream `strong`."""
    ca = revenue * rng.uniform(0.25, 0.45)
    cl = ca * rng.uniform(1.1, 1.8) if weak else ca / rng.uniform(1.2, 2.2)
    ta = ca * rng.uniform(1.5, 2.5)
    # Total liabilities include the current ones (a draw on its own could fall below them); no draw is
    # added, so every other figure of the stream stays as it was.
    tl = max(cl, ta * (rng.uniform(0.85, 1.15) if weak else rng.uniform(0.3, 0.6)))
    if strong is not None:  # after rng's draws, so rng draws as it does for every other customer
        cl, tl = strong_liabilities(strong, ca, ta)
    profit = -revenue * rng.uniform(0.01, 0.08) if weak else revenue * rng.uniform(0.02, 0.1)
    inventory, cash = ca * rng.uniform(0.2, 0.5), ca * rng.uniform(0.02 if weak else 0.1, 0.3)
    lines = [to_cents(v) for v in (ca, cl, inventory, cash, ta, tl)]
    equity = lines[4] - lines[5]  # to the cent: assets = liabilities + equity as written, not as drawn
    figures = (*lines, equity, to_cents(revenue), to_cents(profit))
    return (cid, date(year, 12, 31).isoformat(), *map(signed_money, figures))


def strong_liabilities(strong: random.Random, current_assets: float, total_assets: float) -> tuple[float, float]:
    """A strong payer's current and total liabilities: a current ratio of 2.2-3.0 and a debt ratio of 0.2-0.38
    (the others' 1.2-2.2 and 0.3-0.6), where the shipped scorecard gives its best capacity and capital points:
    AAA's score of 90 needs every factor near its best at once (generator.STRONG_SHARE)."""
    current = current_assets / strong.uniform(2.2, 3.0)
    return current, max(current, total_assets * strong.uniform(0.2, 0.38))


def revenue_change(quantile: float) -> float:
    """Latest revenue / the year before's − 1 at `quantile` (0 ≤ q < 1) of a real book's year-over-year changes."""
    if quantile < FALL_SHARE:  # lost its largest customers: -60% to -30%
        return -0.6 + 0.3 * quantile / FALL_SHARE
    if quantile >= 1 - SURGE_SHARE:  # an acquisition, a big new contract: +50% to +150%
        return 0.5 + (quantile - 1 + SURGE_SHARE) / SURGE_SHARE
    body = (quantile - FALL_SHARE) / (1 - FALL_SHARE - SURGE_SHARE)
    # Clamped so that only the tails reach warn.business_changes' -30% and warn.sales_surge's +50%.
    return min(max(GROWTH.inv_cdf(max(body, 1e-9)), -0.25), 0.45)
