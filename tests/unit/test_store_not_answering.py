"""Whether a failure to open the store may pass by itself (exit 3, retry) or needs a fix (exit 2).

The server's own refusals are told by SQLSTATE, not by their words: a PostgreSQL server set to
another language (lc_messages) sends its messages translated, and a nightly batch that met a
restarting server must still be retried."""

from __future__ import annotations

import psycopg.errors as pg
import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from adapters.store.engine import server_not_answering


def _wrapped(orig: BaseException) -> OperationalError:
    return OperationalError("connect", None, orig)


@pytest.mark.parametrize("orig", [
    pg.CannotConnectNow("das Datenbanksystem fährt hoch"),  # 57P03: starting up, shutting down, recovering
    pg.TooManyConnections("zu viele Clients"),  # 53300
    pg.AdminShutdown("Verbindung wird abgebrochen"),  # 57P01: the server was stopped under us
    pg.CrashShutdown("Absturz"),  # 57P02
])
def test_a_server_refusal_in_another_language_is_not_answering(orig: BaseException) -> None:
    assert server_not_answering(_wrapped(orig))


@pytest.mark.parametrize("orig", [
    pg.InvalidPassword("Passwort-Authentifizierung fehlgeschlagen"),  # 28P01: fix the command
    pg.InvalidCatalogName("Datenbank existiert nicht"),  # 3D000
])
def test_a_refusal_that_needs_a_fix_is_not_retried(orig: BaseException) -> None:
    assert not server_not_answering(_wrapped(orig))


def test_the_words_of_a_connection_that_never_reached_a_server_still_count() -> None:
    # libpq's own failures carry no SQLSTATE: their words are all there is.
    assert server_not_answering(_wrapped(Exception('connection to server at "db" failed: Connection refused')))
    assert not server_not_answering(_wrapped(Exception('could not translate host name "dbb" to address')))


def test_a_statement_error_is_not_a_server_that_did_not_answer() -> None:
    assert not server_not_answering(ProgrammingError("select", None, pg.UndefinedTable("no table")))
