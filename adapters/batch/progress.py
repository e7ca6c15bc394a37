"""Progress of a batch: a live bar (rate, ETA) on a terminal, a plain line every 30 s otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar

from adapters.batch.worker import ChunkResult

LOG_EVERY_SECONDS = 30.0


@dataclass
class Progress:
    """What a progress display is told after every chunk: counts, and the rate and ETA to show."""

    total: int
    done: int
    started: float
    now_done: int = 0
    now_quarantined: int = 0
    now_by_others: int = 0
    """customers this invocation's chunks found settled meanwhile by another process on the run"""
    now_in_vain: int = 0
    """customers this invocation evaluated for nothing: another process committed them first"""
    workers: int = 1
    clock: Callable[[], float] = field(default=time.perf_counter, repr=False)
    # Where the live rate is measured from: the first chunk this invocation settled (clock, now_done, chunks
    # since). Counting from `started` took in the workers' start-up, and the early ETA ran high (2:13 shown
    # for a run that took ~30 s).
    _first: tuple[float, int] | None = field(default=None, repr=False)
    _chunks_since_first: int = field(default=0, repr=False)

    def settle(self, result: ChunkResult) -> None:
        """Count a settled chunk (already_done: customers another process settled meanwhile)."""
        self.done += result.handled + result.already_done
        self.now_done += result.handled
        self.now_quarantined += result.quarantined
        self.now_by_others += result.already_done
        self.now_in_vain += result.evaluated_in_vain
        if self._first is None:
            self._first = (self.clock(), self.now_done)
        else:
            self._chunks_since_first += 1

    @property
    def rate(self) -> float:
        """Customers per second this invocation settles, measured from its first settled chunk; 0.0 until
        a chunk per worker has settled after it (the workers' first chunks come in together)."""
        if self._first is None or self._chunks_since_first < max(self.workers, 1):
            return 0.0
        elapsed = self.clock() - self._first[0]
        return (self.now_done - self._first[1]) / elapsed if elapsed > 0 else 0.0

    @property
    def average_rate(self) -> float:
        """Customers settled per second since the evaluation started, the workers' start-up included."""
        elapsed = self.clock() - self.started
        return self.now_done / elapsed if elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the live rate; None until there is one."""
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@contextmanager
def batch_progress(quiet: bool = False) -> Iterator[Any]:
    """Yield a hook for run_batch: a rich bar when stderr is a terminal, else a log line now and then."""
    err = Console(stderr=True, highlight=False)
    if quiet:
        yield None
        return
    if sys.stderr.isatty():
        rate = TextColumn("{task.fields[rate]} customers/s  ETA {task.fields[eta]}")
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), rate, TimeElapsedColumn())
        with Bar(*columns, console=err, transient=False) as bar:
            # Until the first report the run is opening the store and making the portfolio pass (ABC):
            # seconds on a small book, minutes on a large one, and the bar should not read as stuck.
            task = bar.add_task("portfolio pass", total=None, rate="0", eta="--:--")

            def hook(p: Any) -> None:
                bar.update(task, description="re-evaluating", total=p.total, completed=p.done, rate=f"{p.rate:,.0f}",
                           eta=_eta(p.eta_seconds))  # fmt: skip

            yield hook
        return
    last: list[float | None] = [None]  # the first report is logged at once: the total and where the run starts

    def log(p: Any) -> None:
        now = time.monotonic()
        if last[0] is None or now - last[0] >= LOG_EVERY_SECONDS or p.done >= p.total:
            last[0] = now
            share = 100 * p.done / p.total if p.total else 100
            err.print(f"batch: {p.done}/{p.total} ({share:.0f}%) {p.rate:,.0f} customers/s ETA {_eta(p.eta_seconds)}")

    yield log
