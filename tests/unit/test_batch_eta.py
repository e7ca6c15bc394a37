"""The batch's live rate and ETA are measured from the first settled chunk, not through the workers' start-up."""

from __future__ import annotations

from adapters.batch.runner import Progress
from adapters.batch.worker import ChunkResult


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def after_first_chunk(total: int, at: float, first: int = 500, workers: int = 1) -> tuple[FakeClock, Progress]:
    """A Progress started at 0 whose first chunk of `first` customers settled at `at` seconds."""
    clock = FakeClock()
    progress = Progress(total=total, done=0, started=clock(), clock=clock, workers=workers)
    clock.now = at
    progress.settle(ChunkResult(ok=first))
    return clock, progress


def test_the_eta_is_unknown_until_a_chunk_after_the_first_has_settled() -> None:
    _, progress = after_first_chunk(10_000, at=8.0)  # 8 s: the workers' start-up (spawning, compiling)

    assert progress.eta_seconds is None and progress.rate == 0.0


def test_the_eta_counts_from_the_first_settled_chunk_so_start_up_does_not_make_it_run_high() -> None:
    clock, progress = after_first_chunk(10_000, at=8.0)

    clock.now = 9.0
    progress.settle(ChunkResult(ok=490, quarantined=10))

    assert progress.rate == 500.0
    assert progress.eta_seconds == 18.0  # 9,000 left at 500/s; counting the 8 s start-up said 81 s
    assert progress.average_rate == 1000 / 9.0  # the summary's rate: the whole evaluation


def test_with_two_workers_the_rate_waits_for_a_round_of_both_so_their_first_chunks_do_not_make_it_run_low() -> None:
    clock, progress = after_first_chunk(10_000, at=8.0, workers=2)
    clock.now = 8.05  # the other worker's first chunk, a moment later
    progress.settle(ChunkResult(ok=500))

    unknown = progress.eta_seconds
    clock.now = 9.0
    progress.settle(ChunkResult(ok=500))

    assert unknown is None
    assert progress.rate == 1000.0 and progress.eta_seconds == 8.5


def test_customers_another_process_settled_count_as_done_but_not_toward_the_rate() -> None:
    clock, progress = after_first_chunk(1_000, at=1.0, first=100)

    clock.now = 2.0
    progress.settle(ChunkResult(ok=50, already_done=50))

    assert (progress.done, progress.now_done) == (200, 150)
    assert progress.rate == 50.0 and progress.eta_seconds == 16.0
