"""A command that opens a SQLite store needing a migration, while another process holds its write lock,
says so after 2 s (as import does) and, locked out for the whole wait, exits 3 saying what held it."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.store import open_store
from adapters.store.revisions import current_revision, downgrade, head_revision
from tests.integration.sqlite_lock import WAITING, run_while_held
from tests.integration.test_batch_support import AS_OF, RULES

LOCKED_OUT = "error: database is locked (another process held the store's write lock for over 1 s"


def _store_a_release_behind(tmp_path: Path, revision: str = "0005") -> str:
    """A store whose schema is at an earlier release's `revision`: opening it migrates it."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = open_store(url)
    downgrade(store.engine, revision)
    store.close()
    return url


def _revision(url: str) -> str | None:
    store = open_store(url, upgrade=False)
    try:
        return current_revision(store.engine)
    finally:
        store.close()


def test_a_command_kept_waiting_to_migrate_the_store_says_so_once_then_migrates_it(
        tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _store_a_release_behind(tmp_path)

    status, _out, said = run_while_held(["history", "C1", "--db", url], url, monkeypatch, give_back=True)

    assert status == 1, said  # no decisions logged for C1: the command ran
    assert said.count(WAITING) == 1 and f"history: {WAITING} {url} to upgrade its schema: another process" in said
    assert _revision(url) == head_revision()


def test_a_command_locked_out_of_the_migration_exits_3_saying_what_held_it(
        tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _store_a_release_behind(tmp_path)

    status, out, said = run_while_held(["history", "C1", "--db", url], url, monkeypatch, give_back=False)

    assert status == 3, said
    assert LOCKED_OUT in said and "the store was not upgraded" in said and "cannot open" not in said
    assert "Traceback" not in said + out
    assert _revision(url) == "0005"


@pytest.mark.parametrize("args", [["runs"], ["compact-log", "--upgrade"],
                                  ["batch", "--as-of", AS_OF.isoformat(), "--rules", str(RULES)],
                                  ["simulate", "--as-of", AS_OF.isoformat(), "--rules", str(RULES)]])
def test_the_batch_its_readers_and_compact_log_locked_out_of_the_migration_exit_3_not_2(
        tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    url = _store_a_release_behind(tmp_path, "0002")  # compact-log migrates a store before 0003 only

    status, out, said = run_while_held([*args, "--db", url], url, monkeypatch, give_back=False)

    assert status == 3, said + out
    assert f"{args[0]}: {WAITING} {url} to upgrade its schema" in said
    assert "database is locked (another process held the store's write lock for over " in said + out


@pytest.mark.parametrize("model", [["--workers", "0"], ["--processes", "2"]])
def test_serve_kept_waiting_to_migrate_says_so_and_locked_out_exits_3(
        tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch, model: list[str]) -> None:
    """serve migrates the store once before it listens: 30 s of silence, then exit 2 `cannot open`, before."""
    url = _store_a_release_behind(tmp_path)

    status, out, said = run_while_held(["serve", "--port", "0", *model, "--db", url], url, monkeypatch,
                                       give_back=False)

    assert status == 3, said + out
    assert said.count(WAITING) == 1 and f"serve: {WAITING} {url} to upgrade its schema" in said
    assert LOCKED_OUT.removeprefix("error: ") in said and "cannot open" not in said
    assert "Traceback" not in said + out and _revision(url) == "0005"
