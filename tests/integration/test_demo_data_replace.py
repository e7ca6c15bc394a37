"""demo-data --replace wipes and writes in one transaction: a failure or Ctrl-C after the wipe leaves the old
customers. Before, the wipe committed on its own (and each chunk of 5,000 customers too), so a full disk or a
Ctrl-C during the write left the store without the old customers and without the new ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from adapters.demo_data import generate_demo_data
from adapters.demo_data import writer as demo_writer
from adapters.store import open_store
from policy_engine.cli import build_app
from tests.integration.test_batch_support import AS_OF

TABLES = ("customers", "invoices", "orders", "credit_profiles")


def held(url: str) -> dict[str, Any]:
    """What the store holds: the customer ids, and the rows of each table."""
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT customer_id FROM customers ORDER BY customer_id")).scalars().all()
        rows = {table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() for table in TABLES}
    engine.dispose()
    return {"ids": ids, **rows}


def interrupt_at(table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C as demo-data writes `table`: the customers and invoices of the chunk are written by then."""
    bulk: Callable[..., None] = demo_writer._bulk

    def bulk_until(cursor: Any, dialect: str, name: str, rows: Any) -> None:
        if name == table:
            raise KeyboardInterrupt
        bulk(cursor, dialect, name, rows)

    monkeypatch.setattr(demo_writer, "_bulk", bulk_until)


@pytest.mark.parametrize("table", ["orders", "credit_profiles"])
def test_an_interrupted_replace_leaves_the_old_customers_as_they_were(
        db_url: str, table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(db_url)
    generate_demo_data(store.engine, 20, seed=1, as_of=AS_OF)
    before = held(db_url)
    interrupt_at(table, monkeypatch)

    with pytest.raises(KeyboardInterrupt):
        generate_demo_data(store.engine, 30, seed=2, as_of=AS_OF, replace=True)

    store.close()
    assert held(db_url) == before and before["customers"] == 20  # was: 0 customers (or 30 without profiles)


def test_a_replace_that_succeeds_holds_the_new_portfolio_alone(db_url: str) -> None:
    store = open_store(db_url)
    generate_demo_data(store.engine, 20, seed=1, as_of=AS_OF)

    summary = generate_demo_data(store.engine, 30, seed=2, as_of=AS_OF, replace=True)

    store.close()
    after = held(db_url)
    assert summary.customers == 30 and after["customers"] == 30 and after["credit_profiles"] == 30
    assert after["invoices"] == summary.rows["invoices"]


def test_ctrl_c_in_demo_data_replace_says_the_store_is_as_it_was_and_exits_130(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert CliRunner().invoke(build_app(), ["demo-data", "--customers", "20", "--db", db_url]).exit_code == 0
    before = held(db_url)
    interrupt_at("orders", monkeypatch)

    result = CliRunner().invoke(build_app(), ["demo-data", "--customers", "30", "--replace", "--db", db_url])

    assert result.exit_code == 130, result.output
    assert result.stderr.strip().splitlines()[-1] == (
        "interrupted: nothing generated and nothing wiped: the store is as it was")
    assert held(db_url) == before
