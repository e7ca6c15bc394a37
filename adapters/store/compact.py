"""Compact the decision log: move the own snapshot copies of entries written before 0003 into decision_snapshots.

An entry written before migration 0003 carries its input snapshot in `decision_log.snapshot_json`;
later entries leave it NULL and reference the text stored once in `decision_snapshots` by its
sha256. `compact_log` walks the entries that still hold a copy, by primary key, in chunks of one
transaction each. For every such entry it

- checks that the copy hashes to the entry's `snapshot_hash` (`audit.sha256_hex`); one that does
  not (an altered or damaged entry) is left exactly as it is and reported: refused, `hash_mismatch`;
- stores the text in decision_snapshots if no text is stored under that hash yet
  (`upsert.insert_ignore_many`, sorted by hash like every writer of the table);
- reads back what decision_snapshots holds under the hash and sets the entry's copy to NULL only
  when that is the very same text. A different text there (an altered shared copy) would replace
  genuine evidence with the altered one: that entry is kept too and reported, `shared_copy_differs`.

Each chunk commits on its own, so an interrupted run loses nothing and the next run takes the
entries that still hold a copy (moved ones no longer match). Entries written since 0003 never
match, so the service may keep writing meanwhile. Concurrent runs are safe too: a chunk locks its
entries (`FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) before it reads them.

Opening the store (`open_log_engine`, `CompactError`) is compact_open.py; its size and `--vacuum`,
compact_space.py; what a run reports (`CompactSummary`, the refusal reasons), compact_summary.py. All are
importable from here as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, select, update

from adapters.store import schema as s
from adapters.store.audit import sha256_hex
from adapters.store.compact_open import SNAPSHOTS_REVISION as SNAPSHOTS_REVISION
from adapters.store.compact_open import CompactError as CompactError
from adapters.store.compact_open import open_log_engine as open_log_engine
from adapters.store.compact_space import storage_bytes as storage_bytes
from adapters.store.compact_space import vacuum as vacuum
from adapters.store.compact_summary import HASH_MISMATCH as HASH_MISMATCH
from adapters.store.compact_summary import SHARED_COPY_DIFFERS as SHARED_COPY_DIFFERS
from adapters.store.compact_summary import ChunkOutcome, CompactSummary, Refused
from adapters.store.lock_wait import take_write_lock
from adapters.store.upsert import insert_ignore_many

DEFAULT_BATCH = 1_000
MAX_BATCH = 10_000
"""A chunk holds its entries' texts twice in memory (~7 KB each) and, on SQLite, the write lock:
10,000 keeps it around a second and ~150 MB."""

Entry = Row[Any, Any, Any, Any]
"""An entry still holding its copy: id, snapshot_hash, snapshot_json, decided_at."""


def count_own_copies(engine: Engine) -> int:
    """Entries that still hold their own snapshot copy."""
    log = s.decision_log
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(log.c.snapshot_json.is_not(None))).scalar_one())


def compact_log(
    engine: Engine,
    *,
    batch: int = DEFAULT_BATCH,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> CompactSummary:
    """Move every intact own copy into decision_snapshots, `batch` entries per transaction.

    `progress(examined, total)` is called after each chunk commits. `dry_run` reads the same chunks
    and counts what would move, rolling every chunk back. `on_wait(line)` when a chunk waits over 2 s
    for a SQLite store's write lock, which another process holds.
    """
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"batch must be 1..{MAX_BATCH}, not {batch}")
    started = time.perf_counter()
    summary = CompactSummary(dry_run=dry_run, rows_with_own_copy=count_own_copies(engine))
    would_add: set[int] = set()  # dry run: what a real run would have stored in earlier chunks (hash prefixes)
    after = 0
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        begin = partial(_begin_immediate, conn, on_wait or _silent) if sqlite and not dry_run else None
        while (outcome := _chunk_transaction(conn, begin, after, batch, dry_run, would_add)) is not None:
            after = outcome.last_id
            summary.add(outcome)
            if progress is not None:
                progress(summary.rows_examined, max(summary.rows_with_own_copy, summary.rows_examined))
    summary.seconds = time.perf_counter() - started
    return summary


def _begin_immediate(conn: Connection, on_wait: Callable[[str], None]) -> None:
    """A SQLite chunk's write lock, before the read: no one moves its entries meanwhile (PostgreSQL locks
    the rows, FOR UPDATE). Another process's lock held over 2 s is said through `on_wait`."""
    take_write_lock(conn, lambda: conn.exec_driver_sql("BEGIN IMMEDIATE"), on_wait)


def _silent(_line: str) -> None:
    """A notice nobody asked to see."""


