"""INSERT … ON CONFLICT DO UPDATE for SQLite and PostgreSQL, touching only rows that differ."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from sqlalchemy import Connection, Table, and_, or_


def _dialect(conn: Connection) -> ModuleType:
    """The module of the connection's dialect, whose `insert` has ON CONFLICT: imported by its engine already, while
    importing PostgreSQL's at the top (with its drivers: ~35 ms) cost every SQLite process, engine workers included."""
    return importlib.import_module("sqlalchemy.dialects." + ("postgresql" if conn.dialect.name == "postgresql"
                                                             else "sqlite"))


def upsert(conn: Connection, table: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]],
           newest_by: str | None = None) -> int:
    """Insert or update `rows` by their key columns; return how many rows were inserted or changed.

    A row equal to the stored one is left alone (the update has a `WHERE … IS DISTINCT FROM`
    guard), so re-importing the same data changes nothing and counts zero. With `newest_by` (a
    column), a row whose value there is before the stored row's leaves that row alone too (a stored
    NULL is replaced).
    """
    if not rows:
        return 0
    dialect = _dialect(conn)
    stmt = dialect.insert(table)
    columns = [c for c in rows[0] if c not in keys]
    if columns:
        excluded = stmt.excluded
        where = or_(*(table.c[c].is_distinct_from(excluded[c]) for c in columns))
        if newest_by is not None:
            stored = table.c[newest_by]
            where = and_(where, or_(stored.is_(None), stored <= excluded[newest_by]))
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={c: excluded[c] for c in columns},
                                          where=where)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    result = conn.execute(stmt.execution_options(preserve_rowcount=True), list(rows))
    return max(result.rowcount, 0)


def insert_ignore(conn: Connection, table: Table, keys: Sequence[str], row: dict[str, Any]) -> None:
    """Insert one row unless its key is already there."""
    dialect = _dialect(conn)
    conn.execute(dialect.insert(table).values(**row).on_conflict_do_nothing(index_elements=list(keys)))


def insert_ignore_many(conn: Connection, table: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows whose key is not there yet: one statement executed for all of them; return
    how many were inserted (a key another transaction stored meanwhile counts zero).

    Rows sharing a key within `rows` are fine too (the first one wins). On PostgreSQL, callers that
    may run concurrently with overlapping keys should pass the rows sorted by key, so every
    transaction takes the key locks in the same order and none waits on another in a cycle.
    """
    if not rows:
        return 0
    dialect = _dialect(conn)
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    result = conn.execute(stmt.execution_options(preserve_rowcount=True), list(rows))
    return max(result.rowcount, 0)
