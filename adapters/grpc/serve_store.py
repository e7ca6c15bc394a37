"""Whether `serve` may start on its store: a SQLite file that is not there is refused unless --create-store."""

from __future__ import annotations

import os
from pathlib import Path

import typer

CREATE_HINT = "`serve --create-store` starts an empty one (full snapshots only, a new decision log)"
MEMORY = "memory"
"""--db's value for no store at all: full snapshots only, no decision log."""


def db_source(db: str | None) -> str:
    """Where the store's URL came from, for its error, when not from --db: an operator who gave no --db
    reads `cannot open the store …` as about a flag they never wrote (a $CREDIT_POLICY_DB left in a unit
    file or a shell profile, say)."""
    from adapters.store.engine import DB_ENV_VAR

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
