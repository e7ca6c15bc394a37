"""Write the decision log behind the decisions: callers enqueue, one thread commits in batches."""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

BATCH = 500
QUEUE_BOUND = 20_000
"""When the database falls this far behind, callers wait (back-pressure) rather than lose entries."""


class AuditWriter:
    """A daemon thread that turns queued decisions into rows and inserts them, one transaction per batch.

    The caller pays a queue put instead of serialisation, hashing and a commit. `flush()` waits until
    everything queued so far is committed; `close()` flushes and stops. Entries still queued when the
    process is killed are lost (a window of milliseconds under normal load); call sites that must not
    lose a decision either way use the synchronous store.
    """

    def __init__(self, to_row: Callable[..., dict[str, Any]], insert: Callable[[list[dict[str, Any]]], None]):
        self._to_row, self._insert = to_row, insert
        self._queue: queue.Queue[tuple[tuple[Any, ...], dict[str, Any]] | None] = queue.Queue(QUEUE_BOUND)
        self._thread = threading.Thread(target=self._run, name="decision-log-writer", daemon=True)
        self.failures = 0
        self._closed = False
        self._thread.start()
        atexit.register(self.close)  # a normal interpreter exit still writes what is queued

    def put(self, *args: Any, **kwargs: Any) -> None:
        """Queue one decision (the arguments of audit.log_row)."""
        self._queue.put((args, kwargs))

    def flush(self) -> None:
        """Block until every decision queued so far is written."""
        self._queue.join()

    def close(self) -> None:
        """Flush and stop the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            items = [first]
            while len(items) < BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            entries = [i for i in items if i is not None]
            try:
                if entries:
                    self._insert([self._to_row(*args, **kwargs) for args, kwargs in entries])
            except Exception:  # keep serving; the failure is logged and counted for the metrics
                self.failures += len(entries)
                log.exception("could not write %d decision-log entries", len(entries))
            finally:
                for _ in items:
                    self._queue.task_done()
            if len(entries) < len(items):
                return
