"""Write a synthetic portfolio fast: raw DBAPI executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, delete, func, select

from adapters.demo_data.generator import CATEGORIES, Generator, Portfolio
from adapters.demo_data.profile import ProfileSeed, profile_rows
from adapters.store import schema as s
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


def _write(engine: Engine, tables: dict[str, Sequence[tuple[object, ...]]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, rows in tables.items():
            _bulk(cursor, engine.dialect.name, table, rows)
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()


def check_empty(engine: Engine, replace: bool) -> int:
    """How many customers the database holds; raise PortfolioNotEmpty if any and not `replace`."""
    with engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(s.customers)).scalar_one()
    if held and not replace:
        raise PortfolioNotEmpty(f"the database already holds {held} {plural(held, 'customer')}; "
                                f"pass --replace to wipe {'it' if held == 1 else 'them'} first")
    return int(held)


def _prepare(engine: Engine, replace: bool) -> None:
    if check_empty(engine, replace):
        with engine.begin() as conn:
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
) -> DemoSummary:
    """Fill the store with `customers` synthetic customers; each chunk is its own transaction."""
    _prepare(engine, replace)
    generator = Generator(seed, as_of)
    summary = DemoSummary()
    seeds: list[ProfileSeed] = []
    for portfolio in generator.chunks(customers):
        tables = {name: getattr(portfolio, name) for name in COLUMNS if name != "credit_profiles"}
        _write(engine, tables)
        _count(summary, portfolio, tables)
        seeds.extend(portfolio.profiles)
        if progress:
            progress(summary.customers)
    offsets = random.Random(seed + 1)
    profiles = profile_rows(seeds, as_of, [offsets.randint(0, 180) for _ in seeds])
    _write(engine, {"credit_profiles": profiles})
    summary.rows["credit_profiles"] = len(profiles)
    return summary


def _count(summary: DemoSummary, portfolio: Portfolio, tables: dict[str, Sequence[tuple[object, ...]]]) -> None:
    summary.customers += len(portfolio.customers)
    for name, rows in tables.items():
        summary.rows[name] += len(rows)
    for category, count in portfolio.categories.items():
        summary.categories[category] += count
