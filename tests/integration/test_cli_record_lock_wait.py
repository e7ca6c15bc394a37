"""`evaluate --db` and `check-order --db` kept waiting for the SQLite write lock to record the decision say so
after 2 s, not 30 s of silence; locked out for the whole wait, they exit 3 with nothing recorded or printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.store import open_store
from tests.integration.sqlite_lock import WAITING, run_while_held

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
