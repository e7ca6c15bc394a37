"""The line each key of an import was first seen on, kept in a temporary SQLite file rather than in memory."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

CACHE_KIB = 8 * 1024
"""SQLite's page cache for the keys: all the memory the check takes, however many rows the file has."""

_PRAGMAS = (
    "journal_mode=OFF",  # a private scratch file: nothing to roll back to, no journal file beside it
    "synchronous=OFF",
    "locking_mode=EXCLUSIVE",
    f"cache_size=-{CACHE_KIB}",
)


class FirstLines:
    """Each key's first line, fed a chunk of rows at a time in line order; a dict of the keys took ~100 bytes a
    key (~1 GB for 10M rows), this takes CACHE_KIB of memory and ~30 bytes a key of disk under TMPDIR."""

    def __init__(self) -> None:
        """Open the scratch file (empty until the first chunk)."""
        self._db = self._guarded(_open_scratch)

    def repeats(self, keyed: Sequence[tuple[int, tuple[Any, ...]]]) -> dict[int, int]:
        """For each (line, key) whose key was seen on an earlier line, in this chunk or before: line → that line."""
        return self._guarded(lambda: _repeats(self._db, keyed))

    def close(self) -> None:
        """Close the scratch file (already unlinked: closing frees its space)."""
        self._db.close()

    def __enter__(self) -> FirstLines:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    @staticmethod
    def _guarded(step: Callable[[], T]) -> T:
        try:
            return step()
        except sqlite3.Error as exc:  # the CLI reports an OSError as `error: FILE: …; nothing imported` (exit 2)
            raise OSError(f"the duplicate-key check's scratch file in {tempfile.gettempdir()} "
                          f"(set TMPDIR to use another directory): {exc}") from exc  # fmt: skip


def _open_scratch() -> sqlite3.Connection:
    fd, path = tempfile.mkstemp(prefix="credit-policy-import-keys-", suffix=".sqlite")
    try:
        db = sqlite3.connect(path, isolation_level=None)
    finally:
        os.close(fd)
        # SQLite holds the file open: unlinked now, its space is freed when the import ends however it ends
        # (even killed), and no other process can open it by name.
        os.unlink(path)
    try:
        for pragma in _PRAGMAS:
            db.execute(f"PRAGMA {pragma}")
        db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID")
        db.execute("CREATE TABLE chunk (line INTEGER PRIMARY KEY, key TEXT NOT NULL)")
    except sqlite3.Error:
        db.close()
        raise
    return db


def _repeats(db: sqlite3.Connection, keyed: Sequence[tuple[int, tuple[Any, ...]]]) -> dict[int, int]:
    db.execute("BEGIN")
    # repr() tells keys apart exactly as == does: their fields are text and dates.
    db.executemany("INSERT INTO chunk VALUES (?, ?)", [(line, repr(key)) for line, key in keyed])
    # In line order, so the first of a key repeated within the chunk is the one kept.
    db.execute("INSERT OR IGNORE INTO seen SELECT key, line FROM chunk ORDER BY line")
    found = db.execute("SELECT c.line, s.line FROM chunk c JOIN seen s ON s.key = c.key WHERE s.line <> c.line")
    repeats = dict(found.fetchall())
    db.execute("DELETE FROM chunk")
    db.execute("COMMIT")
    return repeats
