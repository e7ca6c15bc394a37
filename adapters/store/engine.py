"""Engine factory: an embedded SQLite file by default, any SQLAlchemy URL otherwise (migrations: revisions.py)."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from adapters.store.db_env import DB_ENV_VAR as DB_ENV_VAR
from adapters.store.db_env import DEFAULT_DB_URL as DEFAULT_DB_URL
from adapters.store.db_env import resolve_db_url as resolve_db_url
from adapters.store.db_url import check_db_url, hidden_url, looks_like_path, url_secrets


class _SecondaryDriverErrors(logging.Filter):
    """Drop psycopg's "error ignored …" warnings. psycopg logs one when cleaning up after an error
    fails too (a pipeline or COPY it cannot close, a rollback it cannot send: the server is gone),
    and only while that first error propagates, which the caller reports (the batch: `error:
    OperationalError: … (the database went away: …)`). On stderr it read like a second failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("error ignored "))


logging.getLogger("psycopg").addFilter(_SecondaryDriverErrors())


class NoSuchStore(Exception):
    """A command that only reads was pointed at a SQLite file that does not exist."""


def require_existing(url: str | None = None, came_from: str = "") -> None:
    """Raise NoSuchStore when `url` names a SQLite file that is not there; `came_from` (say ` (from
    $CREDIT_POLICY_DB: …)`) follows the URL in its message.

    Commands that only read the store (queue, report, history, simulate), the batch and `serve` call
    this first: opening a missing file would create it, so a typo in --db left an empty store behind
    and the command answered "nothing found" (serve: NOT_FOUND) about the wrong database. A server refuses a
    database that does not exist; one that exists but holds no store is presence.require_store's to refuse.
    """
    resolved = resolve_db_url(url)
    check_db_url(resolved)
    path = sqlite_file(make_url(resolved))
    if path is None:
        return
    # SQLite takes a zero-byte file for an empty database and would make a store of it: never one of ours.
    why = "" if not path.exists() else ": an empty file" if path.is_file() and path.stat().st_size == 0 else None
    if why is not None:
        raise NoSuchStore(f"no store at {path} ({safe_url(resolved)}){came_from}{why}; check --db or ${DB_ENV_VAR}; "
                          "`credit-policy demo-data` and `import` create one")


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database or the connection to it failed (which may pass: a restart, a
    dropped connection), rather than the statement or its data."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


_NOT_ANSWERING = ("Connection refused", "timeout expired", "timed out", "No route to host", "Network is unreachable",
                  "Temporary failure in name resolution", "the database system is starting up",
                  "the database system is shutting down", "the database system is in recovery mode",
                  "server closed the connection unexpectedly", "too many clients already")


_PASSING_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
"""The server's own "not now": stopped, crashed, starting or recovering, out of connections. Told by
code because a server set to another language (lc_messages) sends the words translated."""


def server_not_answering(exc: BaseException) -> bool:
    """Whether opening the store failed because its server did not answer (down, restarting, out of
    connections): that may pass by itself, unlike a wrong password, host name or database name."""
    if not database_unavailable(exc):
        return False
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in _PASSING_SQLSTATES:
        return True
    return any(words in str(exc) for words in _NOT_ANSWERING)  # libpq's own failures carry no SQLSTATE


def safe_url(url: str) -> str:
    """The URL as it may be printed or logged: without its secrets (db_url.hidden_url). A file path given for a URL is
    shown as it is; any other value that does not parse is not shown (it may be a password pasted
    into the wrong place, or a URL whose password broke the parse). A user name that is the password, as the CI's
    role has it, is hidden too (scrub_password): shown, it would say the password."""
    if looks_like_path(url):
        return url
    try:
        return scrub_password(hidden_url(make_url(url)), url)
    except Exception:
        return "<a database URL that does not parse>"


def cannot_open(url: str, exc: BaseException, came_from: str = "", where: str = "") -> str:
    """The one line every command prints when the store at `url` cannot be opened: the location (never
    its password), where it came from (`came_from`, serve's db_source), why (the driver's whole message, its
    hint lines joined), and what to do: for a bad location (BadDbUrl) what to write, for a store that
    is not usable or a server that refused or did not answer what to check in `where` (default: --db or
    $CREDIT_POLICY_DB; unusable.py, connect_advice.py)."""
    from adapters.store.connect_advice import WHERE, connect_advice
    from adapters.store.unusable import unusable_store

    why = str(exc).split("\n(Background on this error", 1)[0]  # SQLAlchemy's link to its docs: a second line
    why = re.sub(r"\s*\n\s*", " ", why.strip()) or type(exc).__name__  # libpq's hint is an indented line
    try:  # not a database, damaged, a file the user may not write, a login refused: say which and what to do
        parsed = make_url(url)
        unusable = unusable_store(exc, parsed)
        advice = unusable.advice if unusable else connect_advice(exc, parsed, where or WHERE)
    except Exception:  # noqa: BLE001 - a URL that does not parse is said as it is
        advice = ""
    # Scrubbed whole: the advice names the role (`GRANT … TO app`), which may be the password's own word.
    return scrub_password(f"cannot open the store {safe_url(url)}{came_from}: {why}{advice}", url)


