"""Run one read statement on the driver's own cursor, with SQLAlchemy's exceptions.

For the hottest read (one customer's snapshot, once per by-id call), SQLAlchemy's result machinery
costs as much CPU as the query: building the result's metadata, wrapping each row. The loaders that
build a snapshot in one statement run it here instead. A driver error becomes the exception
SQLAlchemy would have raised (its `OperationalError` for a dropped connection, with
`connection_invalidated` set and the connection invalidated, as SQLAlchemy does), so callers — and
`engine.database_unavailable` — see no difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


def fetch_all(conn: Connection, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of `sql` (in the driver's parameter style) as the driver returns them."""
    dialect = conn.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    raw = conn.connection.dbapi_connection
    assert raw is not None  # a live Connection always has one
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()
    except dbapi_error as exc:
        invalidated = dialect.is_disconnect(exc, raw, None)
        if invalidated:
            conn.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, dbapi_error, hide_parameters=conn.engine.hide_parameters,
                                  connection_invalidated=invalidated, dialect=dialect) from exc
