"""Write the decision log behind the decisions: callers enqueue, one thread commits in batches."""

from __future__ import annotations

import atexit
import logging
import math
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from adapters.store.engine import database_unavailable
from adapters.store.lock_wait import HOLDERS, is_locked

log = logging.getLogger(__name__)

BATCH = 500
LINGER_S = 0.02
"""How long the writer lets a batch gather after its first entry (group commit). A transaction
costs ~0.4 ms of CPU on SQLite whatever it holds, and an entry that came alone was committed alone:
under load the writer spent more on commits than on entries. With 20 ms, a worker deciding ~300 a
second commits them 6 or more at a time. Entries still queued when a process is killed outright are
at most this much older (SIGTERM writes them)."""
LINGER_ENV_VAR = "CREDIT_POLICY_LOG_LINGER_MS"
"""Overrides LINGER_S, in milliseconds (0 = commit each entry as it comes)."""
MAX_LINGER_MS = 1_000
QUEUE_BOUND = 20_000
"""When the database falls this far behind, callers wait (back-pressure) rather than lose entries."""
BEHIND = 5_000
"""Queued entries at which the writer logs `decision log behind` (level warning); it logs `decision
log caught up` once the queue is back under a fifth of that, and `decision log full` (level error)
when callers start to wait."""
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)
"""Waits between attempts at a batch the database refused for a reason that may pass (a restart, a
dropped connection): ~6 s in all, while the bounded queue holds what comes in meanwhile."""


def linger_from_env() -> float:
    """The gathering time in seconds: $CREDIT_POLICY_LOG_LINGER_MS, else LINGER_S. Raise ValueError
    naming the variable for a value that is not 0 to 1,000 milliseconds."""
    raw = os.environ.get(LINGER_ENV_VAR, "").strip()
    if not raw:
        return LINGER_S
    try:
        ms = float(raw)
    except ValueError:
        ms = math.nan
    if not 0 <= ms <= MAX_LINGER_MS:  # also NaN
        raise ValueError(f"${LINGER_ENV_VAR}: expected milliseconds from 0 to {MAX_LINGER_MS:,}, got {raw!r}")
    return ms / 1000


