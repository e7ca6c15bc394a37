"""The line each key of an import was first seen on: in a dict for a file of ordinary size, in a temporary
SQLite file past SPILL_KEYS keys, so memory stays bounded however many rows the file has."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

SPILL_KEYS = 200_000
"""Keys held in a dict before they move to the scratch file: ~20-40 MB (a dict took ~100-180 bytes a key), and
the scratch file costs 4-9 µs more a row, so a file of ordinary size is checked as fast as before."""

CACHE_KIB = 8 * 1024
"""SQLite's page cache for the keys: all the memory the check takes, however many rows the file has."""

_PRAGMAS = (
    "journal_mode=OFF",  # a private scratch file: nothing to roll back to, no journal file beside it
    "synchronous=OFF",
    "locking_mode=EXCLUSIVE",
    f"cache_size=-{CACHE_KIB}",
)


class FirstLines:
    """Each key's first line, fed a chunk of rows at a time in line order: a dict up to SPILL_KEYS keys, then a
    scratch file under TMPDIR (CACHE_KIB of memory, ~30 bytes a key of disk); a dict of every key took ~1.7 GB
    for 10M rows."""

    def __init__(self, spill_keys: int | None = None) -> None:
        """Nothing seen yet; the scratch file is opened only if the keys pass `spill_keys` (SPILL_KEYS)."""
        self._spill_keys = SPILL_KEYS if spill_keys is None else spill_keys
        self._seen: dict[str, int] | None = {}
        self._db: sqlite3.Connection | None = None

    def repeats(self, keyed: Sequence[tuple[int, tuple[Any, ...]]]) -> dict[int, int]:
        """For each (line, key) whose key was seen on an earlier line, in this chunk or before: line → that line."""
        if self._seen is None:
            db = self._db
            assert db is not None
            return self._guarded(lambda: _repeats(db, keyed))
        found = {}
        for line, key in keyed:
            first = self._seen.setdefault(repr(key), line)  # repr() tells keys apart as the scratch file does
            if first != line:
                found[line] = first
        if len(self._seen) > self._spill_keys:
            self._guarded(self._spill)
        return found

    def _spill(self) -> None:
        """Move the keys seen so far to the scratch file, which takes every later chunk."""
        assert self._seen is not None
        self._db = _open_scratch()
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO seen VALUES (?, ?)", self._seen.items())
        self._db.execute("COMMIT")
        self._seen = None

    def close(self) -> None:
        """Close the scratch file if one was opened (already unlinked: closing frees its space)."""
        if self._db is not None:
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
