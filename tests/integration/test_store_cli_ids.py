"""A customer id given to `snapshot` or `history` is bounded as every id is, and echoed cut short and escaped."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.store import open_store
from policy_engine.cli import build_app
from policy_engine.domain.errors import CustomerNotFound, StoredRecordInvalid


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store(url).engine.dispose()
    return url


@pytest.mark.parametrize("command", ["snapshot", "history"])
def test_an_id_of_100000_characters_is_refused_as_too_long_and_echoed_cut_short(store_url: str, command: str) -> None:
    result = CliRunner().invoke(build_app(), [command, "C" * 100_000, "--db", store_url])

    assert result.exit_code == 2, result.stderr
    assert "CUSTOMER_ID: at most 64 characters, got 100000: 'CCCC" in result.stderr
    assert len(result.stderr) < 200


@pytest.mark.parametrize("command", ["snapshot", "history"])
def test_an_id_holding_a_terminal_escape_is_refused_and_echoed_escaped(store_url: str, command: str) -> None:
    result = CliRunner().invoke(build_app(), [command, "C\x1b[2J", "--db", store_url])

    assert result.exit_code == 2
    assert "\x1b" not in result.stderr
    assert "CUSTOMER_ID: contains a control character or an invisible formatting character: 'C\\x1b[2J'" in (
        result.stderr)


def test_an_id_of_64_characters_is_looked_up_and_said_to_be_unknown(store_url: str) -> None:
    result = CliRunner().invoke(build_app(), ["snapshot", " " + "C" * 64 + " ", "--db", store_url])

    assert result.exit_code == 1
    assert f"error: no customer '{'C' * 64}' in the store" in result.stderr


def test_the_domain_errors_echo_a_long_id_cut_short() -> None:
    long_id = "C" * 10_000

    said = [str(CustomerNotFound(long_id)), str(StoredRecordInvalid(long_id, []))]

    assert all(len(message) < 200 and "CCCC…'" in message for message in said), said
