"""A database password never reaches a message, and hiding it leaves the rest of the message readable."""

from __future__ import annotations

import pytest

from adapters.store.engine import scrub_password


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


def test_a_url_without_a_password_leaves_the_message_alone() -> None:
    assert scrub_password("psycopg failed", "postgresql+psycopg://u@db/x") == "psycopg failed"
