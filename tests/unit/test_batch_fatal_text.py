"""What a batch stopped by a database error says: the driver's words, not the statement and its
hundreds of parameters, and how to go on."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import DataError, OperationalError

from adapters.batch.fatal import MAX_FATAL_TEXT, fatal_text
from adapters.batch.runner import BatchOptions, run_batch

RULES = Path(__file__).resolve().parents[2] / "rules"

ENGINE = create_engine("postgresql+psycopg://risk:s3cret@db.example/credit")
STATEMENT = "SELECT customer_id FROM staff_signals WHERE customer_id IN (" + ", ".join(
    f"%(ids_{i})s" for i in range(500)) + ")"
PARAMS = {f"ids_{i}": f"C{i:07}" for i in range(500)}


def test_a_database_that_went_away_is_one_line_with_the_way_to_resume() -> None:
    exc = OperationalError(STATEMENT, PARAMS, Exception("terminating connection due to administrator command"))

    text = fatal_text(exc, ENGINE)

    assert text == ("OperationalError: terminating connection due to administrator command (the database went "
                    "away: once it is back, run the same command again to resume)")
    assert "[SQL: SELECT" in str(exc) and len(str(exc)) > 5_000  # what the summary and the terminal got before


def test_any_other_database_error_is_the_drivers_words_bounded_and_without_the_password() -> None:
    exc = DataError(STATEMENT, PARAMS, Exception("value too long; connecting as risk:s3cret " + "x" * 5000))

    text = fatal_text(exc, ENGINE)

    assert text.startswith("DataError: value too long") and "s3cret" not in text and "SELECT" not in text
    assert len(text) <= MAX_FATAL_TEXT and "resume" not in text


def test_an_error_that_is_not_the_databases_is_shown_as_it_is() -> None:
    assert fatal_text(RuntimeError("worker pool broke"), ENGINE) == "RuntimeError: worker pool broke"


def test_a_sqlite_store_locked_by_another_process_says_so_and_not_that_the_database_went_away() -> None:
    exc = OperationalError("INSERT INTO batch_results …", {}, Exception("database is locked"))

    text = fatal_text(exc, create_engine("sqlite:///var/credit-policy.sqlite"))

    assert text.startswith("OperationalError: database is locked (another process held the store's write lock ")
    assert "another batch, an import" in text and "run the same command again to resume" in text
    assert "went away" not in text


def test_an_error_that_is_not_the_databases_is_shown_without_the_password_and_bounded() -> None:
    """The summary, the terminal and batch_runs.error all keep this text; an error from SQLAlchemy's URL
    handling or a worker's start-up may quote the URL it was given."""
    exc = ValueError("could not use postgresql+psycopg://risk:s3cret@db.example/credit " + "x" * 5000)

    text = fatal_text(exc, ENGINE)

    assert text.startswith("ValueError: could not use") and "s3cret" not in text and len(text) <= MAX_FATAL_TEXT


def test_a_full_disk_under_a_sqlite_store_says_so_and_not_that_the_database_went_away() -> None:
    """SQLite's SQLITE_FULL is an OperationalError like a lost connection; the operator must free space
    on the store's disk, not look for a database server."""
    exc = OperationalError("INSERT INTO batch_results …", {}, Exception("database or disk is full"))

    text = fatal_text(exc, create_engine("sqlite:////srv/cp/store.sqlite"))

    assert text.startswith("OperationalError: database or disk is full (no room left on the disk of /srv/cp")
    assert "free space there" in text and "run the same command again to resume" in text
    assert "went away" not in text


def test_a_full_disk_under_postgresql_says_so_too() -> None:
    exc = OperationalError("INSERT …", {}, Exception('could not extend file "base/16384/2619": No space left on '
                                                     "device"))

    text = fatal_text(exc, ENGINE)

    assert "(no room left on the database server's disk: free space there" in text and "went away" not in text


def _shm_not_grown() -> OperationalError:
    """What SQLite says when its WAL index (the -shm file) cannot grow on a full disk: no word of a full disk."""
    orig = sqlite3.OperationalError("disk I/O error")
    orig.sqlite_errorname = "SQLITE_IOERR_SHMSIZE"  # type: ignore[attr-defined]
    return OperationalError("SELECT …", {}, orig)


def test_a_wal_index_that_cannot_grow_is_a_full_disk_not_a_database_gone() -> None:
    text = fatal_text(_shm_not_grown(), create_engine("sqlite:////srv/cp/store.sqlite"))

    assert text.startswith("OperationalError: disk I/O error (no room left on the disk of /srv/cp")
    assert "went away" not in text


def test_a_store_on_a_full_disk_at_the_start_is_a_retry_not_bad_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 2 ("fix the command") said `cannot open the store …: disk I/O error`; freeing space is what to do."""
    import adapters.store

    def full(url: str, on_wait: object = None) -> None:
        raise _shm_not_grown()

    monkeypatch.setattr(adapters.store, "open_store", full)
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"

    summary = run_batch(BatchOptions(db_url=url, as_of=date(2026, 11, 22), rules_dir=RULES))

    assert (summary["status"], summary["exit_code"]) == ("failed", 3)
    assert f"no room left on the disk of {tmp_path}" in summary["error"] and "cannot open the store" in summary["error"]
