"""A command that only reads the store, pointed at a database that holds none (empty, or another application's),
exits 2 naming it and creates nothing there. Before, on PostgreSQL (and on an existing SQLite file without the
store) it created the whole schema, then answered about an empty store: `runs` said "no batch run", exit 0."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text
from typer.testing import CliRunner

from policy_engine.cli import build_app

PG_URL = os.environ.get("CREDIT_POLICY_PG_URL", "")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE, RULES = str(ROOT / "examples" / "steady-distributor.json"), str(ROOT / "rules")
READ_ONLY = [["runs"], ["report"], ["queue"], ["history", "C1"], ["snapshot", "C1"], ["simulate", "--rules", RULES],
             ["evaluate", EXAMPLE], ["check-order", EXAMPLE, "--amount", "100.00"], ["compact-log"]]  # fmt: skip
EMPTY = ("the database is empty (no tables; nothing was created in it); check --db or $CREDIT_POLICY_DB, or create "
         "the store there with `credit-policy migrate`, `demo-data` or `import`")


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(inspect(conn).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def empty_pg_database() -> Iterator[str]:
    """A PostgreSQL database of this test's own, just made: as empty as `postgres` named by mistake."""
    if not PG_URL:
        pytest.skip("CREDIT_POLICY_PG_URL is not set")
    name = f"{make_url(PG_URL).database}_no_store"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses a transaction
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: c[0])
def test_a_read_only_command_on_an_empty_postgresql_database_names_it_and_creates_nothing(
        empty_pg_database: str, command: list[str]) -> None:
    url = make_url(empty_pg_database)

    code, stdout, stderr = _cli(*command, "--db", empty_pg_database)

    assert (code, stdout) == (2, "")
    assert len(stderr.splitlines()) == 1 and EMPTY in stderr
    assert f"@{url.host}:{url.port}/{url.database}: the database is empty" in stderr
    assert f":{url.password}@" not in stderr
    assert _tables(empty_pg_database) == []


@pytest.mark.postgres
@pytest.mark.parametrize("command", [["runs"], ["history", "C1"]], ids=lambda c: c[0])
def test_a_read_only_command_on_another_postgresql_database_names_its_tables_and_adds_none(
        empty_pg_database: str, command: list[str]) -> None:
    engine = create_engine(empty_pg_database)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE ledger (id int)"))
    engine.dispose()

    code, _, stderr = _cli(*command, "--db", empty_pg_database)

    assert code == 2
    assert "it holds other tables (ledger) and no migration recorded: another database; check --db" in stderr
    assert _tables(empty_pg_database) == ["ledger"]


@pytest.mark.postgres
def test_migrate_still_creates_the_store_in_an_empty_postgresql_database_and_runs_then_reads_it(
        empty_pg_database: str) -> None:
    migrated = _cli("migrate", "--db", empty_pg_database)
    runs = _cli("runs", "--db", empty_pg_database)

    assert migrated[0] == 0 and "schema created at revision" in migrated[1]
    assert runs[0] == 0 and "no batch run in this store" in runs[2]


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: c[0])
def test_a_read_only_command_on_a_sqlite_file_of_another_application_adds_no_table(
        tmp_path: Path, command: list[str]) -> None:
    other = tmp_path / "crm.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE contacts (id INTEGER)")
    conn.close()

    code, stdout, stderr = _cli(*command, "--db", f"sqlite:///{other}")

    assert (code, stdout) == (2, "")
    assert f"sqlite:///{other}: it holds other tables (contacts) and no migration recorded: another database" in stderr
    assert _tables(f"sqlite:///{other}") == ["contacts"]


def test_a_sqlite_file_with_no_tables_is_named_empty_and_left_empty(tmp_path: Path) -> None:
    """Not zero bytes (that is refused as `an empty file` already): a database file whose tables were all dropped."""
    emptied = tmp_path / "store.sqlite"
    with sqlite3.connect(emptied) as conn:
        conn.execute("CREATE TABLE t (id INTEGER)")
        conn.execute("DROP TABLE t")
    conn.close()

    code, _, stderr = _cli("history", "C1", "--db", f"sqlite:///{emptied}")

    assert code == 2 and f"no credit-policy store in sqlite:///{emptied}: {EMPTY}" in stderr
    assert _tables(f"sqlite:///{emptied}") == []


def test_an_in_memory_sqlite_database_is_refused_as_empty_in_every_process() -> None:
    code, _, stderr = _cli("runs", "--db", "sqlite://")

    assert code == 2
    assert "no credit-policy store in sqlite://: an in-memory SQLite database is new and empty in every" in stderr


@pytest.mark.postgres
def test_the_batch_on_an_empty_postgresql_database_is_bad_input_and_creates_nothing(empty_pg_database: str) -> None:
    """Before, the batch gave a typo'd database the schema and ended "complete" with 0 customers, exit 0 (on SQLite
    a file that is not there was refused already)."""
    code, stdout, stderr = _cli("batch", "--db", empty_pg_database, "--rules", RULES, "--as-of", "2026-11-22")

    assert code == 2 and '"status": "bad_input"' in stdout
    assert EMPTY in stderr
    assert _tables(empty_pg_database) == []


def test_the_batch_on_a_sqlite_file_of_another_application_is_bad_input_and_adds_no_table(tmp_path: Path) -> None:
    other = tmp_path / "crm.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE contacts (id INTEGER)")
    conn.close()

    code, stdout, stderr = _cli("batch", "--db", f"sqlite:///{other}", "--rules", RULES, "--as-of", "2026-11-22")

    assert code == 2 and '"status": "bad_input"' in stdout
    assert "it holds other tables (contacts) and no migration recorded: another database" in stderr
    assert _tables(f"sqlite:///{other}") == ["contacts"]
