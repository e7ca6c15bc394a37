"""`serve`'s store: whether it may start on it (a SQLite file that is not there is refused unless --create-store),
and opening it once, migrated, before the server processes open their own."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

CREATE_HINT = "`serve --create-store` starts an empty one (full snapshots only, a new decision log)"
MEMORY = "memory"
"""--db's value for no store at all: full snapshots only, no decision log."""


def db_source(db: str | None) -> str:
    """Where the store's URL came from, for its error, when not from --db: an operator who gave no --db
    reads `cannot open the store …` as about a flag they never wrote (a $CREDIT_POLICY_DB left in a unit
    file or a shell profile, say)."""
    from adapters.store.db_env import DB_ENV_VAR  # not engine.py: SQLAlchemy, for nothing with `memory`

    if db is not None:
        return ""
    if os.environ.get(DB_ENV_VAR):
        return f" (from ${DB_ENV_VAR}: --db was not given)"
    return f" (the default: neither --db nor ${DB_ENV_VAR} was given)"


def require_store(db: str, db_from: str, *, create: bool) -> None:
    """Exit 2 with batch's words (`no store at …`) and where the URL came from (`db_from`) when `db` names a
    SQLite file that is not there or is empty, unless `create`.

    Opening it would create it, and its folders: a typo in --db served an empty store that answered
    NOT_FOUND for every customer_id. A bad URL or a missing store module is left to the opening, which
    names it; PostgreSQL passes (a server refuses a database that does not exist), `memory` too, but not
    with `create` (refuse_memory_create)."""
    if db == MEMORY:
        refuse_memory_create(db_from, create=create)
        return
    if create:
        return
    try:
        from adapters.store.db_url import BadDbUrl
        from adapters.store.engine import NoSuchStore, require_existing
    except ImportError:
        return
    try:
        require_existing(db, came_from=db_from)
    except BadDbUrl:
        return
    except NoSuchStore as exc:
        typer.echo(f"serve: {exc}; {CREATE_HINT}", err=True)
        raise typer.Exit(2) from None


def refuse_memory_create(db_from: str, *, create: bool) -> None:
    """Exit 2 saying what --create-store is for when it is given with the `memory` store, which it cannot
    create: it keeps no store, and the operator who asked for one would get no decision log, without a word.

    PostgreSQL passes with it, as without: its server refuses a database that is not there, loudly, and
    serve creates the tables of an empty one either way, so the flag misleads nobody there."""
    if create:
        typer.echo("serve: --create-store starts a new SQLite store file where --db names one that is not there; "
                   f"`memory`{db_from} keeps no store (no customers, no decision log): leave --create-store out, or "
                   "give --db sqlite:///PATH", err=True)
        raise typer.Exit(2)


def new_sqlite_file(db: str) -> Path | None:
    """The SQLite file `db` names when opening it will make a new store (not there, or empty); else None."""
    from sqlalchemy import make_url

    from adapters.store.engine import resolve_db_url, sqlite_file

    try:
        path = sqlite_file(make_url(resolve_db_url(db)))
    except Exception:  # noqa: BLE001 - a URL that does not parse: the opening says why
        return None
    if path is None or (path.exists() and (not path.is_file() or path.stat().st_size > 0)):
        return None
    return path


def store_or_exit(db: str, db_from: str = "", **options: Any) -> Any:
    """open_store(db, **options), or a one-line error naming the store (never its password) and where its
    URL came from (`db_from`, see db_source), then exit 2; exit 3 when another process held its SQLite write
    lock through the whole migration."""
    try:
        from adapters.store import open_store
        from adapters.store.engine import cannot_open, resolve_db_url, safe_url
    except ImportError as exc:
        raise typer.BadParameter(f"--db needs the SQL store (adapters.store), which is not available: {exc}",
                                 param_hint="--db") from exc
    new_file = new_sqlite_file(db)  # only with --create-store by now: require_store refused it otherwise
    try:  # a migration kept waiting for another process's SQLite write lock says so (lock_wait.py)
        store = open_store(db, on_wait=lambda line: typer.echo(f"serve: {line}", err=True), **options)
        _require_writes(store)
    except Exception as exc:  # a bad URL, an unreachable server, a failed migration, a read-only role: no traceback
        _exit_if_locked(exc)
        url = resolve_db_url(db)
        typer.echo(f"serve: {cannot_open(url, exc, db_from, _where(db_from))}", err=True)
        raise typer.Exit(2) from None
    if new_file is not None:
        from adapters.grpc.logs import event

        event("store created", store=safe_url(resolve_db_url(db)), path=str(new_file))
    return store


def _require_writes(store: Any) -> None:
    """Close `store` and raise StoreNotWritable when its role may not write the decision log (privileges.py)."""
    from adapters.store.privileges import require_service_writes

    try:
        require_service_writes(store.engine)
    except BaseException:
        store.close()
        raise


def _where(db_from: str) -> str:
    """Where to fix the store's URL, from where it came (`db_from`, see db_source: "" for --db)."""
    from adapters.store.db_env import DB_ENV_VAR

    return f"${DB_ENV_VAR}" if DB_ENV_VAR in db_from else "--db"


def _exit_if_locked(exc: Exception) -> None:
    """Exit 3 (start it again later, as the other commands say) when another process held the SQLite store's
    write lock through the whole migration; not exit 2 "cannot open the store", which reads as a bad --db."""
    from adapters.store import engine as store_engine
    from adapters.store.lock_wait import HOLDERS, is_locked

    if is_locked(exc):
        typer.echo(f"serve: database is locked (another process held the store's write lock for over "
                   f"{store_engine.SQLITE_LOCK_WAIT} s: {HOLDERS}); the store was not upgraded and the service "
                   "did not start: once it is done, run the same command again", err=True)  # fmt: skip
        raise typer.Exit(3) from None


def migrate_store(db: str, db_from: str = "") -> None:
    """Bring the SQL store's schema to head once, before the server processes open it."""
    store_or_exit(db, db_from, upgrade=True).close()


def open_serve_store(db: str | None, db_from: str = "") -> Any:
    """The SQL store (adapters.store), migrated here once; workers open their own too. `memory`: none."""
    if not db or db == MEMORY:
        return None
    return store_or_exit(db, db_from, upgrade=True, background_audit=True)
