"""A batch or an import kept waiting by another writer of the SQLite store says so after 2 s, then goes on."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.store import engine as store_engine
from adapters.store import open_store
from adapters.store.lock_wait import wait_for_write_lock
from policy_engine.cli import build_app
from tests.integration.sqlite_lock import WAITING, release_after, write_lock_held
from tests.integration.test_batch_support import AS_OF, CLI, make_portfolio, scalar

CUSTOMER_CSV = "customer_id,name,size,segment\nCX1,Acme Trading,large,distributor\n"


def test_a_free_store_is_taken_without_a_word(tmp_path: Path) -> None:
    store = open_store(make_portfolio(tmp_path, 20))
    said: list[str] = []

    wait_for_write_lock(store.engine, said.append)

    with store.engine.connect() as conn:
        busy_ms = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
    store.close()
    assert (said, busy_ms) == ([], store_engine.SQLITE_LOCK_WAIT * 1000)


def test_a_held_lock_is_waited_for_and_said_once(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, 20)
    store = open_store(url)
    said: list[str] = []

    with write_lock_held(url) as holder:
        timer = release_after(holder, 1.0)
        wait_for_write_lock(store.engine, said.append, quiet=0.3)
        timer.join()

    store.close()
    assert len(said) == 1 and said[0].startswith(f"{WAITING} {url}: ") and "up to 30 s more" in said[0]


def _started_waiting(args: list[str], url: str, tmp_path: Path) -> tuple[str, int]:
    """Run `credit-policy ARGS` while another writer holds the lock; release it once the command said it
    waits (or after 15 s): what it said on stderr by then and its exit status."""
    log = tmp_path / "stderr.txt"
    with write_lock_held(url) as holder, log.open("w") as stderr:
        proc = subprocess.Popen([CLI, *args], stdout=subprocess.DEVNULL, stderr=stderr, text=True)
        deadline = time.monotonic() + 15
        while WAITING not in log.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        said = log.read_text()
        holder.execute("ROLLBACK")
    return said, proc.wait(timeout=120)


def test_a_batch_kept_waiting_by_another_writer_says_so_and_finishes_once_it_is_done(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, 50)

    said, status = _started_waiting(["batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet"], url, tmp_path)

    assert f"batch: {WAITING} {url}: another process holds it" in said
    assert status == 0
    assert scalar(url, "SELECT status FROM batch_runs") == "complete"


def test_an_import_kept_waiting_by_another_writer_says_so_and_finishes_once_it_is_done(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, 20)
    source = tmp_path / "customers.csv"
    source.write_text(CUSTOMER_CSV, encoding="utf-8")

    said, status = _started_waiting(["import", "customers", str(source), "--db", url], url, tmp_path)

    assert f"import: {WAITING} {url}: another process holds it" in said
    assert status == 0
    assert scalar(url, "SELECT name FROM customers WHERE customer_id = 'CX1'") == "Acme Trading"


def test_an_import_locked_out_for_the_whole_wait_says_so_without_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, 30 s of silence ended in a SQLAlchemy traceback and exit 1, as if a row had been refused."""
    url = make_portfolio(tmp_path, 20)
    source = tmp_path / "customers.csv"
    source.write_text(CUSTOMER_CSV, encoding="utf-8")
    monkeypatch.setattr(store_engine, "SQLITE_LOCK_WAIT", 1)

    with write_lock_held(url):
        result = CliRunner().invoke(build_app(), ["import", "customers", str(source), "--db", url])

    assert result.exit_code == 3, result.output
    assert "error: database is locked (another process held the store's write lock for over 1 s" in result.output
    assert "Traceback" not in result.output and "nothing imported" in result.output
    assert scalar(url, "SELECT COUNT(*) FROM customers WHERE customer_id = 'CX1'") == 0
