"""Streaming aggregates of a run's results for the report, money kept per currency.

Counts (grades, bands, classes) add up across the book; amounts do not: a limit in USD and one in
CNY are two figures (CONTRACT.md: one currency per customer, and the store holds no FX rates). So
credit and exposure are summed per currency, and the report's totals across the book are given
only when every customer trades in one currency.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from policy_engine.domain.values import GRADE_RANK
from policy_engine.portfolio import TopNByCurrency

LIMIT_BANDS = ("cut > 50%", "cut 20–50%", "cut < 20%", "unchanged", "up < 20%", "up 20–50%", "up > 50%", "new limit")
ZERO = Decimal(0)


def _band(prev: Decimal | None, new: Decimal) -> str:
    if prev is None:
        return "new limit"
    if new == prev:
        return "unchanged"
    if prev == 0:
        return "up > 50%"
    change = (new - prev) / prev
    if change < 0:
        return "cut > 50%" if change < Decimal("-0.5") else "cut 20–50%" if change <= Decimal("-0.2") else "cut < 20%"
    return "up > 50%" if change > Decimal("0.5") else "up 20–50%" if change >= Decimal("0.2") else "up < 20%"


def _strings(table: dict[str, list[Decimal]]) -> dict[str, list[Any]]:
    return {k: [str(x) for x in v] for k, v in table.items()}


class Money:
    """The amounts of one currency's customers: credit before and after, exposure and limits by class."""

    def __init__(self) -> None:
        self.customers = 0
        self.limit_before, self.limit_after, self.exposure = ZERO, ZERO, ZERO
        self.by_grade_class: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
        self.by_value_class: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])

    def add(self, row: dict[str, Any]) -> None:
        """Count one evaluated customer of this currency."""
        limit, exposure = row["credit_limit"], row["exposure"]
        self.customers += 1
        self.limit_after += limit
        self.limit_before += row["prev_limit"] or ZERO
        self.exposure += exposure
        for key, table in ((row["grade_class"], self.by_grade_class), (row["value_class"] or "–", self.by_value_class)):
            table[key][0] += 1
            table[key][1] += exposure
            table[key][2] += limit

    def as_json(self, currency: str | None) -> dict[str, Any]:
        """This currency's figures for the report's JSON."""
        return {"currency": currency, "customers": self.customers, "limit_before": str(self.limit_before),
                "limit_after": str(self.limit_after), "limit_change": str(self.limit_after - self.limit_before),
                "exposure": str(self.exposure),
                "exposure_by_grade_class": _strings(self.by_grade_class),
                "exposure_by_value_class": _strings(self.by_value_class)}  # fmt: skip


class Totals:
    """Streaming aggregates of a run's results."""

    def __init__(self) -> None:
        self.status: Counter[str] = Counter()
        self.grades: Counter[str] = Counter()
        self.prev_grades: Counter[str] = Counter()
        self.migration: dict[str, Counter[str]] = defaultdict(Counter)
        self.bands: Counter[str] = Counter()
        self.money: dict[str | None, Money] = defaultdict(Money)
        self.value_moves: Counter[tuple[str, str]] = Counter()
        self.upgrades = self.downgrades = 0
        # A change in dollars and one in yuan do not compare: each currency has its largest moves.
        self.raised, self.cut = TopNByCurrency(10), TopNByCurrency(10)
        self.quarantined: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        """Count one customer's result."""
        self.status[row["status"]] += 1
        if row["status"] != "ok":
            if row["status"] == "quarantined" and len(self.quarantined) < 50:
                self.quarantined.append(row)
            return
        grade, prev = row["grade"], row["prev_grade"] or "new"
        limit, prev_limit = row["credit_limit"], row["prev_limit"]
        self.grades[grade] += 1
        self.prev_grades[prev] += 1
        self.migration[prev][grade] += 1
        if prev != "new" and GRADE_RANK[grade] != GRADE_RANK[prev]:
            if GRADE_RANK[grade] < GRADE_RANK[prev]:
                self.upgrades += 1
            else:
                self.downgrades += 1
        self.bands[_band(prev_limit, limit)] += 1
        self.money[row["currency"]].add(row)
        change = limit - (prev_limit or ZERO)
        payload = (prev_limit, limit, prev, grade, row["currency"])
        self.raised.offer(row["currency"], row["customer_id"], float(change) if change > 0 else None, payload)
        self.cut.offer(row["currency"], row["customer_id"], float(-change) if change < 0 else None, payload)
        self.value_moves[(row["prev_value_class"] or "–", row["value_class"] or "–")] += 1

    @property
    def currencies(self) -> list[str | None]:
        """The currencies of the evaluated customers, in code order."""
        return sorted(self.money, key=lambda c: c or "")

    @property
    def single(self) -> Money | None:
        """The one currency's figures when every customer trades in it (or there is none), else None."""
        if len(self.money) > 1:
            return None
        return next(iter(self.money.values()), Money())

    def limit_moves(self, which: str) -> list[dict[str, Any]]:
        """The largest limit increases (`which`: raised) or cuts (cut) of each currency, for the JSON."""
        return [{"customer_id": cid, "currency": cur, "prev_limit": None if p[0] is None else str(p[0]),
                 "credit_limit": str(p[1]), "change": str(p[1] - (p[0] or ZERO))}
                for cur, cid, _, p in getattr(self, which).result()]  # fmt: skip

    def class_count(self, name: str, key: str) -> int:
        """Customers in grade or value class `key` (`name`: by_grade_class, by_value_class), every currency."""
        return sum(int(getattr(m, name)[key][0]) for m in self.money.values() if key in getattr(m, name))

    def by_class(self, name: str) -> dict[str, list[Any]]:
        """Customers, exposure and limit per grade or value class (`name`) across the book; the amounts
        are None when several currencies share a class (they do not add up)."""
        single = self.single
        if single is not None:
            return _strings(getattr(single, name))
        counts: Counter[str] = Counter()
        for money in self.money.values():
            counts.update({k: int(v[0]) for k, v in getattr(money, name).items()})
        return {k: [str(n), None, None] for k, n in counts.items()}
