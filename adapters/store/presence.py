"""Whether a database holds a credit-policy store, asked without creating one: for the commands that only read it.

Opening a store migrates it, and migrating an empty database creates the whole schema. On SQLite a file that is
not there is refused first (engine.require_existing); a PostgreSQL database that exists but is not the store (a
typo'd or default name: `postgres`) had no such check, so `runs`, `history` or `report` created the schema there
and answered about an empty store. `serve`, the batch, `import`, `demo-data` and `migrate` may still create it.
"""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from adapters.store.db_env import DB_ENV_VAR
from adapters.store.engine import NoSuchStore, make_engine, require_existing, resolve_db_url, safe_url

NAMED_TABLES = 3
"""How many of another database's tables the refusal names (enough to recognise it, a line still)."""


def require_store(url: str | None = None) -> None:
    """Raise NoSuchStore, changing nothing, when the database at `url` holds no credit-policy store: a SQLite file
    not there (require_existing), an empty database, or one with tables but no migration recorded."""
    require_existing(url)
    resolved = resolve_db_url(url)
    engine = make_engine(resolved)
    try:
        with engine.connect() as conn:
            why = no_store_in(conn)
    finally:
        engine.dispose()
    if why is not None:
        raise NoSuchStore(f"no credit-policy store in {safe_url(resolved)}: {why}")


def no_store_in(conn: Connection) -> str | None:
    """Why the database `conn` reads is not a credit-policy store, and what to do; None when it is one (at any
    revision: one behind is upgraded by its opening, a later release's is refused by it)."""
    if MigrationContext.configure(conn).get_current_revision() is not None:
        return None
    tables = sorted(set(inspect(conn).get_table_names()) - {"alembic_version"})  # a store stepped back to base
    check = f"check --db or ${DB_ENV_VAR}"
    if conn.dialect.name == "sqlite" and (conn.engine.url.database or ":memory:") == ":memory:":  # gone at the end
        return "an in-memory SQLite database is new and empty in every process; give sqlite:///PATH"
    if not tables:
        return (f"the database is empty (no tables; nothing was created in it); {check}, or create the store there "
                "with `credit-policy migrate`, `demo-data` or `import`")
    named = ", ".join(tables[:NAMED_TABLES]) + (f" and {len(tables) - NAMED_TABLES} more" if len(tables) >
                                                NAMED_TABLES else "")  # fmt: skip
    return f"it holds other tables ({named}) and no migration recorded: another database; {check}"
