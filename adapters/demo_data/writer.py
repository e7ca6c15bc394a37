"""Write a synthetic portfolio fast, in one transaction: raw DBAPI executemany on SQLite, COPY on PostgreSQL."""

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
from adapters.store import schema as s
from adapters.store.lock_wait import begin_immediate
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


def _write(conn: Connection, tables: dict[str, Sequence[tuple[object, ...]]]) -> None:
    """The rows, in `conn`'s transaction, through its driver connection (executemany, COPY)."""
    dbapi = conn.dialect.loaded_dbapi
    try:
        cursor = conn.connection.cursor()
        for table, rows in tables.items():
            _bulk(cursor, conn.dialect.name, table, rows)
    except dbapi.Error as exc:
        # In SQLAlchemy's words, as every other write fails: the CLI's exits (locked, full disk) know them.
        raise DBAPIError.instance(None, None, exc, dbapi.Error) from None


def check_empty(engine: Engine, replace: bool) -> int:
    """How many customers the database holds; raise PortfolioNotEmpty if any and not `replace`."""
    with engine.connect() as conn:
        return _held(conn, replace)


def _held(conn: Connection, replace: bool) -> int:
    held = conn.execute(select(func.count()).select_from(s.customers)).scalar_one()
    if held and not replace:
        raise PortfolioNotEmpty(f"the database already holds {held} {plural(held, 'customer')}; "
                                f"pass --replace to wipe {'it' if held == 1 else 'them'} first")
    return int(held)


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
    """Fill the store with `customers` synthetic customers, --replace's wipe included, in one transaction.

    A failure or an interrupt anywhere (a full disk, Ctrl-C) leaves the store as it was. Before, the wipe
    was committed on its own and each chunk of 5,000 customers too: a failure after the wipe lost the old
    customers with nothing in their place. On SQLite the write lock is taken as the transaction begins (a
    wait of over 2 s said through `on_wait`) and held to the end, so no other writer comes between."""
    with engine.connect() as conn:
        with conn.begin():
            begin_immediate(conn, on_wait)
            if _held(conn, replace):
                _wipe(conn)
            summary = _fill(conn, customers, (seed, as_of), progress)
        _shrink_wal(conn)
    return summary


def _fill(conn: Connection, customers: int, seeded: tuple[int, date],
          progress: Callable[[int], None] | None) -> DemoSummary:  # fmt: skip
    """Generate and write the customers chunk by chunk, then their credit profiles; what was written."""
    seed, as_of = seeded
    summary = DemoSummary()
    seeds: list[ProfileSeed] = []
    for portfolio in Generator(seed, as_of).chunks(customers):
        tables = {name: getattr(portfolio, name) for name in COLUMNS if name != "credit_profiles"}
        _write(conn, tables)
        _count(summary, portfolio, tables)
        seeds.extend(portfolio.profiles)
        if progress:
            progress(summary.customers)
    offsets = random.Random(seed + 1)
    profiles = profile_rows(seeds, as_of, [offsets.randint(0, 180) for _ in seeds])
    _write(conn, {"credit_profiles": profiles})
    summary.rows["credit_profiles"] = len(profiles)
    return summary


def _shrink_wal(conn: Connection) -> None:
    """On SQLite, give back the disk the one transaction's write-ahead log took (as large as the rows written):
    a log file stays as large as its largest transaction while any process has the store open (a service)."""
    if conn.dialect.name != "sqlite":
        return
    try:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except DBAPIError:  # a reader in the way: SQLite checkpoints later by itself, the data is committed
        pass


def _count(summary: DemoSummary, portfolio: Portfolio, tables: dict[str, Sequence[tuple[object, ...]]]) -> None:
    summary.customers += len(portfolio.customers)
    for name, rows in tables.items():
        summary.rows[name] += len(rows)
    for category, count in portfolio.categories.items():
        summary.categories[category] += count
