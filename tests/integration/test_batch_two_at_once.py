"""Two batch processes on the same run and part: each says so once, on stderr and in its summary."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from adapters.batch import runs
from adapters.batch.runner import BatchOptions, run_batch
from adapters.batch.worker import ChunkEvaluator
from tests.integration.test_batch_support import (
    AS_OF,
    CLI,
    RULES,
    make_portfolio,
    run_id_of,
    scalar,
    settle_as_another_process,
    summary_of,
)

SAID = "another process"
SHARED = "is working on this run too: the customers are shared between them"


def _run_while_another(url: str, after_our_first_chunk: Callable[[], None]) -> tuple[dict[str, Any], list[str]]:
    """A run in chunks of 50 in which `after_our_first_chunk` plays the other process; its summary and
    the lines it said of another process."""
    said: list[str] = []
    reports: list[int] = []

    def _hook(progress: Any) -> None:
        reports.append(progress.done)
        if len(reports) == 2:  # the first report comes before the first chunk
            after_our_first_chunk()

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50), _hook,
                        on_notice=said.append)  # fmt: skip
    return summary, [line for line in said if line.startswith(SAID)]


def test_a_batch_that_finds_customers_settled_by_another_process_says_so_once(tmp_path: Path) -> None:
    """The audit: two batches on one run each showed half the rate, and neither mentioned the other."""
    url = make_portfolio(tmp_path)
    ours_3rd_and_4th_chunks = [f"C{n:07d}" for n in range(101, 201)]

    summary, lines = _run_while_another(url, lambda: settle_as_another_process(url, ours_3rd_and_4th_chunks))

    assert len(lines) == 1 and SHARED in lines[0], lines
    assert "settled 50 of this part's customers" in lines[0]  # the first chunk that found them says it
    assert summary["another_process"] == {"signal": "customers_settled_by_it", "settled_by_it": 100}
    assert summary["evaluated_now"] == 200 and summary["status"] == "complete"


def test_a_batch_whose_part_another_process_begins_meanwhile_says_so(tmp_path: Path) -> None:
    """The first of two batches takes every chunk it claims: what tells it is the part's later attempt."""
    url = make_portfolio(tmp_path)

    def _another_begins_the_part() -> None:
        engine = create_engine(url)
        runs.start_run(engine, run_id_of(url), runs.Partition(), AS_OF, run_id_of(url).split(":")[1])
        engine.dispose()

    summary, lines = _run_while_another(url, _another_begins_the_part)

    assert len(lines) == 1 and SHARED in lines[0], lines
    assert "attempt 2 at part 0/1" in lines[0] and "this one is attempt 1" in lines[0]
    assert summary["another_process"] == {"signal": "later_attempt", "attempt": 2, "settled_by_it": 0}
    assert summary["evaluated_now"] == 300


def test_a_batch_alone_says_nothing_of_another_process(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    said: list[str] = []

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50), on_notice=said.append)

    assert not any(line.startswith(SAID) for line in said) and "another_process" not in summary


def test_two_batches_started_at_once_on_one_run_each_say_the_other_works_on_it(tmp_path: Path) -> None:
    """As the audit ran them by hand: the same command twice at once on one SQLite store."""
    url = make_portfolio(tmp_path, customers=600)
    args = [CLI, "batch", "--db", url, "--as-of", AS_OF.isoformat(), "--chunk-size", "50", "--quiet"]

    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(proc.communicate(timeout=180), proc.returncode) for proc in procs]

    summaries = [summary_of(subprocess.CompletedProcess(args, code, out, err)) for (out, err), code in results]
    assert [code for _, code in results] == [0, 0], [err for (_, err), _ in results]
    assert sum(s["evaluated_now"] for s in summaries) == 600
    for (_, err), summary in zip((r[0] for r in results), summaries, strict=True):
        if 0 < summary["evaluated_now"] < 600:  # each did a share: each must say why its rate is halved
            assert err.count(f"batch: {SAID}") == 1 and SHARED in err, err
            assert "another_process" in summary
    # Overlapping, at least one of them says so; one started after the other had finished (a loaded machine
    # can start the second that late: 600 customers take well under a second) finds the part complete instead.
    assert any("another_process" in s for s in summaries) or any(s["already_complete"] for s in summaries), summaries
    assert scalar(url, "SELECT COUNT(*) FROM batch_results") == 600


def test_a_batch_counts_the_customers_it_evaluated_in_vain_when_another_process_committed_them_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The work two processes on one run waste was counted nowhere: the loser's chunk looked settled by others."""
    url = make_portfolio(tmp_path)
    evaluate = ChunkEvaluator._evaluate
    calls: list[int] = []

    def _the_other_commits_our_second_chunk_meanwhile(self: ChunkEvaluator, pending: list[str], loaded: Any) -> Any:
        rows = evaluate(self, pending, loaded)
        calls.append(len(pending))
        if len(calls) == 2:  # between our reading the chunk as pending and our commit
            settle_as_another_process(url, pending)
        return rows

    monkeypatch.setattr(ChunkEvaluator, "_evaluate", _the_other_commits_our_second_chunk_meanwhile)
    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))

    assert summary["evaluated_in_vain"] == 50 and summary["evaluated_now"] == 250
    assert summary["another_process"]["settled_by_it"] == 50
    assert scalar(url, "SELECT COUNT(*) FROM batch_results") == 300


def test_a_part_another_process_completed_stays_complete_when_this_one_is_then_stopped(tmp_path: Path) -> None:
    """The second of two processes stopped (Ctrl-C, SIGTERM) after the first completed the part: before, its
    `failed` overwrote the complete row and blanked the part's counts, so `runs` showed a finished night failed."""
    url = make_portfolio(tmp_path)
    engine = create_engine(url)
    begun: list[int] = []

    def _another_begins_the_part() -> None:
        begun.append(runs.start_run(engine, run_id_of(url), runs.Partition(), AS_OF, run_id_of(url).split(":")[1]))

    summary, _ = _run_while_another(url, _another_begins_the_part)
    runs.finish_run(engine, run_id_of(url), runs.Partition(), "failed", {}, 1.5)  # the other is stopped

    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, customers, ok, seconds, attempts, attempts_ended "
                                "FROM batch_runs")).one()
    engine.dispose()
    assert begun == [2] and summary["status"] == "complete"
    assert (row.status, row.customers, row.ok) == ("complete", 300, summary["ok"])
    assert (row.attempts, row.attempts_ended) == (2, 2)
    assert row.seconds == pytest.approx(summary["seconds"], abs=0.01)  # the completing attempt's, not the stopped one's
