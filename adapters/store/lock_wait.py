"""Waiting for a SQLite store's write lock, out loud: a writer kept waiting says so after 2 s.

SQLite waits for another process's write lock inside the driver (its busy timeout, SQLITE_LOCK_WAIT
s), where nothing can be printed: a batch started while an import ran sat silent for 30 s, then
failed, and looked hung all the while. A writer takes the lock first with a short timeout; only
when that times out is there a line to say, and then it waits the rest of the time as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from adapters.store import engine as store_engine

LOCK_QUIET_SECONDS = 2.0
"""How long a wait for the write lock goes unmentioned: a commit of another writer takes far less."""
HOLDERS = "another batch, an import, compact-log or demo-data"
"""Who may hold a store's write lock that long: the commands that write to it in bulk."""

T = TypeVar("T")


def wait_for_write_lock(engine: Engine, on_wait: Callable[[str], None], quiet: float | None = None) -> None:
    """Take a SQLite store's write lock and give it back at once, calling `on_wait(line)` if another
    process holds it for over `quiet` s; `database is locked` (OperationalError) once it held it for
    SQLITE_LOCK_WAIT s in all. Other databases wait on rows, not the whole store: nothing to do."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        take_write_lock(conn, lambda: _take_and_give_back(conn), on_wait, quiet)


def write(engine: Engine, work: Callable[[Connection], T], on_wait: Callable[[str], None] | None = None,
          doing: str = "") -> T:  # fmt: skip
    """`work(conn)` in a transaction of its own, committed; a wait of over 2 s for another process's SQLite
    write lock said through `on_wait` (take_write_lock; `doing`: what for), not 30 s of silence in the driver."""
    with engine.connect() as conn:
        return take_write_lock(conn, lambda: _in_transaction(conn, work), on_wait or _say_nothing, doing=doing)


def begin_immediate(conn: Connection, on_wait: Callable[[str], None] | None = None, doing: str = "") -> None:
    """On SQLite, begin `conn`'s transaction holding the write lock (BEGIN IMMEDIATE), a wait of over 2 s
    said through `on_wait` (take_write_lock): no other writer can then keep a later statement waiting.
    Other databases lock rows as they are written: nothing to do."""
    if conn.dialect.name == "sqlite":
        take_write_lock(conn, lambda: conn.exec_driver_sql("BEGIN IMMEDIATE"), on_wait or _say_nothing, doing=doing)


def take_write_lock(conn: Connection, take: Callable[[], T], on_wait: Callable[[str], None],
                    quiet: float | None = None, doing: str = "") -> T:  # fmt: skip
    """`take()`, whose first write takes the SQLite write lock on `conn`: when another process holds it
    for over `quiet` s (LOCK_QUIET_SECONDS), `on_wait(line)` once (`doing`: what for, see waiting_line), then
    `take()` again with the rest of SQLITE_LOCK_WAIT. `take` must roll back what it began when it fails.
    Costs two settings, no statement."""
    if conn.dialect.name != "sqlite":
        return take()
    whole = store_engine.SQLITE_LOCK_WAIT
    quiet = min(LOCK_QUIET_SECONDS if quiet is None else quiet, whole)
    set_busy_timeout(conn, quiet)
    try:
        return take()
    except OperationalError as exc:
        if not is_locked(exc) or quiet >= whole:
            raise
        on_wait(waiting_line(conn.engine, whole - quiet, doing=doing))
        set_busy_timeout(conn, whole - quiet)
        return take()
    finally:
        set_busy_timeout(conn, whole)  # the pooled connection waits as every other one does


def waiting_line(engine: Engine, seconds_left: float, holders: str = HOLDERS, doing: str = "") -> str:
    """What a writer waiting for the store's write lock says: whose lock, what for (`doing`, say `to upgrade
    its schema`: a command that only reads would not be expected to write), who may hold it, how long more."""
    store = store_engine.safe_url(engine.url.render_as_string(hide_password=False))
    what_for = f" {doing}" if doing else ""
    return (f"waiting for the write lock of the store {store}{what_for}: another process holds it ({holders}); "
            f"up to {span(seconds_left)} more before giving up")  # fmt: skip


def span(seconds: float) -> str:
    """A wait as an operator reads it: `28 s`, or `60 min` from two minutes on."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def is_locked(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's `database is locked`: another process held the write lock too long."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def set_busy_timeout(conn: Connection, seconds: float) -> None:
    """How long SQLite waits for another process's lock on `conn`, set on the driver's connection: a
    setting, not a statement, so no transaction begins and nothing is sent to the file."""
    conn.connection.driver_connection.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")  # type: ignore[union-attr]


def _in_transaction(conn: Connection, work: Callable[[Connection], T]) -> T:
    with conn.begin():  # rolled back when `work` fails, so a locked first write can be tried again
        return work(conn)


def _say_nothing(_line: str) -> None:
    """A notice nobody asked to see."""


def _take_and_give_back(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, as the first insert would take it
    conn.exec_driver_sql("ROLLBACK")