def _chunk_transaction(
    conn: Connection, begin: Callable[[], None] | None, after: int, batch: int, dry_run: bool, would_add: set[int]
) -> ChunkOutcome | None:
    """_chunk in a transaction of its own: committed, or rolled back on a dry run, an error or an empty chunk."""
    if begin is not None:
        begin()
    try:
        outcome = _chunk(conn, after, batch, dry_run, would_add)
    except BaseException:
        conn.rollback()
        raise
    if dry_run or outcome is None:
        conn.rollback()
    else:
        conn.commit()
    return outcome


def _chunk(conn: Connection, after: int, batch: int, dry_run: bool, would_add: set[int]) -> ChunkOutcome | None:
    """Examine the next `batch` entries holding a copy after id `after`; None when there are none."""
    rows = _read_chunk(conn, after, batch, dry_run)
    if not rows:
        return None
    refused = [Refused(r.id, HASH_MISMATCH) for r in rows if sha256_hex(r.snapshot_json) != r.snapshot_hash]
    bad = {r.id for r in refused}
    intact = [r for r in rows if r.id not in bad]
    hashes = sorted({r.snapshot_hash for r in intact})
    added = _store_absent_texts(conn, intact, hashes, dry_run, would_add)
    movable, moved_bytes, differs = _movable(conn, intact, hashes, dry_run)
    refused.extend(differs)
    if movable and not dry_run:
        log = s.decision_log
        conn.execute(
            update(log).where(log.c.id.in_(movable), log.c.snapshot_json.is_not(None)).values(snapshot_json=None)
        )
    refused.sort(key=lambda r: r.id)
    return ChunkOutcome(len(rows), len(movable), added, moved_bytes, refused, rows[-1].id)


def _read_chunk(conn: Connection, after: int, batch: int, dry_run: bool) -> Sequence[Entry]:
    """The next `batch` entries holding a copy after id `after`, by id (locked on PostgreSQL unless a dry run)."""
    log = s.decision_log
    query = (
        select(log.c.id, log.c.snapshot_hash, log.c.snapshot_json, log.c.decided_at)
        .where(log.c.snapshot_json.is_not(None), log.c.id > after)
        .order_by(log.c.id)
        .limit(batch)
    )
    if conn.dialect.name == "postgresql" and not dry_run:
        query = query.with_for_update()  # a concurrent run waits, then skips what this one moved
    return conn.execute(query).all()


def _store_absent_texts(
    conn: Connection, intact: list[Entry], hashes: list[str], dry_run: bool, would_add: set[int]
) -> int:
    """Store the texts decision_snapshots lacks (dry run: count them once across chunks); how many were added."""
    snaps = s.decision_snapshots
    present = set(conn.execute(select(snaps.c.snapshot_hash).where(snaps.c.snapshot_hash.in_(hashes))).scalars())
    absent = {h for h in hashes if h not in present}  # a set: each row of the chunk is looked up in it
    if dry_run:
        keys = {int(h[:16], 16) for h in absent}  # 64 bits of the hash: a set of ints, not of 64-char strings
        added = len(keys - would_add)
        would_add.update(keys)
        return added
    first: dict[str, dict[str, Any]] = {}
    for r in intact:  # rows come by id, so the first is the earliest decision on that text
        if r.snapshot_hash in absent and r.snapshot_hash not in first:
            first[r.snapshot_hash] = {"snapshot_hash": r.snapshot_hash, "snapshot_json": r.snapshot_json,
                                      "first_seen": r.decided_at}  # fmt: skip
    # What this transaction stored, not what it meant to: a concurrent writer (the service's
    # audit log, on PostgreSQL) may have stored some of these texts since the read above.
    return insert_ignore_many(conn, snaps, ["snapshot_hash"], [first[h] for h in sorted(first)])


def _movable(
    conn: Connection, intact: list[Entry], hashes: list[str], dry_run: bool
) -> tuple[list[int], int, list[Refused]]:
    """The entries that may give up their copy, its bytes, and those refused because the shared copy differs."""
    snaps = s.decision_snapshots
    # What decision_snapshots holds now, in this transaction: an entry gives up its copy only for the same text.
    now_stored = select(snaps.c.snapshot_hash, snaps.c.snapshot_json).where(snaps.c.snapshot_hash.in_(hashes))
    stored: dict[str, str] = dict(conn.execute(now_stored).all())
    movable: list[int] = []
    moved_bytes = 0
    differs: list[Refused] = []
    for r in intact:
        shared = stored.get(r.snapshot_hash)
        if shared == r.snapshot_json or (dry_run and shared is None):
            movable.append(r.id)
            moved_bytes += len(r.snapshot_json.encode())
        else:
            differs.append(Refused(r.id, SHARED_COPY_DIFFERS))
    return movable, moved_bytes, differs
