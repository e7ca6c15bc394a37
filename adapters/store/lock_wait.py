"""Waiting for a SQLite store's write lock, out loud: a batch or an import that waits says so after 2 s.

SQLite waits for another process's write lock inside the driver (its busy timeout, SQLITE_LOCK_WAIT
s), where nothing can be printed: a batch started while an import ran sat silent for 30 s, then
failed, and looked hung all the while. A writer takes the lock once first with a short timeout; only
when that times out is there a line to say, and then it waits the rest of the time as before.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from adapters.store import engine as store_engine

LOCK_QUIET_SECONDS = 2.0
"""How long a wait for the write lock goes unmentioned: a commit of another writer takes far less."""


def wait_for_write_lock(engine: Engine, on_wait: Callable[[str], None], quiet: float = LOCK_QUIET_SECONDS) -> None:
    """Take a SQLite store's write lock and give it back at once, calling `on_wait(line)` if another
    process holds it for over `quiet` s; `database is locked` (OperationalError) once it held it for
    SQLITE_LOCK_WAIT s in all. Other databases wait on rows, not the whole store: nothing to do."""
    if engine.dialect.name != "sqlite":
        return
    whole = store_engine.SQLITE_LOCK_WAIT
    with engine.connect() as conn:
        try:
            _take_and_give_back(conn, min(quiet, whole))
        except OperationalError as exc:
            if not is_locked(exc) or quiet >= whole:
                raise
            store = store_engine.safe_url(engine.url.render_as_string(hide_password=False))
            on_wait(f"waiting for the write lock of the store {store}: another process holds it (another batch, "
                    f"an import, compact-log or demo-data); up to {whole - quiet:.0f} s more before giving up")
            _take_and_give_back(conn, whole - quiet)
        finally:
            _busy_timeout(conn, whole)  # the pooled connection waits as every other one does


def is_locked(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's `database is locked`: another process held the write lock too long."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def _take_and_give_back(conn: Connection, seconds: float) -> None:
    _busy_timeout(conn, seconds)
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, as the first insert would take it
    conn.exec_driver_sql("ROLLBACK")


def _busy_timeout(conn: Connection, seconds: float) -> None:
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
