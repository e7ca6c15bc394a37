"""A batch on a store it cannot write or that is damaged: one line saying what is wrong and what to do, and exit 2
(a retry cannot help) rather than exit 3 and "the database went away", which the nightly unit retried in vain.
On PostgreSQL a server that takes no writes (a standby during a failover) is said as such and still retried."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from adapters.store import open_store
from adapters.store.unusable import unusable_store
from policy_engine.cli import build_app
from tests.integration.test_batch_support import AS_OF, make_portfolio

PG_URL = os.environ.get("CREDIT_POLICY_PG_URL", "")


def _batch(url: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(build_app(), ["batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet",
                                              "--chunk-size", "50"])  # fmt: skip
    return result.exit_code, json.loads(result.stdout), result.stderr


def _damage_the_invoices_table(path: Path) -> None:
    """Garbage over the invoices table's root page: the store opens, and the portfolio pass then meets it."""
    with sqlite3.connect(path) as conn:
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'invoices'").fetchone()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    with path.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xa5" * page_size)


def test_a_store_damaged_under_the_run_stops_it_with_exit_2_and_says_how_to_check_and_restore(
        tmp_path: Path) -> None:
    """Before: exit 3 with `DatabaseError: database disk image is malformed` alone, so the unit retried it (and
    wrote more onto a damaged file) three times in the night."""
    url = make_portfolio(tmp_path, customers=120)
    store = tmp_path / "store.sqlite"
    _damage_the_invoices_table(store)

    code, summary, stderr = _batch(url)

    assert (code, summary["status"], summary["exit_code"]) == (2, "failed", 2)
    error = str(summary["error"])
    assert error.startswith("DatabaseError: database disk image is malformed (the store's file ")
    assert f"sqlite3 {store} 'PRAGMA integrity_check'" in error and "restore it from a backup" in error
    assert "went away" not in error and f"error: {error}" in stderr.splitlines()


def test_a_store_that_cannot_be_written_stops_the_run_with_exit_2_not_the_database_went_away(
        tmp_path: Path) -> None:
    """A store opened read-only (here by its URL; at night a file made or restored by root for a batch that runs
    as another user): before, exit 3 and `the database went away: once it is back, run the same command again`."""
    make_portfolio(tmp_path, customers=120)
    url = f"sqlite:///file:{tmp_path / 'store.sqlite'}?mode=ro&uri=true"

    code, summary, _ = _batch(url)

    assert (code, summary["exit_code"]) == (2, 2)
    error = str(summary["error"])
    assert error.startswith("OperationalError: attempt to write a readonly database (")
    assert "cannot be written" in error and "then run the same command again" in error and "went away" not in error


def test_a_store_file_another_user_owns_names_the_file_its_owner_and_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The words for a file whose mode keeps this user out (tests may run as root, whom no mode stops: the
    kernel's answer is given here, the file and its owner and mode are real)."""
    store = tmp_path / "store.sqlite"
    store.write_bytes(b"")
    store.chmod(0o600)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == store else real_access(path, mode))
    exc = OperationalError("INSERT …", {}, sqlite3.OperationalError("attempt to write a readonly database"))

    said = unusable_store(exc, make_url(f"sqlite:///{store}"))

    assert said is not None and not said.retry_may_help
    assert f"may not write {store} (owner " in said.advice and "mode -rw-------)" in said.advice
    assert "(chown)" in said.advice


def test_a_file_that_is_not_a_database_at_the_start_says_check_db_and_is_exit_2(tmp_path: Path) -> None:
    not_a_store = tmp_path / "summary.json"
    not_a_store.write_text('{"status": "complete"}' * 100)

    code, summary, stderr = _batch(f"sqlite:///{not_a_store}")

    assert (code, summary["status"]) == (2, "bad_input")
    assert f"({not_a_store} is not a SQLite database: check --db or $CREDIT_POLICY_DB;" in str(summary["error"])
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="CREDIT_POLICY_PG_URL is not set")
def test_a_postgresql_server_that_takes_no_writes_is_said_and_retried() -> None:
    """A standby (here: default_transaction_read_only for the run's sessions) is most likely a failover under
    way: exit 3, the unit retries; before, `InternalError: cannot execute INSERT in a read-only transaction`."""
    open_store(PG_URL).close()  # the schema, written while the server still takes writes
    url = make_url(PG_URL).update_query_dict({"options": "-c default_transaction_read_only=on"})

    code, summary, _ = _batch(url.render_as_string(hide_password=False))

    assert (code, summary["exit_code"]) == (3, 3)
    assert "read-only transaction (the database server takes no writes: a standby" in str(summary["error"])
    assert "point --db or $CREDIT_POLICY_DB at the primary" in str(summary["error"])