def scrub_password(message: str, url: str) -> str:
    """`message` (say, a driver's error) with `url`'s password and other secrets (db_url.url_secrets) replaced by ***.

    The password is replaced where it stands on its own (in a URL, after `password=`, quoted), as
    written or percent-encoded, not inside a longer word or name: a password "p" or "postgres" must not turn
    "psycopg" or "postgresql" in the message into "***sycopg" or "***ql", nor a password "credit_policy" the
    database name "credit_policy_test" into "***_test", which the advice asks the operator to check."""
    try:
        secrets = url_secrets(make_url(url))
    except Exception:
        return message.replace(url, safe_url(url))
    if not secrets:
        return message
    forms = sorted({form for secret in secrets for form in (secret, quote(secret, safe=""))}, key=len, reverse=True)
    alone = "|".join(re.escape(form) for form in forms)
    return re.sub(rf"(?<![A-Za-z0-9_])(?:{alone})(?![A-Za-z0-9_])", "***", message)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (service, history) run beside a writer (batch, import); NORMAL sync is
    # durable across application crashes and only risks the last commits on power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


SQLITE_JSON_PROBE = "SELECT json_group_array(value) FROM json_each('[1]')"
"""What the store's SQLite statements need beyond plain SQL: the JSON functions (built in since
SQLite 3.38, and compiled in by most distributions long before)."""


class SqliteTooOld(Exception):
    """The SQLite library lacks what the store's statements need."""


def require_sqlite_json(engine: Engine) -> None:
    """Raise SqliteTooOld, naming the library's version, when SQLite has no JSON functions: the
    single-statement snapshot loads and the batch's chunk queries use them, and without this check
    their failure would read as the database being unavailable."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql(SQLITE_JSON_PROBE).all()
        except OperationalError as exc:
            import sqlite3

            raise SqliteTooOld(f"SQLite {sqlite3.sqlite_version} has no JSON functions ({exc.orig}); the store "
                               "needs SQLite 3.38 or newer, or one built with JSON1") from None


SQLITE_LOCK_WAIT = 30
"""Seconds a SQLite connection waits for another process's write lock before `database is locked`."""
PG_CONNECT_TIMEOUT = 10
"""Seconds a PostgreSQL connection may take to open, unless the URL says (`?connect_timeout=N`)."""


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; for a SQLite file create its parent folder, the file owner-only (0600) on the first
    connection when it is not there, and turn on WAL and foreign keys.

    Raises BadDbUrl (db_url.py), saying what to write, for a location that is not a usable URL."""
    resolved = resolve_db_url(url)
    check_db_url(resolved)
    sa_url = make_url(resolved)
    # A failed statement's parameters (snapshots: names, amounts) stay out of its message, which logs,
    # tracebacks and batch_runs keep; the statement and the driver's words are enough to act on.
    kwargs: dict[str, Any] = {"hide_parameters": True}
    store_file = sqlite_file(sa_url)
    if store_file is not None:
        store_file.parent.mkdir(parents=True, exist_ok=True)
    if sa_url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_LOCK_WAIT}
    else:
        kwargs["pool_pre_ping"] = True
        if sa_url.get_backend_name() == "postgresql" and "connect_timeout" not in sa_url.query:
            # libpq waits for ever by default: a server that takes the connection but never answers (a
            # stuck proxy, a host half down) would hang `serve`, the batch or a call with no word.
            kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT}
    engine = create_engine(sa_url, **kwargs)
    if sa_url.get_backend_name() == "sqlite":
        event.listen(engine, "do_connect", _create_private)
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def sqlite_file(sa_url: URL) -> Path | None:
    """The file of a SQLite URL naming one; None for another database, `:memory:` and `file:` URIs."""
    database = sa_url.database or ""
    if sa_url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _create_private(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
    """Before SQLite connects: create its file mode 0600 when it is not there yet (the `do_connect` hook).

    The store holds every customer's data, and SQLite alone would create it 0666 less the umask (0644
    under the usual 022), readable by every local user; SQLite gives its -wal, -shm and -journal files
    the main file's mode. A file that exists keeps the mode its owner chose. The name is the one the
    driver is about to open (SQLAlchemy made it absolute; `~` is not expanded), never a URI."""
    filename = cargs[0] if cargs else None
    if cparams.get("uri") or not isinstance(filename, str) or filename in ("", ":memory:"):
        return
    try:
        os.close(os.open(filename, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:  # there already, or not creatable: SQLite then opens it, or says why not
        pass
