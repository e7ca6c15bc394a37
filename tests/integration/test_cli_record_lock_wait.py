"""`evaluate --db` and `check-order --db` kept waiting for the SQLite write lock to record the decision say so
after 2 s, not 30 s of silence; locked out for the whole wait, they exit 3 with nothing recorded or printed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from adapters.store import open_store, sql_store
from tests.integration.sqlite_lock import WAITING, run_while_held, write_lock_held

_PAST_DUE = str(Path(__file__).resolve().parents[2] / "examples" / "past-due.json")
COMMANDS = [["evaluate", _PAST_DUE], ["check-order", _PAST_DUE, "--amount", "5"]]
CUSTOMER = "C-PAST-DUE"


def _store(tmp_path: Path) -> str:
    """A store at the current schema: opening it migrates nothing, so the only write is the decision's."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store(url).close()
    return url


def _run(command: list[str], url: str, monkeypatch: pytest.MonkeyPatch, give_back: bool) -> tuple[int, str, str]:
    return run_while_held([*command, "--as-of", "2026-11-22", "--db", url], url, monkeypatch, give_back=give_back)


def _logged(url: str) -> int:
    store = open_store(url, upgrade=False)
    try:
        return len(store.history(CUSTOMER))
    finally:
        store.close()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_decision_kept_waiting_to_be_recorded_says_so_once_then_is_recorded(
        command: list[str], tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _store(tmp_path)
    status, out, said = _run(command, url, monkeypatch, give_back=True)

    assert status == 0, said
    assert said.count(WAITING) == 1
    assert f"{command[0]}: {WAITING} {url} to record the decision: another process" in said
    assert "recorded in the audit log" in said and json.loads(out)
    assert _logged(url) == 1


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_decision_locked_out_of_the_store_exits_3_neither_recorded_nor_printed(
        command: list[str], tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _store(tmp_path)
    status, out, said = _run(command, url, monkeypatch, give_back=False)

    assert status == 3, said
    assert f"{command[0]}: {WAITING} {url} to record the decision" in said
    assert "error: database is locked (another process held the store's write lock for over 1 s" in said
    assert "the decision was not recorded" in said and "recorded in the audit log" not in said
    assert out == "" and "Traceback" not in said
    assert _logged(url) == 0


def _rule_sets(url: str) -> int:
    """The policy versions whose rule files the store keeps."""
    conn = sqlite3.connect(make_url(url).database or "")
    try:
        return int(conn.execute("SELECT count(*) FROM policy_versions").fetchone()[0])
    finally:
        conn.close()


def _invoke(command: list[str], url: str) -> tuple[int, str, str]:
    from policy_engine.cli import build_app

    result = CliRunner().invoke(build_app(), [*command, "--as-of", "2026-11-22", "--db", url])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_decision_locked_out_at_its_own_rows_leaves_nothing_of_itself_not_even_its_rule_files(
        command: list[str], tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _store(tmp_path)
    locked = OperationalError("INSERT INTO decision_log", None, sqlite3.OperationalError("database is locked"))

    def locked_out(*_: Any) -> None:
        raise locked

    monkeypatch.setattr(sql_store, "write_log_rows", locked_out)
    status, out, said = _invoke(command, url)

    assert status == 3, said
    assert "the decision was not recorded" in said and out == ""
    assert _logged(url) == 0
    assert _rule_sets(url) == 0  # before: the rule files were committed on their own, first


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_another_writer_taking_the_lock_after_the_first_commit_cannot_split_the_rule_files_from_the_decision(
        command: list[str], tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _store(tmp_path)
    write = sql_store.write
    holders: list[Any] = []

    def then_locked(*args: Any, **kwargs: Any) -> Any:
        done = write(*args, **kwargs)
        if not holders:  # another writer takes the lock between this commit and any other, and keeps it
            holders.append(write_lock_held(url))
            holders[0].__enter__()
        return done

    monkeypatch.setattr(sql_store, "write", then_locked)
    try:
        status, out, said = _invoke(command, url)
    finally:
        for holder in holders:
            holder.__exit__(None, None, None)

    assert status == 0, said  # before: exit 3, the rule files recorded without the decision they came with
    assert json.loads(out) and "recorded in the audit log" in said
    assert (_logged(url), _rule_sets(url)) == (1, 1)
