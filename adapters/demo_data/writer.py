"""Write a synthetic portfolio fast: raw DBAPI executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.exc import DBAPIError

from adapters.demo_data.generator import CATEGORIES, Generator, Portfolio
from adapters.demo_data.profile import ProfileSeed, profile_rows
from adapters.store import lock_wait
from adapters.store import schema as s
from adapters.store.lock_wait import take_write_lock
from policy_engine.words import plural

COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customer_id", "name", "size", "segment", "relationship_since", "currency", "last_contact_on",
        "last_review_on", "address", "legal_representative", "established_on", "organisation_form",
        "industry", "service_area", "sales_capacity", "potential", "competitor_relation",
        "cooperation_attitude", "trade_terms", "credit_problems",
    ),
    "invoices": (
        "invoice_id", "customer_id", "issued_on", "due_on", "amount", "paid_amount", "paid_on",
        "payment_term_days", "due_date_changes",
    ),
    "orders": ("order_id", "customer_id", "ordered_on", "amount", "status"),
    "financial_statements": (
        "customer_id", "period_end", "current_assets", "current_liabilities", "inventory", "cash",
        "total_assets", "total_liabilities", "equity", "revenue", "net_profit",
    ),
    "staff_signals": ("customer_id", "code", "observed_on", "note"),
    "assessments": (
        "customer_id", "assessed_on", "character", "capacity", "capital", "collateral", "conditions",
    ),
    "contacts": ("customer_id", "contacted_on", "channel", "staff", "note"),
    "credit_profiles": (
        "customer_id", "grade", "grade_class", "value_class", "credit_limit", "currency", "limit_valid_until",
        "next_review_on", "score", "policy_version", "as_of",
    ),
}  # fmt: skip
CUSTOMER_TABLES = (
    "credit_profiles", "contacts", "assessments", "staff_signals", "financial_statements", "orders",
    "invoices", "customers",
)  # fmt: skip


class PortfolioNotEmpty(Exception):
    """demo-data refuses to mix with existing customers unless asked to replace them."""


@dataclass
class DemoSummary:
    """What demo-data wrote."""

    customers: int = 0
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    categories: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))


def _bulk(cursor: Any, dialect: str, table: str, rows: Sequence[tuple[object, ...]]) -> None:
    if not rows:
        return
    columns = COLUMNS[table]
    if dialect == "postgresql":
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _write(engine: Engine, tables: dict[str, Sequence[tuple[object, ...]]], on_wait: Callable[[str], None]) -> None:
    """The rows in one transaction; a wait of over 2 s for another process's SQLite write lock (taken
    between two chunks, say) is said through `on_wait` instead of 30 s of silence (lock_wait.py)."""
    with engine.connect() as conn:
        take_write_lock(conn, lambda: _write_raw(conn.connection, engine, tables), on_wait)


def _write_raw(raw: Any, engine: Engine, tables: dict[str, Sequence[tuple[object, ...]]]) -> None:
    dbapi = engine.dialect.loaded_dbapi
    try:
        cursor = raw.cursor()
        for table, rows in tables.items():
            _bulk(cursor, engine.dialect.name, table, rows)
        raw.commit()
    except dbapi.Error as exc:
        raw.rollback()  # and a write locked out after 2 s can be tried again
        # In SQLAlchemy's words, as every other write fails: the lock wait and the CLI's exit 3 know them.
        raise DBAPIError.instance(None, None, exc, dbapi.Error) from None
    except BaseException:
        raw.rollback()
        raise


def check_empty(engine: Engine, replace: bool) -> int:
    """How many customers the database holds; raise PortfolioNotEmpty if any and not `replace`."""
    with engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(s.customers)).scalar_one()
    if held and not replace:
        raise PortfolioNotEmpty(f"the database already holds {held} {plural(held, 'customer')}; "
                                f"pass --replace to wipe {'it' if held == 1 else 'them'} first")
    return int(held)


def _prepare(engine: Engine, replace: bool, on_wait: Callable[[str], None]) -> None:
    if check_empty(engine, replace):
        lock_wait.write(engine, _wipe, on_wait)


def _wipe(conn: Connection) -> None:
    for table in CUSTOMER_TABLES:
        conn.execute(delete(s.metadata.tables[table]))


def generate_demo_data(
    engine: Engine,
    customers: int,
    *,
    seed: int = 1,
    as_of: date,
    replace: bool = False,
    progress: Callable[[int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Fill the store with `customers` synthetic customers; each chunk is its own transaction, and each
    that waits over 2 s for another process's SQLite write lock says so through `on_wait`."""
    on_wait = on_wait or _say_nothing
    _prepare(engine, replace, on_wait)
    generator = Generator(seed, as_of)
    summary = DemoSummary()
    seeds: list[ProfileSeed] = []
    for portfolio in generator.chunks(customers):
        tables = {name: getattr(portfolio, name) for name in COLUMNS if name != "credit_profiles"}
        _write(engine, tables, on_wait)
        _count(summary, portfolio, tables)
        seeds.extend(portfolio.profiles)
        if progress:
            progress(summary.customers)
    offsets = random.Random(seed + 1)
    profiles = profile_rows(seeds, as_of, [offsets.randint(0, 180) for _ in seeds])
    _write(engine, {"credit_profiles": profiles}, on_wait)
    summary.rows["credit_profiles"] = len(profiles)
    return summary


def _say_nothing(_line: str) -> None:
    """A notice nobody asked to see."""


def _count(summary: DemoSummary, portfolio: Portfolio, tables: dict[str, Sequence[tuple[object, ...]]]) -> None:
    summary.customers += len(portfolio.customers)
    for name, rows in tables.items():
        summary.rows[name] += len(rows)
    for category, count in portfolio.categories.items():
        summary.categories[category] += count
