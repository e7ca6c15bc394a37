"""A batch kept waiting for the SQLite write lock after its first check says so: in the portfolio pass
(another part of the run computing it, up to an hour) and at a chunk commit (another writer meanwhile)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from adapters.batch import runs
from adapters.batch.config import PortfolioConfig
from adapters.batch.fatal import fatal_text
from adapters.batch.portfolio_once import PortfolioLockedOut, ensure_portfolio
from adapters.batch.runner import BatchOptions, run_batch
from adapters.batch.worker import ChunkEvaluator, RunContext
from adapters.store import open_store
from tests.integration.sqlite_lock import WAITING, LockTakenMidRun, release_after, write_lock_held
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio, scalar


def test_a_portfolio_pass_kept_waiting_says_so_once_and_how_long_then_goes_on(
        tmp_path: Path, short_waits: None) -> None:
    url = make_portfolio(tmp_path, 20)
    store = open_store(url)
    said: list[str] = []

    with write_lock_held(url) as holder:
        timer = release_after(holder, 2.5)  # past two of the driver's waits: the retries stay silent
        summary = ensure_portfolio(store.engine, "run-1", AS_OF, PortfolioConfig(), wait_seconds=10,
                                   on_wait=said.append)  # fmt: skip
        timer.join()

    store.close()
    assert summary["customers"] == 20
    assert len(said) == 1, said
    assert said[0].startswith(f"{WAITING} {url}: another process holds it (another part of this run")
    assert "portfolio pass" in said[0] and "up to 10 s more before giving up" in said[0]


def test_a_portfolio_pass_locked_out_for_the_whole_wait_says_what_held_it_and_what_to_do(
        tmp_path: Path, short_waits: None) -> None:
    url = make_portfolio(tmp_path, 20)
    store = open_store(url)
    said: list[str] = []

    with write_lock_held(url), pytest.raises(PortfolioLockedOut) as caught:
        ensure_portfolio(store.engine, "run-1", AS_OF, PortfolioConfig(), wait_seconds=1.5, on_wait=said.append)

    text = fatal_text(caught.value, store.engine)
    store.close()
    assert len(said) == 1
    assert "database is locked" in text and "for 2 s in all" in text
    assert "another part of this run" in text and "run the same command again to resume" in text


def test_the_batch_says_an_hour_for_the_portfolio_pass_wait(tmp_path: Path, short_waits: None) -> None:
    url = make_portfolio(tmp_path, 20)
    store = open_store(url)
    said: list[str] = []

    with write_lock_held(url) as holder:
        timer = release_after(holder, 0.6)
        ensure_portfolio(store.engine, "run-1", AS_OF, PortfolioConfig(), on_wait=said.append)
        timer.join()

    store.close()
    assert len(said) == 1 and "up to 60 min more before giving up" in said[0]


def test_a_chunk_commit_kept_waiting_by_another_writer_says_so_once_and_commits(
        tmp_path: Path, short_waits: None) -> None:
    url = make_portfolio(tmp_path, 20)
    other = LockTakenMidRun(url, lambda _progress: True)  # the first call comes before the first chunk

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50),
                        other.on_progress, on_notice=other.notice)  # fmt: skip

    other.close()
    assert summary["exit_code"] == 0, summary.get("error")
    said = other.said
    assert len(said) == 1 and said[0].startswith(f"{WAITING} {url}: another process holds it"), said
    assert scalar(url, "SELECT COUNT(*) FROM batch_results") == 20


class _ReleaseOnWaiting(logging.Handler):
    """Gives the lock back once the worker logged that it waits for it, keeping what it logged."""

    def __init__(self, holder: sqlite3.Connection):
        super().__init__(logging.WARNING)
        self.holder = holder
        self.said: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append(record.getMessage())
        if self.holder.in_transaction:
            self.holder.execute("ROLLBACK")


def test_a_pool_workers_chunk_commit_kept_waiting_says_so_in_its_log(tmp_path: Path, short_waits: None) -> None:
    url = make_portfolio(tmp_path, 20)
    store = open_store(url)
    run_id = "run-1"
    runs.start_run(store.engine, run_id, runs.Partition(), AS_OF, "v-test")
    ensure_portfolio(store.engine, run_id, AS_OF, PortfolioConfig())
    evaluator = ChunkEvaluator(RunContext(run_id, AS_OF, url, str(RULES)))  # as a pool worker makes it
    log = logging.getLogger("credit_policy.batch")

    with write_lock_held(url) as holder:
        handler = _ReleaseOnWaiting(holder)
        log.addHandler(handler)
        try:
            result = evaluator.run(["C0000001", "C0000002"])
        finally:
            log.removeHandler(handler)

    store.close()
    assert result.handled == 2
    assert len(handler.said) == 1 and handler.said[0].startswith(f"batch: {WAITING} {url}")
