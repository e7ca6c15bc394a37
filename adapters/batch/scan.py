"""The portfolio pass of a run: sales per customer streamed from the store, ABC classes, give-up flags.

Memory stays flat: invoices, statements and customers are read as three streams in customer order
and merged on equality; classes are assigned walking `batch_portfolio` by sales, best first, each
currency's customers among themselves (classes.py).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from adapters.batch import tables as t
from adapters.batch.classes import STREAM_ROWS, WRITE_ROWS, assign_classes, class_summary, flag_give_up
from adapters.batch.config import PortfolioConfig
from policy_engine.domain.amounts import refused_amount
from policy_engine.domain.dates import refused_date
from policy_engine.domain.values import parse_iso_date, refused_currency, stored_decimal
from policy_engine.portfolio import TopN, TopNByCurrency, growth_rate, profit_rate

MAX_UNREADABLE_SHOWN = 20


@dataclass
class CustomerFigures:
    """What the portfolio pass knows about one customer."""

    customer_id: str
    name: str
    relationship_since: date | None
    sales: Decimal
    sales_before: Decimal
    profit_rate: float | None
    problem: str | None = None
    """What could not be read (table, row, column, value): the customer is then left out of the pass."""
    currency: str | None = None
    """The customer's currency: ABC classes rank each currency's customers among themselves."""


def _day(conn: Connection, day: date) -> Any:
    # SQLite keeps dates as ISO text; raw SQL must compare with the same text.
    return day.isoformat() if conn.dialect.name == "sqlite" else day


def _asdate(value: Any) -> date | None:
    # The model's own reading (not date.fromisoformat, which on 3.11 also takes `2019-W47-5`; nor a day out of
    # its range): a day the evaluation would quarantine is one the pass cannot read.
    return None if value is None else parse_iso_date(value)


def _money(value: Any) -> Decimal | None:
    # SQLite's text in the model's own form (not Decimal(), which also takes ' 1000 ', '1_000', '1e3'): an amount
    # the evaluation would quarantine is one the pass cannot read. PostgreSQL's NUMERIC comes as a Decimal.
    if value is None or value.__class__ is str:
        return None if value is None else stored_decimal(value)
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    if not amount.is_finite():  # NaN would poison the total and every share
        raise ValueError(value)
    return amount


_AMOUNTS = re.compile(r"(?:-?[0-9]{1,16}(?:\.[0-9]{1,6})?;)*").fullmatch
"""Amounts each followed by `;`, all of the model's form (values.stored_decimal): one regex call a customer, where
`_money` on each invoice cost 10 µs a customer (a sixth of this pass)."""


def _invoice_sales(rows: list[Any], problems: list[str]) -> tuple[Decimal, Decimal]:
    """Sales in the window and in the one before from a customer's invoice rows (in window?, amount, invoice id):
    read with Decimal when every amount is text of the model's form, else one by one (`_money`, naming each)."""
    texts = [row[1] for row in rows if row[1].__class__ is str]
    plain = len(texts) == len(rows) and _AMOUNTS(";".join(texts) + ";") is not None
    sales, before = Decimal(0), Decimal(0)
    for in_window, value, invoice_id in rows:
        amount = Decimal(value) if plain else _read(_money, value, f"invoices {invoice_id}: amount", problems) or 0
        if in_window:
            sales += amount
        else:
            before += amount
    return sales, before


def _read(parse: Any, value: Any, where: str, problems: list[str]) -> Any:
    """`parse(value)`; a stored value that does not parse is noted as a problem, not a failed run."""
    try:
        return parse(value)
    except (ArithmeticError, ValueError, TypeError) as exc:
        said = refused_date(value, str(exc)) if parse is _asdate else refused_amount(value)
        problems.append(f"{where}: {said}")
        return None


def _stream(engine: Engine, sql: str, params: dict[str, Any]) -> Iterator[Any]:
    with engine.connect() as conn:
        bound = {k: (_day(conn, v) if isinstance(v, date) else v) for k, v in params.items()}
        result = conn.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(text(sql), bound)
        yield from result


