"""A database password never reaches a message, and hiding it leaves the rest of the message readable; nor
does the customer data a failed statement was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.store.db_url import BadDbUrl, check_db_url
from adapters.store.engine import make_engine, safe_url, scrub_password


@pytest.mark.parametrize(
    ("password", "message", "expected"),
    [
        ("p", "(psycopg.OperationalError) connection to server at 127.0.0.1, port 1 failed",
         "(psycopg.OperationalError) connection to server at 127.0.0.1, port 1 failed"),
        ("postgres", "postgresql+psycopg://postgres:postgres@db/credit: connection failed",
         "postgresql+psycopg://***:***@db/credit: connection failed"),
        ("s3cret", "cannot connect with password=s3cret to 'db'", "cannot connect with password=*** to 'db'"),
        ("s3cret", 'password "s3cret" was refused', 'password "***" was refused'),
        ("p@ss word", "postgresql://u:p%40ss%20word@db/x refused; p@ss word", "postgresql://u:***@db/x refused; ***"),
    ],
)
def test_the_password_is_hidden_where_it_stands_alone(password: str, message: str, expected: str) -> None:
    url = f"postgresql+psycopg://postgres:{password.replace('@', '%40').replace(' ', '%20')}@db/credit"

    scrubbed = scrub_password(message, url)

    assert scrubbed == expected


@pytest.mark.parametrize(
    ("url", "shown", "driver_said"),
    [
        # libpq takes a password in the query too; SQLAlchemy's hide_password hides only USER:PASSWORD@'s
        ("postgresql+psycopg://risk@db/credit?password=s3cret-pw", "postgresql+psycopg://risk@db/credit?password=***",
         "password authentication failed (password=s3cret-pw)"),
        ("postgresql+psycopg://risk:s3cret-pw@db/credit?sslmode=require&sslpassword=s3cret-key",
         "postgresql+psycopg://risk:***@db/credit?sslmode=require&sslpassword=***", "bad decrypt with 's3cret-key'"),
        # an @ of the password written as it is: the rest of the password was read as the host name
        ("postgresql+psycopg://risk:s3cret@s3cret-pw@db/credit", "postgresql+psycopg://risk:***@***@db/credit",
         "failed to resolve host 's3cret-pw@db'"),
    ],
)
def test_a_password_in_the_query_or_cut_at_an_at_sign_is_never_shown(url: str, shown: str, driver_said: str) -> None:
    scrubbed = scrub_password(f"{driver_said} at {url}", url)

    assert safe_url(url) == shown
    assert "s3cret" not in scrubbed, scrubbed


def test_an_at_sign_left_unencoded_in_the_password_is_refused_saying_to_write_it_as_percent_40() -> None:
    with pytest.raises(BadDbUrl) as refused:
        check_db_url("postgresql+psycopg://risk:s3cret@pw@db/credit")

    assert "%40" in str(refused.value) and "s3cret" not in str(refused.value)


def test_a_url_without_a_password_leaves_the_message_alone() -> None:
    assert scrub_password("psycopg failed", "postgresql+psycopg://u@db/x") == "psycopg failed"


def test_a_database_error_does_not_carry_the_customer_data_it_was_given(tmp_path: Path) -> None:
    """SQLAlchemy puts a failed statement's parameters in its message, and the audit writer logs that
    message with its traceback: a decision-log row's snapshot (names, amounts) ended up in the logs."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")

    with pytest.raises(OperationalError) as caught, engine.connect() as conn:
        conn.execute(text("INSERT INTO no_such_table VALUES (:name)"), {"name": "Acme Pharmacy, limit 900000.00"})

    assert "no_such_table" in str(caught.value) and "Acme" not in str(caught.value)


def test_a_raw_statement_that_fails_does_not_carry_its_parameters_either(tmp_path: Path) -> None:
    """The snapshot loads run on the driver's own cursor (rawsql.fetch_all) and build SQLAlchemy's error by hand."""
    from sqlalchemy.exc import DBAPIError

    from adapters.store.rawsql import fetch_all

    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")

    with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
        fetch_all(conn, "SELECT * FROM no_such_table WHERE id = :id", {"id": "C-SECRET-7"})

    assert "no_such_table" in str(caught.value) and "C-SECRET-7" not in str(caught.value)
