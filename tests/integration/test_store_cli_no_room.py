"""`import` and `demo-data` on a store whose disk fills, or that cannot be written: one line saying where and what
to do, and what became of the work; before, a traceback and exit 1 (as if a row had been refused).

The full disk is SQLite's own: its page limit (`PRAGMA max_page_count`) set a little above the store's size
on every connection, so SQLite answers SQLITE_FULL, "database or disk is full", as on a full disk."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from typer.testing import CliRunner

from policy_engine.cli import build_app

ROOM_PAGES = 40
"""Pages SQLite may add to the store (~160 KiB): its schema fits, a few thousand invoices do not."""


def _invoices(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["invoice_id", "customer_id", "issued_on", "due_on", "amount", "paid_amount", "paid_on",
                      "payment_term_days", "due_date_changes"])  # fmt: skip
        out.writerows([f"INV-{i:07}", "C0000001", "2026-01-05", "2026-02-04", "1000.00", "0.00", "", "30", "0"]
                      for i in range(rows))  # fmt: skip
    return path


def test_an_import_that_fills_the_disk_says_to_free_space_and_that_nothing_was_imported(
        tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    url = f"sqlite:///{store}"
    assert CliRunner().invoke(build_app(), ["demo-data", "--customers", "3", "--db", url]).exit_code == 0
    with sqlite3.connect(store) as conn:
        before = conn.execute("SELECT COUNT(*) FROM invoices").fetchone()[0]

    with _capped():
        result = CliRunner().invoke(build_app(), ["import", "invoices", str(_invoices(tmp_path / "i.csv", 20_000)),
                                                  "--db", url])  # fmt: skip

    assert result.exit_code == 3, result.output
    assert result.stderr.strip() == (f"error: database or disk is full (no room left on the disk of {tmp_path}: free "
                                     "space there, then run the same command again); nothing imported")
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM invoices").fetchone()[0] == before


def test_demo_data_on_a_disk_that_fills_says_so_in_one_line_and_keeps_the_customers_it_was_to_replace(
        tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    url = f"sqlite:///{store}"
    assert CliRunner().invoke(build_app(), ["demo-data", "--customers", "3", "--db", url]).exit_code == 0

    with _capped():
        result = CliRunner().invoke(build_app(), ["demo-data", "--customers", "2000", "--replace", "--db", url])

    assert result.exit_code == 3, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: database or disk is full (no room left on the disk of ")
    assert line.endswith("; nothing generated and nothing wiped: the store is as it was")
    assert "Traceback" not in result.output
    with sqlite3.connect(store) as conn:  # before, the wipe had committed on its own: 0 customers left
        assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 3


def test_a_store_made_on_a_full_disk_is_exit_3_without_the_sql_statement(tmp_path: Path) -> None:
    """Its schema does not fit: before, exit 2 (fix the command) and the CREATE statement on a second line."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"

    with _capped():
        result = CliRunner().invoke(build_app(), ["demo-data", "--customers", "3", "--db", url])

    assert result.exit_code == 3, result.output
    assert result.stderr.strip() == (f"error: cannot open the store {url}: database or disk is full (no room left on "
                                     f"the disk of {tmp_path}: free space there, then run the same command again); the "
                                     "store was not upgraded and the command did nothing")


def test_an_import_into_a_store_opened_read_only_says_it_cannot_be_written(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    made = CliRunner().invoke(build_app(), ["demo-data", "--customers", "3", "--db", f"sqlite:///{store}"])
    assert made.exit_code == 0

    result = CliRunner().invoke(build_app(), ["import", "invoices", str(_invoices(tmp_path / "i.csv", 10)),
                                              "--db", f"sqlite:///file:{store}?mode=ro&uri=true"])  # fmt: skip

    assert result.exit_code == 2, result.output
    assert result.stderr.strip().startswith("error: attempt to write a readonly database (")
    assert result.stderr.strip().endswith("; nothing imported") and "Traceback" not in result.output


class _capped:
    """The store's connections made while inside hold at most ROOM_PAGES more pages than the file has."""

    def __enter__(self) -> None:
        event.listen(Engine, "connect", _cap)

    def __exit__(self, *_exc: object) -> None:
        event.remove(Engine, "connect", _cap)


def _cap(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        (pages,) = dbapi_connection.execute("PRAGMA page_count").fetchone()
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + ROOM_PAGES}")
