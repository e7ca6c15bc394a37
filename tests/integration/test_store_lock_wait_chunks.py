"""An import and demo-data kept waiting for the SQLite write lock after the command started (another
writer taking it between demo-data's chunks, or before an import's first write) say so after 2 s."""

from __future__ import annotations

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


def test_demo_data_kept_waiting_between_its_chunks_says_so_once_and_writes_them_all(
        tmp_path: Path, short_waits: None) -> None:
    url, store = _empty_store(tmp_path)
    said: list[str] = []
    held: list[Any] = []

    def lock_after_the_first_chunk(_done: int) -> None:  # the profiles are written after the last chunk
        if not held:
            held.append(write_lock_held(url))
            held.append(held[0].__enter__())

    def notice(line: str) -> None:  # given back once said: unsaid, the next write fails after 1 s
        said.append(line)
        held[1].execute("ROLLBACK")

    generate_demo_data(store.engine, 5, as_of=AS_OF, progress=lock_after_the_first_chunk, on_wait=notice)

    held[0].__exit__(None, None, None)
    store.close()
    assert len(said) == 1 and said[0].startswith(f"{WAITING} {url}: another process holds it"), said
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
