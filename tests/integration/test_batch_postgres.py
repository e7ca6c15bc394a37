"""The batch on PostgreSQL (the production store): partitions from two "machines", resume, quarantine."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from sqlalchemy import create_engine, text

from adapters.demo_data import generate_demo_data
from adapters.store import open_store
from tests.integration.test_batch_support import AS_OF, cli, summary_of

PG_URL = os.environ.get("CREDIT_POLICY_PG_URL", "")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="CREDIT_POLICY_PG_URL is not set")]


def _fresh_portfolio(customers: int) -> None:
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    store = open_store(PG_URL)
    generate_demo_data(store.engine, customers, seed=11, as_of=AS_OF)
    with store.engine.begin() as conn:  # one broken customer, written behind the importer's back
        conn.execute(text("UPDATE invoices SET paid_amount = amount + 1 WHERE invoice_id = "
                          "(SELECT MIN(invoice_id) FROM invoices WHERE customer_id = 'C0000007')"))
    store.close()


def test_two_parts_on_postgresql_cover_every_customer_once_and_a_rerun_changes_nothing() -> None:
    _fresh_portfolio(200)
    args = ["batch", "--db", PG_URL, "--as-of", AS_OF.isoformat(), "--quiet", "--chunk-size", "25"]

    parts = [cli(*args, "--partition", f"{i}/2", "--workers", "2") for i in range(2)]
    again = cli(*args)

    assert sorted(p.returncode for p in parts) == [0, 1]  # only the part holding C0000007 quarantines
    summaries = [summary_of(p) for p in parts]
    assert sum(s["customers"] for s in summaries) == 200
    assert sum(s["quarantined"] for s in summaries) == 1
    assert again.returncode == 1 and summary_of(again)["evaluated_now"] == 0
    engine = create_engine(PG_URL)
    with engine.connect() as conn:
        logged = Counter(conn.execute(text("SELECT customer_id FROM decision_log WHERE source = 'batch'")).scalars())
        classes = set(conn.execute(text("SELECT value_class FROM credit_profiles")).scalars())
    engine.dispose()
    assert len(logged) == 199 and set(logged.values()) == {1} and "C0000007" not in logged
    assert classes == {"A", "B", "C"}
