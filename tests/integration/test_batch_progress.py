"""Progress: told before the first chunk (a resumed run shows where it starts), and on a log at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from adapters.batch.progress import batch_progress
from adapters.batch.runner import BatchOptions, Progress, run_batch
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio, scalar


def test_progress_is_told_before_the_first_chunk_and_a_resumed_run_starts_at_what_is_settled(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    first: list[int] = []

    def stop_at_the_third_report(p: Progress) -> None:
        first.append(p.done)
        if len(first) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50), stop_at_the_third_report)
    settled = scalar(url, "SELECT COUNT(*) FROM batch_results")
    resumed: list[tuple[int, int, int]] = []
    run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50),
              lambda p: resumed.append((p.done, p.total, p.now_done)))  # fmt: skip

    assert first[0] == 0 and 0 < settled < 300
    assert resumed[0] == (settled, 300, 0)
    assert resumed[-1] == (300, 300, 300 - settled)


def test_a_log_gets_a_progress_line_at_the_start_not_only_every_30_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    with batch_progress() as hook:  # stderr is no terminal here: plain lines
        hook(Progress(total=300, done=120, started=time.perf_counter()))
        hook(Progress(total=300, done=150, started=time.perf_counter(), now_done=30))

    lines = capsys.readouterr().err.splitlines()
    assert lines == ["batch: 120/300 (40%)"]  # no rate yet: it read "0 customers/s ETA --:--"
