"""Two batch processes on one run and part walk it from opposite ends: they share the work, not repeat it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from adapters.batch import walk
from adapters.batch.runner import BatchOptions, run_batch
from adapters.batch.runs import Partition
from adapters.batch.walk import Walk, pending_chunks, walk_for
from tests.integration.test_batch_support import (
    AS_OF,
    CLI,
    RULES,
    cli,
    digest,
    make_portfolio,
    settle_as_another_process,
    summary_of,
)

RUN = "2026-11-22:walk"
CUSTOMERS = 1200


def _chunks(url: str, walk: Walk, size: int = 50) -> list[list[str]]:
    engine = create_engine(url)
    try:
        return list(pending_chunks(engine, RUN, Partition(), size, walk))
    finally:
        engine.dispose()


def _way(url: str, attempt: int, pending: int = 300) -> Walk:
    engine = create_engine(url)
    try:
        return walk_for(attempt, engine, RUN, Partition(), pending)
    finally:
        engine.dispose()


def test_the_first_attempt_walks_up_the_key_and_the_second_down_it(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    first, second = _chunks(url, _way(url, 1)), _chunks(url, _way(url, 2))

    assert first[0][0] == "C0000001" and first[-1][-1] == "C0000300"
    assert second[0][:2] == ["C0000300", "C0000299"] and second[-1][-1] == "C0000001"
    assert sorted(sum(second, [])) == sum(first, [])


def test_a_third_attempt_starts_at_the_middle_of_the_pending_customers_and_wraps_round(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    third, fourth = _way(url, 3), _way(url, 4)
    walked = sum(_chunks(url, third), [])

    assert third == Walk(False, "C0000151") and fourth == Walk(True, "C0000151")
    assert walked[0] == "C0000151" and walked[-1] == "C0000150" and sorted(walked) == sorted(set(walked))
    assert len(walked) == 300 and sum(_chunks(url, fourth), [])[:2] == ["C0000151", "C0000150"]


def _batch(url: str) -> list[str]:
    return [CLI, "batch", "--db", url, "--as-of", AS_OF.isoformat(), "--chunk-size", "50", "--quiet"]


def _report(url: str, out: Path) -> dict[str, Any]:
    assert cli("report", "--db", url, "--out", str(out)).returncode == 0
    [found] = out.glob("*.json")
    return dict(json.loads(found.read_text()))


def test_two_processes_at_once_settle_what_one_would_each_customer_once_and_evaluate_little_twice(
    tmp_path: Path,
) -> None:
    """Before, both walked up the key: each evaluated all 1,200 customers, one of the two in vain."""
    one = make_portfolio(tmp_path, CUSTOMERS, name="one.sqlite")
    two = make_portfolio(tmp_path, CUSTOMERS, name="two.sqlite")
    assert subprocess.run(_batch(one), capture_output=True, timeout=300).returncode == 0

    procs = [subprocess.Popen(_batch(two), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    ended = [(proc.communicate(timeout=300), proc.returncode) for proc in procs]

    assert [code for _, code in ended] == [0, 0], [err for (_, err), _ in ended]
    summaries = [summary_of(subprocess.CompletedProcess([], code, out, err)) for (out, err), code in ended]
    assert sum(s["evaluated_now"] for s in summaries) == CUSTOMERS
    assert sum(s["evaluated_in_vain"] for s in summaries) <= 100, summaries  # the chunks in hand where they met
    assert digest(one) == digest(two)
    known = [s["seconds_all_attempts"] for s in summaries if s["seconds_all_attempts"] is not None]
    assert known, summaries  # the last to end knows it: overlapping attempts counted once, not made unknown
    assert max(s["seconds"] for s in summaries) - 0.05 <= max(known) <= sum(s["seconds"] for s in summaries)
    assert _report(one, tmp_path / "one") == _report(two, tmp_path / "two")


def test_a_process_that_never_meets_what_the_other_settled_still_says_it_and_counts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The later of two walks the other way: its chunks may never find a customer the other settled."""
    url = make_portfolio(tmp_path)
    monkeypatch.setattr(walk, "PAGE", 50)  # pages read as the walk goes: the other's customers are never offered
    said: list[str] = []
    reports: list[int] = []

    def _the_other_settles_our_last_100_meanwhile(progress: Any) -> None:
        reports.append(progress.done)
        if len(reports) == 2:
            settle_as_another_process(url, [f"C{n:07d}" for n in range(201, 301)])

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50),
                        _the_other_settles_our_last_100_meanwhile, on_notice=said.append)  # fmt: skip

    assert summary["evaluated_now"] == 200 and summary["already_done"] == 0 and summary["status"] == "complete"
    assert summary["another_process"] == {"signal": "customers_settled_by_it", "settled_by_it": 100}
    [line] = [line for line in said if line.startswith("another process")]
    assert "it settled 100 of this part's customers since this one began" in line