def iter_customer_figures(engine: Engine, as_of: date, config: PortfolioConfig) -> Iterator[CustomerFigures]:
    """Sales in the window up to `as_of`, in the window before it, latest profit rate: every customer."""
    invoices = _stream(
        engine,
        "SELECT customer_id, CASE WHEN issued_on > :cut THEN 1 ELSE 0 END, amount, invoice_id FROM invoices "
        "WHERE issued_on > :start AND issued_on <= :as_of ORDER BY customer_id",
        {"cut": config.window_start(as_of), "start": config.window_start(as_of, 2), "as_of": as_of},
    )
    statements = _stream(
        engine,
        "SELECT customer_id, net_profit, revenue, period_end FROM financial_statements WHERE period_end <= :as_of "
        "ORDER BY customer_id, period_end",
        {"as_of": as_of},
    )
    customers = _stream(
        engine, "SELECT customer_id, name, relationship_since, currency FROM customers ORDER BY customer_id", {}
    )
    inv, stm = next(invoices, None), next(statements, None)
    for customer_id, name, since, currency in customers:
        # Every stream is in the database's order of customer_id, so equality is all the merge needs.
        problems: list[str] = []
        rows = []
        while inv is not None and inv[0] == customer_id:
            rows.append(inv[1:])
            inv = next(invoices, None)
        sales, before = _invoice_sales(rows, problems)
        latest = None
        while stm is not None and stm[0] == customer_id:
            latest = stm
            stm = next(statements, None)
        rate = None
        if latest is not None:
            where = f"financial_statements {customer_id} {latest[3]}"
            net = _read(_money, latest[1], f"{where}: net_profit", problems)
            rate = profit_rate(net, _read(_money, latest[2], f"{where}: revenue", problems))
        day = _read(_asdate, since, f"customers {customer_id}: relationship_since", problems)
        if (refused := refused_currency(currency)) is not None:  # no money to rank it in (values.NOT_MONEY)
            problems.append(f"customers {customer_id}: currency: {refused}")
        yield CustomerFigures(customer_id, name or "", day, sales, before, rate, "; ".join(problems) or None, currency)


def bucket_of(customer_id: str) -> int:
    """A stable hash of the customer id (crc32): partition i/n holds the customers with bucket % n == i."""
    return zlib.crc32(customer_id.encode("utf-8"))


def portfolio_summary(conn: Connection, run_id: str) -> dict[str, Any] | None:
    """The summary of a run's portfolio pass, or None when it has not been done."""
    found = conn.execute(
        select(t.batch_portfolio_runs.c.summary_json).where(t.batch_portfolio_runs.c.run_id == run_id)
    ).scalar()
    return None if found is None else dict(json.loads(found))


def record_portfolio(conn: Connection, engine: Engine, run_id: str, as_of: date,
                     config: PortfolioConfig) -> dict[str, Any]:  # fmt: skip
    """Compute the run's portfolio pass in `conn`'s transaction and record its summary: the summary."""
    summary = _compute(conn, engine, run_id, as_of, config)
    conn.execute(
        t.batch_portfolio_runs.insert().values(
            run_id=run_id, computed_at=datetime.now(UTC), customers=summary["customers"],
            total_sales=_all_sales(summary), summary_json=json.dumps(summary),
        )
    )  # fmt: skip
    return summary


def _all_sales(summary: dict[str, Any]) -> Decimal:
    # The column (read by nothing here) keeps what it always held, the sales of all customers; with
    # several currencies that sum means little: summary_json's `by_currency` has each currency's.
    return sum((Decimal(row["total_sales"]) for row in summary["by_currency"]), Decimal(0))


