"""Another writer of a SQLite store, for the lock-wait tests: it holds the write lock (`BEGIN IMMEDIATE`)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import make_url

WAITING = "waiting for the write lock of the store"


@contextmanager
def write_lock_held(url: str) -> Iterator[sqlite3.Connection]:
    """Another writer holding the store's write lock (an import or a batch in its commit) until the block ends."""
    holder = sqlite3.connect(make_url(url).database or "", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


def release_after(holder: sqlite3.Connection, seconds: float) -> threading.Timer:
    """Give the lock back `seconds` from now, from another thread."""
    timer = threading.Timer(seconds, lambda: holder.execute("ROLLBACK"))
    timer.start()
    return timer
