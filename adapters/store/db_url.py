"""What is wrong with a store location that is not a usable database URL, and what to write instead.

One place for every command that takes `--db` (or reads $CREDIT_POLICY_DB): the engine factory and
the read-only commands' existence check both call `check_db_url`, so batch, queue, report, import,
demo-data, history, serve, simulate, evaluate and compact-log say the same thing about the same slip.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import NoSuchModuleError

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_POSTGRES_ALIAS = re.compile(r"^postgres(?=\+|$)")
_SECRET_PARAMETER = re.compile(r"pass(word|wd)|secret|token", re.IGNORECASE)
"""Query parameters that carry a secret: libpq takes `?password=` and `?sslpassword=` as well as `USER:PASSWORD@`."""
HIDDEN = "***"


class BadDbUrl(ValueError):
    """A store location that is not a database URL the store can open; the message says what to write."""


def looks_like_path(value: str) -> bool:
    """Whether `value` is a file path given where a URL was wanted: it exists, ends like a SQLite file
    or holds a slash, and has no scheme and no `@` (which would make it a URL that lost its scheme, and
    might hold a password)."""
    if "@" in value or _SCHEME.match(value) or not value.strip():
        return False
    return Path(value).expanduser().exists() or value.lower().endswith(SQLITE_SUFFIXES) or "/" in value


def sqlite_url_for(path: str) -> str:
    """The SQLAlchemy URL of the SQLite file at `path`: three slashes, then the path (so four when absolute)."""
    return f"sqlite:///{path}"


def url_secrets(url: URL) -> list[str]:
    """Every secret `url` carries: its password, the values of its password-like query parameters, and the part of a
    password after an `@` written as it is (not `%40`), which the URL's parse took for the start of its host."""
    secrets = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        if _SECRET_PARAMETER.search(key):
            secrets.extend(value if isinstance(value, tuple) else [value])
    if url.host and "@" in url.host:
        secrets.append(url.host.rsplit("@", 1)[0])
    return [secret for secret in secrets if secret]


def hidden_url(url: URL) -> str:
    """`url` as it may be printed or logged: each secret of `url_secrets` shown as ***."""
    query = {key: HIDDEN if _SECRET_PARAMETER.search(key) else value for key, value in url.query.items()}
    host = f"{HIDDEN}@{url.host.rsplit('@', 1)[1]}" if url.host and "@" in url.host else url.host
    shown = url.set(query=query, host=host).render_as_string(hide_password=True)
    return shown.replace("%2A%2A%2A", HIDDEN)  # the query's *** as rendered (percent-encoded)


def check_db_url(url: str) -> None:
    """Raise BadDbUrl when `url` cannot name the store: a file path instead of a URL, a URL that does not
    parse, `sqlite://NAME` (two slashes make NAME a host), `postgres://` (SQLAlchemy 2 wants
    `postgresql`), a database SQLAlchemy does not know or whose driver is not installed (saying which
    of SQLite and PostgreSQL work here), or a SQLite URL naming a directory. The message leaves the
    value out (the caller names it through `safe_url`, which never shows a password) and ends with
    what to write."""
    if looks_like_path(url):
        if Path(url).expanduser().is_dir():
            raise BadDbUrl(f"a directory, not a database URL; write {sqlite_url_for(_store_in(url))} for a store in it")
        raise BadDbUrl(f"a file path, not a database URL; write {sqlite_url_for(url)}")
    try:
        parsed = make_url(url)
    except Exception:
        raise BadDbUrl("not a database URL (DIALECT[+DRIVER]://…); write sqlite:///PATH for a SQLite file "
                       "or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE") from None
    _check_driver(parsed.drivername)
    if parsed.host and "@" in parsed.host:  # the driver would be sent the rest of the password as a host name
        raise BadDbUrl("an @ inside the user name or password ends it early, and the rest is read as the host name; "
                       "write each @ in them as %40")
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_location(parsed)


def _check_driver(drivername: str) -> None:
    """Raise BadDbUrl for `postgres` (SQLAlchemy 2 wants `postgresql`) and for a database SQLAlchemy does not
    know or whose driver is not installed here."""
    if _POSTGRES_ALIAS.match(drivername):
        fixed = _POSTGRES_ALIAS.sub("postgresql+psycopg" if drivername == "postgres" else "postgresql", drivername)
        raise BadDbUrl(f"SQLAlchemy 2 does not know the name {drivername!r}; write {fixed}://… "
                       "(the rest as it is)")
    if (unusable := _no_driver(drivername)) is not None:
        raise BadDbUrl(f"{unusable}; write {_schemes_that_work()}")


def _check_sqlite_location(parsed: URL) -> None:
    """Raise BadDbUrl for `sqlite://NAME` (two slashes make NAME a host) and for a SQLite URL naming a directory."""
    if parsed.host:
        name = parsed.host + (f"/{parsed.database}" if parsed.database else "")
        raise BadDbUrl(f"two slashes make {name!r} a host name; write {sqlite_url_for(name)} "
                       "(three slashes, then the path; four for an absolute path)")
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        if Path(database).expanduser().is_dir():
            raise BadDbUrl(f"{database} is a directory, not a database file; write "
                           f"{sqlite_url_for(_store_in(database))} for a store in it")


_SCHEMES = (("sqlite", "sqlite:///PATH for a SQLite file"),
            ("postgresql+psycopg", "postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"))
"""The stores this project is built and tested on, as what to write (any other SQLAlchemy URL whose
driver is installed is tried as given)."""


def _no_driver(drivername: str) -> str | None:
    """Why SQLAlchemy cannot open a `drivername` URL here (unknown, or its driver not installed), or None.

    Its own words were `Can't load plugin: sqlalchemy.dialects:nonsense`, or a ModuleNotFoundError
    only once a connection was tried, with nothing about what to write instead."""
    try:
        dialect = make_url(f"{drivername}://").get_dialect()
    except NoSuchModuleError:
        return f"no database {drivername.split('+')[0]!r} here"
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        return f"the driver for {drivername} ({exc.name or exc}) is not installed here"
    return None


def _schemes_that_work() -> str:
    return " or ".join(text for name, text in _SCHEMES if _no_driver(name) is None)


def _store_in(directory: str) -> str:
    return str(Path(directory) / "credit-policy.sqlite")
