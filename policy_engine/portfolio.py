"""Portfolio-level policy the per-customer rules cannot see: ABC value classes, key-customer rankings,
and the share of class C put up for the "give up ~5%" review (DOMAIN.md: 000, 001, 003, 002).

Pure functions over plain values; the batch feeds them from the store in streaming order.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class AbcCutoffs:
    """Cumulative-sales shares: a customer whose sales start before `a` of the total is A, before `b` B."""

    a: Decimal = Decimal("0.75")
    b: Decimal = Decimal("0.95")


def value_class_at(sales_before: Decimal, total: Decimal, cutoffs: AbcCutoffs) -> str:
    """The class of a customer whose better-selling peers account for `sales_before` of `total`.

    A customer belongs to the class in which its first unit of sales falls, so the customer who
    crosses 75% is still A and the top customer is A even when it alone makes 90% of sales.
    """
    if total <= 0:
        return "C"
    share = sales_before / total
    if share < cutoffs.a:
        return "A"
    return "B" if share < cutoffs.b else "C"


def classify_ranked(
    ranked: Iterable[tuple[str, Decimal]], total: Decimal, cutoffs: AbcCutoffs
) -> Iterator[tuple[str, str]]:
    """(customer_id, class) for customers already ranked by sales, best first (streaming)."""
    running = Decimal(0)
    for customer_id, sales in ranked:
        yield customer_id, value_class_at(running, total, cutoffs)
        running += sales


def sales_rank_key(customer_id: str, sales: Decimal) -> tuple[Decimal, str]:
    """Order of the ABC ranking: larger sales first, ties by customer id."""
    return -sales, customer_id


def abc_classes(sales: Mapping[str, Decimal], cutoffs: AbcCutoffs = AbcCutoffs()) -> dict[str, str]:
    """ABC value class of every customer by cumulative sales (A ≈ top 75%, B next 20%, C last 5%)."""
    ranked = sorted(sales.items(), key=lambda item: sales_rank_key(*item))
    total = sum((max(v, Decimal(0)) for v in sales.values()), Decimal(0))
    return dict(classify_ranked(((c, max(v, Decimal(0))) for c, v in ranked), total, cutoffs))


def abc_classes_by_currency(
    sales: Mapping[str, Decimal], currency: Mapping[str, str], cutoffs: AbcCutoffs = AbcCutoffs()
) -> dict[str, str]:
    """ABC classes with each currency's customers ranked among themselves: without FX rates amounts in
    two currencies neither add up nor compare (CONTRACT.md: one currency per customer)."""
    groups: dict[str, dict[str, Decimal]] = {}
    for customer_id, amount in sales.items():
        groups.setdefault(currency[customer_id], {})[customer_id] = amount
    return {c: k for group in groups.values() for c, k in abc_classes(group, cutoffs).items()}


def give_up_count(class_c_customers: int, share: Decimal) -> int:
    """How many of the weakest class-C customers the "give up ~5%" review looks at (rounded up)."""
    if class_c_customers <= 0 or share <= 0:
        return 0
    return min(class_c_customers, math.ceil(class_c_customers * share))


def give_up_candidates(
    class_c_sales: Mapping[str, Decimal], share: Decimal
) -> list[str]:
    """The bottom `share` of class C by sales (lowest first, ties by id): the customers to consider giving up."""
    ranked = sorted(class_c_sales.items(), key=lambda item: (item[1], item[0]))
    return [c for c, _ in ranked[: give_up_count(len(ranked), share)]]


def growth_rate(sales: Decimal, sales_before: Decimal) -> float | None:
    """Sales growth against the previous window (0.25 = +25%); None without sales to grow from."""
    if sales_before <= 0:
        return None
    return float((sales - sales_before) / sales_before)


def profit_rate(net_profit: Decimal | None, revenue: Decimal | None) -> float | None:
    """Net profit over revenue of the latest statement (销售利润率); None when either is missing."""
    if net_profit is None or revenue is None or revenue <= 0:
        return None
    return float(net_profit / revenue)


class TopN:
    """The `n` customers with the largest value, kept in O(n) memory while streaming (ties by id)."""

    def __init__(self, n: int):
        self.n = n
        self._heap: list[tuple[float, _Reversed, object]] = []

    def offer(self, customer_id: str, value: float | None, payload: object = None) -> None:
        """Consider one customer; None values are not ranked."""
        if value is None or self.n <= 0 or math.isnan(value):
            return
        item = (value, _Reversed(customer_id), payload)
        if len(self._heap) < self.n:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def result(self) -> list[tuple[str, float, object]]:
        """Best first: (customer_id, value, payload)."""
        return [(r.value, v, p) for v, r, p in sorted(self._heap, reverse=True)]


class TopNByCurrency:
    """The `n` customers with the largest amount in each currency: without FX rates an amount in dollars
    and one in yuan do not compare (CONTRACT.md: one currency per customer), so each currency has its own."""

    def __init__(self, n: int):
        self.n = n
        self._tops: dict[str | None, TopN] = {}

    def offer(self, currency: str | None, customer_id: str, value: float | None, payload: object = None) -> None:
        """Consider one customer among those of its currency; None values are not ranked."""
        if value is not None:
            self._tops.setdefault(currency, TopN(self.n)).offer(customer_id, value, payload)

    def result(self) -> list[tuple[str | None, str, float, object]]:
        """(currency, customer_id, value, payload): currencies in code order, each one's best first."""
        return [(currency, *ranked) for currency in sorted(self._tops, key=lambda c: c or "")
                for ranked in self._tops[currency].result()]


class _Reversed:
    """Sort wrapper so that, at equal values, the smaller customer id ranks higher."""

    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return self.value > other.value

    def __gt__(self, other: _Reversed) -> bool:
        return self.value < other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)
