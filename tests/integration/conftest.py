"""Database fixtures: every store test runs on SQLite and, when CREDIT_POLICY_PG_URL is set, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from adapters.store import engine as store_engine
from adapters.store import lock_wait
from policy_engine.domain.models import CustomerSnapshot

PG_URL = os.environ.get("CREDIT_POLICY_PG_URL", "")


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lock waits (lock_wait.py) of a test's length: 0.2 s unmentioned, 1 s for the driver's own wait."""
    monkeypatch.setattr(lock_wait, "LOCK_QUIET_SECONDS", 0.2)
    monkeypatch.setattr(store_engine, "SQLITE_LOCK_WAIT", 1)


def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema: an empty PostgreSQL test database."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not PG_URL, reason="CREDIT_POLICY_PG_URL is not set"),
            ],
        ),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or the PostgreSQL test database wiped clean."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
    else:
        reset_postgres(PG_URL)
        yield PG_URL


def make_snapshot(customer_id: str = "C0001") -> CustomerSnapshot:
    """A customer with every kind of child record and money at awkward scales."""
    return CustomerSnapshot.model_validate(
        {
            "customer_id": customer_id,
            "name": "Huaxin Pharmacy 华新药房",
            "size": "medium",
            "segment": "pharmacy",
            "relationship_since": "2019-04-01",
            "currency": "CNY",
            "invoices": [
                {"invoice_id": f"{customer_id}-I1", "issued_on": "2026-09-01", "due_on": "2026-10-01",
                 "amount": "99999999.123456", "paid_amount": "0.10", "paid_on": "2026-09-15",
                 "payment_term_days": 30, "due_date_changes": 2},
                {"invoice_id": f"{customer_id}-I2", "issued_on": "2026-10-01", "due_on": "2026-10-31",
                 "amount": "0.01"},
            ],
            "orders": [
                {"order_id": f"{customer_id}-O1", "ordered_on": "2026-08-30", "amount": "125000.00", "status": "done"},  # noqa: E501
                {"order_id": f"{customer_id}-O2", "ordered_on": "2026-11-20", "amount": "7", "status": "open"},  # noqa: E501
            ],
            "financials": [
                {"period_end": "2025-12-31", "current_assets": "1000.5", "current_liabilities": "2000.25",
                 "equity": "-300.75", "net_profit": "-0.000001"},
            ],
            "signals": [{"code": "bill_dishonoured", "observed_on": "2026-11-01", "note": "bank returned bill"}],  # noqa: E501
            "assessment": {"character": 70, "capacity": 60, "capital": 55, "collateral": 40, "conditions": 65,
                           "assessed_on": "2026-06-30"},
            "last_contact_on": "2026-11-10",
            "last_review_on": "2026-08-01",
            "current_grade": "BB",
            "current_limit": "50000.00",
        }
    )  # fmt: skip


@pytest.fixture(name="make_snapshot")
def make_snapshot_fixture() -> Callable[..., CustomerSnapshot]:
    """The make_snapshot factory, as a fixture."""
    return make_snapshot
