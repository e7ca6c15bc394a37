"""The batch's live rate and ETA: measured from the first settled chunk, shown only once there is one."""

from __future__ import annotations

import pytest

from adapters.batch.progress import batch_progress, pace
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


def test_a_run_shorter_than_the_measurement_ends_on_its_average_rate_not_on_zero_customers_a_second(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock, progress = after_first_chunk(500, at=0.5, first=500)

    with batch_progress() as hook:  # stderr is no terminal here: plain lines
        hook(progress)

    assert capsys.readouterr().err.splitlines() == ["batch: 500/500 (100%) 1,000 customers/s on average"]


def test_before_the_rate_is_measured_the_line_shows_no_rate_and_no_eta() -> None:
    _, progress = after_first_chunk(10_000, at=8.0)

    assert pace(progress) == ""  # it read "0 customers/s ETA --:--"


def test_once_measured_the_live_rate_and_eta_are_shown_and_a_slow_rate_keeps_a_decimal() -> None:
    clock, progress = after_first_chunk(1_000, at=1.0, first=10)
    clock.now = 5.0
    progress.settle(ChunkResult(ok=10))

    assert pace(progress) == "2.5 customers/s ETA 0:06:32"  # 980 left at 2.5/s: 392 s


def test_a_resumed_run_with_nothing_left_shows_no_rate() -> None:
    progress = Progress(total=300, done=300, started=0.0, clock=FakeClock())

    assert pace(progress) == ""



def test_the_bar_on_a_terminal_shows_the_pace_it_is_told(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    clock, progress = after_first_chunk(10_000, at=8.0)
    clock.now = 9.0
    progress.settle(ChunkResult(ok=500))

    with batch_progress() as hook:  # before: KeyError 'rate' at the bar's first render, ending the batch
        hook(progress)

    assert "500 customers/s ETA 0:00:18" in capsys.readouterr().err
