"""An import kept waiting for the SQLite write lock after the command started (another writer taking it before
its first write) says so after 2 s; demo-data holds the lock from its start to its end, so no writer comes
between its chunks."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from adapters.demo_data import generate_demo_data
from adapters.importers import run_import
from adapters.store import open_store
from tests.integration.sqlite_lock import WAITING, write_lock_held
from tests.integration.test_batch_support import AS_OF, scalar

CUSTOMER_CSV = "customer_id,name,size,segment\nCX1,Acme Trading,large,distributor\n"


def _empty_store(tmp_path: Path) -> tuple[str, Any]:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    return url, open_store(url)


def test_demo_data_holds_the_write_lock_to_the_end_so_no_writer_comes_between_its_chunks(
        tmp_path: Path, short_waits: None) -> None:
    """Before, each chunk took the lock on its own and another writer could take it in between (and was said
    waited for); now the whole portfolio is one transaction that holds it from the start."""
    url, store = _empty_store(tmp_path)
    said: list[str] = []
    tried: list[str] = []

    def another_writer_after_the_first_chunk(_done: int) -> None:  # the profiles are written after the last chunk
        other = sqlite3.connect(tmp_path / "store.sqlite", timeout=0.1, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            tried.append("took the lock")
        except sqlite3.OperationalError as exc:
            tried.append(str(exc))
        finally:
            other.close()

    generate_demo_data(store.engine, 5, as_of=AS_OF, progress=another_writer_after_the_first_chunk,
                       on_wait=said.append)  # fmt: skip

    store.close()
    assert tried == ["database is locked"] and said == []
    assert scalar(url, "SELECT COUNT(*) FROM credit_profiles") == 5


def test_an_import_kept_waiting_for_its_first_write_says_so_once_and_imports(
        tmp_path: Path, short_waits: None) -> None:
    url, store = _empty_store(tmp_path)
    (tmp_path / "customers.csv").write_text(CUSTOMER_CSV)
    said: list[str] = []

    with write_lock_held(url) as holder:

        def notice(line: str) -> None:
            said.append(line)
            holder.execute("ROLLBACK")

        report = run_import(store.engine, "customers", tmp_path / "customers.csv", on_wait=notice)

    store.close()
    assert report.committed and report.rows_loaded == 1
    assert len(said) == 1 and said[0].startswith(f"{WAITING} {url}: another process holds it"), said