class _Tally:
    """What the portfolio pass gathers customer by customer: sales and customers per currency (each currency
    is ranked among itself), the key-customer rankings and the customers it could not read."""

    def __init__(self, top_n: int):
        self.sales_top = TopNByCurrency(top_n)  # amounts: each currency's own top; rates compare across them
        self.tops = {"growth": TopN(top_n), "profit_rate": TopN(top_n)}
        self.totals: dict[str | None, Decimal] = {}
        self.counts: dict[str | None, int] = {}
        self.unreadable: dict[str, Any] = {"customers": 0, "sample": []}

    def leave_out(self, f: CustomerFigures) -> None:
        """Count an unreadable customer, keeping the first MAX_UNREADABLE_SHOWN with their problem."""
        self.unreadable["customers"] += 1
        if len(self.unreadable["sample"]) < MAX_UNREADABLE_SHOWN:
            self.unreadable["sample"].append({"customer_id": f.customer_id, "error": f.problem})


def _compute(conn: Connection, engine: Engine, run_id: str, as_of: date, config: PortfolioConfig) -> dict[str, Any]:
    tally = _write_portfolio_rows(conn, engine, run_id, as_of, config)
    totals, counts = tally.totals, tally.counts
    by_currency = assign_classes(conn, run_id, totals, counts, config)
    give_up = flag_give_up(conn, run_id, as_of, list(totals), config)
    return {
        "as_of": as_of.isoformat(),
        "customers": sum(counts.values()),
        **class_summary(by_currency, totals, counts),
        "cutoffs": {"a_cumulative": str(config.abc.a), "b_cumulative": str(config.abc.b), **config.describe()},
        "give_up": give_up,
        "unreadable": tally.unreadable,
        "rankings": _rankings(tally.sales_top, tally.tops),
    }  # fmt: skip


def _write_portfolio_rows(conn: Connection, engine: Engine, run_id: str, as_of: date,
                          config: PortfolioConfig) -> _Tally:  # fmt: skip
    """Every readable customer's batch_portfolio row (class C until classes are assigned), written in
    batches; what the pass gathered on the way."""
    tally = _Tally(config.top_n)
    totals, counts, sales_top, tops = tally.totals, tally.counts, tally.sales_top, tally.tops
    rows = []
    # Growth compares two whole windows: customers who started trading within them are not ranked.
    traded_since = config.window_start(as_of, 2)
    for f in iter_customer_figures(engine, as_of, config):
        if f.problem:  # left out: no sales, rank or class; its evaluation quarantines it with the same field
            tally.leave_out(f)
            continue
        totals[f.currency] = totals.get(f.currency, Decimal(0)) + f.sales
        counts[f.currency] = counts.get(f.currency, 0) + 1
        sales_top.offer(f.currency, f.customer_id, float(f.sales), (f.name, f.currency))
        full_history = f.relationship_since is not None and f.relationship_since <= traded_since
        if full_history and f.sales_before >= config.growth_min_sales:
            tops["growth"].offer(f.customer_id, growth_rate(f.sales, f.sales_before), (f.name, f.currency))
        tops["profit_rate"].offer(f.customer_id, f.profit_rate, (f.name, f.currency))
        rows.append({"run_id": run_id, "customer_id": f.customer_id, "sales": f.sales,
                     "sales_key": float(f.sales), "sales_before": f.sales_before, "value_class": "C",
                     "give_up": False})  # fmt: skip
        if len(rows) >= WRITE_ROWS:
            conn.execute(t.batch_portfolio.insert(), rows)
            rows = []
    if rows:
        conn.execute(t.batch_portfolio.insert(), rows)
    return tally


def _rankings(sales_top: TopNByCurrency, tops: dict[str, TopN]) -> dict[str, list[dict[str, Any]]]:
    """The key-customer rankings as the summary keeps them: by sales, each currency's top N in code order
    (one list, as before, when there is one currency); by growth and profit rate, one list."""
    def entry(customer_id: str, value: float, payload: Any) -> dict[str, Any]:
        name, currency = payload
        return {"customer_id": customer_id, "name": name, "value": value, "currency": currency}

    ranked = {"sales": [entry(c, v, p) for _, c, v, p in sales_top.result()]}
    return ranked | {name: [entry(*item) for item in top.result()] for name, top in tops.items()}
