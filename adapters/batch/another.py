"""Another process working on the same run and part (the same command started twice): said once.

The store records no owner, pid or host of an attempt, so two signals tell it, both certain that
another process was at work on the part while this one ran:
- a chunk found customers it was about to take already settled in the run (`ChunkResult.already_done`):
  only another process settles them, since this one's chunks do not overlap;
- the part's `attempts` in `batch_runs` grew past this attempt: another process began the part since.
The first process of two usually wins every chunk it claims, so only the second signal tells it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select

from adapters.batch import tables as t
from adapters.batch.runs import Partition

SHARED = "is working on this run too: the customers are shared between them, so each shows only its share of the rate"
NO_OWNER = "the store keeps no pid or host of a batch"


class AnotherProcess:
    """Watches a part's progress for another process at work on it; says it once, and in the summary."""

    def __init__(self, engine: Engine, run: tuple[str, Partition, int], notice: Callable[[str], None],
                 summary: dict[str, Any]) -> None:  # fmt: skip
        self.engine, self.notice, self.summary = engine, notice, summary
        self.run_id, self.part, self.attempt = run
        self.settled_by_it = 0

    def watching(self, on_progress: Callable[[Any], None] | None) -> Callable[[Any], None]:
        """`on_progress` (a Progress hook) that looks for the other process first, at every report."""

        def hook(progress: Any) -> None:
            self.seen(progress.now_by_others)
            if on_progress is not None:
                on_progress(progress)

        return hook

    def seen(self, settled_by_others: int) -> None:
        """Count the customers found settled by another process so far; say it the first time there is one."""
        found = settled_by_others - self.settled_by_it
        self.settled_by_it = settled_by_others
        said = self.summary.get("another_process")
        if said is not None:
            said["settled_by_it"] = self.settled_by_it
        elif found:
            self._say({"signal": "customers_settled_by_it"}, f"it settled {found} of this part's customers this "
                                                             "one was about to take")  # fmt: skip
        else:  # one primary-key read per chunk, only until said
            attempts = self._attempts()
            if attempts > self.attempt:
                self._say({"signal": "later_attempt", "attempt": attempts},
                          f"it began attempt {attempts} at part {self.part} while this one is attempt {self.attempt}")

    def _say(self, figures: dict[str, Any], how: str) -> None:
        self.summary["another_process"] = {**figures, "settled_by_it": self.settled_by_it}
        self.notice(f"another process ({how}; {NO_OWNER}) {SHARED}")

    def _attempts(self) -> int:
        r = t.batch_runs
        with self.engine.connect() as conn:
            found = conn.execute(select(r.c.attempts).where(r.c.run_id == self.run_id, r.c.part == str(self.part)))
            return int(found.scalar() or 0)