class AuditWriter:
    """A daemon thread that turns queued decisions into rows and inserts them, one transaction per batch.

    The caller pays a queue put instead of serialisation, hashing and a commit. The thread lets a
    batch gather for up to `linger` seconds after its first entry, so that under load one commit
    covers many entries (group commit; `linger` defaults to $CREDIT_POLICY_LOG_LINGER_MS, else 20
    ms). `flush()` waits until everything queued so far is committed and `close()` flushes and
    stops, neither waiting out the gathering. Entries still queued when the process is killed
    outright are lost (at most the gathering time's worth under normal load); call sites that must not
    lose a decision either way use the synchronous store. A database that is briefly away (a
    restart, a dropped connection) is retried for a few seconds; an entry it refuses for its content
    is logged and counted (`failures`) and costs no other entry.
    """

    def __init__(self, to_row: Callable[..., dict[str, Any]], insert: Callable[[list[dict[str, Any]]], None],
                 *, linger: float | None = None):
        self._to_row, self._insert = to_row, insert
        self._linger = linger_from_env() if linger is None else linger
        self._hurry = threading.Event()  # set by flush() and close(): write what is there, no gathering
        self._behind = self._full = False  # what was last said about the backlog (benign races: a repeat)
        self._queue: queue.Queue[tuple[tuple[Any, ...], dict[str, Any]] | None] = queue.Queue(QUEUE_BOUND)
        self._thread = threading.Thread(target=self._run, name="decision-log-writer", daemon=True)
        self.failures = 0
        self.mirror: Any = None
        """Anything with a settable `value` (a worker's shared counter) that is kept equal to `backlog`:
        set on every queued entry and after every batch, so it is right while the writer is stuck
        retrying and once it has caught up with nothing more coming."""
        self._mirror_lock = threading.Lock()  # read-and-set as one step: the last to set it saw the latest count
        self._closed = False
        self._thread.start()
        atexit.register(self.close)  # a normal interpreter exit still writes what is queued

    @property
    def backlog(self) -> int:
        """Decisions queued and not yet committed (those being written included)."""
        return self._queue.unfinished_tasks

    def _mirror_backlog(self) -> None:
        if self.mirror is not None:
            with self._mirror_lock:  # without it a caller could set a count the writer has just cut
                self.mirror.value = self._queue.unfinished_tasks

    def put(self, *args: Any, **kwargs: Any) -> None:
        """Queue one decision (the arguments of audit.log_row); wait for room when the queue is full."""
        item = (args, kwargs)
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            if not self._full:
                self._full = self._behind = True
                detail = "the database is not keeping up; decisions wait for room"
                log.error("decision log full", extra={"fields": {"queued": self._queue.maxsize, "detail": detail}})
            self._queue.put(item)
            self._mirror_backlog()
            return
        self._mirror_backlog()
        if not self._behind and self._queue.qsize() >= BEHIND:
            self._behind = True
            fields = {"queued": self._queue.qsize(), "bound": self._queue.maxsize}
            log.warning("decision log behind", extra={"fields": fields})

    def flush(self) -> None:
        """Block until every decision queued so far is written."""
        self._hurry.set()
        self._queue.join()

    def close(self) -> None:
        """Flush and stop the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        self._hurry.set()
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            gather_until = time.monotonic() + self._linger
            self._drain(items)
            if items[-1] is not None and len(items) < BATCH and self._linger > 0:
                self._hurry.wait(max(0.0, gather_until - time.monotonic()))
                self._drain(items)
            if not self._closed:
                self._hurry.clear()
            entries = [i for i in items if i is not None]
            try:
                if entries:
                    self._write(entries)
            finally:
                for _ in items:
                    self._queue.task_done()
                self._mirror_backlog()
            if self._behind and self._queue.qsize() < BEHIND // 5:
                self._behind = self._full = False
                log.info("decision log caught up", extra={"fields": {"queued": self._queue.qsize()}})
            if len(entries) < len(items):
                return

    def _drain(self, items: list[tuple[tuple[Any, ...], dict[str, Any]] | None]) -> None:
        """Add what is queued to `items`, up to a batch, stopping after the closing marker."""
        while len(items) < BATCH and items[-1] is not None:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return

    def _write(self, entries: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
        """Insert a batch. What the database may accept later is retried; an entry it refuses for
        its content costs that entry alone, never the batch it came in (the others are written one
        by one). Every entry not written is logged and counted; the thread keeps going."""
        rows = []
        for args, kwargs in entries:
            try:
                rows.append(self._to_row(*args, **kwargs))
            except Exception:
                self._lost([_customer_of(args)], "could not be turned into a decision-log row")
        if not rows:
            return
        try:
            self._insert_retrying(rows)
            return
        except Exception as exc:
            if len(rows) == 1 or database_unavailable(exc):  # still away after the retries: no use row by row
                self._lost([_customer_of((r,)) for r in rows], _refused(exc))
                return
            log.warning("a batch of %d decision-log entries was refused; writing them one by one", len(rows),
                        exc_info=True)
        for n, row in enumerate(rows):
            try:
                self._insert_retrying([row])
            except Exception as exc:
                if database_unavailable(exc):  # gone meanwhile: the rest would only wait their retries too
                    self._lost([_customer_of((r,)) for r in rows[n:]], _refused(exc))
                    return
                self._lost([_customer_of((row,))], _refused(exc))

    def _insert_retrying(self, rows: list[dict[str, Any]]) -> None:
        for delay in (*RETRY_DELAYS, None):
            try:
                self._insert(rows)
                return
            except Exception as exc:
                if delay is None or not database_unavailable(exc):
                    raise
                why = _refused(exc) if is_locked(exc) else f"the database refused a write ({type(exc).__name__})"
                log.warning("decision log: %s; retrying in %.2f s", why, delay)
                time.sleep(delay)

    def _lost(self, customers: list[str], why: str) -> None:
        self.failures += len(customers)
        shown = ", ".join(customers[:20]) + (f" and {len(customers) - 20} more" if len(customers) > 20 else "")
        what = "a decision-log entry was" if len(customers) == 1 else f"{len(customers)} decision-log entries were"
        log.error("%s not written (%s): customer %s", what, why, shown, exc_info=True)


def _refused(exc: Exception) -> str:
    """Why a write failed, for the log: SQLite's write lock held by another process (for the driver's whole
    wait) is said as such, naming who may hold it; an operator reading only `OperationalError` looks for a
    database server that is down."""
    if is_locked(exc):
        return f"locked by another process ({HOLDERS}): its write lock was held over the driver's wait"
    return f"refused by the database: {type(exc).__name__}"


def _customer_of(args: tuple[Any, ...]) -> str:
    """The customer an entry (log_row's arguments, or the row) is about, for the log line."""
    first = args[0] if args else None
    if isinstance(first, dict):
        return str(first.get("customer_id", "?"))
    return str(getattr(first, "customer_id", "?"))
