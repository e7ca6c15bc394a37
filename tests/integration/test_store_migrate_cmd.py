"""`credit-policy migrate`, and a store whose schema is not this release's: an empty one gets its tables, one behind
is upgraded with its records kept, one of a later release is refused by every command with what to do, on SQLite
and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from adapters.store import make_engine, migrate
from adapters.store.revisions import current_revision, head_revision
from policy_engine.cli import build_app


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def _store_at(db_url: str, revision: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, revision)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (customer_id, name, size, segment, relationship_since, currency) "
                          "VALUES ('C1', 'Huaxin Pharmacy', 'medium', 'pharmacy', '2021-03-01', 'CNY')"))
    engine.dispose()


def test_migrate_creates_the_schema_of_an_empty_database_and_refuses_a_sqlite_file_not_there(db_url: str) -> None:
    if db_url.startswith("sqlite"):  # a SQLite file not there is refused, as by every command that reads
        code, _, stderr = _cli("migrate", "--db", db_url)
        assert code == 2 and "error: no store at " in stderr
        return

    check_before = _cli("migrate", "--check", "--db", db_url)
    code, stdout, _ = _cli("migrate", "--db", db_url)
    check_after = _cli("migrate", "--check", "--db", db_url)

    assert check_before[0] == 1 and f"empty (no tables yet), behind this release's {head_revision()}" in check_before[1]
    assert code == 0 and stdout.strip().endswith(f": schema created at revision {head_revision()} (it was empty)")
    assert check_after[0] == 0 and "this release's schema: nothing to do" in check_after[1]


def test_migrate_upgrades_a_store_of_the_first_release_and_keeps_its_customers(db_url: str) -> None:
    _store_at(db_url, "0002")

    check = _cli("migrate", "--check", "--db", db_url)
    code, stdout, stderr = _cli("migrate", "--db", db_url)
    again = _cli("migrate", "--db", db_url)

    assert check[0] == 1 and "at revision 0002, behind this release's" in check[1]
    assert code == 0, stderr
    assert stdout.strip().endswith(f": upgraded from revision 0002 to {head_revision()}")
    assert "***" in stdout or "sqlite" in stdout  # a PostgreSQL URL's password is never printed
    assert again[0] == 0 and "nothing to do" in again[1]
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM customers")).scalars().all() == ["Huaxin Pharmacy"]
    engine.dispose()


@pytest.mark.parametrize("command", [["migrate"], ["migrate", "--check"], ["runs"], ["queue"], ["history", "C1"],
                                     ["batch", "--quiet"]])
def test_a_store_of_a_later_release_is_refused_naming_its_revision_and_what_to_do(db_url: str,
                                                                                  command: list[str]) -> None:
    """Before: `Can't locate revision identified by '0042'`, alembic's words alone."""
    _store_at(db_url, "head")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0042'"))

    code, stdout, stderr = _cli(*command, "--db", db_url)

    assert code == 2
    said = stderr if command[0] != "batch" else stdout
    assert ("the schema is at revision 0042, which this release does not know (a later release's? this release's "
            f"newest is {head_revision()}): run that release or a newer one, or restore the store from a "
            "backup") in said
    assert current_revision(engine) == "0042"
    engine.dispose()


def test_serve_refuses_a_store_of_a_later_release_in_one_line(db_url: str) -> None:
    _store_at(db_url, "head")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0042'"))
    engine.dispose()

    done = subprocess.run([sys.executable, "-m", "adapters.grpc", "serve", "--db", db_url, "--port", "0",
                           "--workers", "0"], capture_output=True, text=True, timeout=120)  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.startswith("serve: cannot open the store ") and len(done.stderr.splitlines()) == 1
    assert "the schema is at revision 0042, which this release does not know" in done.stderr
