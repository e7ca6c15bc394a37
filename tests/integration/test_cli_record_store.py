"""`evaluate --db` and `check-order --db` record only into a store that is there: a SQLite file that is not,
or is empty, is refused as the read-only commands and `serve` refuse it, with nothing created or printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

_PAST_DUE = str(Path(__file__).resolve().parents[2] / "examples" / "past-due.json")
COMMANDS = [["evaluate", _PAST_DUE], ["check-order", _PAST_DUE, "--amount", "5"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_store_that_is_not_there_is_refused_and_nothing_is_created(command: list[str], tmp_path: Path) -> None:
    from policy_engine.cli import build_app

    missing = tmp_path / "typo" / "x.sqlite"

    result = CliRunner().invoke(build_app(), [*command, "--as-of", "2026-11-22", "--db", f"sqlite:///{missing}"])

    assert result.exit_code == 2, result.output
    assert f"error: no store at {missing} (sqlite:///{missing}); check --db" in result.stderr
    assert result.stdout == "" and "recorded" not in result.stderr
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_an_empty_file_is_refused_as_no_store(command: list[str], tmp_path: Path) -> None:
    from policy_engine.cli import build_app

    empty = tmp_path / "empty.sqlite"
    empty.touch()

    result = CliRunner().invoke(build_app(), [*command, "--as-of", "2026-11-22", "--db", f"sqlite:///{empty}"])

    assert result.exit_code == 2, result.output
    assert f"error: no store at {empty} " in result.stderr and ": an empty file; check --db" in result.stderr
    assert empty.stat().st_size == 0
