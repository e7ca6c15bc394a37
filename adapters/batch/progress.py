"""Progress of a batch: a live bar (rate, ETA) on a terminal, a plain line every 30 s otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

LOG_EVERY_SECONDS = 30.0


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
        with Progress(*columns, console=err, transient=False) as bar:
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
