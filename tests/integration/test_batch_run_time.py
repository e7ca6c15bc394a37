"""A run's time over all its attempts: the summary, `runs` and batch_runs add each attempt's seconds."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from adapters.batch import runs
from adapters.batch.progress import Progress
from adapters.batch.runner import BatchOptions, run_batch
from adapters.batch.runs import Partition
from tests.integration.test_batch_support import AS_OF, RULES, cli, make_portfolio, scalar


def _stopped_at_the_third_chunk(url: str) -> dict[str, Any]:
    """Run the batch and stop it with Ctrl-C at its third progress report; the summary as far as it got."""
    reports: list[int] = []

    def stop(p: Progress) -> None:
        reports.append(p.done)
        if len(reports) == 3:
            raise KeyboardInterrupt

    summary: dict[str, Any] = {}
    with pytest.raises(KeyboardInterrupt):
        run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50), stop, summary)
    return summary


def _execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def test_a_resumed_run_counts_the_seconds_of_every_attempt_in_the_summary_and_in_runs(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    stopped = _stopped_at_the_third_chunk(url)
    first = scalar(url, "SELECT seconds FROM batch_runs")

    resumed = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))
    again = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))
    listed = cli("runs", "--db", url, "--json")
    shown = cli("runs", "--db", url)

    assert stopped["seconds_all_attempts"] == pytest.approx(first, abs=0.01) and first > 0
    assert resumed["attempt"] == 2
    assert resumed["seconds_all_attempts"] == pytest.approx(first + resumed["seconds"], abs=0.02)
    assert again["already_complete"] and again["seconds_all_attempts"] == resumed["seconds_all_attempts"]
    [part] = json.loads(listed.stdout)
    assert part["seconds"] == pytest.approx(resumed["seconds"], abs=0.01)
    assert part["seconds_all_attempts"] == pytest.approx(resumed["seconds_all_attempts"], abs=0.01)
    assert "all attempts" in shown.stdout


def test_a_part_stored_before_the_sum_was_kept_reads_unknown_after_a_resume_not_the_last_attempt(
    tmp_path: Path,
) -> None:
    url = make_portfolio(tmp_path)
    _stopped_at_the_third_chunk(url)
    _execute(url, "UPDATE batch_runs SET seconds_all_attempts = NULL")  # as migration 0006 leaves an older row

    resumed = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))
    listed = cli("runs", "--db", url, "--json")

    assert resumed["status"] == "complete" and resumed["seconds_all_attempts"] is None
    assert json.loads(listed.stdout)[0]["seconds_all_attempts"] is None
    assert "unknown" in cli("runs", "--db", url).stdout


def test_an_attempt_killed_outright_leaves_the_sum_unknown_since_it_could_not_record_its_time(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    _stopped_at_the_third_chunk(url)
    # kill -9 leaves the part `running`, its attempt counted as begun and never as ended
    _execute(url, "UPDATE batch_runs SET status = 'running', attempts_ended = attempts - 1")

    resumed = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))

    assert resumed["status"] == "complete" and resumed["seconds_all_attempts"] is None
    assert json.loads(cli("runs", "--db", url, "--json").stdout)[0]["seconds_all_attempts"] is None


def test_an_attempt_begun_and_ended_during_another_adds_no_time_and_leaves_the_sum_known(tmp_path: Path) -> None:
    """Two processes at once: the later found the part `running` and made the sum unknown (NULL) for good."""
    url = make_portfolio(tmp_path)
    engine = create_engine(url)
    ended: list[float | None] = []

    def _another_attempt_begins_and_ends(p: Progress) -> None:
        if p.now_done and not ended:  # after our first chunk
            run_id = str(scalar(url, "SELECT run_id FROM batch_runs"))
            runs.start_run(engine, run_id, Partition(), AS_OF, run_id.split(":")[1])
            ended.append(runs.finish_run(engine, run_id, Partition(), "complete", {}, 0.05))

    done = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50),
                     _another_attempt_begins_and_ends)  # fmt: skip
    engine.dispose()

    assert ended == [None]  # ours was still under way: not yet known
    assert done["attempt"] == 1 and scalar(url, "SELECT attempts FROM batch_runs") == 2
    assert done["seconds_all_attempts"] == pytest.approx(done["seconds"], abs=0.02)  # within ours: counted once


def test_a_lone_attempts_seconds_are_its_parts_seconds_over_all_attempts_however_long_the_finish_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting the part and waiting for the write lock came after `seconds` was measured: the sum counted
    them too, so a lone attempt's two figures differed by that time (0.71 against 0.69 on a slow CI machine)."""
    url = make_portfolio(tmp_path)
    real_counts = runs.status_counts

    def slow_counts(*args: Any) -> dict[str, int]:
        time.sleep(0.3)  # as a slow machine or a write lock held by another process makes it
        return real_counts(*args)

    monkeypatch.setattr(runs, "status_counts", slow_counts)
    done = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))

    assert done["status"] == "complete" and done["attempt"] == 1
    assert done["seconds_all_attempts"] == pytest.approx(done["seconds"], abs=0.011)
    assert scalar(url, "SELECT seconds_all_attempts FROM batch_runs") == pytest.approx(done["seconds"], abs=0.011)
