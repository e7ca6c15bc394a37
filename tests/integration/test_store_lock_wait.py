"""`demo-data` and `compact-log` kept waiting for a SQLite store's write lock say so, as `import` does, and
locked out for the whole wait exit 3 saying what held them and what to do, with no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.store import open_store
from tests.integration.sqlite_lock import WAITING, run_while_held
from tests.integration.test_batch_support import AS_OF, make_portfolio, scalar

DEMO = ["demo-data", "--customers", "5", "--as-of", AS_OF.isoformat()]
LOCKED_OUT = "error: database is locked (another process held the store's write lock for over 1 s"


def _empty_store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store(url).close()  # created and migrated: there is a file to lock
    return url


def test_demo_data_kept_waiting_by_another_writer_says_so_once_and_fills_the_store(
        tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _empty_store(tmp_path)

    status, _out, said = run_while_held([*DEMO, "--db", url], url, monkeypatch, give_back=True)

    assert status == 0, said
    assert said.count(WAITING) == 1 and f"demo-data: {WAITING} {url}: another process holds it" in said
    assert scalar(url, "SELECT COUNT(*) FROM customers") == 5


def test_demo_data_locked_out_for_the_whole_wait_exits_3_having_generated_nothing(
        tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _empty_store(tmp_path)

    status, out, said = run_while_held([*DEMO, "--db", url], url, monkeypatch, give_back=False)

    assert status == 3, said
    assert LOCKED_OUT in said and "nothing generated" in said and "Traceback" not in said + out
    assert scalar(url, "SELECT COUNT(*) FROM customers") == 0


def test_compact_log_kept_waiting_by_another_writer_says_so_once_and_prints_its_summary(
        tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_portfolio(tmp_path, 20)

    status, out, said = run_while_held(["compact-log", "--db", url], url, monkeypatch, give_back=True)

    assert status == 0, said
    assert said.count(WAITING) == 1 and f"compact-log: {WAITING} {url}: another process holds it" in said
    assert json.loads(out)["status"] == "done"  # stdout holds the summary alone


def test_compact_log_locked_out_for_the_whole_wait_exits_3_without_a_traceback(
        tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_portfolio(tmp_path, 20)

    status, out, said = run_while_held(["compact-log", "--db", url], url, monkeypatch, give_back=False)

    assert status == 3, said
    assert LOCKED_OUT in said and "run the same command again" in said
    assert "Traceback" not in said and out == ""
