"""Migrations upgrade an empty database and one left at the first migration."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect, text

from adapters.store import make_engine, migrate, open_store
from adapters.store.engine import current_revision, head_revision


def test_migrations_upgrade_an_empty_database_to_head(db_url: str) -> None:
    engine = make_engine(db_url)

    migrate(engine)

    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"customers", "invoices", "orders", "financial_statements", "staff_signals", "assessments",
            "contacts", "credit_profiles", "decision_log", "policy_versions"} <= tables  # fmt: skip


def test_migrations_upgrade_a_database_from_the_first_migration_keeping_its_data(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (customer_id, name) VALUES ('C1', 'Early')"))
        conn.execute(
            text(
                "INSERT INTO invoices (invoice_id, customer_id, issued_on, due_on, amount, paid_amount) "
                "VALUES ('I1', 'C1', :d, :d, 12.50, 0)"
            ),  # fmt: skip
            {"d": date(2026, 1, 1)},
        )

    store = open_store(db_url)

    assert current_revision(engine) == head_revision()
    assert "decision_log" in inspect(engine).get_table_names()
    snapshot = store.get_snapshot("C1")
    assert snapshot.name == "Early"
    assert str(snapshot.invoices[0].amount) in {"12.5", "12.50"}


def test_opening_a_store_at_head_twice_is_a_no_op(db_url: str) -> None:
    open_store(db_url).close()

    store = open_store(db_url)

    assert current_revision(store.engine) == head_revision()


def test_the_sqlite_store_runs_in_wal_mode_with_foreign_keys_on(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path / 'x.sqlite'}")

    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_migrations_step_back_to_the_first_and_up_again(db_url: str) -> None:
    from adapters.store.engine import downgrade

    engine = make_engine(db_url)
    migrate(engine)

    downgrade(engine, "0001")
    assert "decision_log" not in inspect(engine).get_table_names()
    migrate(engine)

    assert current_revision(engine) == head_revision()
    assert "decision_log" in inspect(engine).get_table_names()
