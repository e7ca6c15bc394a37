"""A store whose server refuses the login, lacks the database, cannot be found or does not answer: every command
names the URL (password masked) and says what to check in --db or $CREDIT_POLICY_DB. Before, only the batch
explained a server that did not answer; a wrong password or database name gave the driver's words alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from adapters.store.connect_advice import connect_advice
from policy_engine.cli import build_app

PG_URL = os.environ.get("CREDIT_POLICY_PG_URL", "")
needs_pg = pytest.mark.skipif(not PG_URL, reason="CREDIT_POLICY_PG_URL is not set")
COMMANDS = [["queue"], ["history", "C1"], ["report"], ["batch", "--quiet"], ["demo-data", "--customers", "5"],
            ["compact-log"], ["serve", "--port", "0"]]  # fmt: skip


def said(command: list[str], url: str) -> str:
    """What `command` says on stderr when pointed at `url` with --db."""
    result = CliRunner().invoke(build_app(), [*command, "--db", url])
    assert result.exit_code in (1, 2, 3), result.output
    return result.stderr


@needs_pg
@pytest.mark.parametrize("command", COMMANDS)
def test_a_wrong_password_names_the_store_without_it_and_says_to_check_the_user_and_password(
        command: list[str]) -> None:
    wrong = make_url(PG_URL).set(password="not-the-pw-4711")

    stderr = said(command, wrong.render_as_string(hide_password=False))

    assert wrong.render_as_string(hide_password=True) in stderr and "not-the-pw-4711" not in stderr
    assert f"(the server refused user {wrong.username}: check the user name and password in --db" in stderr


@needs_pg
@pytest.mark.parametrize("command", [["queue"], ["batch", "--quiet"], ["serve", "--port", "0"]])
def test_a_database_the_server_does_not_have_is_named_with_what_to_check(command: list[str]) -> None:
    missing = make_url(PG_URL).set(database="credit_policy_no_such_database")

    stderr = said(command, missing.render_as_string(hide_password=False))

    assert "(the server has no database credit_policy_no_such_database: check the database name in --db" in stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_a_server_that_does_not_answer_says_to_check_it_is_up_and_the_host_and_port(command: list[str]) -> None:
    stderr = said(command, "postgresql+psycopg://risk:s3cret-pw@127.0.0.1:1/credit")

    assert "risk:***@127.0.0.1:1/credit" in stderr and "s3cret-pw" not in stderr
    assert "(the database did not answer: check that its server is up and that the host and port in --db" in stderr
    assert len(stderr.strip().splitlines()) == 1  # libpq's indented hint was a second line
    assert "Is the server running on that host" in stderr  # and is kept (serve and compact-log dropped it)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_that_is_not_a_sqlite_database_is_named_with_what_to_check(command: list[str], tmp_path: Path) -> None:
    # serve and compact-log gave the driver's first line alone (`file is not a database`), not what to check
    not_a_store = tmp_path / "notes.sqlite"
    not_a_store.write_text("minutes of the credit committee\n" * 200)

    stderr = said(command, f"sqlite:///{not_a_store}")

    assert f"cannot open the store sqlite:///{not_a_store}" in stderr
    assert f"({not_a_store} is not a SQLite database: check --db or $CREDIT_POLICY_DB" in stderr


def refused(words: str) -> OperationalError:
    """The error SQLAlchemy raises when psycopg's connection fails with `words`."""
    return OperationalError("connect", {}, Exception(words))


@pytest.mark.parametrize(("words", "advice"), [
    ("failed to resolve host 'db.exmaple': [Errno -2] Name or service not known",
     "(no host db.exmaple was found: check the host name in --db or $CREDIT_POLICY_DB)"),
    ('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  no pg_hba.conf entry for '
     'host "10.0.0.9", user "risk", database "credit", no encryption', "pg_hba.conf lets no such connection in"),
    ('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  role "risk" does not exist',
     "(the server refused user risk: check the user name and password"),
    # A server set to another language: the words are its own, psycopg's prefix is not
    ('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  Passwort-Authentifizierung '
     'für Benutzer »risk« fehlgeschlagen', "(check the host, port, user, password and database name in --db"),
])  # fmt: skip
def test_each_kind_of_failed_connection_says_what_to_check(words: str, advice: str) -> None:
    url = make_url("postgresql+psycopg://risk:pw@db.exmaple/credit")

    assert advice in connect_advice(refused(words), url)


def test_a_failure_that_is_no_connection_failure_or_on_sqlite_gets_no_connection_advice() -> None:
    pg, sqlite = make_url("postgresql+psycopg://risk:pw@db/credit"), make_url("sqlite:///store.sqlite")

    assert connect_advice(refused("permission denied for table customers"), pg) == ""
    assert connect_advice(refused("password authentication failed"), sqlite) == ""
    assert connect_advice(ValueError("connection failed"), pg) == ""
