"""The portfolio pass's second half: ABC value classes and give-up flags in `batch_portfolio`, per currency.

Without FX rates, sales in two currencies neither add up nor compare (CONTRACT.md: one currency per
customer), so each currency's customers are ranked among themselves: the ABC cut-offs apply to the
currency's own total, and the give-up review takes the weakest share of each currency's class C.
With one currency (the usual book) the queries are those of a single ranking: no join, no filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, func, select, update

from adapters.batch import tables as t
from adapters.batch.config import PortfolioConfig
from adapters.store import schema as s
from policy_engine.portfolio import give_up_count, value_class_at

STREAM_ROWS = 20_000
WRITE_ROWS = 5_000
ZERO = Decimal(0)


def _in_currency(query: Select[Any], currency: str | None, several: bool) -> Select[Any]:
    """`query` on batch_portfolio narrowed to one currency's customers (left as it is when there is one)."""
    if not several:
        return query
    c = s.customers.c
    same = c.currency.is_(None) if currency is None else c.currency == currency
    return query.join(s.customers, c.customer_id == t.batch_portfolio.c.customer_id).where(same)


def assign_classes(
    conn: Connection, run_id: str, totals: Mapping[str | None, Decimal], counts: Mapping[str | None, int],
    config: PortfolioConfig,
) -> dict[str | None, dict[str, Any]]:
    """Per currency, walk its customers by sales, best first, until class C starts; mark A and B."""
    several = len(totals) > 1
    return {cur: _assign(conn, run_id, cur, several, totals[cur], counts[cur], config) for cur in totals}


def _assign(conn: Connection, run_id: str, currency: str | None, several: bool, total: Decimal, customers: int,
            config: PortfolioConfig) -> dict[str, Any]:  # fmt: skip
    p = t.batch_portfolio
    query = select(p.c.customer_id, p.c.sales).where(p.c.run_id == run_id)
    query = _in_currency(query, currency, several).order_by(p.c.sales_key.desc(), p.c.customer_id)
    ranked = conn.execute(query.execution_options(yield_per=STREAM_ROWS))
    running = ZERO
    members: dict[str, list[str]] = {"A": [], "B": []}
    counts = {"A": 0, "B": 0, "C": 0}
    sales = {"A": ZERO, "B": ZERO, "C": ZERO}
    customer_id: str
    amount: Decimal
    for customer_id, amount in ranked:
        value_class = value_class_at(running, total, config.abc)
        if value_class == "C":
            break
        counts[value_class] += 1
        sales[value_class] += amount
        members[value_class].append(customer_id)
        running += amount
        if len(members[value_class]) >= WRITE_ROWS:
            _set_class(conn, run_id, value_class, members[value_class])
    ranked.close()
    for value_class, ids in members.items():
        _set_class(conn, run_id, value_class, ids)
    counts["C"] = customers - counts["A"] - counts["B"]
    sales["C"] = total - sales["A"] - sales["B"]
    return {k: {"customers": counts[k], "sales": str(sales[k])} for k in counts}


def _set_class(conn: Connection, run_id: str, value_class: str, ids: list[str]) -> None:
    if ids:
        p = t.batch_portfolio
        conn.execute(update(p).where(p.c.run_id == run_id, p.c.customer_id.in_(ids)).values(value_class=value_class))
        ids.clear()


def flag_give_up(conn: Connection, run_id: str, as_of: date, currencies: list[str | None],
                 config: PortfolioConfig) -> int:  # fmt: skip
    """Flag the weakest share of each currency's established class-C customers for the give-up review."""
    p, c = t.batch_portfolio, s.customers
    established = as_of - timedelta(days=config.give_up_min_relationship_days)
    flagged = 0
    for currency in currencies:
        eligible = (
            select(p.c.customer_id)
            .select_from(p.join(c, c.c.customer_id == p.c.customer_id))
            .where(p.c.run_id == run_id, p.c.value_class == "C", c.c.relationship_since <= established)
        )
        if len(currencies) > 1:  # the join is there already: the filter costs nothing more
            eligible = eligible.where(c.c.currency.is_(None) if currency is None else c.c.currency == currency)
        count = conn.execute(select(func.count()).select_from(eligible.subquery())).scalar_one()
        k = give_up_count(count, config.give_up_share)
        if k:
            weakest = list(conn.execute(eligible.order_by(p.c.sales_key, p.c.customer_id).limit(k)).scalars())
            for start in range(0, len(weakest), WRITE_ROWS):
                chunk = weakest[start : start + WRITE_ROWS]
                conn.execute(update(p).where(p.c.run_id == run_id, p.c.customer_id.in_(chunk)).values(give_up=True))
        flagged += k
    return flagged


def class_summary(by_currency: Mapping[str | None, dict[str, Any]], totals: Mapping[str | None, Decimal],
                  counts: Mapping[str | None, int]) -> dict[str, Any]:  # fmt: skip
    """The summary's class figures: per currency, and across them the counts (and the sales only when
    every customer trades in one currency: amounts in two currencies do not add up)."""
    single = len(totals) <= 1
    if single:
        classes = next(iter(by_currency.values()), {k: {"customers": 0, "sales": "0"} for k in "ABC"})
    else:
        classes = {k: {"customers": sum(row[k]["customers"] for row in by_currency.values()), "sales": None}
                   for k in "ABC"}  # fmt: skip
    return {
        "total_sales": str(sum(totals.values(), ZERO)) if single else None,
        "classes": classes,
        "by_currency": [{"currency": cur, "customers": counts[cur], "total_sales": str(totals[cur]),
                         "classes": by_currency[cur]} for cur in sorted(totals, key=lambda c: c or "")],
    }  # fmt: skip
