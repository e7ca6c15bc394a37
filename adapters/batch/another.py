"""Another process working on the same run and part (the same command started twice): said once.

The store records no owner, pid or host of an attempt, so three signals tell it, each certain that
another process was at work on the part while this one ran:
- a chunk found customers it was about to take already settled in the run (`ChunkResult.already_done`):
  only another process settles them, since this one's chunks do not overlap;
- the part's `attempts` in `batch_runs` grew past this attempt: another process began the part since;
- the part holds more settled customers than it did when this attempt counted them plus those this
  attempt settled (counted every RECOUNT_SECONDS until said, and at the end): the later of two processes,
  which walks the part the other way (walk.py) and may never take a customer the other settled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select

from adapters.batch import runs
from adapters.batch import tables as t
from adapters.batch.runs import Partition

SHARED = "is working on this run too: the customers are shared between them, so each shows only its share of the rate"
NO_OWNER = "the store keeps no pid or host of a batch"
RECOUNT_SECONDS = 10.0
"""How often, until said, the part's settled customers are counted (one indexed count over the run's rows)."""


class AnotherProcess:
    """Watches a part's progress for another process at work on it; says it once, and in the summary."""

    def __init__(self, engine: Engine, run: tuple[str, Partition, int], notice: Callable[[str], None],
                 summary: dict[str, Any], in_flight: int = 0) -> None:  # fmt: skip
        """`in_flight`: how many customers this process's workers may have committed but not yet reported."""
        self.engine, self.notice, self.summary, self.in_flight = engine, notice, summary, in_flight
        self.run_id, self.part, self.attempt = run
        self.settled_by_it = 0
        self.ours: int | None = None  # the part's settled customers at this attempt's count, and its own since
        self.recounted = time.monotonic()

    def watching(self, on_progress: Callable[[Any], None] | None) -> Callable[[Any], None]:
        """`on_progress` (a Progress hook) that looks for the other process first, at every report."""

        def hook(progress: Any) -> None:
            self.ours = progress.done - progress.now_by_others
            self.seen(progress.now_by_others)
            if on_progress is not None:
                on_progress(progress)

        return hook

    def seen(self, found_in_chunks: int) -> None:
        """Count the customers found settled by another process so far; say it the first time there is one."""
        found = found_in_chunks > self.settled_by_it
        self.settled_by_it = max(self.settled_by_it, found_in_chunks)
        said = self.summary.get("another_process")
        if said is not None:
            said["settled_by_it"] = self.settled_by_it
        elif found:
            self._say({"signal": "customers_settled_by_it"}, f"it settled {found_in_chunks} of this part's "
                                                             "customers this one was about to take")  # fmt: skip
        else:  # one primary-key read per chunk, only until said
            attempts = self._attempts()
            if attempts > self.attempt:
                self._say({"signal": "later_attempt", "attempt": attempts},
                          f"it began attempt {attempts} at part {self.part} while this one is attempt {self.attempt}")
            elif time.monotonic() - self.recounted >= RECOUNT_SECONDS:
                self.recounted = time.monotonic()
                self.reckon(self._settled() - self.in_flight)

    def reckon(self, settled: int) -> None:
        """Given (at least) the part's settled customers now, count those another process settled since this
        attempt counted them; say it if not yet said."""
        if self.ours is None:
            return
        self.settled_by_it = max(settled - self.ours, self.settled_by_it)
        said = self.summary.get("another_process")
        if said is not None:
            said["settled_by_it"] = self.settled_by_it
        elif self.settled_by_it:
            self._say({"signal": "customers_settled_by_it"}, f"it settled {self.settled_by_it} of this part's "
                                                             "customers since this one began")  # fmt: skip

    def _say(self, figures: dict[str, Any], how: str) -> None:
        self.summary["another_process"] = {**figures, "settled_by_it": self.settled_by_it}
        self.notice(f"another process ({how}; {NO_OWNER}) {SHARED}")

    def _settled(self) -> int:
        with self.engine.connect() as conn:
            return sum(runs.status_counts(conn, self.run_id, self.part).values())

    def _attempts(self) -> int:
        r = t.batch_runs
        with self.engine.connect() as conn:
            found = conn.execute(select(r.c.attempts).where(r.c.run_id == self.run_id, r.c.part == str(self.part)))
            return int(found.scalar() or 0)
