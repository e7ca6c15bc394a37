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


def _eta(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _per_second(rate: float) -> str:
    # A slow store can settle under 10 customers a second: "0 customers/s" would read as stuck.
    return f"{rate:,.0f}" if rate >= 10 else f"{rate:.1f}"


def pace(p: Progress) -> str:
    """The rate and ETA worth showing: the live ones once measured, the average once done, else nothing.

    Before, a run shorter than the measurement (a chunk per worker after the first) showed
    "0 customers/s ETA --:--" through to its last line, at 100% too.
    """
    if p.done >= p.total:
        return f"{_per_second(p.average_rate)} customers/s on average" if p.now_done else ""
    if p.rate > 0 and p.eta_seconds is not None:
        return f"{_per_second(p.rate)} customers/s ETA {_eta(p.eta_seconds)}"
    return ""


@contextmanager
def batch_progress(quiet: bool = False, label: str = "batch", doing: str = "re-evaluating") -> Iterator[Any]:
    """Yield a hook for run_batch (or simulate: `label`, `doing`): a rich bar when stderr is a terminal, else a log
    line now and then."""
    err = Console(stderr=True, highlight=False)
    if quiet:
        yield None
        return
    if sys.stderr.isatty():
        # The field the hook sets: naming fields it no longer sets (rate, eta) raised KeyError at the first render
        rate = TextColumn("{task.fields[pace]}")
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), rate, TimeElapsedColumn())
        with Bar(*columns, console=err, transient=False) as bar:
            # Until the first report the run is opening the store and making the portfolio pass (ABC):
            # seconds on a small book, minutes on a large one, and the bar should not read as stuck.
            task = bar.add_task("portfolio pass", total=None, pace="")

            def hook(p: Progress) -> None:
                bar.update(task, description=doing, total=p.total, completed=p.done, pace=pace(p))

            yield hook
        return
    last: list[float | None] = [None]  # the first report is logged at once: the total and where the run starts

    def log(p: Progress) -> None:
        now = time.monotonic()
        if last[0] is None or now - last[0] >= LOG_EVERY_SECONDS or p.done >= p.total:
            last[0] = now
            share = 100 * p.done / p.total if p.total else 100
            err.print(" ".join(filter(None, (f"{label}: {p.done}/{p.total} ({share:.0f}%)", pace(p)))))

    yield log
