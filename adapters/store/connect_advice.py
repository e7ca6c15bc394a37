"""What to check when a connection to the store's database server fails, in the words every command uses.

libpq's connection failures carry no SQLSTATE (psycopg's `sqlstate` is None), and a server set to another
language (lc_messages) translates its own refusals, so the known cases are told by libpq's and psycopg's
English words and anything else that failed while connecting gets the whole list of what to check. Before,
only a server that did not answer was explained (and by the batch alone); a wrong password, database name
or host gave the driver's words with no hint of where to fix them."""

from __future__ import annotations

from sqlalchemy.engine import URL

from adapters.store.db_env import DB_ENV_VAR
from adapters.store.engine import database_unavailable, server_not_answering

WHERE = f"--db or ${DB_ENV_VAR}"
_LOGIN_REFUSED = ("password authentication failed", "no password supplied", "fe_sendauth")
_NO_HOST = ("failed to resolve host", "could not translate host name", "Name or service not known")
_CONNECTING = ("connection failed", "connection to server", "could not connect to server")


def connect_advice(exc: BaseException, url: URL, where: str = WHERE) -> str:
    """` (what went wrong: what to check in --db or $CREDIT_POLICY_DB)` (`where`: the URL's source, when known) for
    a failed connection to the store's server; "" for SQLite and for anything that is not a connection failure
    (unusable.py says those)."""
    if url.get_backend_name() == "sqlite" or not database_unavailable(exc):
        return ""
    said = str(getattr(exc, "orig", None) or exc)
    if server_not_answering(exc):
        return (f" (the database did not answer: check that its server is up and that the host and port in {where} "
                "are right; once it answers, run the same command again)")
    if any(words in said for words in _LOGIN_REFUSED) or ('role "' in said and "does not exist" in said):
        return (f" (the server refused user {url.username or '(none given)'}: check the user name and password in "
                f"{where}; a password holding @ : / % # or ? is written percent-encoded, %40 for @)")
    if 'database "' in said and "does not exist" in said:
        return (f" (the server has no database {url.database or '(none given)'}: check the database name in {where}, "
                "or create it)")
    if "no pg_hba.conf entry" in said:
        return (f" (the server's pg_hba.conf lets no such connection in: check the host, user and database in {where}, "
                "or have the server's administrator allow it)")
    if any(words in said for words in _NO_HOST):
        return f" (no host {url.host or '(none given)'} was found: check the host name in {where})"
    if any(words in said for words in _CONNECTING):
        return f" (check the host, port, user, password and database name in {where}, and the server's TLS settings)"
    return ""
