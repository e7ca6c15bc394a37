"""What the batch says about the error that stopped a run: the driver's words, bounded, without the
password, and what to do about it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from adapters.store.engine import SQLITE_LOCK_WAIT, database_unavailable, scrub_password
from adapters.store.unusable import unusable_store

_NO_ROOM_CODES = frozenset({"SQLITE_FULL", "SQLITE_IOERR_SHMSIZE"})
"""SQLite's codes for a full disk; the second (the WAL index, -shm, could not grow) says only "disk I/O error"."""

MAX_FATAL_TEXT = 1000
"""The driver's message of a database error that stopped the run is cut here (a summary, not a dump)."""


def fatal_text(exc: Exception, engine: Any) -> str:
    """What stopped the run, in a line or two: for a database error the driver's words, without the
    statement and its hundreds of parameters; for any error, bounded and without the URL's password."""
    said = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    url = engine.url.render_as_string(hide_password=False)
    text = scrub_password(f"{type(exc).__name__}: {str(said).strip()}", url)[:MAX_FATAL_TEXT]
    if not isinstance(exc, DBAPIError):  # any error may quote the URL (SQLAlchemy's own do): scrubbed all the same
        return text
    # The advice too: it names the role (`GRANT … TO app`), which may be the password's own word.
    return scrub_password(text + what_to_do(exc, engine, text), url)


def what_to_do(exc: DBAPIError, engine: Any, text: str) -> str:
    """What the operator should do about a database error that stopped the run ("" when it is not known)."""
    sqlite = engine.dialect.name == "sqlite"
    if sqlite and "database is locked" in text:  # busy, not gone: say who may hold it
        return (f" (another process held the store's write lock for over {SQLITE_LOCK_WAIT} s: another batch, an "
                "import, compact-log or demo-data; once it is done, run the same command again to resume)")
    if no_room(exc):  # SQLITE_FULL and ENOSPC are "operational" too
        return no_room_left(engine.url)
    unusable = unusable_store(exc, engine.url)  # read-only or damaged: "operational" too, but not gone
    if unusable is not None:
        return unusable.advice
    if database_unavailable(exc):
        return " (the database went away: once it is back, run the same command again to resume)"
    return ""


def retry_may_help(exc: BaseException, engine: Any) -> bool:
    """Whether running the same command again later may get past `exc` (exit 3), or not before someone fixes
    the store (exit 2): a SQLite file the batch may not write, a damaged store."""
    unusable = unusable_store(exc, engine.url) if isinstance(exc, DBAPIError) else None
    return unusable is None or unusable.retry_may_help


def no_room(exc: BaseException) -> bool:
    """Whether a database error says the store's disk is full, in the driver's words or by SQLite's code."""
    said = str(getattr(exc, "orig", None) or exc)
    if "disk is full" in said or "No space left on device" in said:
        return True
    return getattr(getattr(exc, "orig", None), "sqlite_errorname", None) in _NO_ROOM_CODES


def no_room_left(url: URL, then: str = "run the same command again to resume") -> str:
    """What to do about a full disk under the store at `url`: whose disk, and to free space and `then`."""
    sqlite = url.get_backend_name() == "sqlite"
    where = f"the disk of {Path(url.database or '.').parent}" if sqlite else "the database server's disk"
    return f" (no room left on {where}: free space there, then {then})"
